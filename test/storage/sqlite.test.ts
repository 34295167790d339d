// The SQLite adapter against the storage conformance suite, in memory and on a file.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { createSqliteStorage } from '../../src/storage/sqlite/index.js'
import { storageConformance } from './conformance.js'

storageConformance('sqlite :memory:', async () => {
  const storage = createSqliteStorage(':memory:')
  await storage.migrate()
  return storage
})

const dir = mkdtempSync(join(tmpdir(), 'storage-conformance-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
storageConformance('sqlite file', async () => {
  const storage = createSqliteStorage(join(dir, 'conformance.db'))
  await storage.migrate()
  return storage
})
