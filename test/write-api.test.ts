// The write API: authentication, corrections, withdrawals, imports, catalog writes.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, revokeKey } from '../src/modules/keys/keys.js'
import { MAX_IMPORT_ROWS } from '../src/modules/observations/observation-commands.js'
import { csvLine } from '../src/modules/observations/observations.csv.js'
import { CSV_COLUMNS } from '../src/modules/observations/observations.schemas.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
let writer: string
let admin: string
let revoked: string
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

beforeAll(async () => {
  // Page-by-page CSV comparisons make more requests than the default per-client limit allows.
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
  revoked = (await createKey(t.storage, 'gone', ['write', 'admin'])).secret
  await revokeKey(t.storage, 'gone')
})
afterAll(() => t.close())

/** Everything a write could touch; equal before and after means nothing changed. */
async function snapshot() {
  const q = (sql: string) => t.query(sql)
  return {
    observations: await q('SELECT * FROM observation ORDER BY id'),
    revisions: await q('SELECT count(*) n, max(seq) s FROM observation_revision'),
    audit: await q('SELECT count(*) n, max(seq) s FROM audit_entry'),
    catalog: await q("SELECT (SELECT count(*) FROM indicator) i, (SELECT count(*) FROM area) a, (SELECT count(*) FROM reporting_period) p, (SELECT count(*) FROM source) s"),
    keys: await q('SELECT * FROM api_key ORDER BY id'),
    idempotency: await q('SELECT count(*) n FROM idempotency_key'),
  }
}

async function observationOf(indicator: string) {
  return json((await t.app.inject({ url: `/v1/observations?indicator=${indicator}` })).body).data[0]
}

function citationBody(o: any, overrides: Record<string, unknown> = {}) {
  return { reported: { value: o.reported.value, unit: o.reported.unit }, citation: { sourceId: o.source.id, quote: o.source.quote }, reason: 'test', ...overrides }
}

describe('authentication on every write route', () => {
  const routes = [
    { method: 'PUT', url: '/v1/observations/1', scope: 'write', payload: { reported: { value: '1', unit: '人' }, citation: { sourceId: 'x', quote: 'y' }, reason: 'r' } },
    { method: 'DELETE', url: '/v1/observations/1?reason=r', scope: 'write' },
    { method: 'POST', url: '/v1/imports', scope: 'write', payload: { reason: 'r', observations: [] } },
    { method: 'POST', url: '/v1/sources', scope: 'admin', payload: { id: 'new-source', title: 't', issuer: 'i', issuedOn: '2023-12-25', text: 'x' } },
    { method: 'PUT', url: '/v1/indicators/new_indicator', scope: 'admin', payload: { nameZh: 'z', nameEn: 'e', description: 'd', category: 'c', unit: 'person', additive: true } },
    { method: 'PUT', url: '/v1/areas/new-area', scope: 'admin', payload: { nameZh: 'z', nameEn: 'e', level: 'village', parent: 'bayantala' } },
    { method: 'PUT', url: '/v1/periods/2024-H1', scope: 'admin' },
  ] as const

  it('refuses missing, malformed, unknown and revoked keys with 401, and keys without the scope with 403, changing nothing', async () => {
    const before = await snapshot()
    for (const r of routes) {
      const cases: Array<[Record<string, string>, number]> = [
        [{}, 401],
        [{ authorization: 'Basic dXNlcjpwYXNz' }, 401],
        [bearer('bti_aaaaaaaaaaaa_' + 'A'.repeat(43)), 401],
        [bearer('not-a-key'), 401],
        [bearer(revoked), 401],
        [bearer(r.scope === 'write' ? admin : writer), 403],
      ]
      for (const [headers, status] of cases) {
        const res = await t.app.inject({ method: r.method, url: r.url, headers: { ...headers, 'if-match': '*' }, payload: 'payload' in r ? r.payload : undefined })
        expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(headers)}`).toBe(status)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/)
        expect(res.body).not.toContain('bti_')
      }
    }
    expect(await snapshot()).toEqual(before)
  })
})

describe('correcting an observation', () => {
  it('appends a revision with its reason; asOf before it still answers the old value', async () => {
    const o = await observationOf('dibao_paid')
    const first = await t.app.inject({ url: `/v1/observations/${o.id}` })
    const etag = first.headers.etag as string
    expect(etag).toBe(`"obs-${o.id}-r1"`)
    expect((await t.app.inject({ url: `/v1/observations/${o.id}`, headers: { 'if-none-match': etag } })).statusCode).toBe(304)

    await new Promise((r) => setTimeout(r, 5))
    const between = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    // The same quote, now read as a typo for 484.725万元: the quote must still state the number, so cite the source for both.
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/observations/${o.id}`,
      headers: { ...bearer(writer), 'if-match': etag },
      payload: citationBody(o, { qualifier: 'approx', reason: 'treasury figures show the amount is approximate' }),
    })
    expect(res.statusCode).toBe(200)
    const corrected = json(res.body)
    expect(corrected).toMatchObject({ id: o.id, revision: 2, qualifier: 'approx', value: '4847520' })
    expect(res.headers.etag).toBe(`"obs-${o.id}-r2"`)

    const history = json((await t.app.inject({ url: `/v1/observations/${o.id}/revisions` })).body).data
    expect(history.map((r: any) => [r.revision, r.qualifier, r.actor])).toEqual([
      [1, 'eq', 'seed'],
      [2, 'approx', 'writer'],
    ])
    expect(history[1].reason).toBe('treasury figures show the amount is approximate')

    const then = json((await t.app.inject({ url: `/v1/observations/${o.id}?asOf=${between}` })).body)
    expect(then).toMatchObject({ revision: 1, qualifier: 'eq' })
    const listThen = json((await t.app.inject({ url: `/v1/observations?indicator=dibao_paid&asOf=${between}` })).body).data
    expect(listThen[0].revision).toBe(1)
    const indicatorThen = json((await t.app.inject({ url: `/v1/indicators/dibao_paid?asOf=${between}` })).body)
    expect(indicatorThen.observations[0].qualifier).toBe('eq')
    // Published when recorded (no publishedAt given): the recording axis answers the same.
    expect(json((await t.app.inject({ url: `/v1/observations/${o.id}?knownAt=${between}` })).body)).toMatchObject({ revision: 1, qualifier: 'eq' })
    expect(json((await t.app.inject({ url: `/v1/observations?indicator=dibao_paid&knownAt=${between}` })).body).data[0].revision).toBe(1)
    expect(json((await t.app.inject({ url: `/v1/indicators/dibao_paid?knownAt=${between}` })).body).observations[0].qualifier).toBe('eq')
    expect(corrected.publishedAt).toBe(corrected.recordedAt)
    expect(json((await t.app.inject({ url: `/v1/indicators/dibao_paid` })).body).observations[0].qualifier).toBe('approx')
    // Before the observation existed: nothing.
    expect(json((await t.app.inject({ url: `/v1/observations?indicator=dibao_paid&asOf=2020-01-01T00:00:00Z` })).body).data).toEqual([])
    expect((await t.app.inject({ url: `/v1/observations/${o.id}?asOf=2020-01-01T00:00:00Z` })).statusCode).toBe(404)
    expect((await t.app.inject({ url: `/v1/observations/${o.id}?knownAt=2020-01-01T00:00:00Z` })).statusCode).toBe(404)
  })

  it('refuses a stale If-Match with 412 and a missing one with 428, changing nothing', async () => {
    const o = await observationOf('tekun_paid')
    const before = await snapshot()
    const stale = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': `"obs-${o.id}-r0"` }, payload: citationBody(o) })
    expect(stale.statusCode).toBe(412)
    expect(json(stale.body)).toMatchObject({ code: 'APP_ERR_PRECONDITION_FAILED', currentRevision: 1 })
    const weak = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': `W/"obs-${o.id}-r1"` }, payload: citationBody(o) })
    expect(weak.statusCode).toBe(412)
    const missing = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: bearer(writer), payload: citationBody(o) })
    expect(missing.statusCode).toBe(428)
    expect(await snapshot()).toEqual(before)
  })

  it('checks the citation like the seed and records nothing for identical content', async () => {
    const o = await observationOf('tekun_beneficiaries')
    const headers = { ...bearer(writer), 'if-match': `"obs-${o.id}-r1"` }
    const before = await snapshot()
    const badQuote = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers, payload: citationBody(o, { citation: { sourceId: o.source.id, quote: '受益171人' } }) })
    expect(badQuote.statusCode).toBe(422)
    expect(json(badQuote.body).errors[0]).toMatchObject({ in: 'body', name: '/citation/quote', message: expect.stringMatching(/quote not found/) })
    const badValue = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers, payload: citationBody(o, { value: '171' }) })
    expect(badValue.statusCode).toBe(422)
    const unknownField = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers, payload: citationBody(o, { indicator: 'dibao_paid' }) })
    expect(unknownField.statusCode).toBe(400)
    expect(json(unknownField.body).errors[0]).toMatchObject({ in: 'body', name: '/indicator' })
    expect(await snapshot()).toEqual(before)
    const same = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers, payload: { ...citationBody(o), note: o.note } })
    expect(same.statusCode).toBe(200)
    expect(json(same.body).revision).toBe(1)
    expect(await snapshot()).toEqual(before)
  })

  it('withdraws with a reason, keeps the history, and hides it from default lists', async () => {
    const o = await observationOf('service_hall_staff')
    const res = await t.app.inject({ method: 'DELETE', url: `/v1/observations/${o.id}?reason=${encodeURIComponent('staffing changes weekly, not a statistic')}`, headers: { ...bearer(writer), 'if-match': `"obs-${o.id}-r1"` } })
    expect(res.statusCode).toBe(200)
    expect(json(res.body)).toMatchObject({ status: 'withdrawn', revision: 2 })
    expect(json((await t.app.inject({ url: `/v1/observations?indicator=${o.indicator}` })).body).data).toEqual([])
    expect(json((await t.app.inject({ url: `/v1/observations?indicator=${o.indicator}&includeWithdrawn=true` })).body).data[0].status).toBe('withdrawn')
    expect(json((await t.app.inject({ url: `/v1/observations/${o.id}/revisions` })).body).data).toHaveLength(2)
    expect((await t.app.inject({ method: 'DELETE', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': '*' } })).statusCode).toBe(400)
  })
})

describe('imports', () => {
  async function seededRow(indicator: string, overrides: Record<string, unknown> = {}) {
    const o = await observationOf(indicator)
    return { indicator: o.indicator, area: o.area, period: o.period, kind: o.kind, reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) }, citation: { sourceId: o.source.id, quote: o.source.quote }, involvedAreas: o.involvedAreas, note: o.note, ...(o.temporality === 'stock' ? { temporality: o.temporality, referenceDate: o.referenceDate } : {}), ...overrides }
  }
  const post = (payload: unknown, headers: Record<string, string> = {}, query = '') =>
    t.app.inject({ method: 'POST', url: `/v1/imports${query}`, headers: { ...bearer(writer), ...headers }, payload: payload as object })

  it('counts created, updated and unchanged rows, and a dry run writes nothing', async () => {
    const unchanged = await seededRow('pension_insurance_enrolled')
    const updated = await seededRow('medical_insurance_enrolled', { qualifier: 'approx' })
    const created = await seededRow('medical_insurance_enrolled', { period: '2023', kind: 'forecast' })
    const body = { reason: 'county statistics bureau release', observations: [unchanged, updated, created] }
    const before = await snapshot()
    const dry = await post(body, {}, '?dryRun=true')
    expect(dry.statusCode).toBe(200)
    expect(json(dry.body)).toMatchObject({ dryRun: true, received: 3, created: 1, updated: 1, unchanged: 1, rejected: 0 })
    expect(await snapshot()).toEqual(before)
    const real = json((await post(body)).body)
    expect(real).toMatchObject({ dryRun: false, created: 1, updated: 1, unchanged: 1 })
    expect(real.results.map((r: any) => r.outcome)).toEqual(['unchanged', 'updated', 'created'])
    expect(json((await t.app.inject({ url: `/v1/observations/${real.results[2].id}` })).body)).toMatchObject({ period: '2023', kind: 'forecast', value: '25110' })
    const again = json((await post(body)).body)
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 3 })
  })

  it('is all or nothing: one bad row rejects the batch and the summary names it', async () => {
    const good = await seededRow('public_welfare_posts', { qualifier: 'gte' })
    const bad = await seededRow('ecological_rangers', { reported: { value: '43', unit: '名' } })
    const unknown = await seededRow('ecological_rangers', { indicator: 'no_such_thing' })
    const before = await snapshot()
    const res = await post({ reason: 'r', observations: [good, bad, unknown, good] })
    expect(res.statusCode).toBe(422)
    const p = json(res.body)
    expect(p.summary).toMatchObject({ rejected: 3, created: 0, updated: 0, results: [] })
    expect([...new Set(p.summary.errors.map((e: any) => e.index))]).toEqual([1, 2, 3])
    expect(p.summary.errors[0]).toMatchObject({ index: 1, in: 'body', name: '/observations/1/citation/quote', message: expect.stringMatching(/quote does not state the number "43"/) })
    expect(p.errors).toEqual(p.summary.errors)
    expect(p.summary.errors.find((e: { index: number }) => e.index === 3)?.message).toMatch(/same indicator, area, period and kind as row 0/)
    expect(await snapshot()).toEqual(before)
  })

  it('refuses U+0000 in any text, in JSON, CSV, a correction or a source, on every backend, storing nothing', async () => {
    const withNul = fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}\u0000${b}`)
    const fields = ['note', 'reason', 'quote', 'unit'] as const
    await fc.assert(
      fc.asyncProperty(withNul, fc.constantFrom(...fields), async (text, field) => {
        const row = await seededRow('service_hall_windows')
        const before = await snapshot()
        const mutated =
          field === 'quote' ? { ...row, citation: { ...row.citation, quote: text } } : field === 'unit' ? { ...row, reported: { ...row.reported, unit: text } } : field === 'note' ? { ...row, note: text } : row
        const res = await post({ reason: field === 'reason' ? text : 'nul test', observations: [mutated] })
        expect([400, 422], res.body).toContain(res.statusCode)
        expect(json(res.body).detail).toMatch(/U\+0000|NUL|invalid|must/)
        const csv = await post(`indicator,area,period,kind,reported_value,reported_unit,source_id,quote,note\r\n${row.indicator},${row.area},${row.period},${row.kind},${row.reported.value},${row.reported.unit},${row.citation.sourceId},"${row.citation.quote}","${text.replaceAll('"', '""')}"\r\n`, { 'content-type': 'text/csv' }, '?reason=r')
        expect(csv.statusCode, csv.body).toBe(400)
        expect(json(csv.body).detail).toMatch(/U\+0000/)
        expect(await snapshot()).toEqual(before)
      }),
      { numRuns: 10 },
    )
    const o = await observationOf('service_hall_windows')
    const put = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': `"obs-${o.id}-r${o.revision}"` }, payload: { reported: { value: o.reported.value, unit: o.reported.unit }, citation: { sourceId: o.source.id, quote: o.source.quote }, reason: 'a\u0000b' } })
    expect(put.statusCode).toBe(400)
    const source = await t.app.inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: 'nul-source', title: 't', issuer: 'i', issuedOn: '2023-12-25', contentBase64: Buffer.from('共5人\u0000', 'utf8').toString('base64') } })
    expect(source.statusCode).toBe(422)
    expect(json(source.body).detail).toMatch(/U\+0000/)
  })

  it('accepts CSV with RFC 4180 quoting', async () => {
    const o = await observationOf('service_hall_windows')
    const csv = `indicator,area,period,kind,qualifier,reported_value,reported_unit,source_id,quote,note\r\n${o.indicator},${o.area},${o.period},${o.kind},gte,${o.reported.value},${o.reported.unit},${o.source.id},"${o.source.quote}","a note, with ""quotes"""\r\n`
    const res = await post(csv, { 'content-type': 'text/csv' }, '?reason=csv%20test')
    expect(res.statusCode).toBe(200)
    expect(json(res.body)).toMatchObject({ updated: 1 })
    expect(json((await t.app.inject({ url: `/v1/observations/${o.id}` })).body)).toMatchObject({ qualifier: 'gte', note: 'a note, with "quotes"' })
    const badHeader = await post('indicator,colour\r\nx,y\r\n', { 'content-type': 'text/csv' }, '?reason=r')
    expect(badHeader.statusCode).toBe(400)
    expect(json(badHeader.body).errors.map((e: any) => e.name)).toContain('colour')
  })

  it('refuses more rows than the limit with 413 and unknown media types with 415', async () => {
    const row = await seededRow('pension_insurance_enrolled')
    const res = await post({ reason: 'r', observations: Array.from({ length: MAX_IMPORT_ROWS + 1 }, () => row) })
    expect(res.statusCode).toBe(413)
    expect(json(res.body).code).toBe('APP_ERR_PAYLOAD_TOO_LARGE')
    expect((await post('<xml/>', { 'content-type': 'application/xml' })).statusCode).toBe(415)
  })

  it('replays a retry with the same Idempotency-Key, refuses another body with 422 and a concurrent duplicate with 409', async () => {
    const row = await seededRow('safety_inspected_entities', { qualifier: 'approx' })
    const body = { reason: 'idempotent import', observations: [row] }
    const first = await post(body, { 'idempotency-key': 'import-42' })
    expect(first.statusCode).toBe(200)
    expect(json(first.body).updated).toBe(1)
    const before = await snapshot()
    const retry = await post(body, { 'idempotency-key': 'import-42' })
    expect(retry.statusCode).toBe(200)
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect(json(retry.body)).toEqual(json(first.body))
    expect(await snapshot()).toEqual(before)
    const other = await post({ ...body, reason: 'something else' }, { 'idempotency-key': 'import-42' })
    expect(other.statusCode).toBe(422)
    expect(await snapshot()).toEqual(before)

    const row2 = await seededRow('safety_inspected_entities', { qualifier: 'gte' })
    const [a, b] = await Promise.all([
      post({ reason: 'concurrent', observations: [row2] }, { 'idempotency-key': 'import-43' }),
      post({ reason: 'concurrent', observations: [row2] }, { 'idempotency-key': 'import-43' }),
    ])
    // The duplicate is either told the first is running (409) or, when it arrives after, gets its answer replayed: never a second run.
    const [ran, dup] = a.headers['idempotent-replayed'] === undefined && a.statusCode === 200 ? [a, b] : [b, a]
    expect(ran.statusCode).toBe(200)
    expect(json(ran.body).updated).toBe(1)
    expect(dup.statusCode === 409 || (dup.statusCode === 200 && dup.headers['idempotent-replayed'] === 'true')).toBe(true)
    const later = await post({ reason: 'concurrent', observations: [row2] }, { 'idempotency-key': 'import-43' })
    expect(later.headers['idempotent-replayed']).toBe('true')
    // Keys are per API key: the same key string from another client is a different request.
    const otherWriter = (await createKey(t.storage, 'writer-2', ['write'])).secret
    const fromOther = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: { ...bearer(otherWriter), 'idempotency-key': 'import-42' }, payload: body })
    expect(fromOther.statusCode).toBe(200)
    expect(fromOther.headers['idempotent-replayed']).toBeUndefined()
  })
})

describe('catalog writes (admin)', () => {
  it('stores a new source byte for byte and refuses to change it', async () => {
    const text = '巴彦塔拉镇2023年第三季度简报\n全镇养老保险参保8012人。\n'
    const res = await t.app.inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: 'bayantala-2023q3', title: '简报', issuer: '巴彦塔拉镇人民政府', issuedOn: '2023-10-08', text } })
    expect(res.statusCode).toBe(201)
    expect(res.headers.location).toBe('/v1/sources/bayantala-2023q3')
    const { createHash } = await import('node:crypto')
    expect(json(res.body).sha256).toBe(createHash('sha256').update(text).digest('hex'))
    expect((await t.app.inject({ url: '/v1/sources/bayantala-2023q3/text' })).body).toBe(text)
    expect((await t.app.inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: 'bayantala-2023q3', title: 'x', issuer: 'x', issuedOn: '2023-10-08', text: 'x' } })).statusCode).toBe(409)
    const invalidUtf8 = await t.app.inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: 'broken', title: 'x', issuer: 'x', issuedOn: '2023-10-08', contentBase64: Buffer.from([0xff, 0xfe, 0x41]).toString('base64') } })
    expect(invalidUtf8.statusCode).toBe(422)
    const wrongSha = await t.app.inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: 'broken', title: 'x', issuer: 'x', issuedOn: '2023-10-08', text: 'x', sha256: '0'.repeat(64) } })
    expect(wrongSha.statusCode).toBe(422)

    // A new report's figure can now be imported with a citation into it.
    await t.app.inject({ method: 'PUT', url: '/v1/periods/2023-Q3', headers: bearer(admin) })
    const imp = await t.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: bearer(writer),
      payload: { reason: 'Q3 brief', observations: [{ indicator: 'pension_insurance_enrolled', area: 'bayantala', period: '2023S2', kind: 'actual', reported: { value: '8012', unit: '人' }, citation: { sourceId: 'bayantala-2023q3', quote: '全镇养老保险参保8012人' } }] },
    })
    expect(imp.statusCode).toBe(200)
    expect(json(imp.body).created).toBe(1)
  })

  it('exports CSV built in SQL byte for byte as the RFC 4180 rule says, quotes, commas and line breaks included', async () => {
    // A ledger whose sentences hold every character CSV must quote.
    const text = '表1, "养老保险"参保8013人\r\n备注：低保户31户，含"重点"户,\n 巴彦塔拉嘎查'
    expect((await t.app.inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: 'csv-ledger', title: 'x', issuer: 'x', issuedOn: '2023-10-09', text } })).statusCode).toBe(201)
    const imp = await t.app.inject({
      method: 'POST',
      url: '/v1/imports',
      headers: bearer(writer),
      payload: {
        reason: 'csv check',
        observations: [
          { indicator: 'pension_insurance_enrolled', area: 'bayantala', period: '2023-Q3', kind: 'forecast', reported: { value: '8013', unit: '人' }, citation: { sourceId: 'csv-ledger', quote: '表1, "养老保险"参保8013人\r\n备注' } },
          { indicator: 'new_monitored_households', area: 'bayantala', period: '2023-Q3', kind: 'forecast', qualifier: 'gte', reported: { value: '31', unit: '户' }, citation: { sourceId: 'csv-ledger', quote: '低保户31户，含"重点"户,\n 巴' }, involvedAreas: ['xiba', 'beiba'] },
        ],
      },
    })
    expect(imp.statusCode, imp.body).toBe(200)

    // The rule in JavaScript (src/http/csv-export.ts), over the same column table as the SQL.
    const rows = await t.storage.observations.page({}, 0, 100_000)
    const expected = CSV_COLUMNS.join(',') + '\r\n' + rows.map(csvLine).join('')
    const res = await t.app.inject({ url: '/v1/observations?format=csv' })
    expect(res.body).toBe(expected)
    expect(res.body).toContain('"表1, ""养老保险""参保8013人\r\n备注"')
    // Batches of EXPORT_BATCH rows join without a seam: the same bytes in pages of one row each.
    let paged = ''
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page: { data: Array<{ id: number }>; nextCursor: string | null } = json((await t.app.inject({ url: `/v1/observations?limit=7${cursor ? `&cursor=${cursor}` : ''}` })).body)
      const csv = (await t.app.inject({ url: `/v1/observations?format=csv&limit=7${cursor ? `&cursor=${cursor}` : ''}` })).body
      paged += csv.slice(csv.indexOf('\r\n') + 2)
      cursor = page.nextCursor
    }
    expect(CSV_COLUMNS.join(',') + '\r\n' + paged).toBe(expected)
  })

  it('creates and updates indicators, areas and periods, with 201 then 200', async () => {
    const ind = { nameZh: '新指标', nameEn: 'New indicator', description: 'A test indicator.', category: 'governance', unit: 'person', additive: true }
    expect((await t.app.inject({ method: 'PUT', url: '/v1/indicators/test_indicator', headers: bearer(admin), payload: ind })).statusCode).toBe(201)
    expect((await t.app.inject({ method: 'PUT', url: '/v1/indicators/test_indicator', headers: bearer(admin), payload: { ...ind, nameEn: 'Renamed' } })).statusCode).toBe(200)
    expect(json((await t.app.inject({ url: '/v1/indicators/test_indicator' })).body).nameEn).toBe('Renamed')
    expect((await t.app.inject({ method: 'PUT', url: '/v1/indicators/test_indicator', headers: bearer(admin), payload: { ...ind, unit: 'furlong' } })).statusCode).toBe(422)
    const dibao = json((await t.app.inject({ url: '/v1/indicators/dibao_paid' })).body)
    const { observations: _o, observationsTruncated: _t, observationsUrl: _u, progress: _p, code: _c, ...def } = dibao
    expect((await t.app.inject({ method: 'PUT', url: '/v1/indicators/dibao_paid', headers: bearer(admin), payload: { ...def, unit: 'person' } })).statusCode).toBe(409)

    const area = { nameZh: '新村', nameEn: 'Xincun', level: 'village', parent: 'bayantala' }
    expect((await t.app.inject({ method: 'PUT', url: '/v1/areas/xincun', headers: bearer(admin), payload: area })).statusCode).toBe(201)
    expect((await t.app.inject({ method: 'PUT', url: '/v1/areas/bayantala', headers: bearer(admin), payload: { nameZh: '巴彦塔拉镇', nameEn: 'Bayantala Town', level: 'town', parent: 'xincun' } })).statusCode).toBe(422)
    expect((await t.app.inject({ method: 'PUT', url: '/v1/areas/nowhere', headers: bearer(admin), payload: { ...area, parent: 'atlantis' } })).statusCode).toBe(422)
    expect((await t.app.inject({ method: 'PUT', url: '/v1/periods/2024S1', headers: bearer(admin) })).statusCode).toBe(201)
    expect((await t.app.inject({ method: 'PUT', url: '/v1/periods/2024-H1', headers: bearer(admin) })).statusCode).toBe(200)
  })
})
