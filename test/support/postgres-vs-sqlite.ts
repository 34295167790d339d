// The postgres-vs-sqlite harness: every port answer of a PostgreSQL storage held equal to what
// today's SQLite code answers on the same data (JSON and CSV byte for byte). Used on data
// written to both (postgres-vs-sqlite.test.ts) and on a SQLite file copied into PostgreSQL
// (postgres-copy.test.ts). When the SQLite adapter lands behind the ports, compare with it.
import fc from 'fast-check'
import { expect } from 'vitest'
import type { Db } from '../../src/db/client.js'
import { createAreaRepository } from '../../src/modules/areas/areas.repository.js'
import { createAuditRepository } from '../../src/modules/audit/audit.repository.js'
import { createIndicatorRepository } from '../../src/modules/indicators/indicators.repository.js'
import { createObservationRepository } from '../../src/modules/observations/observations.repository.js'
import { createPeriodRepository } from '../../src/modules/periods/periods.repository.js'
import { createSourceRepository } from '../../src/modules/sources/sources.repository.js'
import type { ObservationFilter, PeriodRecord, Storage } from '../../src/storage/ports.js'
import { runs } from './property-runs.js'

/** What a filter can name in one store: its codes, categories, periods and the instants it recorded at. */
export interface Vocabulary {
  indicators: string[]
  areas: string[]
  periods: PeriodRecord[]
  categories: string[]
  instants: string[]
}

export function vocabularyOf(sqlite: Db): Vocabulary {
  const c = sqlite.$client
  const column = (sql: string) => (c.prepare(sql).pluck().all() as string[])
  return {
    indicators: column('SELECT code FROM indicator ORDER BY code'),
    areas: column('SELECT code FROM area ORDER BY code'),
    periods: c.prepare('SELECT code, type, start_date AS startDate, end_date AS endDate FROM reporting_period ORDER BY code').all() as PeriodRecord[],
    categories: column('SELECT DISTINCT category FROM indicator ORDER BY category'),
    instants: column('SELECT DISTINCT recorded_at FROM observation_revision ORDER BY recorded_at'),
  }
}

const some = <T>(values: readonly T[]) => fc.option(fc.subarray([...values], { minLength: 1 }), { nil: undefined })

/** Filters over a store's vocabulary; instants are its own and ones a millisecond either side. */
export function filtersOver(v: Vocabulary): fc.Arbitrary<ObservationFilter> {
  const near = v.instants.flatMap((t) => {
    const ms = Date.parse(t)
    return [new Date(ms - 1).toISOString(), t, new Date(ms + 1).toISOString()]
  })
  const instant = near.length ? fc.constantFrom(...near) : fc.constant('2024-01-01T00:00:00.000Z')
  return fc.record(
    {
      indicators: some(v.indicators),
      areas: some(v.areas),
      periods: some(v.periods.map((p) => p.code)),
      kinds: some(['actual', 'target', 'forecast'] as const).map((k) => k && [...k]),
      categories: some(v.categories),
      periodFrom: fc.option(fc.constantFrom(...v.periods.map((p) => p.startDate)), { nil: undefined }),
      periodTo: fc.option(fc.constantFrom(...v.periods.map((p) => p.endDate)), { nil: undefined }),
      asOf: fc.option(instant, { nil: undefined }),
      updatedSince: fc.option(instant, { nil: undefined }),
      includeWithdrawn: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: [] },
  )
}

/** Pages (rows, JSON, CSV) under random filters, cursors and limits. */
export async function expectSamePages(postgres: Storage, sqlite: Db, filters: fc.Arbitrary<ObservationFilter>, maxId: number, numRuns = 200): Promise<void> {
  const reference = createObservationRepository(sqlite)
  await fc.assert(
    fc.asyncProperty(filters, fc.integer({ min: 0, max: maxId }), fc.integer({ min: 1, max: 40 }), async (filter, afterId, limit) => {
      expect(await postgres.observations.page(filter, afterId, limit)).toEqual(await reference.page(filter, afterId, limit))
      expect(await postgres.observations.pageJson(filter, afterId, limit)).toEqual(await reference.pageJson(filter, afterId, limit))
      expect(await postgres.observations.pageCsv(filter, afterId, limit)).toEqual(await reference.pageCsv(filter, afterId, limit))
    }),
    { numRuns: runs(numRuns) },
  )
}

/** The change feed whole and in pages, and every observation's history, current and asOf reads. */
export async function expectSameObservations(postgres: Storage, sqlite: Db, asOf: string): Promise<void> {
  const reference = createObservationRepository(sqlite)
  const all = await reference.changes(0, 1_000_000)
  expect(await postgres.observations.changes(0, 1_000_000)).toEqual(all)
  expect(await postgres.observations.changesJson(0, 1_000_000)).toEqual(await reference.changesJson(0, 1_000_000))
  expect(await postgres.observations.changesJson(17, 9)).toEqual(await reference.changesJson(17, 9))
  const last = Math.max(0, ...all.map((r) => r.id))
  for (let id = 1; id <= last + 1; id++) {
    expect(await postgres.observations.revisions(id)).toEqual(await reference.revisions(id))
    expect(await postgres.observations.byId(id)).toEqual(await reference.byId(id))
    expect(await postgres.observations.byId(id, asOf)).toEqual(await reference.byId(id, asOf))
    expect(await postgres.observations.exists(id)).toBe(await reference.exists(id))
  }
}

/** Indicator search and the catalog's lists and lookups. */
export async function expectSameCatalog(postgres: Storage, sqlite: Db, queries: fc.Arbitrary<string>, categories: string[], numRuns = 200): Promise<void> {
  const indicatorsRef = createIndicatorRepository(sqlite)
  const areasRef = createAreaRepository(sqlite)
  const periodsRef = createPeriodRepository(sqlite)
  const sourcesRef = createSourceRepository(sqlite)
  await fc.assert(
    fc.asyncProperty(queries, fc.option(fc.subarray([...categories, 'none'], { minLength: 1 }), { nil: undefined }), async (q, cats) => {
      expect(await postgres.catalog.indicators({ q, categories: cats })).toEqual(await indicatorsRef.list({ q, categories: cats }))
    }),
    { numRuns: runs(numRuns) },
  )
  expect(await postgres.catalog.indicators()).toEqual(await indicatorsRef.list())
  expect(await postgres.catalog.categories()).toEqual(await indicatorsRef.categories())
  const areas = await areasRef.list()
  const levels = [...new Set(areas.map((a) => a.level))]
  for (const level of [undefined, levels.slice(0, 1), levels, ['none']]) {
    for (const parent of [undefined, ...areas.map((a) => a.code).slice(0, 8), 'none']) expect(await postgres.catalog.areas({ level, parent })).toEqual(await areasRef.list({ level, parent }))
  }
  for (const a of areas) {
    expect(await postgres.catalog.area(a.code)).toEqual(await areasRef.byCode(a.code))
    expect(await postgres.catalog.areaChildren(a.code)).toEqual(await areasRef.children(a.code))
  }
  for (const type of [undefined, ['month'], ['year', 'quarter'], ['none']]) expect(await postgres.catalog.periods({ type })).toEqual(await periodsRef.list({ type }))
  for (const p of await periodsRef.list()) expect(await postgres.catalog.period(p.code)).toEqual(await periodsRef.byCode(p.code))
  for (const i of await indicatorsRef.list()) expect(await postgres.catalog.indicator(i.code)).toEqual(await indicatorsRef.byCode(i.code))
  expect(await postgres.catalog.sources()).toEqual(await sourcesRef.list())
  for (const s of await sourcesRef.list()) {
    expect(await postgres.catalog.source(s.id)).toEqual(await sourcesRef.byId(s.id))
    expect(await postgres.catalog.sourceContent(s.id)).toEqual(await sourcesRef.content(s.id))
  }
  expect(await postgres.catalog.area('none')).toBeNull()
  expect(await postgres.catalog.sourceContent('none')).toBeNull()
}

/** The audit log, keys, idempotency records and the integrity reads, against the SQLite tables read plainly. */
export async function expectSameRecords(postgres: Storage, sqlite: Db): Promise<void> {
  const c = sqlite.$client
  const auditRef = createAuditRepository(sqlite)
  const ref = await auditRef.head()
  const head = await postgres.audit.head()
  expect(head && { seq: head.seq, hash: head.hash, recordedAt: head.recordedAt }).toEqual(ref.seq === 0 ? null : ref)
  for (const [after, limit] of [[0, 1_000_000], [0, 7], [ref.seq - 3, 10], [ref.seq, 5]] as const) {
    expect(await postgres.audit.page(after, limit)).toEqual(await auditRef.page(after, limit))
  }
  for (const seq of [1, Math.ceil(ref.seq / 2), ref.seq, ref.seq + 1]) {
    const [row] = await auditRef.page(seq - 1, 1)
    expect(await postgres.audit.entry(seq)).toEqual(row?.seq === seq ? row : null)
  }
  const keys = c.prepare('SELECT id, name, scopes, secret_hash AS secretHash, created_at AS createdAt, revoked_at AS revokedAt FROM api_key ORDER BY name').all()
  expect(await postgres.keys.list()).toEqual(keys)
  expect(await postgres.integrity.apiKeys()).toEqual(expect.arrayContaining(keys))
  for (const k of keys as Array<{ id: string; name: string }>) {
    expect(await postgres.keys.byId(k.id)).toEqual(k)
    expect(await postgres.keys.byName(k.name)).toEqual(k)
  }
  const records = c
    .prepare('SELECT actor, key, request_hash AS requestHash, status_code AS statusCode, response_body AS responseBody, created_at AS createdAt, expires_at AS expiresAt FROM idempotency_key ORDER BY actor, key')
    .all() as Array<{ actor: string; key: string }>
  for (const r of records) expect(await postgres.idempotency.find(r.actor, r.key)).toEqual(r)
  expect(await postgres.integrity.idempotencyRecords()).toEqual(expect.arrayContaining(records))
  expect((await postgres.integrity.idempotencyRecords()).length).toBe(records.length)
  const count = (sql: string) => (c.prepare(sql).pluck().get() as number | null) ?? 0
  expect(await postgres.integrity.maxObservationId()).toBe(count('SELECT max(id) FROM observation'))
  expect(await postgres.integrity.revisionCount(0)).toBe(count('SELECT count(*) FROM observation_revision'))
  expect(await postgres.integrity.revisionCount(2, 9)).toBe(count('SELECT count(*) FROM observation_revision WHERE seq > 2 AND seq <= 9'))
  expect(await postgres.integrity.strayPointer(0, count('SELECT max(id) FROM observation'))).toBeNull()
  expect(await postgres.integrity.areas()).toEqual(expect.arrayContaining(await createAreaRepository(sqlite).list()))
  expect(await postgres.integrity.periods()).toEqual(expect.arrayContaining(await createPeriodRepository(sqlite).list()))
  const contents = []
  for await (const s of postgres.integrity.sourceContents()) contents.push(s)
  expect(contents).toEqual(expect.arrayContaining((c.prepare('SELECT id, content, sha256, byte_length AS byteLength FROM source').all())))
}
