// The same data written through the ports to the SQLite adapter and to the PostgreSQL adapter:
// every read answers the same, JSON and CSV byte for byte.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NewRevision, Storage } from '../../src/storage/ports.js'
import { createPool } from '../../src/storage/postgres/client.js'
import { createPostgresStorage } from '../../src/storage/postgres/index.js'
import { observationReads } from '../../src/storage/postgres/observations.js'
import { createSqliteStorage } from '../../src/storage/sqlite/index.js'
import { AREAS, checked, content, createTestDatabase, dropTestDatabase, filterArb, INDICATORS, instant, key, PERIODS, postgresAvailable, SOURCE } from '../support/postgres.js'
import { expectSameCatalog, expectSameObservations, expectSamePages } from '../support/postgres-vs-sqlite.js'

const available = await postgresAvailable()

describe.skipIf(!available)('PostgreSQL answers as SQLite does', () => {
  let db: { name: string; url: string }
  let postgres: Storage
  let sqlite: Storage

  beforeAll(async () => {
    db = await createTestDatabase('bt_compare')
    postgres = await createPostgresStorage(db.url)
    await postgres.migrate()
    sqlite = createSqliteStorage(':memory:')
    await sqlite.migrate()
    for (const storage of [sqlite, postgres]) {
      await storage.transaction('write', async (tx) => {
        for (const a of AREAS) await tx.insertArea(a)
        for (const p of PERIODS) await tx.insertPeriod(p)
        for (const i of INDICATORS) await tx.insertIndicator(i)
        await tx.insertSource(SOURCE)
      })
    }
    // The same history on both: batches at increasing instants, keys repeating (new revisions).
    const sampled = fc.sample(fc.array(fc.record({ key, content }), { minLength: 1, maxLength: 15 }), { numRuns: 12, seed: 7 })
    // Later batches also correct older observations (random keys seldom repeat), so every updatedSince
    // plan meets corrections of observations created before T as well as creations since.
    const corrections = fc.sample(content, { numRuns: 40, seed: 8 })
    const batches = sampled.map((batch, n) => (n < 3 ? batch : [...batch, ...sampled[n - 3]!.slice(0, 4).map((b, i) => ({ key: b.key, content: corrections[(n * 4 + i) % corrections.length]! }))]))
    for (const [n, batch] of batches.entries()) {
      const recordedAt = `2024-01-01T00:${String(n * 5).padStart(2, '0')}:00.000Z`
      const revisions: NewRevision[] = []
      // SQLite takes it one row at a time: a key repeated within the batch finds the revision just written.
      await sqlite.transaction('write', async (tx) => {
        for (const { key: k, content: c } of batch) {
          const [current] = await tx.currentByKeys([k])
          const id = current?.id ?? (await tx.insertIdentities([k]))[0]!
          const revision = (current?.revision ?? 0) + 1
          const status = c.withdrawn ? 'withdrawn' : 'active'
          const next: NewRevision = { observationId: id, revision, status, observation: checked(k, c), reason: c.reason, actor: c.actor, recordedAt }
          await tx.appendRevisions([next])
          revisions.push(next)
        }
      })
      // PostgreSQL takes the batch as the ports do: identities first, then every revision at once.
      await postgres.transaction('write', async (tx) => {
        const firsts = revisions.filter((r) => r.revision === 1)
        const ids = await tx.insertIdentities(firsts.map((r) => ({ indicator: r.observation.indicator, area: r.observation.area, period: r.observation.period, kind: r.observation.kind })))
        expect(ids).toEqual(firsts.map((r) => r.observationId))
        await tx.appendRevisions(revisions)
      })
    }
  })
  afterAll(async () => {
    await sqlite?.close()
    await postgres?.close()
    if (db) await dropTestDatabase(db.name)
  })

  it('pages rows, JSON and CSV identically under any filter, asOf and cursor', async () => {
    await expectSamePages(postgres, sqlite, filterArb, 30)
  })

  it('answers updatedSince the same by every plan: from the log, split into creations and corrections, walking', async () => {
    const pool = createPool(db.url)
    try {
      const since = filterArb.chain((f) => instant.map((t) => ({ ...f, updatedSince: t })))
      for (const planning of [{ sparseShare: 0, logReadMax: Infinity }, { sparseShare: 1, logReadMax: 0 }, { sparseShare: Infinity, logReadMax: 0 }]) {
        await expectSamePages({ ...postgres, observations: observationReads(pool, planning) }, sqlite, since, 30, 60)
      }
    } finally {
      await pool.end()
    }
  })

  it('answers the change feed, histories and asOf reads identically', async () => {
    await expectSameObservations(postgres, sqlite, '2024-01-01T00:20:00.000Z')
  })

  it('answers the catalog identically: indicator search, areas, periods, sources', async () => {
    const queries = fc.oneof(fc.constantFrom('PAID', 'ÉCOLE', 'école', 'FAÇADE', '%', '_', 'grain_o', 'grain o', ' cattle ', '低保', 'K', 'İ', 'ı', '\u0000', 'gr\u0000x', 'AIN\u0000'), fc.string({ maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 2 }))
    await expectSameCatalog(postgres, sqlite, queries, ['agriculture', 'ecology', 'social_security'])
  })
})
