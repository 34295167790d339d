// The postgres-vs-sqlite harness: every port answer of a PostgreSQL storage held equal to what
// the SQLite adapter answers through the same ports on the same data (JSON and CSV byte for byte).
// Used on data written to both (postgres-vs-sqlite.test.ts) and on a SQLite file copied into
// PostgreSQL (postgres-copy.test.ts). Where a port has no SQLite counterpart to ask, the SQLite
// tables are read plainly.
import fc from 'fast-check'
import { expect } from 'vitest'
import type { ObservationFilter, PeriodRecord, Storage } from '../../src/storage/ports.js'
import { sqliteConnection } from '../../src/storage/sqlite/index.js'
import { runs } from './property-runs.js'

/** What a filter can name in one store: its codes, categories, periods and the instants it recorded at. */
export interface Vocabulary {
  indicators: string[]
  areas: string[]
  periods: PeriodRecord[]
  categories: string[]
  topics: string[]
  instants: string[]
}

export function vocabularyOf(reference: Storage): Vocabulary {
  const c = sqliteConnection(reference).$client
  const column = (sql: string) => (c.prepare(sql).pluck().all() as string[])
  return {
    indicators: column('SELECT code FROM indicator ORDER BY code'),
    areas: column('SELECT code FROM area ORDER BY code'),
    periods: c.prepare('SELECT code, type, start_date AS startDate, end_date AS endDate FROM reporting_period ORDER BY code').all() as PeriodRecord[],
    categories: column('SELECT DISTINCT category FROM indicator ORDER BY category'),
    topics: column('SELECT code FROM topic ORDER BY code'),
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
      // With an unknown topic too: it matches nothing, on both.
      topics: some([...v.topics, 'no_such_topic']),
      periodFrom: fc.option(fc.constantFrom(...v.periods.map((p) => p.startDate)), { nil: undefined }),
      periodTo: fc.option(fc.constantFrom(...v.periods.map((p) => p.endDate)), { nil: undefined }),
      asOf: fc.option(instant, { nil: undefined }),
      knownAt: fc.option(instant, { nil: undefined }),
      updatedSince: fc.option(instant, { nil: undefined }),
      includeWithdrawn: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: [] },
  )
}

/** The same members in any order: the integrity reads promise no order. */
function expectSameMembers(actual: unknown[], expected: unknown[]): void {
  expect(actual).toHaveLength(expected.length)
  expect(actual).toEqual(expect.arrayContaining(expected))
}

/** Pages (rows, JSON, CSV) under random filters, cursors and limits. */
export async function expectSamePages(postgres: Storage, reference: Storage, filters: fc.Arbitrary<ObservationFilter>, maxId: number, numRuns = 200): Promise<void> {
  await fc.assert(
    fc.asyncProperty(filters, fc.integer({ min: 0, max: maxId }), fc.integer({ min: 1, max: 40 }), async (filter, afterId, limit) => {
      expect(await postgres.observations.page(filter, afterId, limit)).toEqual(await reference.observations.page(filter, afterId, limit))
      expect(await postgres.observations.pageJson(filter, afterId, limit)).toEqual(await reference.observations.pageJson(filter, afterId, limit))
      expect(await postgres.observations.pageCsv(filter, afterId, limit)).toEqual(await reference.observations.pageCsv(filter, afterId, limit))
    }),
    { numRuns: runs(numRuns) },
  )
}

/** The change feed whole and in pages, and every observation's history, current and asOf reads. */
export async function expectSameObservations(postgres: Storage, reference: Storage, asOf: string): Promise<void> {
  const ref = reference.observations
  const all = await ref.changes(0, 1_000_000)
  expect(all.length).toBeGreaterThan(0)
  expect(await postgres.observations.changes(0, 1_000_000)).toEqual(all)
  expect(await postgres.observations.changesJson(0, 1_000_000)).toEqual(await ref.changesJson(0, 1_000_000))
  expect(await postgres.observations.changesJson(17, 9)).toEqual(await ref.changesJson(17, 9))
  const last = Math.max(0, ...all.map((r) => r.id))
  for (let id = 1; id <= last + 1; id++) {
    expect(await postgres.observations.revisions(id)).toEqual(await ref.revisions(id))
    expect(await postgres.observations.byId(id)).toEqual(await ref.byId(id))
    expect(await postgres.observations.byId(id, asOf)).toEqual(await ref.byId(id, asOf))
    expect(await postgres.observations.exists(id)).toBe(await ref.exists(id))
  }
}

/** Indicator search and the catalog's lists and lookups. */
export async function expectSameCatalog(postgres: Storage, reference: Storage, queries: fc.Arbitrary<string>, categories: string[], numRuns = 200): Promise<void> {
  const ref = reference.catalog
  await fc.assert(
    fc.asyncProperty(queries, fc.option(fc.subarray([...categories, 'none'], { minLength: 1 }), { nil: undefined }), fc.option(fc.subarray([...(await ref.topics()).map((t) => t.code), 'none'], { minLength: 1 }), { nil: undefined }), async (q, cats, topics) => {
      expect(await postgres.catalog.indicators({ q, categories: cats, topics })).toEqual(await ref.indicators({ q, categories: cats, topics }))
    }),
    { numRuns: runs(numRuns) },
  )
  expect(await postgres.catalog.indicators()).toEqual(await ref.indicators())
  expect(await postgres.catalog.categories()).toEqual(await ref.categories())
  expect(await postgres.catalog.topics()).toEqual(await ref.topics())
  for (const t of await ref.topics()) expect(await postgres.catalog.topic(t.code)).toEqual(t)
  expect(await postgres.catalog.topic('none')).toBeNull()
  expect(await postgres.integrity.topics()).toEqual(await reference.integrity.topics())
  const areas = await ref.areas()
  const levels = [...new Set(areas.map((a) => a.level))]
  for (const level of [undefined, levels.slice(0, 1), levels, ['none']]) {
    for (const parent of [undefined, ...areas.map((a) => a.code).slice(0, 8), 'none']) expect(await postgres.catalog.areas({ level, parent })).toEqual(await ref.areas({ level, parent }))
  }
  for (const a of areas) {
    expect(await postgres.catalog.area(a.code)).toEqual(await ref.area(a.code))
    expect(await postgres.catalog.areaChildren(a.code)).toEqual(await ref.areaChildren(a.code))
  }
  for (const type of [undefined, ['month'], ['year', 'quarter'], ['none']]) expect(await postgres.catalog.periods({ type })).toEqual(await ref.periods({ type }))
  for (const p of await ref.periods()) expect(await postgres.catalog.period(p.code)).toEqual(await ref.period(p.code))
  for (const i of await ref.indicators()) expect(await postgres.catalog.indicator(i.code)).toEqual(await ref.indicator(i.code))
  expect(await postgres.catalog.sources()).toEqual(await ref.sources())
  for (const s of await ref.sources()) {
    expect(await postgres.catalog.source(s.id)).toEqual(await ref.source(s.id))
    expect(await postgres.catalog.sourceContent(s.id)).toEqual(await ref.sourceContent(s.id))
  }
  expect(await postgres.catalog.area('none')).toBeNull()
  expect(await postgres.catalog.sourceContent('none')).toBeNull()
}

/**
 * The audit log, keys, idempotency records and the integrity reads: against the SQLite
 * adapter's ports, and against the SQLite tables read plainly (so that both adapters
 * agreeing on a wrong answer still fails).
 */
export async function expectSameRecords(postgres: Storage, reference: Storage): Promise<void> {
  const c = sqliteConnection(reference).$client
  const ref = await reference.audit.head()
  const head = await postgres.audit.head()
  expect(head && { seq: head.seq, hash: head.hash, recordedAt: head.recordedAt }).toEqual(ref)
  expect(ref).toEqual(c.prepare('SELECT seq, hash, recorded_at AS recordedAt FROM audit_entry ORDER BY seq DESC LIMIT 1').get() ?? null)
  const headSeq = ref?.seq ?? 0
  for (const [after, limit] of [[0, 1_000_000], [0, 7], [headSeq - 3, 10], [headSeq, 5]] as const) {
    expect(await postgres.audit.page(after, limit)).toEqual(await reference.audit.page(after, limit))
  }
  for (const seq of [1, Math.ceil(headSeq / 2), headSeq, headSeq + 1]) {
    const [row] = await reference.audit.page(seq - 1, 1)
    expect(await postgres.audit.entry(seq)).toEqual(row?.seq === seq ? row : null)
    expect(await postgres.audit.entry(seq)).toEqual(await reference.audit.entry(seq))
  }
  const keys = c.prepare('SELECT id, name, scopes, secret_hash AS secretHash, created_at AS createdAt, revoked_at AS revokedAt FROM api_key ORDER BY name').all()
  expect(await postgres.keys.list()).toEqual(keys)
  expect(await postgres.keys.list()).toEqual(await reference.keys.list())
  expect(await postgres.integrity.apiKeys()).toEqual(expect.arrayContaining(keys))
  expectSameMembers(await postgres.integrity.apiKeys(), await reference.integrity.apiKeys())
  for (const k of keys as Array<{ id: string; name: string }>) {
    expect(await postgres.keys.byId(k.id)).toEqual(k)
    expect(await postgres.keys.byName(k.name)).toEqual(k)
    expect(await reference.keys.byId(k.id)).toEqual(k)
    expect(await reference.keys.byName(k.name)).toEqual(k)
  }
  expect(await postgres.keys.byId('none')).toBeNull()
  expect(await postgres.keys.byName('none')).toBeNull()
  const records = c
    .prepare('SELECT actor, key, request_hash AS requestHash, status_code AS statusCode, response_body AS responseBody, created_at AS createdAt, expires_at AS expiresAt FROM idempotency_key ORDER BY actor, key')
    .all() as Array<{ actor: string; key: string }>
  for (const r of records) {
    expect(await postgres.idempotency.find(r.actor, r.key)).toEqual(r)
    expect(await postgres.idempotency.find(r.actor, r.key)).toEqual(await reference.idempotency.find(r.actor, r.key))
  }
  expect(await postgres.idempotency.find('none', 'none')).toBeNull()
  expect(await postgres.integrity.idempotencyRecords()).toEqual(expect.arrayContaining(records))
  expect((await postgres.integrity.idempotencyRecords()).length).toBe(records.length)
  expectSameMembers(await postgres.integrity.idempotencyRecords(), await reference.integrity.idempotencyRecords())
  const count = (sql: string) => (c.prepare(sql).pluck().get() as number | null) ?? 0
  const maxId = count('SELECT max(id) FROM observation')
  expect(await postgres.integrity.maxObservationId()).toBe(maxId)
  expect(await reference.integrity.maxObservationId()).toBe(maxId)
  expect(await postgres.integrity.revisionCount(0)).toBe(count('SELECT count(*) FROM observation_revision'))
  expect(await postgres.integrity.revisionCount(2, 9)).toBe(count('SELECT count(*) FROM observation_revision WHERE seq > 2 AND seq <= 9'))
  for (const [low, high] of [[0, undefined], [2, 9], [5, undefined], [headSeq, headSeq + 1]] as const) {
    expect(await postgres.integrity.revisionCount(low, high)).toBe(await reference.integrity.revisionCount(low, high))
  }
  expect(await postgres.integrity.strayPointer(0, maxId)).toBeNull()
  expect(await reference.integrity.strayPointer(0, maxId)).toBeNull()
  const ids = Array.from({ length: maxId + 1 }, (_, i) => i + 1)
  expect(await postgres.integrity.strayPointerAmong(ids)).toBe(await reference.integrity.strayPointerAmong(ids))
  expect(await postgres.integrity.areas()).toEqual(expect.arrayContaining(await reference.catalog.areas()))
  expectSameMembers(await postgres.integrity.areas(), await reference.integrity.areas())
  expect(await postgres.integrity.periods()).toEqual(expect.arrayContaining(await reference.catalog.periods()))
  expectSameMembers(await postgres.integrity.periods(), await reference.integrity.periods())
  expectSameMembers(await postgres.integrity.indicators(), await reference.integrity.indicators())
  for (const withRecordedAt of [true, false]) {
    // recordedAt may be left out when not asked for: compare what both hold.
    const strip = (rows: Array<{ recordedAt?: string }>) => rows.map(({ recordedAt, ...rest }) => (withRecordedAt ? { ...rest, recordedAt } : rest))
    expectSameMembers(strip(await postgres.integrity.sourcesMetadata(withRecordedAt)), strip(await reference.integrity.sourcesMetadata(withRecordedAt)))
  }
  const contents = []
  for await (const s of postgres.integrity.sourceContents()) contents.push(s)
  expect(contents).toEqual(expect.arrayContaining(c.prepare('SELECT id, content, sha256, byte_length AS byteLength FROM source').all()))
  const referenceContents = []
  for await (const s of reference.integrity.sourceContents()) referenceContents.push(s)
  expectSameMembers(contents, referenceContents)
}
