// JSON-stat 2.0 (format=jsonstat): read back with jsonstat-toolkit, every value, label, unit,
// qualifier and citation equals what the JSON list says, for any filter; values keep their digits.
import fc from 'fast-check'
import JSONstat from 'jsonstat-toolkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { DIMENSIONS, MAX_JSONSTAT_OBSERVATIONS, createJsonStatService, datasetText, type Catalogue } from '../src/modules/jsonstat/jsonstat.js'
import type { ObservationService } from '../src/modules/observations/observations.service.js'
import type { ObservationRow } from '../src/storage/ports.js'
import { buildTestApp, json, listAll, type TestContext } from './helpers.js'
import { runs } from './support/property-runs.js'

let t: TestContext
let admin: string
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

type Obs = { id: number; indicator: string; area: string; period: string; kind: string; value: string; unit: string; qualifier: string; status: string; conversion?: { exact: boolean }; source: { id: string; quote: string; byteStart: number; byteEnd: number; textUrl: string } }

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  admin = (await createKey(t.storage, 'jsonstat-admin', ['admin'])).secret
})
afterAll(() => t.close())

/** Every observation the JSON list answers for `query` (less `labels`, which the list does not take), page by page. */
async function listed(query: string): Promise<Obs[]> {
  const params = new URLSearchParams(query)
  params.delete('labels')
  return listAll<Obs>(t.app, params.toString())
}

/** The JSON-stat answer for `query`: its text, the parsed object, and the toolkit's reading of it. */
async function jsonstat(query: string) {
  const res = await t.app.inject({ url: `/v1/observations?${query}${query ? '&' : ''}format=jsonstat` })
  expect(res.statusCode, res.body).toBe(200)
  expect(res.headers['content-type']).toMatch(/^application\/json/)
  const raw = json<Record<string, any>>(res.body)
  return { text: res.body, raw, ds: JSONstat(raw).Dataset(0) }
}

/** The value tokens exactly as written, by cell index (the value member is the document's last). */
function valueTokens(text: string): Map<number, string> {
  const body = text.slice(text.lastIndexOf(',"value":') + ',"value":'.length, -1)
  const out = new Map<number, string>()
  if (body.startsWith('[')) {
    const inner = body.slice(1, -1)
    if (inner) inner.split(',').forEach((v, i) => v !== 'null' && out.set(i, v))
  } else {
    const inner = body.slice(1, -1)
    if (inner) for (const part of inner.split(',')) {
      const [k, v] = part.split(':') as [string, string]
      out.set(Number(JSON.parse(k)), v)
    }
  }
  return out
}

/** The cell index of an observation in the dataset (row-major, last dimension fastest). */
function cellOf(raw: Record<string, any>, o: Record<string, string>): number {
  return DIMENSIONS.reduce((cell, d, i) => cell * raw.size[i] + raw.dimension[d].category.index[o[d] as string], 0)
}

/** Every observation of the list is in the dataset with its exact value, qualifier, citation and id; nothing else is. */
async function expectSameAsList(query: string) {
  const [observations, { text, raw, ds }] = await Promise.all([listed(query), jsonstat(query)])
  const tokens = valueTokens(text)
  expect(tokens.size).toBe(observations.length)
  expect(ds.n).toBe(raw.size.reduce((a: number, b: number) => a * b, 1))
  for (const o of observations) {
    const cell = cellOf(raw, o as unknown as Record<string, string>)
    expect(tokens.get(cell), `${o.id}`).toBe(o.value)
    expect(raw.extension.value[cell]).toBe(o.value)
    expect(raw.extension.observation[cell]).toBe(o.id)
    expect(raw.extension.qualifier[cell]).toBe(o.qualifier)
    expect(raw.extension.citation[cell]).toEqual({ sourceId: o.source.id, quote: o.source.quote, byteStart: o.source.byteStart, byteEnd: o.source.byteEnd, textUrl: o.source.textUrl })
    const read = ds.Data({ indicator: o.indicator, area: o.area, period: o.period, kind: o.kind })
    expect(read?.value).toBe(Number(o.value))
    const exact = o.conversion?.exact ?? true
    expect(raw.extension.exact[cell], `${o.id}`).toBe(exact)
    const expectedStatus = [o.status === 'withdrawn' ? 'withdrawn' : o.qualifier === 'eq' ? '' : o.qualifier, exact ? '' : 'rounded'].filter(Boolean).join(' ') || null
    expect(read?.status ?? null).toBe(expectedStatus)
    expect(ds.Dimension('indicator')?.Category(o.indicator)?.unit?.symbol).toBe(o.unit)
  }
  return { observations, raw, ds, text }
}

describe('format=jsonstat', () => {
  it('answers the whole seed as one JSON-stat 2.0 dataset the toolkit reads, every value equal to the list\'s', async () => {
    const { observations, raw, ds } = await expectSameAsList('')
    expect(observations.length).toBeGreaterThan(10)
    expect(raw).toMatchObject({ version: '2.0', class: 'dataset', id: ['indicator', 'area', 'period', 'kind'], role: { time: ['period'], geo: ['area'], metric: ['indicator'] } })
    expect(ds.class).toBe('dataset')
    expect(ds.id).toEqual(['indicator', 'area', 'period', 'kind'])
    expect(ds.role?.time).toEqual(['period'])
    expect(ds.role?.geo).toEqual(['area'])
    expect(ds.updated).toBe(observations.map((o: any) => o.recordedAt).sort().at(-1))
    expect(raw.link.related.map((l: any) => l.href)).toEqual([...new Set(observations.map((o) => `/v1/sources/${o.source.id}`))].sort())
  })

  it('labels in Chinese by default and in English with labels=en, from the catalogue', async () => {
    const indicators = json<{ data: Array<{ code: string; nameZh: string; nameEn: string; unit: string }> }>((await t.app.inject({ url: '/v1/indicators' })).body).data
    const areas = json<{ data: Array<{ code: string; nameZh: string; nameEn: string }> }>((await t.app.inject({ url: '/v1/areas' })).body).data
    const units = json<{ data: Array<{ code: string; nameZh: string; nameEn: string }> }>((await t.app.inject({ url: '/v1/units' })).body).data
    const zh = await jsonstat('')
    const zhExplicit = await jsonstat('labels=zh')
    expect(zhExplicit.text).toBe(zh.text)
    const en = await jsonstat('labels=en')
    for (const [lang, { ds }] of [['zh', zh], ['en', en]] as const) {
      const dim = ds.Dimension('indicator')
      for (const code of dim?.id ?? []) {
        const i = indicators.find((x) => x.code === code)
        expect(dim?.Category(code)?.label).toBe(lang === 'zh' ? i?.nameZh : i?.nameEn)
        const u = units.find((x) => x.code === i?.unit)
        expect(dim?.Category(code)?.unit?.label).toBe(lang === 'zh' ? u?.nameZh : u?.nameEn)
      }
      for (const code of ds.Dimension('area')?.id ?? []) {
        const a = areas.find((x) => x.code === code)
        expect(ds.Dimension('area')?.Category(code)?.label).toBe(lang === 'zh' ? a?.nameZh : a?.nameEn)
      }
    }
    expect(zh.ds.Dimension('period')?.Category('2023-H1')?.label).toBe('2023年上半年')
    expect(en.ds.Dimension('period')?.Category('2023-H1')?.label).toBe('2023 H1')
    expect(zh.ds.Dimension('kind')?.label).toBe('类型')
    expect(en.ds.Dimension('kind')?.Category('actual')?.label).toBe('Actual')
    // The same cells either way: only words change.
    expect(en.raw.value).toEqual(zh.raw.value)
    expect(en.raw.extension).toMatchObject({ value: zh.raw.extension.value, citation: zh.raw.extension.citation })
  })

  it('gives every indicator its unit and the most decimal places its values have', async () => {
    const { raw, observations } = await expectSameAsList('')
    for (const [code, unit] of Object.entries(raw.dimension.indicator.category.unit as Record<string, { decimals: number; position: string }>)) {
      const places = observations.filter((o) => o.indicator === code).map((o) => (o.value.split('.')[1] ?? '').length)
      expect(unit.decimals, code).toBe(Math.max(...places))
      expect(unit.position).toBe('end')
    }
  })

  it('holds the same observations as the list for random filters', async () => {
    const all = await listed('')
    const pick = (values: string[]) => fc.subarray([...new Set(values)].sort(), { minLength: 0, maxLength: 3 })
    await fc.assert(
      fc.asyncProperty(
        fc.record({ indicator: pick(all.map((o) => o.indicator)), area: pick(all.map((o) => o.area)), period: pick(all.map((o) => o.period)), kind: pick(all.map((o) => o.kind)), labels: fc.constantFrom('zh', 'en') }),
        async (f) => {
          const query = Object.entries(f)
            .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}=${encodeURIComponent(x)}`) : [`${k}=${v}`]))
            .join('&')
          await expectSameAsList(query)
        },
      ),
      { numRuns: runs(25) },
    )
  })

  it('answers a filter that selects nothing with an empty but valid dataset', async () => {
    const { raw, ds, text } = await jsonstat('period=1999&area=bayantala')
    expect(raw.size).toEqual([0, 0, 0, 0])
    expect(raw.value).toEqual([])
    expect(raw.source).toBeUndefined()
    expect(ds.n).toBe(0)
    expect(valueTokens(text).size).toBe(0)
  })

  it('converts with unit= like the list', async () => {
    const { observations, raw } = await expectSameAsList('indicator=dibao_paid,tekun_paid&unit=%E4%B8%87%E5%85%83')
    expect(observations.length).toBeGreaterThan(0)
    for (const u of Object.values(raw.dimension.indicator.category.unit as Record<string, { symbol: string }>)) expect(u.symbol).toBe('万元')
  })

  it('refuses cursor and limit (a dataset is the whole selection) with a problem naming them', async () => {
    for (const q of ['limit=5', 'cursor=abc', 'bom=true']) {
      const res = await t.app.inject({ url: `/v1/observations?format=jsonstat&${q}` })
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toMatch(/problem\+json/)
      expect(json(res.body).errors).toEqual([expect.objectContaining({ in: 'query', name: q.split('=')[0] })])
    }
  })

  it('keeps hostile names (quotes, markup, backslashes, line separators) as JSON text, byte for byte', async () => {
    const hostile = `"</script><script>alert('x')</script>\\u0000\\" \u2028 ],"value":[1]}`
    const one = (await listed('indicator=dibao_paid'))[0] as Obs
    const indicator = json<Record<string, unknown>>((await t.app.inject({ url: '/v1/indicators/dibao_paid' })).body)
    const body = { nameZh: `${hostile}中`, nameEn: `${hostile}en`, description: indicator.description, category: indicator.category, unit: indicator.unit, additive: indicator.additive }
    const put = await t.app.inject({ method: 'PUT', url: '/v1/indicators/dibao_paid', headers: bearer(admin), payload: body })
    expect(put.statusCode, put.body).toBeLessThan(300)
    for (const lang of ['zh', 'en'] as const) {
      const { raw, ds, text } = await jsonstat(`indicator=dibao_paid&labels=${lang}`)
      expect(ds.Dimension('indicator')?.Category('dibao_paid')?.label).toBe(lang === 'zh' ? body.nameZh : body.nameEn)
      // JSON text, not HTML: the name is there as JSON.stringify writes it, and parses back to itself.
      expect(text).toContain(JSON.stringify(lang === 'zh' ? body.nameZh : body.nameEn))
      expect(raw.dimension.indicator.category.label.dibao_paid).toBe(lang === 'zh' ? body.nameZh : body.nameEn)
      expect(ds.Data({ indicator: 'dibao_paid', area: one.area, period: one.period, kind: one.kind })?.value).toBe(Number(one.value))
      expect(valueTokens(text).get(cellOf(raw, one as unknown as Record<string, string>))).toBe(one.value)
    }
  })
})

describe('values as number tokens', () => {
  const row = (i: number, value: string): ObservationRow => ({
    id: i + 1, indicator: `ind_${i % 3}`, area: `area-${Math.floor(i / 3) % 4}`, period: `${2020 + Math.floor(i / 12)}`, kind: 'actual', unit: 'CNY', seq: i + 1, revision: 1, status: 'active',
    value, qualifier: 'eq', reportedValue: value, reportedUnit: '元', reportedText: null, sourceId: 's', quote: 'q', byteStart: 0, byteEnd: 1, involvedAreas: '[]', note: null,
    temporality: 'flow', referenceDate: null, publishedAt: '2023-01-01T00:00:00Z', reason: 'r', actor: 'seed', recordedAt: '2023-01-01T00:00:00Z', ruleChanges: '[]',
  })
  const none: Catalogue = { indicators: new Map(), areas: new Map(), units: new Map(), sources: new Map() }
  const decimal = fc
    .tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,24})$/), fc.option(fc.stringMatching(/^[0-9]{1,15}$/), { nil: undefined }))
    .map(([negative, int, frac]) => `${negative ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`)

  it('writes every decimal with its digits, beyond what a double holds, in dense and sparse layouts alike', () => {
    fc.assert(
      fc.property(fc.array(decimal, { minLength: 1, maxLength: 40 }), fc.boolean(), (values, sparse) => {
        const rows = values.map((v, i) => row(sparse ? i * 7 : i, v))
        const text = datasetText(rows, { lang: 'en', search: '' }, none)
        const raw = JSON.parse(text)
        const tokens = valueTokens(text)
        expect(tokens.size).toBe(rows.length)
        for (const r of rows) {
          const cell = cellOf(raw, r as unknown as Record<string, string>)
          expect(tokens.get(cell)).toBe(r.value)
          expect(raw.extension.value[cell]).toBe(r.value)
        }
      }),
      { numRuns: runs(200) },
    )
  })

  it('refuses two observations for one cell (the natural key is unique)', () => {
    expect(() => datasetText([row(0, '1'), { ...row(0, '2'), id: 99 }], { lang: 'en', search: '' }, none)).toThrow(/Two observations/)
  })

  it('refuses a selection over the bound with a 400 that asks for filters, rather than cut the dataset short', async () => {
    let asked = 0
    const observations = { selection: async (_q: unknown, max: number) => ((asked = max), { rows: [], more: true }) } as unknown as ObservationService
    const empty = async () => []
    const service = createJsonStatService(observations, { indicators: empty, areas: empty, units: empty, sources: empty })
    await expect(service.dataset({}, { lang: 'en', search: '' })).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/narrow it/) })
    expect(asked).toBe(MAX_JSONSTAT_OBSERVATIONS)
  })
})
