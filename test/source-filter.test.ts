// source=: the observations whose revision in force cites any of the given sources, page by page
// and in every representation, against the plain reading of the unfiltered list.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, json, listAll, type TestContext } from './helpers.js'
import { runs } from './support/property-runs.js'

const SEED = 'bayantala-2023h1'
const OTHERS = ['second-brief', 'third-brief']
const MONTHS = Array.from({ length: 12 }, (_, i) => i + 1)
/** Published between the seed report and the briefs: asOf it, every figure still cites the seed. */
const BEFORE_BRIEFS = '2025-01-01T00:00:00Z'

interface Listed {
  id: number
  indicator: string
  source: { id: string }
}

let t: TestContext
let auth: { authorization: string }
/** The observation the third brief re-cites: a seed figure corrected to cite another source. */
let recited: number

const get = async (url: string) => {
  const res = await t.app.inject(url)
  expect(res.statusCode, res.body).toBe(200)
  return res
}
/** Every observation, unfiltered (the oracle reads source.id itself). */
const everything = async (asOf?: string): Promise<Listed[]> => json((await get(`/v1/observations?limit=1000${asOf ? `&asOf=${asOf}` : ''}`)).body).data

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  auth = { authorization: `Bearer ${(await createKey(t.storage, 'importer', ['admin', 'write'])).secret}` }
  const brief = (k: number) => `${MONTHS.map((m) => `${m}月养老保险参保${k * 1000 + m}人`).join('\n')}\n2023年上半年发放城乡低保金484.752万元\n`
  for (const [k, id] of OTHERS.entries()) {
    const res = await t.app.inject({ method: 'POST', url: '/v1/sources', headers: auth, payload: { id, title: `Brief ${k}`, issuer: 'Bayantala', issuedOn: '2024-12-31', text: brief(k) } })
    expect(res.statusCode, res.body).toBe(201)
  }
  // One import per month, alternating briefs: each source's observations interleave by id.
  for (const m of MONTHS) {
    const period = `2024-${String(m).padStart(2, '0')}`
    expect([200, 201]).toContain((await t.app.inject({ method: 'PUT', url: `/v1/periods/${period}`, headers: auth })).statusCode)
    const k = m % 2
    const row = { indicator: 'pension_insurance_enrolled', area: 'bayantala', period, kind: 'actual', reported: { value: String(k * 1000 + m), unit: '人' }, citation: { sourceId: OTHERS[k], quote: `${m}月养老保险参保${k * 1000 + m}人` } }
    const res = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: auth, payload: { reason: 'briefs', observations: [row] } })
    expect(res.statusCode, res.body).toBe(200)
  }
  // A correction that re-cites a seed figure from a brief: its revision in force cites the brief, its first the seed.
  const dibao = { indicator: 'dibao_paid', area: 'bayantala', period: '2023-H1', kind: 'actual', reported: { value: '484.752', unit: '万元' }, citation: { sourceId: OTHERS[1], quote: '2023年上半年发放城乡低保金484.752万元' } }
  const res = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: auth, payload: { reason: 're-cited', observations: [dibao] } })
  expect(res.statusCode, res.body).toBe(200)
  recited = ((await everything()).find((o) => o.indicator === 'dibao_paid') as Listed).id
})
afterAll(() => t?.close())

/** Every page of a query, following nextCursor. */
const walk = async (query: string, limit: number): Promise<number[]> => (await listAll<Listed>(t.app, query, limit)).map((o) => o.id)

describe('GET /v1/observations?source=', () => {
  it('the store holds the fixture: interleaved briefs, and a seed figure re-cited by one', async () => {
    const all = await everything()
    const briefs = all.filter((o) => OTHERS.includes(o.source.id)).map((o) => o.source.id)
    expect(briefs.filter((s) => s === OTHERS[0])).toHaveLength(6)
    expect(briefs.filter((s) => s === OTHERS[1])).toHaveLength(7)
    expect(all.find((o) => o.id === recited)?.source.id).toBe(OTHERS[1])
    expect((await everything(BEFORE_BRIEFS)).find((o) => o.id === recited)?.source.id).toBe(SEED)
  })

  it('returns exactly the observations whose revision in force cites one of the sources, in id order, on every page size, now and asOf', async () => {
    const current = await everything()
    const past = await everything(BEFORE_BRIEFS)
    await fc.assert(
      fc.asyncProperty(
        fc.subarray([SEED, ...OTHERS, 'no-such-source'], { minLength: 1 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
        async (sources, asOf, limit, repeat) => {
          const expected = (asOf ? past : current).filter((o) => sources.includes(o.source.id)).map((o) => o.id)
          // One parameter with commas, or the parameter repeated: the same filter.
          const param = repeat ? sources.map((s) => `source=${s}`).join('&') : `source=${sources.join(',')}`
          expect(await walk(`${param}${asOf ? `&asOf=${BEFORE_BRIEFS}` : ''}`, limit)).toEqual(expected)
        },
      ),
      { numRuns: runs(60) },
    )
  })

  it('combines with the other filters', async () => {
    const current = await everything()
    const pension = current.filter((o) => o.indicator === 'pension_insurance_enrolled' && o.source.id === OTHERS[1]).map((o) => o.id)
    expect(pension).toHaveLength(6)
    expect(await walk(`source=${OTHERS[1]}&indicator=pension_insurance_enrolled`, 4)).toEqual(pension)
    expect(await walk(`source=${OTHERS[1]},${SEED}&indicator=dibao_paid,pension_insurance_enrolled`, 4)).toEqual(
      current.filter((o) => ['dibao_paid', 'pension_insurance_enrolled'].includes(o.indicator) && [SEED, OTHERS[1]].includes(o.source.id)).map((o) => o.id),
    )
    expect(await walk(`source=${OTHERS[0]}&period=2024-02`, 4)).toEqual(current.filter((o) => o.source.id === OTHERS[0] && o.indicator === 'pension_insurance_enrolled').slice(0, 1).map((o) => o.id))
  })

  it('binds the cursor to the sources: a cursor of one source is refused for another', async () => {
    const first = json((await get(`/v1/observations?source=${SEED}&limit=2`)).body)
    const res = await t.app.inject(`/v1/observations?source=${OTHERS[0]}&limit=2&cursor=${first.nextCursor}`)
    expect(res.statusCode).toBe(400)
    expect(json(res.body).code).toBe('APP_ERR_BAD_CURSOR')
  })

  it('filters every representation alike: CSV, SDMX-CSV, SDMX-JSON and JSON-stat', async () => {
    const expected = (await everything()).filter((o) => o.source.id === OTHERS[0])
    const csv = (await get(`/v1/observations?format=csv&source=${OTHERS[0]}`)).body.trim().split('\n').slice(1)
    expect(csv.map((line) => Number(line.split(',')[0]))).toEqual(expected.map((o) => o.id))
    const sdmxCsv = (await get(`/v1/observations?format=sdmx-csv&source=${OTHERS[0]}`)).body.trim().split('\n').slice(1)
    expect(sdmxCsv).toHaveLength(expected.length)
    const sdmxJson = json((await get(`/v1/observations?format=sdmx-json&source=${OTHERS[0]}`)).body)
    const series = Object.values(sdmxJson.data.dataSets[0].series) as Array<{ observations: Record<string, unknown> }>
    expect(series.reduce((n, s) => n + Object.keys(s.observations).length, 0)).toBe(expected.length)
    const jsonstat = json((await get(`/v1/observations?format=jsonstat&source=${OTHERS[0]}`)).body)
    expect(Object.values(jsonstat.value).filter((v) => v !== null)).toHaveLength(expected.length)
  })

  it('refuses a source id that is no code (400 naming source)', async () => {
    const res = await t.app.inject('/v1/observations?source=Not%20A%20Code')
    expect(res.statusCode).toBe(400)
    expect(json(res.body).errors).toEqual([expect.objectContaining({ in: 'query', name: 'source' })])
  })
})
