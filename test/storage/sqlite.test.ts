// The SQLite adapter against the storage conformance suite, in memory and on a file.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { storageProblem } from '../../src/errors.js'
import { StorageUnavailableError, type ObservationFilter } from '../../src/storage/ports.js'
import { createSqliteStorage, sqliteConnection } from '../../src/storage/sqlite/index.js'
import { pageQuery } from '../../src/storage/sqlite/observations.js'
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

describe('two SQLite stores on one file (two processes, or the writer thread and the server)', () => {
  const file = join(dir, 'shared.db')
  const period = (code: string) => ({ code, type: 'year' as const, startDate: `${code}-01-01`, endDate: `${code}-12-31` })

  it('each sees the other\'s commits, and its dataVersion changes with them', async () => {
    const a = createSqliteStorage(file)
    await a.migrate()
    const b = createSqliteStorage(file)
    try {
      const before = b.dataVersion()
      await a.transaction('write', (tx) => tx.insertPeriod(period('2040')))
      expect(await b.catalog.period('2040')).not.toBeNull()
      expect(b.dataVersion()).not.toBe(before)
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a snapshot reads one state while the other store commits, and then sees the commit', async () => {
    const a = createSqliteStorage(file)
    const b = createSqliteStorage(file)
    try {
      await b.transaction('snapshot', async (tx) => {
        expect(await tx.period('2041')).toBeNull()
        await a.transaction('write', (w) => w.insertPeriod(period('2041')))
        expect(await tx.period('2041')).toBeNull()
      })
      expect(await b.catalog.period('2041')).not.toBeNull()
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('a read-only store reads and refuses to write', async () => {
    const ro = createSqliteStorage(file, { readOnly: true })
    try {
      expect(await ro.catalog.period('2040')).not.toBeNull()
      await expect(ro.transaction('write', (tx) => tx.insertPeriod(period('2042')))).rejects.toThrow()
    } finally {
      await ro.close()
    }
  })

  it('answers a failed ping as StorageUnavailableError, a 503 problem', async () => {
    const gone = createSqliteStorage(file)
    await gone.close()
    const err = await gone.health.ping().then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(StorageUnavailableError)
    expect(storageProblem(err)?.statusCode).toBe(503)
  })
})

describe('source= on SQLite', () => {
  it('reads one source as a range of its revision index in order, current and asOf alike; several as such ranges merged', async () => {
    const storage = createSqliteStorage(':memory:')
    await storage.migrate()
    try {
      const client = sqliteConnection(storage).$client
      const plan = (filter: ObservationFilter) => {
        const q = pageQuery(filter, 3, 10, 'o.id', { sparseSets: () => ({}) })
        return (client.prepare(`EXPLAIN QUERY PLAN ${q.text()}`).all(q.params) as Array<{ detail: string }>).map((r) => r.detail)
      }
      for (const filter of [{ sources: ['a'] }, { sources: ['a'], asOf: '2024-01-01T00:00:00.000Z' }, { sources: ['a'], knownAt: '2024-01-01T00:00:00.000Z', categories: ['c'] }]) {
        const steps = plan(filter)
        expect(steps[0]).toBe('SEARCH r USING INDEX observation_revision_source_idx (source_id=? AND observation_id>?)')
        expect(steps.join('\n')).not.toMatch(/SCAN (o|r)\b|TEMP B-TREE/)
      }
      // Several: one such range each (a page at most from each), merged; a repeated source is read once.
      const several = plan({ sources: ['a', 'b', 'a'], asOf: '2024-01-01T00:00:00.000Z' })
      expect(several[0]).toBe('MERGE (UNION ALL)')
      expect(several.filter((step) => step === 'SEARCH r USING INDEX observation_revision_source_idx (source_id=? AND observation_id>?)')).toHaveLength(2)
      expect(several.join('\n')).not.toMatch(/SCAN (o|r)\b/)
    } finally {
      await storage.close()
    }
  })
})
