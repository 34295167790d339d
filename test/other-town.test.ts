// The check of issue 12 §6: an unseen report of another town, in the same style, imported through
// the public API only (no code change) with every figure stored exactly. The fixture is a fictional
// town's H1 report (test/fixtures/qingshanwan-2024h1) and the figures a careful reader extracts from
// it, each with its expected value in the base unit worked out by hand.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

interface Figure {
  indicator: string
  nameZh: string
  nameEn: string
  unit: string
  additive: boolean
  quote: string
  reported: { value: string; unit: string; text?: string }
  qualifier: string
  kind: string
  period: string
  value: string
}
const folder = join(import.meta.dirname, 'fixtures', 'qingshanwan-2024h1')
const text = readFileSync(join(folder, 'source.txt'))
const fixture = JSON.parse(readFileSync(join(folder, 'figures.json'), 'utf8')) as {
  source: { id: string; title: string; issuer: string; issuedOn: string }
  area: { code: string; nameZh: string; nameEn: string; level: string; parent: string | null }
  newUnits: Array<{ code: string; nameZh: string; nameEn: string; base: string; multiplier: string; description: string }>
  figures: Figure[]
}

let t: TestContext
let auth: { authorization: string }
const unitUrl = (code: string) => `/v1/units/${encodeURIComponent(code)}`

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  auth = { authorization: `Bearer ${(await createKey(t.storage, 'importer', ['admin', 'write'])).secret}` }
})
afterAll(() => t.close())

const rowOf = (f: Figure, over: Partial<Figure> = {}) => {
  const g = { ...f, ...over }
  return { indicator: g.indicator, area: fixture.area.code, period: g.period, kind: g.kind, qualifier: g.qualifier, reported: g.reported, citation: { sourceId: fixture.source.id, quote: g.quote } }
}

describe('an unseen report of another town, through the public API only', () => {
  it('has about forty figures, in units and counters the first report never used', () => {
    expect(fixture.figures.length).toBeGreaterThanOrEqual(40)
    const units = new Set(fixture.figures.map((f) => f.reported.unit))
    for (const u of ['家', '人次', '亿元', '公顷', '千米', '吨', '只', '%', '％', '平方公里', '万吨', '起', '期']) expect([...units].some((x) => x === u || x.endsWith(u)), u).toBe(true)
  })

  it('sets up the catalogue it needs: source, area, periods, units missing from the catalogue, indicators in base units', async () => {
    const source = await t.app.inject({ method: 'POST', url: '/v1/sources', headers: auth, payload: { ...fixture.source, text: text.toString('utf8') } })
    expect(source.statusCode).toBe(201)
    expect(json(source.body).byteLength).toBe(text.length)
    const { code, ...area } = fixture.area
    expect((await t.app.inject({ method: 'PUT', url: `/v1/areas/${code}`, headers: auth, payload: area })).statusCode).toBe(201)
    for (const period of new Set(fixture.figures.map((f) => f.period))) {
      expect([200, 201]).toContain((await t.app.inject({ method: 'PUT', url: `/v1/periods/${period}`, headers: auth })).statusCode)
    }

    // The catalogue lacks only what the fixture says an admin adds (a counter such as 盏), and that is data, not code.
    const catalogue = new Map((json((await t.app.inject({ url: '/v1/units' })).body).data as Array<{ code: string; base: string; isBase: boolean }>).map((u) => [u.code, u]))
    const missing = [...new Set(fixture.figures.map((f) => f.reported.unit))].filter((u) => !catalogue.has(u))
    expect(missing).toEqual(fixture.newUnits.map((u) => u.code))
    for (const { code: unit, ...body } of fixture.newUnits) expect((await t.app.inject({ method: 'PUT', url: unitUrl(unit), headers: auth, payload: body })).statusCode).toBe(201)

    for (const f of fixture.figures) {
      // The indicator's unit is the base of the unit the report writes, and a base unit of the catalogue.
      const reported = json((await t.app.inject({ url: unitUrl(f.reported.unit) })).body)
      expect(reported.base, f.indicator).toBe(f.unit)
      expect(json((await t.app.inject({ url: unitUrl(f.unit) })).body).isBase, f.unit).toBe(true)
      const res = await t.app.inject({
        method: 'PUT',
        url: `/v1/indicators/${f.indicator}`,
        headers: auth,
        payload: { nameZh: f.nameZh, nameEn: f.nameEn, description: `${f.nameEn}, Qingshanwan Town (fictional test report).`, category: 'other_town', unit: f.unit, additive: f.additive },
      })
      expect(res.statusCode, f.indicator).toBe(201)
    }
  })

  it('refuses a figure whose unit the quote does not write (人 for 人次, ％ for %, 亩 for 万亩), naming the quote', async () => {
    const by = (code: string) => fixture.figures.find((f) => f.indicator === code) as Figure
    const wrong = [
      rowOf(by('trainees'), { reported: { value: '1260', unit: '人' }, indicator: 'pension_insured' }),
      rowOf(by('forest_coverage'), { reported: { value: '58', unit: '％' } }),
      rowOf(by('maize_area'), { reported: { value: '1.35', unit: '亩' } }),
      rowOf(by('water_pipes'), { reported: { value: '3200', unit: '千米' } }),
    ]
    const before = await t.query('SELECT count(*) AS n FROM observation')
    const res = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: auth, payload: { reason: 'wrong units', observations: wrong } })
    expect(res.statusCode).toBe(422)
    const errors = json(res.body).errors as Array<{ index: number; name: string; message: string }>
    expect(new Set(errors.filter((e) => e.name.endsWith('/citation/quote')).map((e) => e.index))).toEqual(new Set([0, 1, 2, 3]))
    expect(await t.query('SELECT count(*) AS n FROM observation')).toEqual(before)
  })

  it('imports every figure in one batch, the value derived from the reported figure and the catalogue', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: auth, payload: { reason: 'Qingshanwan 2024 H1 report, first reading', observations: fixture.figures.map((f) => rowOf(f)) } })
    expect(res.statusCode, res.body).toBe(200)
    expect(json(res.body)).toMatchObject({ received: fixture.figures.length, created: fixture.figures.length, rejected: 0 })
  })

  it('reads each figure back exactly: the hand-worked value, the figure as written, the quote at its byte span', async () => {
    for (const f of fixture.figures) {
      const page = json((await t.app.inject({ url: `/v1/observations?indicator=${f.indicator}&area=${fixture.area.code}` })).body).data
      expect(page, f.indicator).toHaveLength(1)
      const o = page[0]
      expect({ value: o.value, unit: o.unit, qualifier: o.qualifier, kind: o.kind, period: o.period }, f.indicator).toEqual({ value: f.value, unit: f.unit, qualifier: f.qualifier, kind: f.kind, period: f.period })
      expect(o.reported, f.indicator).toEqual({ value: f.reported.value, unit: f.reported.unit, text: f.reported.text ?? null })
      expect(text.subarray(o.source.byteStart, o.source.byteEnd).toString('utf8')).toBe(f.quote)
    }
  })

  it('converts the new town\'s figures on read: 公顷 back to what the report wrote, 万千瓦时 to kWh and back', async () => {
    const sown = json((await t.app.inject({ url: `/v1/observations?indicator=sown_area&unit=${encodeURIComponent('公顷')}` })).body).data[0]
    expect(sown.value).toBe('21000')
    const roads = json((await t.app.inject({ url: `/v1/observations?indicator=water_pipes&unit=${encodeURIComponent('米')}` })).body).data[0]
    expect(roads.value).toBe('3200')
    const rate = await t.app.inject({ url: `/v1/observations?indicator=forest_coverage&unit=${encodeURIComponent('‰')}` })
    expect(json(rate.body).data[0].value).toBe('580')
    const bad = await t.app.inject({ url: `/v1/observations?indicator=forest_coverage&unit=${encodeURIComponent('亩')}` })
    expect(bad.statusCode).toBe(400)
    expect(json(bad.body).detail).toContain('％')
  })
})
