// The PostgreSQL adapter against the storage ports: every method, the JSON and CSV it builds
// held byte for byte to the field table's JavaScript forms (and to an independent reading),
// filters and asOf against a plain JavaScript reference, serialized writes from two instances,
// the append-only triggers, concurrent migration, and recovery from a server restart (last).
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Kind } from '../../src/domain/observation.js'
import { csvCell } from '../../src/http/csv-export.js'
import { observationJson } from '../../src/storage/fields.js'
import type { AreaRecord, IndicatorRecord, NewRevision, ObservationFilter, ObservationRow, PeriodRecord, Storage, StoredAuditRow } from '../../src/storage/ports.js'
import { StorageConflictError, StorageUnavailableError } from '../../src/storage/ports.js'
import { StorageInvalidTextError } from '../../src/storage/ports.js'
import { connectionConfig } from '../../src/storage/postgres/client.js'
import { createPostgresStorage, WRITE_LOCK } from '../../src/storage/postgres/index.js'
import { pageQuery } from '../../src/storage/postgres/observations.js'
import { openWriteTx } from '../../src/storage/postgres/writes.js'
import { AREAS, binary, checked, content, createTestDatabase, dropTestDatabase, filterArb, INDICATORS, key, KINDS, PERIODS, postgresAvailable, SOURCE, SOURCE_TEXT, type Content } from '../support/postgres.js'
import { runs } from '../support/property-runs.js'

const available = await postgresAvailable()

// ------------------------------------------------------------------ fixtures

/** The row the store must answer for a revision, from what was written (independent of the adapter's SELECT). */
function expectedRow(id: number, seq: number, r: NewRevision): ObservationRow {
  const o = r.observation
  return {
    id,
    indicator: o.indicator,
    area: o.area,
    period: o.period,
    kind: o.kind,
    unit: (INDICATORS.find((i) => i.code === o.indicator) as IndicatorRecord).unit,
    seq,
    revision: r.revision,
    status: r.status,
    value: o.value,
    qualifier: o.qualifier,
    reportedValue: o.reported.value,
    reportedUnit: o.reported.unit,
    reportedText: o.reported.text,
    sourceId: o.citation.sourceId,
    quote: o.citation.quote,
    byteStart: o.citation.byteStart,
    byteEnd: o.citation.byteEnd,
    involvedAreas: JSON.stringify(o.involvedAreas),
    note: o.note,
    temporality: o.temporality,
    referenceDate: o.referenceDate,
    publishedAt: r.publishedAt ?? r.recordedAt,
    reason: r.reason,
    actor: r.actor,
    recordedAt: r.recordedAt,
    ruleChanges: r.ruleChanges ?? '[]',
  }
}

/** The CSV line read independently of the field table: the export's columns, by name. */
function referenceCsvLine(r: ObservationRow): string {
  const cells: Array<[kind: 'number' | 'text', value: string | number | null]> = [
    ['number', r.id],
    ['text', r.indicator],
    ['text', r.area],
    ['text', r.period],
    ['text', r.kind],
    ['number', r.value],
    ['text', r.unit],
    ['text', r.qualifier],
    ['text', r.temporality],
    ['text', r.referenceDate],
    ['number', r.reportedValue],
    ['text', r.reportedUnit],
    ['text', r.reportedText],
    ['text', r.sourceId],
    ['text', r.quote],
    ['number', r.byteStart],
    ['number', r.byteEnd],
    ['text', (JSON.parse(r.involvedAreas) as string[]).join(';')],
    ['text', r.status],
    ['text', r.note],
    ['number', r.revision],
    ['text', r.publishedAt],
    ['text', r.recordedAt],
  ]
  return cells.map(([kind, v]) => csvCell(kind, v)).join(',') + '\r\n'
}

/** The Observation JSON read independently of the field table: the API's shape, member by member. */
function referenceObservation(r: ObservationRow, revision = false): unknown {
  return {
    id: r.id,
    indicator: r.indicator,
    area: r.area,
    period: r.period,
    kind: r.kind,
    value: r.value,
    unit: r.unit,
    qualifier: r.qualifier,
    temporality: r.temporality,
    referenceDate: r.referenceDate,
    reported: { value: r.reportedValue, unit: r.reportedUnit, text: r.reportedText },
    source: { id: r.sourceId, quote: r.quote, byteStart: r.byteStart, byteEnd: r.byteEnd, textUrl: `/v1/sources/${r.sourceId}/text` },
    involvedAreas: JSON.parse(r.involvedAreas) as unknown,
    status: r.status,
    note: r.note,
    revision: r.revision,
    publishedAt: r.publishedAt,
    recordedAt: r.recordedAt,
    ...(revision ? { seq: r.seq, reason: r.reason, actor: r.actor, ruleChanges: JSON.parse(r.ruleChanges) as unknown } : {}),
  }
}

/** A plain reference of a filtered page over every revision written. */
function referencePage(all: ObservationRow[], filter: ObservationFilter, afterId: number, limit: number): ObservationRow[] {
  const byObservation = new Map<number, ObservationRow[]>()
  for (const r of all) byObservation.set(r.id, [...(byObservation.get(r.id) ?? []), r])
  const period = (code: string) => PERIODS.find((p) => p.code === code) as PeriodRecord
  const category = (code: string) => (INDICATORS.find((i) => i.code === code) as IndicatorRecord).category
  const out: ObservationRow[] = []
  for (const id of [...byObservation.keys()].sort((a, b) => a - b)) {
    if (id <= afterId) continue
    const revisions = (byObservation.get(id) as ObservationRow[]).filter(
      (r) => (filter.asOf === undefined || r.publishedAt <= filter.asOf) && (filter.knownAt === undefined || r.recordedAt <= filter.knownAt),
    )
    const r = revisions.sort((a, b) => a.seq - b.seq).at(-1)
    if (!r) continue
    if (filter.indicators?.length && !filter.indicators.includes(r.indicator)) continue
    if (filter.areas?.length && !filter.areas.includes(r.area)) continue
    if (filter.periods?.length && !filter.periods.includes(r.period)) continue
    if (filter.kinds?.length && !filter.kinds.includes(r.kind)) continue
    if (filter.categories?.length && !filter.categories.includes(category(r.indicator))) continue
    if (filter.sources?.length && !filter.sources.includes(r.sourceId)) continue
    if (filter.periodFrom !== undefined && period(r.period).startDate < filter.periodFrom) continue
    if (filter.periodTo !== undefined && period(r.period).endDate > filter.periodTo) continue
    if (filter.updatedSince !== undefined && r.recordedAt < filter.updatedSince) continue
    if (!filter.includeWithdrawn && filter.updatedSince === undefined && r.status === 'withdrawn') continue
    out.push(r)
    if (out.length === limit) break
  }
  return out
}

/** A simple hash chain for the tests' own entries: each entry's hash covers its seq, its content and the previous hash. */
function chainEntry(seq: number, prevHash: string, recordedAt: string, actor: string, entityId: string): StoredAuditRow {
  const after = JSON.stringify({ entityId })
  const hash = createHash('sha256').update(`${seq}\n${recordedAt}\n${actor}\n${entityId}\n${after}\n${prevHash}`).digest('hex')
  return { seq, recordedAt, actor, action: 'test.append', entityType: 'test', entityId, before: null, after, prevHash, hash }
}
const GENESIS = '0'.repeat(64)

function checkChain(entries: StoredAuditRow[]): void {
  let prev = GENESIS
  entries.forEach((e, i) => {
    expect(e.seq).toBe(i + 1)
    expect(e.prevHash).toBe(prev)
    expect(chainEntry(e.seq, e.prevHash, e.recordedAt, e.actor, e.entityId).hash).toBe(e.hash)
    prev = e.hash
  })
}

async function seedCatalog(storage: Storage): Promise<void> {
  await storage.transaction('write', async (tx) => {
    // Parents before children: the foreign key holds as in SQLite.
    for (const a of AREAS) await tx.insertArea(a)
    for (const p of PERIODS) await tx.insertPeriod(p)
    for (const i of INDICATORS) await tx.insertIndicator(i)
    await tx.insertSource(SOURCE)
  })
}

/** Writes revisions in one write transaction, creating identities that do not exist yet; returns their rows as the store must answer them. */
async function writeRevisions(storage: Storage, drafts: Array<{ key: { indicator: string; area: string; period: string; kind: Kind }; content: Content }>, recordedAt: string): Promise<ObservationRow[]> {
  return storage.transaction('write', async (tx) => {
    const current = await tx.currentByKeys(drafts.map((d) => d.key))
    const missing = drafts.map((d, i) => (current[i] ? null : d.key)).filter((k): k is NonNullable<typeof k> => k !== null)
    // A key drawn twice in one batch gets one identity.
    const unique = [...new Map(missing.map((k) => [JSON.stringify(k), k])).values()]
    const created = await tx.insertIdentities(unique)
    const ids = new Map(unique.map((k, i) => [JSON.stringify(k), created[i] as number]))
    const nextRevision = new Map<number, number>()
    const revisions: NewRevision[] = drafts.map((d, i) => {
      const id = current[i]?.id ?? (ids.get(JSON.stringify(d.key)) as number)
      const revision = (nextRevision.get(id) ?? current[i]?.revision ?? 0) + 1
      nextRevision.set(id, revision)
      return { observationId: id, revision, status: d.content.withdrawn ? 'withdrawn' : 'active', observation: checked(d.key, d.content), reason: d.content.reason, actor: d.content.actor, recordedAt, publishedAt: d.content.publishedAt ?? undefined }
    })
    const seqs = await tx.appendRevisions(revisions)
    return revisions.map((r, i) => expectedRow(r.observationId, seqs[i] as number, r))
  })
}

// ------------------------------------------------------------------ the suite

describe.skipIf(!available)('PostgreSQL adapter', () => {
  let db: { name: string; url: string }
  let storage: Storage
  let other: Storage
  /** Every revision written by the observation tests, as the store must answer it. */
  const written: ObservationRow[] = []

  beforeAll(async () => {
    db = await createTestDatabase()
    storage = await createPostgresStorage(db.url)
    other = await createPostgresStorage(db.url, { poolSize: 4 })
    await storage.migrate()
    await seedCatalog(storage)
  })
  afterAll(async () => {
    await storage?.close()
    await other?.close()
    if (db) await dropTestDatabase(db.name)
  })

  describe('catalog', () => {
    it('lists areas in binary code order, by level and by parent', async () => {
      const codes = (rs: AreaRecord[]) => rs.map((r) => r.code)
      expect(codes(await storage.catalog.areas())).toEqual(AREAS.map((a) => a.code).sort(binary))
      expect(codes(await storage.catalog.areas({ level: ['village'] }))).toEqual(['Zeta', 'alpha', 'beta_2'])
      expect(codes(await storage.catalog.areas({ level: ['village', 'reserve'], parent: 'banner' }))).toEqual(['reserve'])
      expect(codes(await storage.catalog.areaChildren('town'))).toEqual(['Zeta', 'alpha', 'beta_2'])
      expect(await storage.catalog.area('town')).toEqual(AREAS[1])
      expect(await storage.catalog.area('nowhere')).toBeNull()
    })

    it('lists periods containing period first, by type', async () => {
      const codes = (await storage.catalog.periods()).map((p) => p.code)
      expect(codes).toEqual(['2023', '2023-H1', '2023-Q1', '2023-01', '2023-Q2', '2023-06', '2023-H2', '2023-Q3', '2023-07', '2023-Q4', '2023-12'])
      expect((await storage.catalog.periods({ type: ['half', 'year'] })).map((p) => p.code)).toEqual(['2023', '2023-H1', '2023-H2'])
      expect(await storage.catalog.period('2023-Q3')).toEqual(PERIODS.find((p) => p.code === '2023-Q3'))
      expect(await storage.catalog.period('2023-Q5')).toBeNull()
    })

    it('searches indicators as SQLite does (one shared matcher): substring, case folded, `_` as a space, wildcards literal', async () => {
      const q = async (text: string, categories?: string[]) => (await storage.catalog.indicators({ q: text, categories })).map((i) => i.code)
      expect(await q('PAID')).toEqual(['dibao_paid', 'tekun_paid'])
      expect(await q('wagyu')).toEqual(['Wagyu_cattle'])
      expect(await q('  cattle ')).toEqual(['Wagyu_cattle'])
      expect(await q('低保')).toEqual(['dibao_paid'])
      // Query and text are folded by the same code (storage/search.ts), so non-ASCII case folds too.
      expect(await q('ÉCOLE')).toEqual(['tekun_paid'])
      expect(await q('école')).toEqual(['tekun_paid'])
      expect(await q('FAÇADE')).toEqual(['tekun_paid'])
      expect(await q('%')).toEqual(['forest_rate'])
      expect(await q('_share')).toEqual(['forest_rate'])
      expect(await q('grain_o')).toEqual(['grain'])
      expect(await q('grain o')).toEqual(['grain'])
      expect(await q('paid', ['agriculture'])).toEqual([])
      expect(await q('')).toEqual(INDICATORS.map((i) => i.code).sort(binary))
      expect((await storage.catalog.indicators({ categories: ['agriculture', 'ecology'] })).map((i) => i.code)).toEqual(['Wagyu_cattle', 'forest_rate', 'grain'])
      expect(await storage.catalog.indicator('grain')).toEqual(INDICATORS[4])
      expect(await storage.catalog.indicator('nope')).toBeNull()
      expect(await storage.catalog.categories()).toEqual(['agriculture', 'ecology', 'social_security'])
    })

    it('stores sources byte for byte and lists their metadata', async () => {
      const { content, ...metadata } = SOURCE
      expect(await storage.catalog.sources()).toEqual([metadata])
      expect(await storage.catalog.source(SOURCE.id)).toEqual(metadata)
      const stored = await storage.catalog.sourceContent(SOURCE.id)
      expect(Buffer.compare(stored?.content as Buffer, content)).toBe(0)
      expect(stored).toMatchObject({ sha256: SOURCE.sha256, mediaType: SOURCE.mediaType })
      expect(await storage.catalog.sourceContent('nope')).toBeNull()
    })

    it('updates areas and indicators, and finds areas by division code inside a write', async () => {
      await storage.transaction('write', async (tx) => {
        await tx.updateArea({ ...(AREAS[4] as AreaRecord), nameEn: 'Beta village' })
        expect((await tx.area('beta_2'))?.nameEn).toBe('Beta village')
        expect((await tx.areasWithDivisionCode('150001', 'town')).map((a) => a.code)).toEqual(['beta_2'])
        expect((await tx.areaChildren('banner')).map((a) => a.code)).toEqual(['reserve', 'town'])
        await tx.updateIndicator({ ...(INDICATORS[3] as IndicatorRecord), additive: true })
        expect((await tx.indicator('forest_rate'))?.additive).toBe(true)
        await tx.updateIndicator(INDICATORS[3] as IndicatorRecord)
        await tx.updateArea(AREAS[4] as AreaRecord)
        expect(await tx.indicatorUnits(['grain', 'nope', 'dibao_paid'])).toEqual(new Map([['grain', 't'], ['dibao_paid', 'CNY']]))
        expect(await tx.existingAreas(['town', 'nope'])).toEqual(new Set(['town']))
        expect(await tx.existingPeriods(['2023-H1', '2024'])).toEqual(new Set(['2023-H1']))
        expect(await tx.sourceHashes([SOURCE.id, 'x'])).toEqual(new Map([[SOURCE.id, SOURCE.sha256]]))
        expect(await tx.sourceIssueDates([SOURCE.id, 'x'])).toEqual(new Map([[SOURCE.id, SOURCE.issuedOn]]))
        expect(Buffer.compare((await tx.sourceContent(SOURCE.id)) as Buffer, SOURCE_TEXT)).toBe(0)
        expect(await tx.sourceContent('x')).toBeNull()
        expect(await tx.period('2023')).toEqual(PERIODS[0])
        const { content: _, ...metadata } = SOURCE
        expect(await tx.source(SOURCE.id)).toEqual(metadata)
      })
      expect((await storage.catalog.area('beta_2'))?.nameEn).toBe('Beta')
    })

    it('answers a taken unique key with StorageConflictError and rolls the whole transaction back', async () => {
      const attempt = storage.transaction('write', async (tx) => {
        await tx.insertPeriod({ code: '2031', type: 'year', startDate: '2031-01-01', endDate: '2031-12-31' })
        await tx.insertArea(AREAS[0] as AreaRecord)
      })
      await expect(attempt).rejects.toBeInstanceOf(StorageConflictError)
      expect(await storage.catalog.period('2031')).toBeNull()
    })

    it('answers text holding U+0000 with StorageInvalidTextError (SQLSTATE 22021), one value or an array, and rolls back', async () => {
      const single = storage.transaction('write', async (tx) => {
        await tx.insertPeriod({ code: '2034', type: 'year', startDate: '2034-01-01', endDate: '2034-12-31' })
        await tx.insertArea({ ...(AREAS[0] as AreaRecord), code: 'nul_area', nameZh: 'a\u0000b' })
      })
      await expect(single).rejects.toBeInstanceOf(StorageInvalidTextError)
      await expect(single).rejects.toMatchObject({ code: '22021' })
      expect(await storage.catalog.period('2034')).toBeNull()
      const bulk = storage.transaction('write', (tx) => tx.insertIdentities([{ indicator: 'x\u0000', area: 'town', period: '2023', kind: 'actual' }]))
      await expect(bulk).rejects.toMatchObject({ name: 'StorageInvalidTextError', code: '22021' })
    })

    it('rolls back when the body throws, and passes its error through', async () => {
      class Refused extends Error {}
      await expect(
        storage.transaction('write', async (tx) => {
          await tx.insertPeriod({ code: '2032', type: 'year', startDate: '2032-01-01', endDate: '2032-12-31' })
          throw new Refused('no')
        }),
      ).rejects.toBeInstanceOf(Refused)
      expect(await storage.catalog.period('2032')).toBeNull()
    })

    it('refuses writes in a snapshot transaction', async () => {
      await expect(storage.transaction('snapshot', (tx) => tx.insertPeriod({ code: '2033', type: 'year', startDate: '2033-01-01', endDate: '2033-12-31' }))).rejects.toThrow(/read-only/)
    })
  })

  describe('keys and idempotency', () => {
    it('creates, finds, lists by name and revokes keys', async () => {
      const k = (id: string, name: string) => ({ id, name, scopes: 'write', secretHash: createHash('sha256').update(id).digest('hex'), createdAt: '2024-01-01T00:00:00.000Z', revokedAt: null })
      await storage.transaction('write', async (tx) => {
        await tx.insertKey(k('bbbbbbbbbbbb', 'ops'))
        await tx.insertKey(k('aaaaaaaaaaaa', 'Zed'))
        expect(await tx.keyByName('ops')).toEqual(k('bbbbbbbbbbbb', 'ops'))
        expect(await tx.keyById('aaaaaaaaaaaa')).toEqual(k('aaaaaaaaaaaa', 'Zed'))
      })
      await expect(storage.transaction('write', (tx) => tx.insertKey(k('cccccccccccc', 'ops')))).rejects.toBeInstanceOf(StorageConflictError)
      await storage.transaction('write', (tx) => tx.revokeKey('bbbbbbbbbbbb', '2024-02-01T00:00:00.000Z'))
      expect((await storage.keys.list()).map((r) => r.name)).toEqual(['Zed', 'ops'])
      expect((await storage.keys.byName('ops'))?.revokedAt).toBe('2024-02-01T00:00:00.000Z')
      expect(await storage.keys.byId('aaaaaaaaaaaa')).toEqual(k('aaaaaaaaaaaa', 'Zed'))
      expect(await storage.keys.byId('nope')).toBeNull()
      expect((await storage.integrity.apiKeys()).map((r) => r.id)).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb'])
    })

    it('records, finds, expires and deletes idempotency records', async () => {
      const rec = (key: string, expiresAt: string) => ({ actor: 'ops', key, requestHash: 'h'.repeat(64), statusCode: 201, responseBody: '{"ok":"\u2028"}', createdAt: '2024-01-01T00:00:00.000Z', expiresAt })
      await storage.transaction('write', async (tx) => {
        await tx.insertIdempotency(rec('old', '2024-01-02T00:00:00.000Z'))
        await tx.insertIdempotency(rec('new', '2099-01-01T00:00:00.000Z'))
        await tx.insertIdempotency(rec('gone', '2099-01-01T00:00:00.000Z'))
        expect(await tx.idempotencyRecord('ops', 'new')).toEqual(rec('new', '2099-01-01T00:00:00.000Z'))
      })
      await expect(storage.transaction('write', (tx) => tx.insertIdempotency(rec('new', '2099-01-01T00:00:00.000Z')))).rejects.toBeInstanceOf(StorageConflictError)
      expect(await storage.idempotency.find('ops', 'old')).toEqual(rec('old', '2024-01-02T00:00:00.000Z'))
      await storage.transaction('write', async (tx) => {
        await tx.deleteExpiredIdempotency('2024-06-01T00:00:00.000Z')
        await tx.deleteIdempotency('ops', 'gone')
      })
      expect(await storage.idempotency.find('ops', 'old')).toBeNull()
      expect(await storage.idempotency.find('ops', 'gone')).toBeNull()
      expect(await storage.idempotency.find('other', 'new')).toBeNull()
      expect(await storage.integrity.idempotencyRecords()).toEqual([rec('new', '2099-01-01T00:00:00.000Z')])
    })
  })

  describe('observations', () => {
    beforeAll(async () => {
      // A fixed history: batches at increasing instants, keys drawn with repeats (new revisions of the same observation).
      const batches = fc.sample(fc.array(fc.record({ key, content }), { minLength: 1, maxLength: 12 }), { numRuns: 12, seed: 20231 })
      for (const [i, batch] of batches.entries()) {
        written.push(...(await writeRevisions(storage, batch, `2024-01-01T00:${String(i * 5).padStart(2, '0')}:00.000Z`)))
      }
    })

    it('stores what was written: every revision, in seq order, ids and seqs contiguous from 1', async () => {
      const changes = await storage.observations.changes(0, 10_000)
      expect(changes).toEqual(written)
      expect(changes.map((r) => r.seq)).toEqual(changes.map((_, i) => i + 1))
      const ids = [...new Set(written.map((r) => r.id))].sort((a, b) => a - b)
      expect(ids).toEqual(ids.map((_, i) => i + 1))
      expect(await storage.integrity.maxObservationId()).toBe(ids.length)
      expect(await storage.transaction('snapshot', (tx) => tx.nextObservationId())).toBe(ids.length + 1)
    })

    it('answers one observation, its revisions, any revision, and asOf', async () => {
      for (const id of [...new Set(written.map((r) => r.id))]) {
        const history = written.filter((r) => r.id === id)
        expect(await storage.observations.revisions(id)).toEqual(history)
        expect(await storage.observations.byId(id)).toEqual(history.at(-1))
        expect(await storage.observations.exists(id)).toBe(true)
        const first = history[0] as ObservationRow
        expect(await storage.observations.byId(id, first.publishedAt)).toEqual(history.filter((r) => r.publishedAt <= first.publishedAt).at(-1))
        expect(await storage.observations.byId(id, undefined, first.recordedAt)).toEqual(history.filter((r) => r.recordedAt <= first.recordedAt).at(-1))
        expect(await storage.observations.byId(id, '2023-12-31T00:00:00.000Z')).toBeNull()
        await storage.transaction('snapshot', async (tx) => {
          expect(await tx.revision(id, 1)).toEqual(first)
          expect(await tx.currentById(id)).toEqual(history.at(-1))
        })
      }
      expect(await storage.observations.byId(99_999)).toBeNull()
      expect(await storage.observations.exists(99_999)).toBe(false)
      expect(await storage.transaction('snapshot', (tx) => tx.revision(1, 99))).toBeNull()
    })

    it('pages the change feed as rows and as JSON byte-identical to the serializer', async () => {
      const rows = await storage.observations.changes(3, 5)
      expect(rows).toEqual(written.slice(3, 8))
      const json = await storage.observations.changesJson(0, 10_000)
      expect(json.map(([seq]) => seq)).toEqual(written.map((r) => r.seq))
      json.forEach(([, text], i) => {
        expect(text).toBe(observationJson(written[i] as ObservationRow, true))
        expect(JSON.parse(text)).toEqual(referenceObservation(written[i] as ObservationRow, true))
      })
    })

    it('filters, pages and reads asOf as the plain reference does (rows, JSON and CSV)', async () => {
      await fc.assert(
        fc.asyncProperty(filterArb, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 30 }), async (filter, afterId, limit) => {
          const expected = referencePage(written, filter, afterId, limit)
          const rows = await storage.observations.page(filter, afterId, limit)
          expect(rows).toEqual(expected)
          const json = await storage.observations.pageJson(filter, afterId, limit)
          expect(json).toEqual(expected.map((r) => [r.id, observationJson(r)]))
          const csv = await storage.observations.pageCsv(filter, afterId, limit)
          expect(csv).toEqual({ text: expected.map(referenceCsvLine).join(''), count: expected.length, lastId: expected.at(-1)?.id ?? afterId })
        }),
        { numRuns: runs(150) },
      )
    })

    it('reads one source\'s observations as a range of its revision index, in order, current and asOf alike', async () => {
      // The test store is small: with sequential scans priced out, what remains shows whether the index serves the query at all.
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        await client.query('SET enable_seqscan = off')
        for (const filter of [{ sources: [SOURCE.id] }, { sources: [SOURCE.id], asOf: '2024-01-01T00:30:00.000Z', knownAt: '2024-01-01T00:30:00.000Z' }]) {
          const { text, values } = pageQuery(filter, 3, 10, 'o.id')
          const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n')
          expect(plan).toMatch(/Index (Only )?Scan using observation_revision_source_idx on observation_revision r\s/)
          expect(plan).toMatch(/Index Cond: \(\(source_id = [^)]+\) AND \(observation_id > [^)]+\)\)/)
          // In index order: no sort of the page (asOf's subplan sorts one observation's few revisions).
          expect(plan.split('SubPlan')[0]).not.toMatch(/Sort/)
        }
        // Several: one such range each (a page at most from each), merged; a repeated source is read once.
        const { text, values } = pageQuery({ sources: [SOURCE.id, 'elsewhere', SOURCE.id] }, 3, 10, 'o.id')
        const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values)).rows.map((r) => r['QUERY PLAN']).join('\n')
        expect(plan.match(/Index (Only )?Scan using observation_revision_source_idx on observation_revision r(_\d+)?\s/g)).toHaveLength(2)
        expect(plan).toMatch(/Merge Append/)
        expect(plan).not.toMatch(/-> +Sort/)
      } finally {
        await client.end()
      }
    })

    it('walks every page of a filter with the keyset cursor and meets each row once', async () => {
      const filter: ObservationFilter = { includeWithdrawn: true }
      const seen: number[] = []
      let after = 0
      for (;;) {
        const page = await storage.observations.pageJson(filter, after, 7)
        if (page.length === 0) break
        seen.push(...page.map(([id]) => id))
        after = (page.at(-1) as [number, string])[0]
      }
      expect(seen).toEqual(referencePage(written, filter, 0, 10_000).map((r) => r.id))
    })

    it('writes and reads hostile text byte for byte (JSON and CSV equal the serializer and an independent reading)', async () => {
      await fc.assert(
        fc.asyncProperty(key, content, async (k, c) => {
          const [row] = await writeRevisions(storage, [{ key: k, content: c }], '2025-01-01T00:00:00.000Z')
          written.push(row as ObservationRow)
          const r = row as ObservationRow
          expect(await storage.observations.byId(r.id)).toEqual(r)
          const [[id, text]] = (await storage.observations.pageJson({ includeWithdrawn: true }, r.id - 1, 1)) as [[number, string]]
          expect(id).toBe(r.id)
          expect(text).toBe(observationJson(r))
          expect(JSON.parse(text)).toEqual(referenceObservation(r))
          expect((await storage.observations.pageCsv({ includeWithdrawn: true }, r.id - 1, 1)).text).toBe(referenceCsvLine(r))
          const [[seq, revisionText]] = (await storage.observations.changesJson(r.seq - 1, 1)) as [[number, string]]
          expect(seq).toBe(r.seq)
          expect(revisionText).toBe(observationJson(r, true))
        }),
        { numRuns: runs(100) },
      )
    })

    it('answers the integrity reads: counts, stray pointers and catalog tables', async () => {
      const last = written.at(-1)?.seq as number
      expect(await storage.integrity.revisionCount(0)).toBe(written.length)
      expect(await storage.integrity.revisionCount(2, 5)).toBe(3)
      expect(await storage.integrity.revisionCount(last)).toBe(0)
      const maxId = await storage.integrity.maxObservationId()
      expect(await storage.integrity.strayPointer(0, maxId)).toBeNull()
      expect(await storage.integrity.strayPointerAmong([1, 2, 3])).toBeNull()
      expect(await storage.integrity.strayPointerAmong([])).toBeNull()
      // Point an observation at an older revision (current_seq may change; nothing else may).
      const moved = written.find((r) => r.revision === 2) as ObservationRow
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        await client.query('UPDATE observation SET current_seq = current_seq - 1 WHERE id = $1', [moved.id])
        expect(await storage.integrity.strayPointer(0, maxId)).toBe(moved.id)
        expect(await storage.integrity.strayPointer(moved.id, maxId)).toBeNull()
        expect(await storage.integrity.strayPointerAmong([moved.id + 1, moved.id])).toBe(moved.id)
        await client.query('UPDATE observation SET current_seq = (SELECT max(seq) FROM observation_revision WHERE observation_id = $1) WHERE id = $1', [moved.id])
      } finally {
        await client.end()
      }
      expect(await storage.integrity.areas()).toEqual([...AREAS].sort((a, b) => binary(a.code, b.code)))
      expect((await storage.integrity.periods()).map((p) => p.code)).toEqual(PERIODS.map((p) => p.code).sort(binary))
      expect(await storage.integrity.indicators()).toEqual([...INDICATORS].sort((a, b) => binary(a.code, b.code)))
      const { content, ...metadata } = SOURCE
      expect(await storage.integrity.sourcesMetadata(true)).toEqual([metadata])
      const { recordedAt: _, ...withoutTime } = metadata
      expect(await storage.integrity.sourcesMetadata(false)).toEqual([withoutTime])
      const contents = []
      for await (const s of storage.integrity.sourceContents()) contents.push(s)
      expect(contents).toEqual([{ id: SOURCE.id, content, sha256: SOURCE.sha256, byteLength: SOURCE.byteLength }])
    })
  })

  describe('append-only history', () => {
    it('refuses UPDATE and DELETE of revisions and audit entries, and a change of an observation identity', async () => {
      await storage.transaction('write', (tx) => tx.appendAudit([chainEntry(1, GENESIS, '2024-01-01T00:00:00.000Z', 'a', 'x')]))
      const client = new pg.Client({ connectionString: db.url })
      await client.connect()
      try {
        for (const statement of [
          "UPDATE observation_revision SET value = '0' WHERE seq = 1",
          'DELETE FROM observation_revision WHERE seq = 1',
          "UPDATE audit_entry SET actor = 'b' WHERE seq = 1",
          'DELETE FROM audit_entry WHERE seq = 1',
          'TRUNCATE audit_entry',
          'TRUNCATE observation_revision CASCADE',
          'DELETE FROM observation WHERE id = 1',
          "UPDATE observation SET kind = 'target' WHERE id = 1",
          "UPDATE observation SET indicator_code = indicator_code WHERE id = 1",
          'UPDATE observation SET id = id + 1000 WHERE id = 1',
        ]) {
          await expect(client.query(statement), statement).rejects.toThrow(/append-only|never deleted|identity never changes/)
        }
        await client.query('UPDATE observation SET current_seq = current_seq WHERE id = 1')
      } finally {
        await client.end()
      }
      expect(await storage.audit.entry(1)).toMatchObject({ actor: 'a', entityId: 'x' })
    })
  })

  describe('serialized writes across instances', () => {
    it('fifty concurrent write transactions through two instances give contiguous seqs and one unforked chain', async () => {
      const head0 = (await storage.audit.head()) as { seq: number; hash: string }
      expect(head0.seq).toBe(1)
      const revisionsBefore = (await storage.observations.changes(0, 100_000)).length
      const writers = Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? other : storage).transaction('write', async (tx) => {
          const head = await tx.auditHead()
          // A pause between reading the head and appending: an unserialized writer would fork here.
          await new Promise((resolve) => setTimeout(resolve, i % 3))
          const seq = (head?.seq ?? 0) + 1
          await tx.appendAudit([chainEntry(seq, head?.hash ?? GENESIS, `2024-03-01T00:00:00.${String(i).padStart(3, '0')}Z`, `writer${i}`, String(i))])
          // Find or create: whichever writer commits first creates the identity, the rest find it.
          const natural = { indicator: 'grain', area: 'reserve', period: '2023-12', kind: KINDS[i % 3] as Kind }
          const [found] = await tx.currentByKeys([natural])
          const target = found?.id ?? (await tx.insertIdentities([natural]))[0]
          const current = await tx.currentById(target as number)
          const c = fc.sample(content, { numRuns: 1, seed: i })[0] as Content
          await tx.appendRevisions([{ observationId: target as number, revision: (current?.revision ?? 0) + 1, status: 'active', observation: checked({ indicator: 'grain', area: 'reserve', period: '2023-12', kind: KINDS[i % 3] as Kind }, c), reason: 'r', actor: `writer${i}`, recordedAt: '2024-03-01T00:00:00.000Z' }])
        }),
      )
      // A change-feed reader polling meanwhile never meets a gap: seq N+1 is never visible before N.
      let done = false
      const reader = (async () => {
        let seen = revisionsBefore
        let reads = 0
        for (let last = false; !last; ) {
          last = done
          const page = await other.observations.changes(seen, 1000)
          page.forEach((r, i) => expect(r.seq).toBe(seen + i + 1))
          seen += page.length
          reads++
          await new Promise((resolve) => setImmediate(resolve))
        }
        expect(seen).toBe(revisionsBefore + 50)
        return reads
      })()
      const outcomes = await Promise.allSettled(writers)
      done = true
      expect(await reader).toBeGreaterThan(1)
      expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([])
      const entries = await other.audit.page(0, 1000)
      expect(entries).toHaveLength(51)
      checkChain(entries)
      expect((await storage.audit.head())?.seq).toBe(51)
      const changes = await other.observations.changes(0, 100_000)
      expect(changes).toHaveLength(revisionsBefore + 50)
      expect(changes.map((r) => r.seq)).toEqual(changes.map((_, i) => i + 1))
      // Each observation's revisions are numbered 1, 2, … in seq order: no two writers took the same one.
      for (const kind of KINDS) {
        const mine = changes.filter((r) => r.indicator === 'grain' && r.area === 'reserve' && r.period === '2023-12' && r.kind === kind)
        expect(mine.map((r) => r.revision)).toEqual(mine.map((_, i) => i + 1))
      }
      expect(await storage.integrity.strayPointer(0, await storage.integrity.maxObservationId())).toBeNull()
    })

    it('reads the audit log: head, pages, entries', async () => {
      const all = await storage.audit.page(0, 1000)
      expect(await storage.audit.page(10, 5)).toEqual(all.slice(10, 15))
      expect(await storage.audit.entry(7)).toEqual(all[6])
      expect(await storage.audit.entry(9999)).toBeNull()
      expect(await storage.audit.head()).toEqual({ seq: 51, hash: all[50]?.hash, recordedAt: all[50]?.recordedAt })
      await storage.transaction('snapshot', async (tx) => {
        expect(await tx.auditHead()).toEqual(await storage.audit.head())
        expect(await tx.audit.page(0, 3)).toEqual(all.slice(0, 3))
        expect(await tx.integrity.revisionCount(0)).toBe(await storage.integrity.revisionCount(0))
      })
    })

    it("a snapshot keeps its view while another instance commits", async () => {
      await storage.transaction('snapshot', async (tx) => {
        const before = await tx.auditHead()
        await other.transaction('write', async (w) => {
          const head = (await w.auditHead()) as { seq: number; hash: string }
          await w.appendAudit([chainEntry(head.seq + 1, head.hash, '2024-04-01T00:00:00.000Z', 'late', 'late')])
        })
        expect(await tx.auditHead()).toEqual(before)
      })
      expect((await storage.audit.head())?.seq).toBe(52)
    })

    it("changes the data version on this instance's commits and, within 100 ms, on another's", async () => {
      const mine = storage.dataVersion()
      expect(storage.dataVersion()).toBe(mine)
      // Read before the commit: the notification may arrive before the commit's answer does.
      const theirs = other.dataVersion()
      await storage.transaction('write', async (tx) => {
        const head = (await tx.auditHead()) as { seq: number; hash: string }
        await tx.appendAudit([chainEntry(head.seq + 1, head.hash, '2024-04-01T00:00:01.000Z', 'v', 'v')])
      })
      expect(storage.dataVersion()).not.toBe(mine)
      const start = Date.now()
      while (other.dataVersion() === theirs && Date.now() - start < 100) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(other.dataVersion()).not.toBe(theirs)
      // A failed write changes nothing and announces nothing.
      const settled = other.dataVersion()
      await expect(storage.transaction('write', (tx) => tx.insertArea(AREAS[0] as AreaRecord))).rejects.toBeInstanceOf(StorageConflictError)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(other.dataVersion()).toBe(settled)
    })
  })

  describe('migrations and health', () => {
    it('migrates once when two instances start together', async () => {
      const fresh = await createTestDatabase()
      const [a, b] = await Promise.all([createPostgresStorage(fresh.url), createPostgresStorage(fresh.url)])
      try {
        const applied = await Promise.all([a.migrate(), b.migrate(), a.migrate()])
        expect(applied.flat().sort()).toEqual(['0000_init', '0001_append_only_history', '0002_page_indexes', '0003_semantics', '0004_source_index'])
        expect(await b.migrate()).toEqual([])
        expect(await a.health.migrations()).toEqual({ applied: 5, expected: 5 })
      } finally {
        await a.close()
        await b.close()
        await dropTestDatabase(fresh.name)
      }
    })

    it('reports migrations, size and a ping; names itself without a password', async () => {
      expect(await storage.health.migrations()).toEqual({ applied: 5, expected: 5 })
      expect(await storage.health.sizeBytes()).toBeGreaterThan(0)
      await storage.health.ping()
      expect(storage.dialect).toBe('postgres')
      const withPassword = await createPostgresStorage(db.url.replace('postgres@', 'postgres:s3cret@'))
      try {
        expect(withPassword.description).not.toContain('s3cret')
      } finally {
        await withPassword.close()
      }
    })

    it('opens read-only: reads work, writes are refused', async () => {
      const reader = await createPostgresStorage(db.url, { readOnly: true })
      try {
        expect((await reader.audit.head())?.seq).toBeGreaterThan(0)
        await expect(reader.transaction('write', async () => {})).rejects.toThrow(/read-only/)
      } finally {
        await reader.close()
      }
    })

    it('answers a connection killed under a transaction with StorageUnavailableError, survives it, and goes on', async () => {
      let release = () => {}
      const held = new Promise<void>((resolve) => (release = resolve))
      const transaction = storage.transaction('snapshot', async (tx) => {
        await tx.auditHead()
        await held
        return tx.auditHead()
      })
      const admin = new pg.Client({ connectionString: db.url })
      await admin.connect()
      try {
        let killed = 0
        for (let i = 0; i < 50 && killed === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10))
          const r = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()")
          killed = r.rowCount ?? 0
        }
        expect(killed).toBe(1)
      } finally {
        await admin.end()
      }
      // The server's goodbye reaches the idle client before the body asks anything more.
      await new Promise((resolve) => setTimeout(resolve, 100))
      release()
      await expect(transaction).rejects.toBeInstanceOf(StorageUnavailableError)
      expect((await storage.transaction('snapshot', (tx) => tx.auditHead()))?.seq).toBeGreaterThan(0)
    })

    it('answers an unreachable server with StorageUnavailableError, and a new data version on every call', async () => {
      const nowhere = await createPostgresStorage('postgres://postgres@127.0.0.1:1/none')
      try {
        await expect(nowhere.health.ping()).rejects.toBeInstanceOf(StorageUnavailableError)
        await expect(nowhere.audit.head()).rejects.toBeInstanceOf(StorageUnavailableError)
        await expect(nowhere.transaction('write', async () => {})).rejects.toBeInstanceOf(StorageUnavailableError)
        const v = nowhere.dataVersion()
        expect(nowhere.dataVersion()).not.toBe(v)
      } finally {
        await nowhere.close()
      }
    })
  })

  describe('bulk writes', () => {
    it('appends an import of 10 000 revisions with its audit entries in a handful of statements', { timeout: 60_000 }, async () => {
      const fresh = await createTestDatabase()
      const bulk = await createPostgresStorage(fresh.url)
      const pool = new pg.Pool(connectionConfig(fresh.url))
      try {
        await bulk.migrate()
        await seedCatalog(bulk)
        const client = await pool.connect()
        let statements = 0
        const counted = { query: ((...args: Parameters<pg.PoolClient['query']>) => (statements++, client.query(...args))) as pg.PoolClient['query'] }
        const started = performance.now()
        try {
          await client.query('BEGIN')
          await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
          const tx = openWriteTx(counted)
          const keys = INDICATORS.flatMap((i) => AREAS.flatMap((a) => PERIODS.flatMap((p) => KINDS.map((kind) => ({ indicator: i.code, area: a.code, period: p.code, kind })))))
          const drafts = Array.from({ length: 10_000 }, (_, n) => ({ key: keys[n % keys.length] as (typeof keys)[number], n }))
          const ids = await tx.insertIdentities(keys)
          const sample = fc.sample(content, { numRuns: 50, seed: 3 })
          const revisions: NewRevision[] = drafts.map(({ key: k, n }) => ({
            observationId: ids[n % keys.length] as number,
            revision: Math.floor(n / keys.length) + 1,
            status: 'active',
            observation: checked(k, sample[n % sample.length] as Content),
            reason: 'import',
            actor: 'bulk',
            recordedAt: '2024-06-01T00:00:00.000Z',
          }))
          const seqs = await tx.appendRevisions(revisions)
          expect(seqs).toEqual(seqs.map((_, i) => i + 1))
          let prev = GENESIS
          await tx.appendAudit(
            seqs.map((seq) => {
              const e = chainEntry(seq, prev, '2024-06-01T00:00:00.000Z', 'bulk', String(seq))
              prev = e.hash
              return e
            }),
          )
          await client.query('COMMIT')
        } finally {
          client.release()
        }
        console.log(`10 000 revisions and audit entries committed in ${Math.round(performance.now() - started)} ms`)
        expect(statements).toBe(3)
        expect(await bulk.integrity.revisionCount(0)).toBe(10_000)
        expect(await bulk.integrity.strayPointer(0, await bulk.integrity.maxObservationId())).toBeNull()
        checkChain(await bulk.audit.page(0, 10_000))
      } finally {
        await pool.end()
        await bulk.close()
        await dropTestDatabase(fresh.name)
      }
    })
  })

  // Restarts the shared server: last in the file, bounded.
  describe.runIf(process.env.PG_TEST_RESTART === '1')('server restart', () => {
    it('fails with StorageUnavailableError while the server restarts, then works again without a new pool', { timeout: 90_000 }, async () => {
      await storage.health.ping()
      const v0 = other.dataVersion()
      const errors: unknown[] = []
      let stop = false
      // Reads and writes keep coming while the server goes down and up.
      const load = (async () => {
        while (!stop) {
          await storage.audit.head().catch((err: unknown) => errors.push(err))
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      // A transaction holds its connection idle across the restart: its client's 'error' must be heard, not crash the process.
      let release = () => {}
      const held = new Promise<void>((resolve) => (release = resolve))
      const heldTransaction = storage.transaction('snapshot', async (tx) => {
        await tx.auditHead()
        await held
        return tx.auditHead()
      })
      await new Promise((resolve) => setTimeout(resolve, 50))
      // Stop and start as two steps, so that a query provably meets the server down (a restart can be quicker than the load's next tick).
      const cluster = (action: string) => execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', '15', 'main', action, ...(action === 'stop' ? ['-m', 'fast'] : [])], { stdio: 'ignore', timeout: 60_000 })
      try {
        cluster('stop')
        await expect(storage.health.ping()).rejects.toBeInstanceOf(StorageUnavailableError)
      } finally {
        cluster('start')
      }
      release()
      await expect(heldTransaction).rejects.toBeInstanceOf(StorageUnavailableError)
      const deadline = Date.now() + 30_000
      let recovered = false
      while (!recovered && Date.now() < deadline) {
        try {
          await storage.health.ping()
          await storage.transaction('write', async (tx) => {
            const head = (await tx.auditHead()) as { seq: number; hash: string }
            await tx.appendAudit([chainEntry(head.seq + 1, head.hash, '2024-05-01T00:00:00.000Z', 'after', 'restart')])
          })
          recovered = true
        } catch (err) {
          errors.push(err)
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
      }
      stop = true
      await load
      expect(recovered).toBe(true)
      for (const err of errors) expect(err).toBeInstanceOf(StorageUnavailableError)
      // The other instance's listener reconnects by itself and hears commits again.
      const listenDeadline = Date.now() + 15_000
      while (Date.now() < listenDeadline) {
        const a = other.dataVersion()
        if (other.dataVersion() === a) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(other.dataVersion()).not.toBe(v0)
      const settled = other.dataVersion()
      expect(other.dataVersion()).toBe(settled)
      await storage.transaction('write', async (tx) => {
        const head = (await tx.auditHead()) as { seq: number; hash: string }
        await tx.appendAudit([chainEntry(head.seq + 1, head.hash, '2024-05-01T00:00:01.000Z', 'after', 'listen')])
      })
      const start = Date.now()
      while (other.dataVersion() === settled && Date.now() - start < 1000) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(other.dataVersion()).not.toBe(settled)
      checkChain(await other.audit.page(0, 1000))
    })
  })
})
