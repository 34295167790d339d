// The same data written to the SQLite store (through its code as it stands before the seam)
// and to the PostgreSQL adapter: every read answers the same, JSON and CSV byte for byte.
// When the SQLite adapter lands behind the ports, point `sqlite` below at it.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateDatabase, openDatabase, type Db } from '../../src/db/client.js'
import { areas, indicators, reportingPeriods, sources } from '../../src/db/schema.js'
import { createAreaRepository } from '../../src/modules/areas/areas.repository.js'
import { createIndicatorRepository } from '../../src/modules/indicators/indicators.repository.js'
import { createObservationRepository, openObservationStore } from '../../src/modules/observations/observations.repository.js'
import { createPeriodRepository } from '../../src/modules/periods/periods.repository.js'
import type { NewRevision, Storage } from '../../src/storage/ports.js'
import { createPostgresStorage } from '../../src/storage/postgres/index.js'
import { AREAS, checked, content, createTestDatabase, dropTestDatabase, filterArb, INDICATORS, key, PERIODS, postgresAvailable, SOURCE } from '../support/postgres.js'
import { runs } from '../support/property-runs.js'

const available = await postgresAvailable()

describe.skipIf(!available)('PostgreSQL answers as SQLite does', () => {
  let db: { name: string; url: string }
  let postgres: Storage
  let sqlite: Db

  beforeAll(async () => {
    db = await createTestDatabase('bt_compare')
    postgres = await createPostgresStorage(db.url)
    await postgres.migrate()
    sqlite = openDatabase(':memory:')
    migrateDatabase(sqlite)
    sqlite.transaction((tx) => {
      for (const a of AREAS) tx.insert(areas).values(a).run()
      for (const p of PERIODS) tx.insert(reportingPeriods).values(p).run()
      for (const i of INDICATORS) tx.insert(indicators).values(i).run()
      tx.insert(sources).values(SOURCE).run()
    })
    await postgres.transaction('write', async (tx) => {
      for (const a of AREAS) await tx.insertArea(a)
      for (const p of PERIODS) await tx.insertPeriod(p)
      for (const i of INDICATORS) await tx.insertIndicator(i)
      await tx.insertSource(SOURCE)
    })
    // The same history on both: batches at increasing instants, keys repeating (new revisions).
    const batches = fc.sample(fc.array(fc.record({ key, content }), { minLength: 1, maxLength: 15 }), { numRuns: 12, seed: 7 })
    for (const [n, batch] of batches.entries()) {
      const recordedAt = `2024-01-01T00:${String(n * 5).padStart(2, '0')}:00.000Z`
      const revisions: NewRevision[] = []
      sqlite.transaction((tx) => {
        const store = openObservationStore(tx)
        for (const { key: k, content: c } of batch) {
          const current = store.findByNaturalKey(k)
          const id = current?.id ?? store.insertIdentity(k)
          const revision = (current?.revision ?? 0) + 1
          const status = c.withdrawn ? 'withdrawn' : 'active'
          store.appendRevision(id, revision, { status, observation: checked(k, c) }, { reason: c.reason, actor: c.actor, recordedAt })
          revisions.push({ observationId: id, revision, status, observation: checked(k, c), reason: c.reason, actor: c.actor, recordedAt })
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
    sqlite?.$client.close()
    await postgres?.close()
    if (db) await dropTestDatabase(db.name)
  })

  it('pages rows, JSON and CSV identically under any filter, asOf and cursor', async () => {
    const reference = createObservationRepository(sqlite)
    await fc.assert(
      fc.asyncProperty(filterArb, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 40 }), async (filter, afterId, limit) => {
        expect(await postgres.observations.page(filter, afterId, limit)).toEqual(await reference.page(filter, afterId, limit))
        expect(await postgres.observations.pageJson(filter, afterId, limit)).toEqual(await reference.pageJson(filter, afterId, limit))
        expect(await postgres.observations.pageCsv(filter, afterId, limit)).toEqual(await reference.pageCsv(filter, afterId, limit))
      }),
      { numRuns: runs(200) },
    )
  })

  it('answers the change feed, histories and asOf reads identically', async () => {
    const reference = createObservationRepository(sqlite)
    expect(await postgres.observations.changes(0, 10_000)).toEqual(await reference.changes(0, 10_000))
    expect(await postgres.observations.changesJson(0, 10_000)).toEqual(await reference.changesJson(0, 10_000))
    expect(await postgres.observations.changesJson(17, 9)).toEqual(await reference.changesJson(17, 9))
    const last = (await reference.changes(0, 10_000)).at(-1)?.id ?? 0
    for (let id = 1; id <= last + 1; id++) {
      expect(await postgres.observations.revisions(id)).toEqual(await reference.revisions(id))
      expect(await postgres.observations.byId(id)).toEqual(await reference.byId(id))
      expect(await postgres.observations.byId(id, '2024-01-01T00:20:00.000Z')).toEqual(await reference.byId(id, '2024-01-01T00:20:00.000Z'))
      expect(await postgres.observations.exists(id)).toBe(await reference.exists(id))
    }
  })

  it('answers the catalog identically: indicator search, areas, periods', async () => {
    const indicatorsRef = createIndicatorRepository(sqlite)
    const areasRef = createAreaRepository(sqlite)
    const periodsRef = createPeriodRepository(sqlite)
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom('PAID', 'ÉCOLE', 'école', 'FAÇADE', '%', '_', 'grain_o', 'grain o', ' cattle ', '低保', 'K', 'İ', 'ı', '\u0000', 'gr\u0000x', 'AIN\u0000'), fc.string({ maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 2 })),
        fc.option(fc.subarray(['agriculture', 'ecology', 'social_security', 'none'], { minLength: 1 }), { nil: undefined }),
        async (q, categories) => {
          expect(await postgres.catalog.indicators({ q, categories })).toEqual(await indicatorsRef.list({ q, categories }))
        },
      ),
      { numRuns: runs(200) },
    )
    expect(await postgres.catalog.categories()).toEqual(await indicatorsRef.categories())
    for (const level of [undefined, ['village'], ['town', 'banner'], ['none']]) {
      for (const parent of [undefined, 'town', 'banner', 'none']) expect(await postgres.catalog.areas({ level, parent })).toEqual(await areasRef.list({ level, parent }))
    }
    expect(await postgres.catalog.areaChildren('town')).toEqual(await areasRef.children('town'))
    for (const type of [undefined, ['month'], ['year', 'quarter']]) expect(await postgres.catalog.periods({ type })).toEqual(await periodsRef.list({ type }))
  })
})
