// What every storage adapter must do, as one suite: call storageConformance with a
// factory that opens a fresh, migrated, empty store of the adapter under test. The
// JSON and CSV an adapter builds itself are held, byte for byte, to the JavaScript
// reference forms (the schema serializer's input and the CSV rule in http/).
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CheckedObservation, Kind } from '../../src/domain/observation.js'
import { csvLine } from '../../src/modules/observations/observations.csv.js'
import { toObservation, toObservationRevision } from '../../src/modules/observations/observations.schemas.js'
import { observationJson } from '../../src/storage/fields.js'
import type { NewRevision, ObservationFilter, Storage, StoredAuditRow } from '../../src/storage/ports.js'

/** Text that tries every escape JSON and CSV have: quotes, backslashes, controls, separators, formula leads, astral and CJK. */
const TRICKY = [
  'plain',
  'He said "5万元" \\ then\nleft\ttabs, é, 😀, \u2028 and </script>',
  '=SUM(A1:A9)',
  '+86 phone',
  '-3 below',
  '@mention',
  "'quoted",
  ' leading space',
  '\u00a0no-break',
  'comma, inside',
  'bell\u0007 and \u0085 next line',
  '全镇户籍人口',
  '\u200bzero width',
  'nul\u0000byte',
]

const AREAS = ['town', 'v01', 'v02', 'v03']
const PERIODS: Array<[string, 'year' | 'quarter', string, string]> = [
  ['2023', 'year', '2023-01-01', '2023-12-31'],
  ['2023-Q1', 'quarter', '2023-01-01', '2023-03-31'],
  ['2024', 'year', '2024-01-01', '2024-12-31'],
]
const INDICATORS: Array<[string, string]> = [
  ['population', 'social'],
  ['grain_output', 'agriculture'],
  ['income', 'economy'],
]
const SOURCE_TEXT = Buffer.from('Report text: the town had 3 villages.', 'utf8')

function observation(i: number, revision: number): CheckedObservation {
  const text = (k: number) => TRICKY[(i + k + revision) % TRICKY.length] as string
  return {
    indicator: INDICATORS[i % INDICATORS.length]?.[0] as string,
    area: AREAS[Math.floor(i / INDICATORS.length) % AREAS.length] as string,
    period: PERIODS[Math.floor(i / (INDICATORS.length * AREAS.length)) % PERIODS.length]?.[0] as string,
    kind: (['actual', 'target', 'forecast'] as Kind[])[i % 2] as Kind,
    value: `${i * 7 + revision}.${revision}5`,
    qualifier: i % 5 === 0 ? 'approx' : 'eq',
    reported: { value: String(i), unit: text(1), text: i % 3 === 0 ? text(2) : null },
    citation: { sourceId: 'report-2023', quote: text(3), byteStart: i, byteEnd: i + 5 },
    involvedAreas: i % 4 === 0 ? [] : AREAS.slice(1, 1 + (i % 3)),
    note: i % 2 === 0 ? null : text(4),
    temporality: i % 3 === 1 ? 'stock' : 'flow',
    referenceDate: i % 3 === 1 ? '2023-06-25' : null,
    publishedAt: null,
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

export function storageConformance(name: string, open: () => Promise<Storage>): void {
  describe(`storage conformance: ${name}`, () => {
    let storage: Storage
    let ids: number[] = []
    let revisedAt = ''
    const COUNT = 30

    beforeAll(async () => {
      storage = await open()
      const t0 = '2024-01-01T00:00:00.000Z'
      await storage.transaction('write', async (tx) => {
        for (const [i, code] of AREAS.entries()) {
          await tx.insertArea({ code, nameZh: `区${i}`, nameEn: `Area ${i}`, level: i === 0 ? 'town' : 'village', parentCode: i === 0 ? null : 'town', divisionCode: i === 0 ? null : `15${i}` })
        }
        for (const [code, type, startDate, endDate] of PERIODS) await tx.insertPeriod({ code, type, startDate, endDate })
        for (const [code, category] of INDICATORS) {
          await tx.insertIndicator({ code, nameZh: code, nameEn: code.replace('_', ' '), description: `the ${code}`, category, unit: code === 'income' ? 'yuan' : 'person', additive: code !== 'income' })
        }
        await tx.insertSource({
          id: 'report-2023', title: '报告', titleEn: null, documentNumber: null, issuer: 'town', recipient: null, issuedOn: '2023-12-31',
          mediaType: 'text/plain; charset=utf-8', byteLength: SOURCE_TEXT.length, sha256: sha256(SOURCE_TEXT), content: SOURCE_TEXT, recordedAt: t0,
        })
        const keys = Array.from({ length: COUNT }, (_, i) => observation(i, 1))
        ids = await tx.insertIdentities(keys)
        const revisions: NewRevision[] = keys.map((o, i) => ({ observationId: ids[i] as number, revision: 1, status: 'active', observation: o, reason: TRICKY[i % TRICKY.length] as string, actor: 'seed', recordedAt: t0, publishedAt: i % 2 === 0 ? t0 : '2023-06-24T16:00:00.000Z' }))
        await tx.appendRevisions(revisions)
      })
      revisedAt = '2024-06-01T00:00:00.000Z'
      await storage.transaction('write', async (tx) => {
        const revised = ids.filter((_, i) => i % 3 === 0)
        await tx.appendRevisions(
          revised.map((id, k) => ({
            observationId: id,
            revision: 2,
            status: k % 2 === 0 ? 'withdrawn' : 'active',
            observation: observation(ids.indexOf(id), 2),
            reason: 'revised',
            actor: 'editor',
            recordedAt: revisedAt,
          })),
        )
      })
    })
    afterAll(async () => {
      await storage?.close()
    })

    const FILTERS: ObservationFilter[] = [
      {},
      { includeWithdrawn: true },
      { indicators: ['population'] },
      { indicators: ['population', 'income'] },
      { indicators: ['population'], areas: ['v01', 'v02'] },
      { areas: ['town'] },
      { periods: ['2023', '2024'] },
      { categories: ['agriculture', 'economy'], kinds: ['actual'] },
      { periodFrom: '2023-01-01', periodTo: '2023-12-31' },
      { asOf: '2024-03-01T00:00:00.000Z' },
      { asOf: '2024-03-01T00:00:00.000Z', includeWithdrawn: true },
      { updatedSince: '2024-05-01T00:00:00.000Z' },
      { updatedSince: '2023-05-01T00:00:00.000Z' },
      { updatedSince: '2030-01-01T00:00:00.000Z' },
    ]

    it('pages rows in id order with keyset cursors, under every filter shape', async () => {
      for (const filter of FILTERS) {
        const all = await storage.observations.page(filter, 0, 1000)
        const walked = []
        for (let after = 0; ; ) {
          const page = await storage.observations.page(filter, after, 4)
          walked.push(...page)
          if (page.length < 4) break
          after = (page[page.length - 1] as { id: number }).id
        }
        expect(walked.map((r) => r.id), JSON.stringify(filter)).toEqual(all.map((r) => r.id))
        expect([...all.map((r) => r.id)].sort((a, b) => a - b)).toEqual(all.map((r) => r.id))
      }
      expect((await storage.observations.page({}, 0, 1000)).length).toBe(COUNT - 5)
      expect((await storage.observations.page({ includeWithdrawn: true }, 0, 1000)).length).toBe(COUNT)
      expect((await storage.observations.page({ asOf: '2024-03-01T00:00:00.000Z' }, 0, 1000)).every((r) => r.revision === 1)).toBe(true)
      expect((await storage.observations.page({ updatedSince: '2024-05-01T00:00:00.000Z' }, 0, 1000)).length).toBe(10)
    })

    it('builds page JSON byte for byte as the serializer would', async () => {
      for (const filter of FILTERS) {
        const rows = await storage.observations.page(filter, 0, 1000)
        const json = await storage.observations.pageJson(filter, 0, 1000)
        expect(json.map(([id]) => id)).toEqual(rows.map((r) => r.id))
        expect(json.map(([, text]) => text), JSON.stringify(filter)).toEqual(rows.map((r) => JSON.stringify(toObservation(r))))
        expect(json.map(([, text]) => text)).toEqual(rows.map((r) => observationJson(r)))
      }
    })

    it('builds CSV lines byte for byte as the JavaScript rule would', async () => {
      for (const filter of FILTERS) {
        const rows = await storage.observations.page(filter, 0, 1000)
        const csv = await storage.observations.pageCsv(filter, 0, 1000)
        expect(csv.text, JSON.stringify(filter)).toBe(rows.map(csvLine).join(''))
        expect(csv.count).toBe(rows.length)
        expect(csv.lastId).toBe(rows.length ? rows[rows.length - 1]?.id : 0)
      }
      expect((await storage.observations.pageCsv({}, 1_000_000, 10)).lastId).toBe(1_000_000)
    })

    it('serves the change feed in seq order, its JSON byte for byte as the serializer would', async () => {
      const rows = await storage.observations.changes(0, 1000)
      expect(rows.length).toBe(COUNT + 10)
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1))
      const json = await storage.observations.changesJson(0, 1000)
      expect(json.map(([seq]) => seq)).toEqual(rows.map((r) => r.seq))
      expect(json.map(([, text]) => text)).toEqual(rows.map((r) => JSON.stringify(toObservationRevision(r))))
      expect(json.map(([, text]) => text)).toEqual(rows.map((r) => observationJson(r, true)))
      expect((await storage.observations.changes(COUNT, 3)).map((r) => r.seq)).toEqual([COUNT + 1, COUNT + 2, COUNT + 3])
    })

    it('reads one observation now and as of an instant, and its revisions', async () => {
      const id = ids[0] as number
      const now = await storage.observations.byId(id)
      expect(now?.revision).toBe(2)
      expect(now?.status).toBe('withdrawn')
      expect((await storage.observations.byId(id, '2024-03-01T00:00:00.000Z'))?.revision).toBe(1)
      expect(await storage.observations.byId(id, '2020-01-01T00:00:00.000Z')).toBeNull()
      expect(await storage.observations.byId(9_999_999)).toBeNull()
      expect(await storage.observations.exists(id)).toBe(true)
      expect(await storage.observations.exists(9_999_999)).toBe(false)
      expect((await storage.observations.revisions(id)).map((r) => r.revision)).toEqual([1, 2])
      const o = observation(0, 2)
      expect(now).toMatchObject({ indicator: o.indicator, area: o.area, period: o.period, kind: o.kind, value: o.value, unit: 'person', reportedText: o.reported.text, note: o.note, involvedAreas: '[]' })
    })

    it('reads the catalog', async () => {
      expect((await storage.catalog.indicators()).map((i) => i.code)).toEqual(['grain_output', 'income', 'population'])
      expect((await storage.catalog.indicators({ categories: ['economy'] })).map((i) => i.code)).toEqual(['income'])
      expect((await storage.catalog.indicators({ q: ' GRAIN ' })).map((i) => i.code)).toEqual(['grain_output'])
      expect((await storage.catalog.indicators({ q: '%' })).map((i) => i.code)).toEqual([])
      expect((await storage.catalog.indicators({ q: 'Grain' })).map((i) => i.code)).toEqual(['grain_output'])
      // `_` reads as a space (storage/search.ts): separators alone find nothing.
      expect((await storage.catalog.indicators({ q: '_' })).map((i) => i.code)).toEqual([])
      expect((await storage.catalog.indicators({ q: 'grain_output' })).map((i) => i.code)).toEqual(['grain_output'])
      expect(await storage.catalog.indicator('income')).toEqual({ code: 'income', nameZh: 'income', nameEn: 'income', description: 'the income', category: 'economy', unit: 'yuan', additive: false, synonyms: [] })
      expect(await storage.catalog.indicator('nope')).toBeNull()
      expect(await storage.catalog.categories()).toEqual(['agriculture', 'economy', 'social'])
      expect((await storage.catalog.areas({ level: ['village'] })).map((a) => a.code)).toEqual(['v01', 'v02', 'v03'])
      expect((await storage.catalog.areas({ parent: 'town' })).length).toBe(3)
      expect((await storage.catalog.areaChildren('town')).map((a) => a.code)).toEqual(['v01', 'v02', 'v03'])
      expect(await storage.catalog.area('v02')).toEqual({ code: 'v02', nameZh: '区2', nameEn: 'Area 2', level: 'village', parentCode: 'town', divisionCode: '152' })
      expect((await storage.catalog.periods()).map((p) => p.code)).toEqual(['2023', '2023-Q1', '2024'])
      expect((await storage.catalog.periods({ type: ['quarter'] })).map((p) => p.code)).toEqual(['2023-Q1'])
      expect(await storage.catalog.period('2024')).toEqual({ code: '2024', type: 'year', startDate: '2024-01-01', endDate: '2024-12-31' })
      const [source] = await storage.catalog.sources()
      expect(source).toMatchObject({ id: 'report-2023', byteLength: SOURCE_TEXT.length, sha256: sha256(SOURCE_TEXT), titleEn: null })
      expect(source).not.toHaveProperty('content')
      expect(await storage.catalog.source('nope')).toBeNull()
      const content = await storage.catalog.sourceContent('report-2023')
      expect(Buffer.compare(content?.content as Buffer, SOURCE_TEXT)).toBe(0)
    })

    it('answers the rule context and catalog lookups inside a transaction', async () => {
      await storage.transaction('snapshot', async (tx) => {
        expect(await tx.indicatorUnits(['income', 'nope', 'population'])).toEqual(new Map([['income', 'yuan'], ['population', 'person']]))
        expect(await tx.existingAreas(['v01', 'x'])).toEqual(new Set(['v01']))
        expect(await tx.existingPeriods(['2023-Q1', '2023-Q2'])).toEqual(new Set(['2023-Q1']))
        expect(await tx.sourceHashes(['report-2023'])).toEqual(new Map([['report-2023', sha256(SOURCE_TEXT)]]))
        expect(await tx.sourceIssueDates(['report-2023', 'nope'])).toEqual(new Map([['report-2023', '2023-12-31']]))
        expect(Buffer.compare((await tx.sourceContent('report-2023')) as Buffer, SOURCE_TEXT)).toBe(0)
        expect((await tx.areasWithDivisionCode('152', 'v01')).map((a) => a.code)).toEqual(['v02'])
        expect(await tx.areasWithDivisionCode('152', 'v02')).toEqual([])
        const current = await tx.currentByKeys([observation(1, 1), { indicator: 'income', area: 'nowhere', period: '2023', kind: 'actual' }])
        expect(current[0]?.id).toBe(ids[1])
        expect(current[1]).toBeNull()
        expect((await tx.currentById(ids[3] as number))?.revision).toBe(2)
        expect((await tx.revision(ids[3] as number, 1))?.revision).toBe(1)
        expect(await tx.nextObservationId()).toBe(Math.max(...ids) + 1)
        await expect(tx.insertPeriod({ code: '2025', type: 'year', startDate: '2025-01-01', endDate: '2025-12-31' })).rejects.toThrow()
      })
    })

    it('appends to the audit log and reads it back', async () => {
      expect(await storage.audit.head()).toBeNull()
      const entries: StoredAuditRow[] = [1, 2, 3].map((seq) => ({
        seq, recordedAt: revisedAt, actor: 'tester', action: 'test.append', entityType: 'test', entityId: String(seq),
        before: seq === 1 ? null : `{"n":${seq - 1}}`, after: `{"n":${seq},"text":${JSON.stringify(TRICKY[1])}}`, prevHash: `h${seq - 1}`, hash: `h${seq}`,
      }))
      await storage.transaction('write', async (tx) => {
        expect(await tx.auditHead()).toBeNull()
        await tx.appendAudit(entries)
        expect(await tx.auditHead()).toEqual({ seq: 3, hash: 'h3', recordedAt: revisedAt })
      })
      expect(await storage.audit.head()).toEqual({ seq: 3, hash: 'h3', recordedAt: revisedAt })
      expect(await storage.audit.page(1, 10)).toEqual(entries.slice(1))
      expect(await storage.audit.entry(2)).toEqual(entries[1])
      expect(await storage.audit.entry(9)).toBeNull()
    })

    it('rolls a write back when its body throws, and changes dataVersion when one commits', async () => {
      const before = storage.dataVersion()
      await expect(
        storage.transaction('write', async (tx) => {
          await tx.insertPeriod({ code: '2030', type: 'year', startDate: '2030-01-01', endDate: '2030-12-31' })
          throw new Error('changed my mind')
        }),
      ).rejects.toThrow('changed my mind')
      expect(await storage.catalog.period('2030')).toBeNull()
      await storage.transaction('write', (tx) => tx.insertPeriod({ code: '2031', type: 'year', startDate: '2031-01-01', endDate: '2031-12-31' }))
      expect(await storage.catalog.period('2031')).not.toBeNull()
      expect(storage.dataVersion()).not.toBe(before)
    })

    it('stores and revokes keys, records and expires idempotency answers', async () => {
      await storage.transaction('write', async (tx) => {
        await tx.insertKey({ id: 'k1', name: 'writer', scopes: 'write', secretHash: 'a'.repeat(64), createdAt: revisedAt, revokedAt: null })
        await tx.insertKey({ id: 'k0', name: 'admin', scopes: 'admin,write', secretHash: 'b'.repeat(64), createdAt: revisedAt, revokedAt: null })
        await tx.insertIdempotency({ actor: 'writer', key: 'old', requestHash: 'r', statusCode: 200, responseBody: '{}', createdAt: '2020-01-01T00:00:00.000Z', expiresAt: '2020-01-02T00:00:00.000Z' })
        await tx.insertIdempotency({ actor: 'writer', key: 'new', requestHash: 'r', statusCode: 200, responseBody: TRICKY[1] as string, createdAt: revisedAt, expiresAt: '2099-01-01T00:00:00.000Z' })
      })
      expect((await storage.keys.list()).map((k) => k.name)).toEqual(['admin', 'writer'])
      expect((await storage.keys.byName('writer'))?.id).toBe('k1')
      await storage.transaction('write', (tx) => tx.revokeKey('k1', revisedAt))
      expect((await storage.keys.byId('k1'))?.revokedAt).toBe(revisedAt)
      expect(await storage.keys.byId('nope')).toBeNull()
      expect((await storage.idempotency.find('writer', 'new'))?.responseBody).toBe(TRICKY[1])
      await storage.transaction('write', async (tx) => {
        await tx.deleteExpiredIdempotency('2024-01-01T00:00:00.000Z')
        expect(await tx.idempotencyRecord('writer', 'old')).toBeNull()
        await tx.deleteIdempotency('writer', 'new')
      })
      expect(await storage.idempotency.find('writer', 'new')).toBeNull()
      expect(await storage.integrity.idempotencyRecords()).toEqual([])
    })

    it('answers the integrity reads', async () => {
      expect(await storage.integrity.revisionCount(0)).toBe(COUNT + 10)
      expect(await storage.integrity.revisionCount(5, 10)).toBe(5)
      expect(await storage.integrity.maxObservationId()).toBe(Math.max(...ids))
      expect(await storage.integrity.strayPointer(0, Math.max(...ids))).toBeNull()
      expect(await storage.integrity.strayPointerAmong(ids)).toBeNull()
      expect((await storage.integrity.indicators()).find((i) => i.code === 'population')?.additive).toBe(true)
      expect((await storage.integrity.sourcesMetadata(true))[0]?.recordedAt).toBe('2024-01-01T00:00:00.000Z')
      const contents = []
      for await (const c of storage.integrity.sourceContents()) contents.push(c)
      expect(contents.map((c) => [c.id, c.sha256, c.byteLength])).toEqual([['report-2023', sha256(SOURCE_TEXT), SOURCE_TEXT.length]])
    })

    it('answers its health checks', async () => {
      await storage.health.ping()
      const m = await storage.health.migrations()
      expect(m.applied).toBe(m.expected)
      expect(await storage.migrate()).toEqual([])
    })
  })
}
