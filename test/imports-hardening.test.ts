// Imports, hardened: one row schema for JSON and CSV, strict media types and
// UTF-8, values the API can serve back, explicit restores, empty notes, a
// canonical Idempotency-Key fingerprint, a strict area hierarchy, and dry runs
// that never hold the writer.
import Database from 'better-sqlite3'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { Ajv } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { Observation, Reported } from '../src/modules/observations/observations.schemas.js'
import { DecimalString } from '../src/http/schemas.js'
import { isDecimal } from '../src/domain/decimal.js'
import { AREA_RANK } from '../src/modules/areas/areas.commands.js'
import { buildTestApp, json, onPostgres, type TestContext } from './helpers.js'
import { csvCell, type CsvCellKind } from '../src/http/csv-export.js'

let t: TestContext
let writer: string
let admin: string
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

/** Load shedding (503 under event-loop delay, on a shared, loaded machine) is not what these tests examine: wait it out. */
async function inject(app: TestContext['app'], options: InjectOptions) {
  for (let attempt = 0; ; attempt++) {
    const res = await app.inject(options)
    if (res.statusCode !== 503 || attempt >= 40) return res
    await new Promise((r) => setTimeout(r, 250))
  }
}

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
})
afterAll(() => t.close())

async function observationOf(indicator: string) {
  const res = await inject(t.app, { url: `/v1/observations?indicator=${indicator}&includeWithdrawn=true` })
  if (res.statusCode !== 200) throw new Error(res.body)
  return json(res.body).data[0]
}

function rowOf(o: any, overrides: Record<string, unknown> = {}) {
  return {
    indicator: o.indicator,
    area: o.area,
    period: o.period,
    kind: o.kind,
    qualifier: o.qualifier,
    reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) },
    citation: { sourceId: o.source.id, quote: o.source.quote },
    involvedAreas: o.involvedAreas,
    ...(o.note === null ? {} : { note: o.note }),
    ...overrides,
  }
}

const postJson = (payload: unknown, query = '', headers: Record<string, string> = {}) =>
  inject(t.app, { method: 'POST', url: `/v1/imports${query}`, headers: { ...bearer(writer), ...headers }, payload: payload as object })
const postRaw = (body: string | Buffer, contentType: string, query = '', headers: Record<string, string> = {}) =>
  inject(t.app, { method: 'POST', url: `/v1/imports${query}`, headers: { ...bearer(writer), 'content-type': contentType, ...headers }, payload: body })

const CSV_HEADER = ['indicator', 'area', 'period', 'kind', 'value', 'qualifier', 'reported_value', 'reported_unit', 'reported_text', 'source_id', 'quote', 'involved_areas', 'note', 'reason', 'restore']
// Text cells as the export writes them (a leading ' neutralizes a formula lead; the import drops it again).
const cell = (v: unknown, kind: CsvCellKind = 'text') => (v === undefined || v === null ? '' : csvCell(kind, String(v)))
const CSV_FIELD: Record<string, (r: any) => unknown> = {
  indicator: (r) => r.indicator,
  area: (r) => r.area,
  period: (r) => r.period,
  kind: (r) => r.kind,
  value: (r) => r.value,
  qualifier: (r) => r.qualifier,
  reported_value: (r) => r.reported?.value,
  reported_unit: (r) => r.reported?.unit,
  reported_text: (r) => r.reported?.text,
  source_id: (r) => r.citation?.sourceId,
  quote: (r) => r.citation?.quote,
  involved_areas: (r) => r.involvedAreas?.join(';'),
  note: (r) => r.note,
  reason: (r) => r.reason,
  restore: (r) => r.restore,
}
/** The rows as CSV; `restore` is a column only when some row uses it. */
function toCsv(rows: any[]): string {
  const header = CSV_HEADER.filter((h) => h !== 'restore' || rows.some((r) => r.restore !== undefined))
  const lines = rows.map((r) => header.map((h) => cell((CSV_FIELD[h] as (r: any) => unknown)(r), h === 'value' || h === 'reported_value' ? 'number' : 'text')).join(','))
  return `${header.join(',')}\r\n${lines.map((l) => `${l}\r\n`).join('')}`
}

/** What an import answered, without what differs per request (request id, instance). */
function outcome(res: { statusCode: number; body: string }) {
  const b = json(res.body)
  if (res.statusCode === 200) return { status: 200, summary: b }
  return { status: res.statusCode, code: b.code, detail: b.detail, errors: b.errors, rowErrors: b.summary?.errors }
}

describe('CSV and JSON imports: one row schema (item 15)', () => {
  it('gives the same answer for the same rows in either format (property)', async () => {
    const base = rowOf(await observationOf('dibao_paid'))
    // Text around the limits, with the characters CSV must quote.
    const text = (max: number) =>
      fc.oneof(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
        fc.tuple(fc.constantFrom('a', '低保', ' ,"\n', 'x\r\ny'), fc.integer({ min: max - 3, max: max + 3 })).map(([s, n]) => s.repeat(Math.ceil(n / s.length)).slice(0, Math.max(1, n))),
      )
    const row = fc.record(
      {
        note: text(2000),
        reason: text(2000),
        value: fc.oneof(fc.stringMatching(/^-?[0-9]{1,45}$/), fc.constantFrom('1.5', 'abc', '1e3', '0x10', '4847520')),
        qualifier: fc.constantFrom('eq', 'approx', 'gte', 'about'),
        kind: fc.constantFrom('actual', 'target', 'forecast', 'maybe'),
        reportedValue: fc.oneof(fc.constant(base.reported.value), fc.stringMatching(/^[0-9]{1,44}$/), fc.constant('4,84')),
        reportedText: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 22 }),
        involvedAreas: fc.array(fc.constantFrom('xiba', 'beiba', 'nowhere', 'Bad Code'), { minLength: 1, maxLength: 3 }),
        restore: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 3 }), async (changes) => {
        const rows = changes.map((c) => {
          const r: any = structuredClone(base)
          for (const k of ['note', 'reason', 'value', 'qualifier', 'kind', 'involvedAreas', 'restore'] as const) if (c[k] !== undefined) r[k] = c[k]
          if (c.reportedValue !== undefined) r.reported.value = c.reportedValue
          if (c.reportedText !== undefined) r.reported.text = c.reportedText
          return r
        })
        const viaJson = outcome(await postJson({ observations: rows }, '?dryRun=true&reason=batch'))
        const viaCsv = outcome(await postRaw(toCsv(rows), 'text/csv', '?dryRun=true&reason=batch'))
        expect(viaCsv).toEqual(viaJson)
      }),
      { numRuns: 60 },
    )
  })

  it('refuses a CSV note or reason over the JSON limit, naming the field', async () => {
    const base = rowOf(await observationOf('dibao_paid'))
    for (const [field, path] of [
      ['note', '/observations/0/note'],
      ['reason', '/observations/0/reason'],
    ] as const) {
      const res = await postRaw(toCsv([{ ...base, [field]: 'x'.repeat(100_000) }]), 'text/csv', '?reason=r')
      expect(res.statusCode, res.body).toBe(400)
      expect(json(res.body).errors[0]).toMatchObject({ in: 'body', name: path })
    }
  })

  it('reads only UTF-8 text/csv: other media types and charsets are 415, invalid bytes 400 (never U+FFFD)', async () => {
    const base = rowOf(await observationOf('dibao_paid'))
    const csv = toCsv([{ ...base, note: 'ok' }])
    expect((await postRaw(csv, 'text/csv', '?dryRun=true&reason=r')).statusCode).toBe(200)
    expect((await postRaw(csv, 'text/csv; charset=UTF-8', '?dryRun=true&reason=r')).statusCode).toBe(200)
    expect((await postRaw(csv, 'text/csv;charset="utf-8"', '?dryRun=true&reason=r')).statusCode).toBe(200)
    for (const type of ['text/plain', 'text/plain; charset=utf-8', 'text/csv; charset=utf-16', 'text/csv; charset=latin1', 'application/octet-stream', 'text/tab-separated-values']) {
      const res = await postRaw(csv, type, '?dryRun=true&reason=r')
      expect(res.statusCode, type).toBe(415)
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/)
    }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe4, 0xbd]), Buffer.from([0x80])), fc.nat(200), async (bad, at) => {
        const bytes = Buffer.from(csv, 'utf8')
        const cut = Math.min(at + bytes.indexOf('"ok"'), bytes.length)
        const res = await postRaw(Buffer.concat([bytes.subarray(0, cut), bad, bytes.subarray(cut)]), 'text/csv', '?dryRun=true&reason=r')
        expect(res.statusCode).toBe(400)
        expect(json(res.body).detail).toMatch(/UTF-8/)
      }),
      { numRuns: 20 },
    )
  })

  it('refuses duplicated, unknown and missing header columns, naming each', async () => {
    const base = rowOf(await observationOf('dibao_paid'))
    const [header, line] = toCsv([base]).split('\r\n')
    const dup = `${header},note\r\n${line},"second"\r\n`
    const res = await postRaw(dup, 'text/csv', '?reason=r')
    expect(res.statusCode).toBe(400)
    expect(json(res.body).errors).toContainEqual({ in: 'body', name: 'note', message: 'appears more than once in the header' })
    const odd = await postRaw('indicator,colour,indicator\r\nx,y,z\r\n', 'text/csv', '?reason=r')
    expect(odd.statusCode).toBe(400)
    const names = json(odd.body).errors.map((e: any) => e.name)
    expect(names).toEqual(expect.arrayContaining(['indicator', 'colour', 'area', 'quote']))
  })

  it('never stores a value the response schema cannot serve back (property over reported digits and multipliers)', async () => {
    const ajv = new Ajv({ strict: false })
    const servable = ajv.compile(Observation)
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[1-9][0-9]{0,43}$/), fc.constantFrom('元', '万元'), async (digits, unit) => {
        const id = `value-limit-${n++}`
        const text = `巴彦塔拉镇发放城乡低保金${digits}${unit}。`
        expect((await inject(t.app, { method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id, title: 't', issuer: 'i', issuedOn: '2023-10-08', text } })).statusCode).toBe(201)
        const row = { indicator: 'dibao_paid', area: 'xiba', period: '2023-H1', kind: 'target', reported: { value: digits, unit }, citation: { sourceId: id, quote: `城乡低保金${digits}${unit}` } }
        const res = await postJson({ reason: 'limit', observations: [row] })
        if (res.statusCode !== 200) {
          expect([400, 422]).toContain(res.statusCode)
          return
        }
        const stored = await inject(t.app, { url: `/v1/observations/${json(res.body).results[0].id}` })
        expect(stored.statusCode).toBe(200)
        expect(servable(json(stored.body)), JSON.stringify(servable.errors)).toBe(true)
      }),
      { numRuns: 40 },
    )
    // The largest accepted value is served back; one digit more is refused with a reason.
    const big = '9'.repeat(36)
    const src = 'value-limit-edge'
    await inject(t.app, { method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: src, title: 't', issuer: 'i', issuedOn: '2023-10-08', text: `低保金${big}万元。低保金9${big}万元。` } })
    const ok = await postJson({ reason: 'limit', observations: [{ indicator: 'dibao_paid', area: 'beiba', period: '2023-H1', kind: 'target', reported: { value: big, unit: '万元' }, citation: { sourceId: src, quote: `低保金${big}万元` } }] })
    expect(ok.statusCode, ok.body).toBe(200)
    const refused = await postJson({ reason: 'limit', observations: [{ indicator: 'dibao_paid', area: 'houguaxi', period: '2023-H1', kind: 'target', reported: { value: `9${big}`, unit: '万元' }, citation: { sourceId: src, quote: `低保金9${big}万元` } }] })
    expect(refused.statusCode).toBe(422)
    expect(json(refused.body).summary.errors[0]).toMatchObject({ name: expect.stringMatching(/^\/observations\/\d+\/value$/), message: expect.stringMatching(/40 digits|at most 40/) })
  })
})

describe('restoring a withdrawn observation is explicit (item 16)', () => {
  it('rejects a row that would restore it silently, and restores it with restore: true (JSON or CSV)', async () => {
    const o = await observationOf('service_hall_windows')
    const del = await inject(t.app, { method: 'DELETE', url: `/v1/observations/${o.id}?reason=wrong`, headers: { ...bearer(writer), 'if-match': `"obs-${o.id}-r${o.revision}"` } })
    expect(del.statusCode).toBe(200)
    const withdrawn = json(del.body)
    for (const dryRun of ['?dryRun=true&reason=again', '?reason=again']) {
      const res = await postJson({ observations: [rowOf(o)] }, dryRun)
      expect(res.statusCode).toBe(422)
      expect(json(res.body).summary.errors[0].message).toMatch(/withdrawn.*"restore": true/)
      const viaCsv = await postRaw(toCsv([rowOf(o)]), 'text/csv', dryRun)
      expect(viaCsv.statusCode).toBe(422)
    }
    expect(json((await inject(t.app, { url: `/v1/observations/${o.id}` })).body)).toMatchObject({ status: 'withdrawn', revision: withdrawn.revision })
    const restored = await postRaw(toCsv([rowOf(o, { restore: true })]), 'text/csv', '?reason=restore')
    expect(restored.statusCode).toBe(200)
    expect(json(restored.body)).toMatchObject({ updated: 1 })
    expect(json((await inject(t.app, { url: `/v1/observations/${o.id}` })).body)).toMatchObject({ status: 'active', revision: withdrawn.revision + 1 })
    // restore on an active observation changes nothing.
    expect(json((await postJson({ observations: [rowOf(o, { restore: true })] }, '?reason=again')).body)).toMatchObject({ unchanged: 1 })
  })
})

describe('an empty note is no note (item 16)', () => {
  it('never adds a revision when notes alternate between empty, null and missing (property)', async () => {
    const o = await observationOf('public_welfare_posts')
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('empty', 'null', 'missing', 'put-empty', 'put-missing'), { minLength: 2, maxLength: 6 }), async (steps) => {
        const first = json((await inject(t.app, { url: `/v1/observations/${o.id}` })).body)
        for (const step of steps) {
          const note = step.endsWith('empty') ? { note: '' } : step === 'null' ? { note: null } : {}
          const row: any = rowOf(o, note)
          if (!('note' in note)) delete row.note
          if (step.startsWith('put')) {
            const cur = json((await inject(t.app, { url: `/v1/observations/${o.id}` })).body)
            const { indicator, area, period, kind, ...body } = row
            const res = await inject(t.app, { method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': `"obs-${o.id}-r${cur.revision}"` }, payload: { ...body, reason: 'note' } })
            expect(res.statusCode).toBe(200)
          } else {
            expect((await postJson({ observations: [row] }, '?reason=note')).statusCode).toBe(200)
          }
        }
        const last = json((await inject(t.app, { url: `/v1/observations/${o.id}` })).body)
        // The seed's note is null: at most the first step could differ from it, and none does.
        expect(last.revision).toBe(first.revision)
        expect(last.note).toBe(null)
      }),
      { numRuns: 15 },
    )
  })
})

/** The same JSON with its object keys in another order, chosen by `seed`. */
function shuffledKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => shuffledKeys(v, seed + i))
  if (value === null || typeof value !== 'object') return value
  const entries = Object.entries(value)
  let s = seed
  for (let i = entries.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648
    const j = s % (i + 1)
    ;[entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]]
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffledKeys(v, s + 1)]))
}

describe('the Idempotency-Key fingerprint is the request as parsed (item 16)', () => {
  it('replays a retry whose JSON keys or query parameters come in another order (property)', async () => {
    const o = await observationOf('pension_insurance_enrolled')
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), async (seed, swapQuery) => {
        const key = `fp-${n++}`
        const body = { reason: 'fingerprint', observations: [rowOf(o, { note: `run ${key}`, qualifier: 'eq' })] }
        const first = await postJson(body, '?dryRun=false&reason=fp', { 'idempotency-key': key })
        expect(first.statusCode).toBe(200)
        const retry = await inject(t.app, {
          method: 'POST',
          url: `/v1/imports${swapQuery ? '?reason=fp&dryRun=false' : '?dryRun=false&reason=fp'}`,
          headers: { ...bearer(writer), 'idempotency-key': key, 'content-type': 'application/json' },
          payload: JSON.stringify(shuffledKeys(body, seed)),
        })
        expect(retry.statusCode).toBe(200)
        expect(retry.headers['idempotent-replayed']).toBe('true')
        expect(json(retry.body)).toEqual(json(first.body))
      }),
      { numRuns: 15 },
    )
    // Another request under a used key is still refused.
    const other = await postJson({ reason: 'fingerprint', observations: [rowOf(o, { note: 'something else' })] }, '?dryRun=false&reason=fp', { 'idempotency-key': 'fp-0' })
    expect(other.statusCode).toBe(422)
  })
})

describe('the area hierarchy nests strictly downward, division codes are unique (item 16)', () => {
  const put = (code: string, body: Record<string, unknown>) => inject(t.app, { method: 'PUT', url: `/v1/areas/${code}`, headers: bearer(admin), payload: { nameZh: '测试', nameEn: 'Test', ...body } })
  const parents: Record<string, string> = { province: 'inner-mongolia', prefecture: 'tongliao', banner: 'horqin-left-middle', town: 'bayantala', village: 'xiba', reserve: 'wusitu-reserve' }

  it('accepts a child exactly when its level is below its parent\'s (every pair of levels)', async () => {
    let n = 0
    for (const [parentLevel, parent] of Object.entries(parents)) {
      for (const level of Object.keys(AREA_RANK)) {
        const res = await put(`nest-${n++}`, { level, parent })
        const below = AREA_RANK[level as keyof typeof AREA_RANK] > AREA_RANK[parentLevel as keyof typeof AREA_RANK]
        expect(res.statusCode, `${level} under ${parentLevel}`).toBe(below ? 201 : 422)
      }
    }
  })

  it('refuses to lift an area to a level at or below its children\'s', async () => {
    const town = json((await inject(t.app, { url: '/v1/areas/bayantala' })).body)
    const res = await put('bayantala', { nameZh: town.nameZh, nameEn: town.nameEn, level: 'village', parent: town.parent, divisionCode: town.divisionCode })
    expect(res.statusCode).toBe(422)
    expect(json(res.body).errors.map((e: { message: string }) => e.message).join()).toMatch(/village "xiba"/)
  })

  it('refuses a division code another area has, and keeps an area\'s own', async () => {
    const dup = await put('dup-division', { level: 'town', parent: 'horqin-left-middle', divisionCode: '150521' })
    expect(dup.statusCode).toBe(422)
    expect(json(dup.body).errors).toContainEqual(expect.objectContaining({ in: 'body', name: '/divisionCode', message: expect.stringMatching(/horqin-left-middle/) }))
    const banner = json((await inject(t.app, { url: '/v1/areas/horqin-left-middle' })).body)
    const same = await put('horqin-left-middle', { nameZh: banner.nameZh, nameEn: banner.nameEn, level: 'banner', parent: 'tongliao', divisionCode: '150521' })
    expect(same.statusCode).toBe(200)
    expect((await put('new-town', { level: 'town', parent: 'horqin-left-middle', divisionCode: '150521101' })).statusCode).toBe(201)
    expect((await put('new-town-2', { level: 'town', parent: 'horqin-left-middle', divisionCode: '150521101' })).statusCode).toBe(422)
  })
})

describe('a large dry run or rejected import never holds the writer (item 14)', () => {
  it.skipIf(onPostgres)('lets a one-row correction finish first, and leaves the write lock free while it validates', async () => {
    const f = await buildTestApp({ file: true, build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
    try {
      const key = (await createKey(f.storage, 'writer', ['write'])).secret
      const get = async (id: number) => json((await inject(f.app, { url: `/v1/observations/${id}` })).body)
      const o = await get(1)
      // 5 000 rows citing the seed; duplicates of one key, so the batch is also rejected after every row is checked.
      const rows = Array.from({ length: 5000 }, () => rowOf(o, { note: 'large' }))
      const probe = new Database(f.db.$client.name, { timeout: 0 })
      let busy = 0
      let probes = 0
      let correcting = false
      for (const query of ['?dryRun=true&reason=large', '?reason=large']) {
        const order: string[] = []
        let settled = false
        const large = inject(f.app, { method: 'POST', url: `/v1/imports${query}`, headers: bearer(key), payload: { observations: rows } }).then((r) => {
          settled = true
          order.push('large')
          return r
        })
        // The large request is parsed; while it is checked, the write lock must be free for anyone.
        const poll = (async () => {
          while (!settled) {
            // Only while the correction is not itself writing.
            if (!correcting) {
              try {
                probe.exec('BEGIN IMMEDIATE; ROLLBACK')
              } catch {
                busy++
              }
              probes++
            }
            await new Promise((r) => setTimeout(r, 2))
          }
        })()
        const cur = await get(o.id)
        correcting = true
        const correction = await inject(f.app, {
          method: 'PUT',
          url: `/v1/observations/${o.id}`,
          headers: { ...bearer(key), 'if-match': `"obs-${o.id}-r${cur.revision}"` },
          payload: { ...rowOf(o, { note: `corrected during ${query}` }), indicator: undefined, area: undefined, period: undefined, kind: undefined, reason: 'small' },
        })
        order.push('correction')
        correcting = false
        expect(correction.statusCode).toBe(200)
        const res = await large
        await poll
        expect(res.statusCode).toBe(422)
        expect(json(res.body).summary.rejected).toBe(4999)
        expect(order).toEqual(['correction', 'large'])
      }
      probe.close()
      expect(probes).toBeGreaterThan(0)
      expect(busy).toBe(0)
    } finally {
      await f.close()
    }
  }, 120_000)
})

// Last: a synchronous property run blocks the event loop, which the shared app's load shedding would notice.
describe('value limits agree between request and response schemas (item 15)', () => {
  it('accepts in request value fields exactly what the response schema serves, every valid decimal included (property)', async () => {
    const ajv = new Ajv({ strict: false })
    const served = ajv.compile(DecimalString)
    const given = ajv.compile(Reported.properties.value)
    fc.assert(
      // Lengths around the limit are drawn often: that is where request and response schemas could disagree.
      fc.property(fc.boolean(), fc.oneof(fc.integer({ min: 1, max: 44 }), fc.integer({ min: 38, max: 42 })).chain((n) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: n, maxLength: n })), fc.nat(44), (negative, digits, point) => {
        const text = `${negative ? '-' : ''}${point > 0 && point < digits.length ? `${digits.slice(0, point)}.${digits.slice(point)}` : digits}`
        // What a request may carry, a response may carry; every value the rules accept is among them.
        expect(given(text)).toBe(served(text))
        if (isDecimal(text)) expect(served(text)).toBe(true)
      }),
      { numRuns: 500 },
    )
  })
})
