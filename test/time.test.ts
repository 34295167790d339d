// Time (issue 12 §3): flows and stocks on the write API, the two read axes (asOf by publication,
// knownAt by recording, and both), and the vintages, on the seed and after writes.
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
let writer: string
const bearer = () => ({ authorization: `Bearer ${writer}` })

/** The seed's publication instant: the report's issue date (2023-06-25), midnight UTC. */
const SEED_PUBLISHED = '2023-06-25T00:00:00.000Z'
let seeded: any[]

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  // The report as extracted: every first revision the seed wrote (its reviewed corrections come later, published later).
  seeded = (await allRevisions()).filter((r) => r.revision === 1 && r.actor === 'seed' && r.reason.startsWith('initial load'))
})
afterAll(() => t.close())

const inject = (options: InjectOptions) => t.app.inject(options)

const get = async (url: string) => {
  const res = await inject({ url })
  return { status: res.statusCode, body: json(res.body), headers: res.headers }
}
const ids = async (query: string) => (await get(`/v1/observations?limit=1000&${query}`)).body.data.map((o: any) => o.id)
const observationOf = (indicator: string) => seeded.find((o) => o.indicator === indicator)

function statement(o: any, overrides: Record<string, unknown> = {}) {
  return { reported: { value: o.reported.value, unit: o.reported.unit }, citation: { sourceId: o.source.id, quote: o.source.quote }, reason: 'time test', ...overrides }
}

async function put(id: number, body: Record<string, unknown>) {
  const etag = (await inject({ url: `/v1/observations/${id}` })).headers.etag as string
  const res = await inject({ method: 'PUT', url: `/v1/observations/${id}`, headers: { ...bearer(), 'if-match': etag }, payload: body })
  return { status: res.statusCode, body: json(res.body) }
}

async function importJson(payload: unknown, query = '') {
  const res = await inject({ method: 'POST', url: `/v1/imports${query}`, headers: bearer(), payload: payload as Record<string, unknown> })
  return { status: res.statusCode, body: json(res.body) }
}

async function importCsv(csv: string, query: string) {
  const res = await inject({ method: 'POST', url: `/v1/imports${query}`, headers: { ...bearer(), 'content-type': 'text/csv' }, payload: csv })
  return { status: res.statusCode, body: json(res.body) }
}

const pointers = (body: any) => (body.errors ?? []).map((e: any) => e.name)

/** Every revision ever recorded, in seq order, from the change feed. */
async function allRevisions(): Promise<any[]> {
  const out: any[] = []
  for (let after = 0; ; ) {
    const page = (await get(`/v1/changes?after=${after}&limit=1000`)).body
    out.push(...page.data)
    after = page.nextAfter
    if (!page.hasMore) return out
  }
}

/** The rule in plain words: a date is the end of its UTC day, an instant itself. */
const bound = (text: string) => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59.999Z` : new Date(text).toISOString())

/** The revision a reader sees: the latest by seq published by asOf and recorded by knownAt. */
function inForce(history: any[], asOf: string | undefined, knownAt: string | undefined): any {
  return history
    .filter((r) => (asOf === undefined || r.publishedAt <= bound(asOf)) && (knownAt === undefined || r.recordedAt <= bound(knownAt)))
    .sort((a, b) => a.seq - b.seq)
    .at(-1)
}

/** Publication dates as a plain grouping of revisions. */
function vintagesOf(revisions: any[]) {
  const byDate = new Map<string, { revisions: number; observations: Set<number> }>()
  for (const r of revisions) {
    const day = r.publishedAt.slice(0, 10)
    const entry = byDate.get(day) ?? { revisions: 0, observations: new Set<number>() }
    entry.revisions++
    entry.observations.add(r.id)
    byDate.set(day, entry)
  }
  return [...byDate.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, e]) => ({ date, revisions: e.revisions, observations: e.observations.size }))
}

describe('the seed on the publication axis', () => {
  it('is published on the report\'s issue date and listed as one vintage', async () => {
    expect(seeded.length).toBeGreaterThan(50)
    for (const o of seeded) expect(new Date(o.publishedAt).toISOString()).toBe(SEED_PUBLISHED)
    const vintages = await get('/v1/vintages')
    expect(vintages.status).toBe(200)
    expect(vintages.body.data[0]).toEqual({ date: '2023-06-25', revisions: seeded.length, observations: seeded.length })
    expect(vintages.body.data).toEqual(vintagesOf(await allRevisions()))
  })

  it('exists asOf 2023-07-01 and 2023-06-25, not asOf 2023-06-24 or 2023-06-01, whenever the server started', async () => {
    const all = seeded.map((o) => o.id)
    for (const asOf of ['2023-07-01', '2023-06-25', '2023-06-25T00:00:00Z', '2023-06-25T08:00:00+08:00', '2024-01-01T00:00:00Z']) expect(await ids(`asOf=${encodeURIComponent(asOf)}`), asOf).toEqual(all)
    for (const asOf of ['2023-06-24', '2023-06-01', '2023-06-24T23:59:59.999Z', '2023-06-25T07:59:59+08:00', '2020-01-01']) expect(await ids(`asOf=${encodeURIComponent(asOf)}`), asOf).toEqual([])
    const one = seeded[0]
    expect((await get(`/v1/observations/${one.id}?asOf=2023-07-01`)).body.revision).toBe(1)
    const missing = await get(`/v1/observations/${one.id}?asOf=2023-06-24`)
    expect(missing.status).toBe(404)
    expect(missing.body.detail).toContain('published by 2023-06-24')
    expect((await get(`/v1/indicators/${one.indicator}?asOf=2023-06-24`)).body.observations).toEqual([])
    expect((await get(`/v1/indicators/${one.indicator}?asOf=2023-06-25`)).body.observations.length).toBeGreaterThan(0)
    const csv = await inject({ url: '/v1/observations?format=csv&asOf=2023-06-24' })
    expect(csv.body.trim().split('\r\n')).toHaveLength(1)
  })

  it('reads a date as its whole UTC day and an instant as itself: a property against the issue date', async () => {
    const day = fc.integer({ min: -400, max: 400 }).map((n) => new Date(Date.parse('2023-06-25T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10))
    const moment = fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }).map((ms) => new Date(Date.parse(SEED_PUBLISHED) + ms).toISOString())
    await fc.assert(
      fc.asyncProperty(fc.oneof(day, moment), async (asOf) => {
        const listed = await ids(`asOf=${encodeURIComponent(asOf)}&indicator=${seeded[0].indicator}`)
        expect(listed.length > 0, asOf).toBe(bound(asOf) >= SEED_PUBLISHED)
      }),
      { numRuns: 60, seed: 1225 },
    )
  })

  it('keeps the recording axis under knownAt: nothing before the server recorded it, everything since', async () => {
    const recorded = seeded[0].recordedAt as string
    const before = new Date(Date.parse(recorded) - 1).toISOString()
    expect(await ids(`knownAt=${before}`)).toEqual([])
    expect(await ids('knownAt=2023-07-01')).toEqual([])
    // Known today: what the service answers now (the corrections included, recorded the same day).
    expect(await ids(`knownAt=${recorded.slice(0, 10)}`)).toEqual(await ids(''))
    expect(await ids(`knownAt=${recorded.slice(0, 10)}&asOf=2023-07-01`)).toEqual(seeded.map((o) => o.id))
    expect(await ids(`knownAt=${encodeURIComponent(recorded)}&asOf=2023-06-24`)).toEqual([])
    expect((await get(`/v1/observations/${seeded[0].id}?knownAt=${before}`)).body.detail).toContain(`recorded by ${before}`)
  })

  it('refuses what is neither a calendar date nor an RFC 3339 time, naming the parameter', async () => {
    for (const name of ['asOf', 'knownAt']) {
      for (const bad of ['2023-02-30', '2023-13-01', '0999-01-01', '20230625', 'yesterday', '2023-06-25T25:00:00Z', '2023-06-25T00:00']) {
        for (const url of [`/v1/observations?${name}=`, `/v1/observations/${seeded[0].id}?${name}=`, `/v1/indicators/${seeded[0].indicator}?${name}=`]) {
          const res = await get(url + encodeURIComponent(bad))
          expect(res.status, `${url}${bad}`).toBe(400)
          expect(res.body.errors.map((e: any) => e.name)).toContain(name)
        }
      }
    }
  })
})

describe('writes state temporality, referenceDate and publishedAt', () => {
  it('a correction refuses a stock without a date, a flow with one, and bad or future dates, with pointers, changing nothing', async () => {
    const o = observationOf('dibao_paid')
    const before = await allRevisions()
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ temporality: 'stock' }, '/referenceDate', 422],
      [{ temporality: 'flow', referenceDate: '2023-06-25' }, '/referenceDate', 422],
      [{ temporality: 'stock', referenceDate: '2023-02-30' }, '/referenceDate', 422],
      [{ temporality: 'stock', referenceDate: '25/06/2023' }, '/referenceDate', 422],
      [{ publishedAt: '2023-06-25' }, '/publishedAt', 422],
      [{ publishedAt: 'yesterday' }, '/publishedAt', 422],
      [{ publishedAt: new Date(Date.now() + 3_600_000).toISOString() }, '/publishedAt', 422],
      [{ temporality: 'level' }, '/temporality', 400],
    ]
    for (const [fields, pointer, status] of cases) {
      const res = await put(o.id, statement(o, { note: 'would change', ...fields }))
      expect(res.status, JSON.stringify(fields)).toBe(status)
      expect(pointers(res.body).some((p: string) => p.endsWith(pointer)), JSON.stringify(res.body)).toBe(true)
    }
    expect(await allRevisions()).toEqual(before)
  })

  it('a correction keeps the current temporality and date when it omits them, and is published now unless it says when', async () => {
    const o = observationOf('beef_cattle_stock')
    // Its figure is the 2023-H2 target: a level at the end of the half-year.
    expect(o.period).toBe('2023-H2')
    const stock = await put(o.id, statement(o, { temporality: 'stock', referenceDate: '2023-12-31', note: 'a level at the end of the period' }))
    expect(stock.status, JSON.stringify(stock.body)).toBe(200)
    expect(stock.body).toMatchObject({ temporality: 'stock', referenceDate: '2023-12-31' })
    expect(Date.parse(stock.body.publishedAt)).toBe(Date.parse(stock.body.recordedAt))

    const kept = await put(o.id, statement(o, { note: 'still a level', publishedAt: '2023-06-30T08:00:00+08:00' }))
    expect(kept.body).toMatchObject({ temporality: 'stock', referenceDate: '2023-12-31', revision: stock.body.revision + 1 })
    expect(new Date(kept.body.publishedAt).toISOString()).toBe('2023-06-30T00:00:00.000Z')

    const redated = await put(o.id, statement(o, { note: 'still a level', referenceDate: '2023-12-30' }))
    expect(redated.body).toMatchObject({ temporality: 'stock', referenceDate: '2023-12-30' })
    const flow = await put(o.id, statement(o, { note: 'a flow again', temporality: 'flow' }))
    expect(flow.body).toMatchObject({ temporality: 'flow', referenceDate: null })
    // The same content without a publication time records nothing.
    expect((await put(o.id, statement(o, { note: 'a flow again' }))).body.revision).toBe(flow.body.revision)
  })

  it('imports (JSON and CSV) refuse a stock without a date and a flow with one, naming the row', async () => {
    const a = observationOf('tekun_beneficiaries')
    const b = observationOf('dibao_beneficiaries')
    const row = (o: any, extra: Record<string, unknown>) => ({ indicator: o.indicator, area: o.area, period: o.period, kind: o.kind, ...statement(o), ...extra })
    const before = await allRevisions()
    const rejected = await importJson({ reason: 'r', observations: [row(a, { temporality: 'stock' }), row(b, { referenceDate: '2023-06-25' })] })
    expect(rejected.status).toBe(422)
    expect(pointers(rejected.body)).toEqual(['/observations/0/referenceDate', '/observations/1/referenceDate'])
    const future = await importJson({ reason: 'r', publishedAt: new Date(Date.now() + 3_600_000).toISOString(), observations: [row(a, { note: 'x' })] })
    expect(future.status).toBe(422)
    // The time the row took from the batch body is named where it was given.
    expect(future.body.errors.map((e: any) => [e.in, e.name, e.index])).toEqual([['body', '/publishedAt', 0]])
    // A malformed batch time is the request's error, named where it was given, even when every row states its own.
    const everyRowOwn = [row(a, { note: 'x', publishedAt: '2023-07-01T00:00:00Z' }), row(b, { note: 'y', publishedAt: '2023-07-01T00:00:00Z' })]
    for (const [payload, query, where] of [
      [{ reason: 'r', observations: everyRowOwn }, '?publishedAt=2023-07-01', { in: 'query', name: 'publishedAt' }],
      [{ reason: 'r', observations: [row(a, { note: 'x' })] }, '?publishedAt=soon', { in: 'query', name: 'publishedAt' }],
      [{ reason: 'r', publishedAt: '2023-07-01', observations: everyRowOwn }, '', { in: 'body', name: '/publishedAt' }],
      [{ reason: 'r', publishedAt: '2023-07-01T00:00:00Z', observations: everyRowOwn }, '?publishedAt=2023-13-01T00:00:00Z', { in: 'query', name: 'publishedAt' }],
    ] as const) {
      const bad = await importJson(payload, query)
      expect(bad.status, JSON.stringify(bad.body)).toBe(400)
      expect(bad.body.errors.map((e: any) => ({ in: e.in, name: e.name }))).toEqual([where])
    }

    const header = 'indicator,area,period,kind,reported_value,reported_unit,source_id,quote,temporality,reference_date,published_at'
    const line = (o: any, temporality: string, date: string, published: string) =>
      [o.indicator, o.area, o.period, o.kind, o.reported.value, o.reported.unit, o.source.id, o.source.quote, temporality, date, published].join(',')
    const csvRejected = await importCsv(`${header}\r\n${line(a, 'stock', '', '')}\r\n${line(b, 'flow', '2023-06-25', 'soon')}\r\n`, '?reason=r')
    expect(csvRejected.status).toBe(422)
    expect(pointers(csvRejected.body)).toEqual(['/observations/0/referenceDate', '/observations/1/referenceDate', '/observations/1/publishedAt'])
    expect(await allRevisions()).toEqual(before)
  })

  it('imports take a batch publication time that a row may override (JSON body, CSV query)', async () => {
    const a = observationOf('tekun_beneficiaries')
    const b = observationOf('dibao_beneficiaries')
    const row = (o: any, extra: Record<string, unknown>) => ({ indicator: o.indicator, area: o.area, period: o.period, kind: o.kind, ...statement(o), ...extra })
    const res = await importJson({
      reason: 'Q3 brief',
      publishedAt: '2023-09-30T00:00:00+08:00',
      observations: [row(a, { temporality: 'stock', referenceDate: '2023-06-25' }), row(b, { note: 'restated', publishedAt: '2023-07-15T00:00:00Z' })],
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.updated).toBe(2)
    const [ra, rb] = [(await get(`/v1/observations/${a.id}`)).body, (await get(`/v1/observations/${b.id}`)).body]
    expect(ra).toMatchObject({ temporality: 'stock', referenceDate: '2023-06-25' })
    expect(new Date(ra.publishedAt).toISOString()).toBe('2023-09-29T16:00:00.000Z')
    expect(new Date(rb.publishedAt).toISOString()).toBe('2023-07-15T00:00:00.000Z')

    const header = 'indicator,area,period,kind,reported_value,reported_unit,source_id,quote,note,published_at'
    const line = (o: any, note: string, published: string) => [o.indicator, o.area, o.period, o.kind, o.reported.value, o.reported.unit, o.source.id, o.source.quote, note, published].join(',')
    const csv = await importCsv(`${header}\r\n${line(a, 'csv', '')}\r\n${line(b, 'csv', '2023-08-01T00:00:00Z')}\r\n`, '?reason=r&publishedAt=2023-10-01T00:00:00Z')
    expect(csv.status, JSON.stringify(csv.body)).toBe(200)
    expect(new Date((await get(`/v1/observations/${a.id}`)).body.publishedAt).toISOString()).toBe('2023-10-01T00:00:00.000Z')
    expect(new Date((await get(`/v1/observations/${b.id}`)).body.publishedAt).toISOString()).toBe('2023-08-01T00:00:00.000Z')
    // An import row without temporality states a flow: the stock of the JSON import is restated as one.
    expect((await get(`/v1/observations/${a.id}`)).body).toMatchObject({ temporality: 'flow', referenceDate: null })
  })
})

describe('publication and reference dates are bounded by the source and the period', () => {
  const DAY = 86_400_000
  /** A later brief restating a seeded figure word for word: a second source with its own issue date. */
  const LATER = { id: 'later-brief-2023-09', issuedOn: '2023-09-01' }
  let admin: string
  beforeAll(async () => {
    admin = (await createKey(t.storage, 'source-admin', ['admin'])).secret
    const quotes = ['tekun_paid', 'dibao_beneficiaries'].map((code) => observationOf(code).source.quote)
    const res = await inject({ method: 'POST', url: '/v1/sources', headers: { authorization: `Bearer ${admin}` }, payload: { id: LATER.id, title: 'A later brief', issuer: 'Bayantala Town', issuedOn: LATER.issuedOn, text: quotes.join('\n') } })
    expect(res.statusCode, res.body).toBe(201)
  })

  /** The rule in plain words: a publication time no earlier than 00:00 UTC of the cited source's issue date. */
  const allowed = (publishedAt: string, issuedOn: string) => Date.parse(publishedAt) >= Date.parse(`${issuedOn}T00:00:00Z`)

  it('a correction published before its cited source was issued is refused at /publishedAt, changing nothing; from that instant on it is accepted', async () => {
    const o = observationOf('tekun_paid')
    const sources = [
      { id: o.source.id, issuedOn: SEED_PUBLISHED.slice(0, 10) },
      { id: LATER.id, issuedOn: LATER.issuedOn },
    ]
    // Offsets around each issue date: whole days (either side), the last millisecond before, the first instant, other offsets.
    const offset = fc.oneof(fc.integer({ min: -800, max: 60 }).map((d) => d * DAY), fc.constantFrom(-1, 0, 1, -8 * 3_600_000), fc.integer({ min: -2 * DAY, max: 2 * DAY }))
    const zone = fc.constantFrom('Z', '+08:00', '-05:00')
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 1 }), offset, zone, async (which, delta, tz) => {
        const source = sources[which]!
        const instant = new Date(Date.parse(`${source.issuedOn}T00:00:00Z`) + delta)
        const shift = tz === 'Z' ? 0 : (tz === '+08:00' ? 8 : -5) * 3_600_000
        const publishedAt = `${new Date(instant.getTime() + shift).toISOString().slice(0, 23)}${tz}`
        const before = (await get(`/v1/observations/${o.id}`)).body.revision
        const res = await put(o.id, statement(o, { note: `issue rule ${n++}`, publishedAt, citation: { sourceId: source.id, quote: o.source.quote } }))
        if (allowed(publishedAt, source.issuedOn)) {
          expect(res.status, `${publishedAt} ${JSON.stringify(res.body)}`).toBe(200)
          expect(Date.parse(res.body.publishedAt)).toBe(instant.getTime())
        } else {
          expect(res.status, publishedAt).toBe(422)
          expect(res.body.errors, publishedAt).toEqual([{ in: 'body', name: '/publishedAt', message: expect.stringContaining(`${source.issuedOn}T00:00:00Z`) }])
          expect((await get(`/v1/observations/${o.id}`)).body.revision).toBe(before)
        }
      }),
      { numRuns: 25, seed: 912 },
    )
  })

  it('imports apply the same rule: a row\'s own time names the row, the batch\'s time names the query or body parameter', async () => {
    const a = observationOf('tekun_paid')
    const b = observationOf('dibao_beneficiaries')
    const row = (o: any, extra: Record<string, unknown>) => ({ indicator: o.indicator, area: o.area, period: o.period, kind: o.kind, ...statement(o), ...extra })
    const later = (o: any) => ({ citation: { sourceId: LATER.id, quote: o.source.quote } })
    const before = await allRevisions()
    const where = (body: any) => body.errors.map((e: any) => `${e.in} ${e.name}`)

    const own = await importJson({ reason: 'r', observations: [row(a, { note: 'i1', publishedAt: '1990-01-01T00:00:00Z' }), row(b, { note: 'i2', ...later(b), publishedAt: '2023-08-31T23:59:59.999Z' })] })
    expect(own.status).toBe(422)
    expect(where(own.body)).toEqual(['body /observations/0/publishedAt', 'body /observations/1/publishedAt'])
    // The batch's time is allowed for the seed's source but not for the later brief: only the row citing it fails, named by the parameter.
    const inherited = [row(a, { note: 'i3' }), row(b, { note: 'i4', ...later(b) })]
    const byQuery = await importJson({ reason: 'r', observations: inherited }, '?publishedAt=2023-07-01T00:00:00Z')
    expect(byQuery.status).toBe(422)
    expect(byQuery.body.errors.map((e: any) => [e.in, e.name, e.index])).toEqual([['query', 'publishedAt', 1]])
    const byBody = await importJson({ reason: 'r', publishedAt: '2023-07-01T00:00:00Z', observations: inherited })
    expect(byBody.body.errors.map((e: any) => [e.in, e.name, e.index])).toEqual([['body', '/publishedAt', 1]])
    const header = 'indicator,area,period,kind,reported_value,reported_unit,source_id,quote,note,published_at'
    const line = (o: any, source: string, published: string) => [o.indicator, o.area, o.period, o.kind, o.reported.value, o.reported.unit, source, o.source.quote, 'csv', published].join(',')
    const csv = await importCsv(`${header}\r\n${line(a, a.source.id, '')}\r\n${line(b, LATER.id, '2023-06-25T00:00:00Z')}\r\n`, '?reason=r&publishedAt=1990-01-01T00:00:00Z')
    expect(csv.status).toBe(422)
    expect(csv.body.errors.map((e: any) => [e.in, e.name, e.index])).toEqual([
      ['query', 'publishedAt', 0],
      ['body', '/observations/1/publishedAt', 1],
    ])
    expect(await allRevisions()).toEqual(before)
    // At or after the issue date, the same rows are taken.
    const ok = await importJson({ reason: 'r', observations: inherited }, `?publishedAt=${LATER.issuedOn}T00:00:00Z`)
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
  })

  it('a stock\'s referenceDate lies within its period: outside is refused at /referenceDate naming the period\'s dates, inside accepted (PUT and imports)', async () => {
    // The report's figures are in these periods; their first and last days, as the calendar has them.
    const PERIODS: Record<string, [string, string]> = { '2023-H1': ['2023-01-01', '2023-06-30'], '2023-H2': ['2023-07-01', '2023-12-31'] }
    for (const o of ['beef_cattle_stock', 'dibao_beneficiaries'].map(observationOf)) await stockDates(o, ...(PERIODS[o.period] as [string, string]))
  })

  async function stockDates(o: any, start: string, end: string) {
    const date = fc.integer({ min: Date.parse('2018-01-01T00:00:00Z') / DAY, max: Date.parse('2024-12-31T00:00:00Z') / DAY }).map((d) => new Date(d * DAY).toISOString().slice(0, 10))
    const edges = fc.constantFrom('2022-12-31', '2023-01-01', '2023-06-30', '2023-07-01', '2023-12-31', '2024-01-01', '2019-01-01', start, end)
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.oneof(date, edges), fc.boolean(), async (referenceDate, viaImport) => {
        const fields = { temporality: 'stock', referenceDate, note: `stock date ${n++}` }
        const res = viaImport
          ? await importJson({ reason: 'r', observations: [{ indicator: o.indicator, area: o.area, period: o.period, kind: o.kind, ...statement(o, fields) }] })
          : await put(o.id, statement(o, fields))
        const pointer = viaImport ? '/observations/0/referenceDate' : '/referenceDate'
        if (start <= referenceDate && referenceDate <= end) expect(res.status, `${referenceDate} ${JSON.stringify(res.body)}`).toBe(200)
        else {
          expect(res.status, referenceDate).toBe(422)
          expect(res.body.errors.map((e: any) => [e.name, e.message])).toEqual([[pointer, expect.stringMatching(new RegExp(`${o.period}.*${start}.*${end}`))]])
        }
      }),
      { numRuns: 20, seed: 1230 },
    )
  }
})

describe('asOf and knownAt diverge', () => {
  it('a correction declared as published in the past: asOf after its publication shows it, knownAt before its recording does not', async () => {
    const o = observationOf('dibao_paid')
    const current = (await get(`/v1/observations/${o.id}`)).body
    await new Promise((r) => setTimeout(r, 5))
    const beforeRecording = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    const fix = await put(o.id, statement(o, { qualifier: 'approx', publishedAt: '2023-06-30T00:00:00Z' }))
    expect(fix.status).toBe(200)
    const revised = fix.body.revision
    expect(revised).toBe(current.revision + 1)
    const revisionAt = async (query: string) => (await get(`/v1/observations/${o.id}?${query}`)).body.revision
    expect(await revisionAt('asOf=2023-07-01')).toBe(revised)
    expect(await revisionAt('asOf=2023-06-30')).toBe(revised)
    expect(await revisionAt('asOf=2023-06-29')).toBe(current.revision)
    expect(await revisionAt(`knownAt=${beforeRecording}`)).toBe(current.revision)
    expect(await revisionAt(`asOf=2023-07-01&knownAt=${beforeRecording}`)).toBe(current.revision)
    expect(await revisionAt(`knownAt=${encodeURIComponent(fix.body.recordedAt)}`)).toBe(revised)
    // Lists and the indicator answer the same.
    const listed = (await get(`/v1/observations?indicator=${o.indicator}&asOf=2023-07-01`)).body.data.find((x: any) => x.id === o.id)
    expect(listed.qualifier).toBe('approx')
    expect((await get(`/v1/observations?indicator=${o.indicator}&knownAt=${beforeRecording}`)).body.data.find((x: any) => x.id === o.id).qualifier).toBe(current.qualifier)
    expect((await get(`/v1/indicators/${o.indicator}?asOf=2023-07-01&knownAt=${beforeRecording}`)).body.observations.find((x: any) => x.id === o.id).qualifier).toBe(current.qualifier)
    // The vintage of that day counts it.
    expect((await get('/v1/vintages')).body.data).toContainEqual({ date: '2023-06-30', revisions: expect.any(Number), observations: expect.any(Number) })
  })

  it('answers as the plain rule does over random revision histories (one observation, lists, indicators; dates and instants)', async () => {
    const subjects = ['tekun_paid', 'disability_care_subsidy_paid', 'dibao_beneficiaries'].map(observationOf).filter(Boolean)
    expect(subjects.length).toBeGreaterThan(1)
    // From the source's issue date on: nothing is published before the document that states it.
    const published = fc.option(fc.integer({ min: 0, max: 60 }).map((d) => new Date(Date.parse(SEED_PUBLISHED) + d * 86_400_000 + (d % 3) * 3_600_000).toISOString()), { nil: undefined })
    const step = fc.record({ subject: fc.nat({ max: subjects.length - 1 }), published })
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 5 })), { minLength: 8, maxLength: 8 }), async (steps, picks) => {
        for (const s of steps) {
          const o = subjects[s.subject]
          const res = await put(o.id, statement(o, { note: `history ${n++}`, ...(s.published ? { publishedAt: s.published } : {}) }))
          expect(res.status, JSON.stringify(res.body)).toBe(200)
        }
        const revisions = await allRevisions()
        const times = [...new Set(revisions.flatMap((r) => [r.publishedAt, r.recordedAt]))]
        const candidates = [...times, ...times.map((x) => new Date(Date.parse(x) - 1).toISOString()), ...times.map((x) => x.slice(0, 10)), '2023-06-24', '2023-07-01', '2023-07-20']
        for (const [i, j, how] of picks) {
          const a = candidates[i % candidates.length] as string
          const k = candidates[j % candidates.length] as string
          const asOf = how === 1 || how >= 3 ? a : undefined
          const knownAt = how === 2 || how >= 3 ? k : undefined
          const query = [asOf === undefined ? '' : `asOf=${encodeURIComponent(asOf)}`, knownAt === undefined ? '' : `knownAt=${encodeURIComponent(knownAt)}`].filter(Boolean).join('&')
          for (const o of subjects) {
            const expected = inForce(revisions.filter((r) => r.id === o.id), asOf, knownAt)
            const one = await get(`/v1/observations/${o.id}?${query}`)
            if (expected === undefined) expect(one.status, query).toBe(404)
            else expect([one.body.revision, one.body.publishedAt, one.body.recordedAt], query).toEqual([expected.revision, expected.publishedAt, expected.recordedAt])
            const listed = (await get(`/v1/observations?indicator=${o.indicator}&limit=1000&includeWithdrawn=true&${query}`)).body.data.find((x: any) => x.id === o.id)
            expect(listed?.revision, query).toBe(expected?.revision)
          }
        }
      }),
      { numRuns: 12, seed: 2023 },
    )
  })
})

describe('vintages', () => {
  it('are the publication dates of every revision, with counts, filtered by indicator and area, cached until the next write', async () => {
    const revisions = await allRevisions()
    const all = await get('/v1/vintages')
    expect(all.body.data).toEqual(vintagesOf(revisions))
    expect(all.body.data.length).toBeGreaterThan(2)
    expect(all.body.data.map((v: any) => v.date)).toEqual([...all.body.data.map((v: any) => v.date)].sort())
    for (const indicator of ['dibao_paid', 'tekun_beneficiaries', 'no_such_indicator']) {
      expect((await get(`/v1/vintages?indicator=${indicator}`)).body.data, indicator).toEqual(vintagesOf(revisions.filter((r) => r.indicator === indicator)))
    }
    const two = ['dibao_paid', 'tekun_paid']
    expect((await get(`/v1/vintages?indicator=${two.join(',')}&area=bayantala`)).body.data).toEqual(vintagesOf(revisions.filter((r) => two.includes(r.indicator) && r.area === 'bayantala')))

    const etag = all.headers.etag as string
    expect(etag).toBeTruthy()
    expect((await inject({ url: '/v1/vintages', headers: { 'if-none-match': etag } })).statusCode).toBe(304)
    // A withdrawal is published when it is recorded: today becomes a vintage, and the old tag is stale.
    const o = observationOf('disability_care_subsidy_paid') ?? seeded[1]
    const current = await inject({ url: `/v1/observations/${o.id}` })
    const withdrawn = await inject({ method: 'DELETE', url: `/v1/observations/${o.id}?reason=test`, headers: { ...bearer(), 'if-match': current.headers.etag as string } })
    expect(withdrawn.statusCode).toBe(200)
    expect(json(withdrawn.body).publishedAt.slice(0, 10)).toBe(json(withdrawn.body).recordedAt.slice(0, 10))
    const after = await inject({ url: '/v1/vintages', headers: { 'if-none-match': etag } })
    expect(after.statusCode).toBe(200)
    expect(json(after.body).data).toEqual(vintagesOf(await allRevisions()))
    expect(json(after.body).data.at(-1).date).toBe(new Date().toISOString().slice(0, 10))
    expect((await get('/v1/vintages?unknown=1')).status).toBe(400)
  })
})
