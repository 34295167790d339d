// Test fixtures: a fresh app on a fresh database per test file.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp, type App, type BuildOptions } from '../src/app.js'
import type { Db } from '../src/storage/sqlite/client.js'
import type { Storage } from '../src/storage/ports.js'
import { createSqliteStorage, sqliteConnection } from '../src/storage/sqlite/index.js'
import { loadSeeds } from '../src/seed/seed-loader.js'

export interface TestContext {
  app: App
  storage: Storage
  /** The SQLite connection under `storage`: for tests that read or tamper with the file directly. */
  db: Db
  close(): Promise<void>
}

/** A migrated (and, unless `seed` is false, seeded) SQLite store at `path`. */
export async function openStore(path: string, options: { seed?: boolean } = {}): Promise<{ storage: Storage; db: Db }> {
  const storage = createSqliteStorage(path)
  await storage.migrate()
  if (options.seed !== false) await loadSeeds(storage)
  return { storage, db: sqliteConnection(storage) }
}

/** A migrated and seeded database in memory, or in a temp file with `file: true`. */
export async function freshDb(options: { file?: boolean; seed?: boolean } = {}): Promise<{ storage: Storage; db: Db; path: string; cleanup(): void }> {
  const dir = options.file ? mkdtempSync(join(tmpdir(), 'indicators-test-')) : null
  const path = dir ? join(dir, 'test.db') : ':memory:'
  const { storage, db } = await openStore(path, options)
  return {
    storage,
    db,
    path,
    cleanup() {
      if (db.$client.open) db.$client.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function buildTestApp(options: { file?: boolean; seed?: boolean; build?: Omit<BuildOptions, 'storage'> } = {}): Promise<TestContext> {
  const { storage, db, cleanup } = await freshDb(options)
  const app = await buildApp({ logger: false, config: { databaseUrl: ':memory:' }, ...options.build, storage })
  await app.ready()
  return {
    app,
    storage,
    db,
    async close() {
      await app.close()
      cleanup()
    },
  }
}

export function json<T = any>(body: string): T {
  return JSON.parse(body) as T
}
