// The unit catalogue as data (issue 12 §6): seeded and audited, served, extended by an admin,
// frozen where stored figures depend on it, and exact conversion on read.
import { parse } from 'csv-parse/sync'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multiplyDecimal, normalizeDecimal } from '../src/domain/decimal.js'
import { CONVERSION_SCALE, divideDecimal } from '../src/domain/units.js'
import { createKey } from '../src/modules/keys/keys.js'
import { LABEL_COLUMNS } from '../src/modules/observations/observation-labels.js'
import { CSV_COLUMNS } from '../src/modules/observations/observations.csv.js'
import { buildTestApp, json, listAll, type TestContext } from './helpers.js'
import { runs } from './support/property-runs.js'
import { SEED_UNITS } from './support/seed-units.js'

let t: TestContext
let admin: string
let writer: string
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })
const unitUrl = (code: string) => `/v1/units/${encodeURIComponent(code)}`

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  admin = (await createKey(t.storage, 'unit-admin', ['admin'])).secret
  writer = (await createKey(t.storage, 'unit-writer', ['write'])).secret
})
afterAll(() => t.close())

const put = (code: string, body: Record<string, unknown>, secret = admin) => t.app.inject({ method: 'PUT', url: unitUrl(code), headers: bearer(secret), payload: body })
const auditOf = (code: string) => t.query<{ action: string; actor: string }>("SELECT action, actor FROM audit_entry WHERE entity_type = 'unit' AND entity_id = ? ORDER BY seq", code)

/** A decimal's digits and scale, for exact comparisons. */
function scaled(text: string): [bigint, number] {
  const [i, f = ''] = text.split('.')
  return [BigInt((i as string) + f), f.length]
}

describe('the seeded catalogue', () => {
  it('serves every unit of seeds/units.json, each audited as created by the seed', async () => {
    const res = await t.app.inject({ url: '/v1/units' })
    expect(res.statusCode).toBe(200)
    const served = json(res.body).data as Array<Record<string, unknown>>
    expect(served.map((u) => u.code).sort()).toEqual(SEED_UNITS.map((u) => u.code).sort())
    for (const u of SEED_UNITS) {
      const s = served.find((x) => x.code === u.code)
      expect(s, u.code).toEqual({ ...u, isBase: u.base === u.code })
    }
    const audited = await t.query<{ entity_id: string; action: string }>("SELECT entity_id, action FROM audit_entry WHERE entity_type = 'unit'")
    expect(audited.map((a) => a.entity_id).sort()).toEqual(SEED_UNITS.map((u) => u.code).sort())
    expect(new Set(audited.map((a) => a.action))).toEqual(new Set(['unit.create']))
  })

  it('has the units the issue names, percent as a base unit, and the exact factors', async () => {
    const byCode = new Map(SEED_UNITS.map((u) => [u.code, u]))
    const factor = (code: string) => [byCode.get(code)?.base, byCode.get(code)?.multiplier]
    expect(factor('公顷')).toEqual(['mu', '15'])
    expect(factor('平方公里')).toEqual(['mu', '1500'])
    expect(factor('米')).toEqual(['km', '0.001'])
    expect(factor('亿元')).toEqual(['CNY', '100000000'])
    expect(factor('吨')).toEqual(['kg', '1000'])
    expect(factor('斤')).toEqual(['kg', '0.5'])
    expect(factor('%')).toEqual(['percent', '1'])
    expect(factor('％')).toEqual(['percent', '1'])
    expect(factor('percent')).toEqual(['percent', '1'])
    for (const code of ['家', '座', '处', '所', '场', '期', '起', '件', '宗', '人次', '只', '匹', '口', '羽', '头', '千米', '公里', '平方米', '亩', '万亩', '公斤', '立方米', '千瓦时', '辆', '台', '套', '条', '个月', '天', '年']) {
      expect(byCode.has(code), code).toBe(true)
    }
    // Every ASCII or symbol spelling converts exactly as its Chinese name does (unit=ha, unit=km2 from a URL).
    const spellings: Array<[string, string]> = [
      ['ha', '公顷'], ['hm2', '公顷'], ['hm²', '公顷'], ['km2', '平方千米'], ['km²', '平方公里'], ['m2', '平方米'], ['m²', '平方米'], ['㎡', '平方米'],
      ['m', '米'], ['t', '吨'], ['m³', '立方米'], ['kWh', '千瓦时'], ['kW·h', '千瓦时'], ['kW', '千瓦'], ['MW', '兆瓦'], ['MWh', '兆瓦时'], ['倍', 'times'],
    ]
    for (const [ascii, chinese] of spellings) expect(factor(ascii), ascii).toEqual(factor(chinese))
    expect(factor('MW')).toEqual(['kw', '1000'])
    expect(factor('万公顷')).toEqual(['mu', '150000'])
    // The first report's base units stay, so its data stays valid.
    for (const base of ['CNY', 'mu', 'km', 'kg', 'person', 'household', 'head', 'plant', 'count', 'month']) expect(byCode.get(base)?.base).toBe(base)
  })

  it('filters by base, and answers each unit (Chinese, %, ％ and ‰ percent-encoded) with its compatible units', async () => {
    const mu = json((await t.app.inject({ url: '/v1/units?base=mu&base=km' })).body).data as Array<{ code: string; base: string }>
    expect(new Set(mu.map((u) => u.base))).toEqual(new Set(['mu', 'km']))
    expect(mu.map((u) => u.code).sort()).toEqual(SEED_UNITS.filter((u) => u.base === 'mu' || u.base === 'km').map((u) => u.code).sort())
    for (const u of SEED_UNITS) {
      const res = await t.app.inject({ url: unitUrl(u.code) })
      expect(res.statusCode, u.code).toBe(200)
      const detail = json(res.body)
      expect(detail.code).toBe(u.code)
      expect(detail.compatible).toEqual(SEED_UNITS.filter((x) => x.base === u.base).map((x) => x.code).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
      expect(detail.compatible).toContain(u.base)
    }
  })

  it('answers an unknown unit with a 404 problem', async () => {
    for (const code of ['银元', 'furlong', '%%']) {
      const res = await t.app.inject({ url: unitUrl(code) })
      expect(res.statusCode, code).toBe(404)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(json(res.body).detail).toContain(code)
    }
  })
})

describe('PUT /v1/units/{code}', () => {
  const hectareLike = { nameZh: '千公顷', nameEn: 'thousand hectares', base: 'mu', multiplier: '15000', description: '1 000 ha = 15 000 mu.' }

  it('needs an admin key: 401 without one, 403 with a write key, and nothing is written', async () => {
    const before = await t.query('SELECT count(*) AS n FROM unit')
    expect((await t.app.inject({ method: 'PUT', url: unitUrl('千公顷'), payload: hectareLike })).statusCode).toBe(401)
    expect((await put('千公顷', hectareLike, writer)).statusCode).toBe(403)
    expect(await t.query('SELECT count(*) AS n FROM unit')).toEqual(before)
    expect(await auditOf('千公顷')).toEqual([])
  })

  it('creates (201, Location, audited), is idempotent when unchanged, and changes names (200, audited)', async () => {
    const created = await put('千公顷', hectareLike)
    expect(created.statusCode).toBe(201)
    expect(created.headers.location).toBe(unitUrl('千公顷'))
    expect(json(created.body)).toEqual({ code: '千公顷', ...hectareLike, isBase: false })
    expect(await auditOf('千公顷')).toEqual([{ action: 'unit.create', actor: 'unit-admin' }])
    const again = await put('千公顷', { ...hectareLike, multiplier: '15000.00' })
    expect(again.statusCode).toBe(200)
    expect(json(again.body).multiplier).toBe('15000')
    expect(await auditOf('千公顷')).toHaveLength(1)
    const renamed = await put('千公顷', { ...hectareLike, nameEn: '10k hectares' })
    expect(renamed.statusCode).toBe(200)
    expect(await auditOf('千公顷')).toEqual([{ action: 'unit.create', actor: 'unit-admin' }, { action: 'unit.update', actor: 'unit-admin' }])
    expect(json((await t.app.inject({ url: unitUrl('千公顷') })).body).nameEn).toBe('10k hectares')
    // Not in use yet: its factor may still be corrected.
    expect((await put('千公顷', { ...hectareLike, multiplier: '15001' })).statusCode).toBe(200)
    expect(json((await t.app.inject({ url: unitUrl('mu') })).body).compatible).toContain('千公顷')
  })

  it('creates a base unit (base = code, multiplier 1) that indicators may then use', async () => {
    const res = await put('beehive', { nameZh: '箱', nameEn: 'beehives', base: 'beehive', multiplier: '1' })
    expect(res.statusCode).toBe(201)
    expect(json(res.body).isBase).toBe(true)
    const box = await put('箱', { nameZh: '箱', nameEn: 'beehives', base: 'beehive', multiplier: '1' })
    expect(box.statusCode).toBe(201)
    const indicator = await t.app.inject({
      method: 'PUT',
      url: '/v1/indicators/beehives_kept',
      headers: bearer(admin),
      payload: { nameZh: '蜂箱', nameEn: 'Beehives kept', description: 'Beehives kept in the town.', category: 'agriculture', unit: 'beehive', additive: true },
    })
    expect(indicator.statusCode).toBe(201)
  })

  it('refuses a bad definition with 422 (or 400 by schema) and writes nothing', async () => {
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      ['坨', { nameZh: '坨', nameEn: 'x', base: 'nothing', multiplier: '1' }, 422, '/base'],
      ['坨', { nameZh: '坨', nameEn: 'x', base: '万元', multiplier: '1' }, 422, '/base'],
      ['坨', { nameZh: '坨', nameEn: 'x', base: 'CNY', multiplier: '0' }, 422, '/multiplier'],
      ['坨', { nameZh: '坨', nameEn: 'x', base: 'CNY', multiplier: '0.000' }, 422, '/multiplier'],
      ['坨', { nameZh: '坨', nameEn: 'x', base: 'CNY', multiplier: '-5' }, 400, '/multiplier'],
      ['坨', { nameZh: '坨', nameEn: 'x', base: 'CNY', multiplier: '1e3' }, 400, '/multiplier'],
      ['坨', { nameZh: '坨', nameEn: 'x', base: '坨', multiplier: '2' }, 422, '/multiplier'],
    ]
    for (const [code, body, status, pointer] of cases) {
      const res = await put(code, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(status)
      expect(json(res.body).errors.map((e: { name: string }) => e.name), JSON.stringify(body)).toContain(pointer)
    }
    expect(await t.query('SELECT code FROM unit WHERE code = ?', '坨')).toEqual([])
    expect(await auditOf('坨')).toEqual([])
  })

  it('keeps the base and multiplier of a unit in use (409, naming why) but lets its names change', async () => {
    const { code: _w, ...wanyuan } = SEED_UNITS.find((u) => u.code === '万元')!
    const inUse = await put('万元', { ...wanyuan, multiplier: '1000' })
    expect(inUse.statusCode).toBe(409)
    expect(json(inUse.body).detail).toContain('observations are reported in it')
    const { code: _c, ...cny } = SEED_UNITS.find((u) => u.code === 'CNY')!
    const base = await put('CNY', { ...cny, base: 'mu', multiplier: '1' })
    expect(base.statusCode).toBe(409)
    expect(json(base.body).detail).toMatch(/indicators store their values in it.*other units convert to it/)
    expect((await t.query('SELECT multiplier FROM unit WHERE code = ?', '万元'))[0]).toEqual({ multiplier: '10000' })
    const renamed = await put('万元', { ...wanyuan, nameEn: 'wan yuan (10 000 yuan)' })
    expect(renamed.statusCode).toBe(200)
    expect(json(renamed.body).nameEn).toBe('wan yuan (10 000 yuan)')
    expect((await auditOf('万元')).map((a) => a.action)).toEqual(['unit.create', 'unit.update'])
  })

  it('lets indicators use only base units of the catalogue', async () => {
    const body = { nameZh: '测试', nameEn: 'Test', description: 'A test indicator.', category: 'test', additive: true }
    for (const unit of ['万元', 'furlong']) {
      const res = await t.app.inject({ method: 'PUT', url: '/v1/indicators/unit_probe', headers: bearer(admin), payload: { ...body, unit } })
      expect(res.statusCode, unit).toBe(422)
      expect(json(res.body).errors[0].name).toBe('/unit')
    }
    expect((await t.app.inject({ method: 'PUT', url: '/v1/indicators/unit_probe', headers: bearer(admin), payload: { ...body, unit: 'percent' } })).statusCode).toBe(201)
  })
})

describe('exact division for conversion', () => {
  const decimal = fc
    .tuple(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), fc.nat({ max: 6 }))
    .map(([units, scale]) => {
      const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0')
      const body = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits
      return normalizeDecimal(units < 0n ? `-${body}` : body)
    })
  const multiplier = fc.constantFrom(...new Set(SEED_UNITS.map((u) => u.multiplier)), '3', '7', '0.3', '12.5')

  it('converts to a unit and back to the same value whenever the quotient terminates, and rounds half to even at 12 places otherwise', () => {
    fc.assert(
      fc.property(decimal, multiplier, (value, m) => {
        const { value: q, exact } = divideDecimal(value, m)
        expect(normalizeDecimal(q)).toBe(q)
        if (exact) {
          expect(multiplyDecimal(q, m)).toBe(value)
          return
        }
        // Not exact: no terminating decimal equals value / m, and q is the nearest at 12 places (ties to even).
        const [qu, qs] = scaled(q)
        expect(qs).toBeLessThanOrEqual(CONVERSION_SCALE)
        const [vu, vs] = scaled(value)
        const [mu, ms] = scaled(m)
        // Compare q·m with value at a common scale: |q·m − value| ≤ m/2 · 10^-12.
        const scale = CONVERSION_SCALE + ms + vs
        const lhs = qu * mu * 10n ** BigInt(scale - qs - ms)
        const rhs = vu * 10n ** BigInt(scale - vs)
        const diff = lhs > rhs ? lhs - rhs : rhs - lhs
        const halfStep = mu * 10n ** BigInt(scale - CONVERSION_SCALE - ms)
        expect(diff * 2n <= halfStep).toBe(true)
        expect(diff).not.toBe(0n)
      }),
      { numRuns: runs(2000) },
    )
  })

  it('is exact where the issue says: mu ↔ 公顷 ↔ 平方公里, CNY ↔ 万元 ↔ 亿元, km ↔ 米', () => {
    expect(divideDecimal('13500', '15')).toEqual({ value: '900', exact: true })
    expect(divideDecimal('13500', '1500')).toEqual({ value: '9', exact: true })
    expect(divideDecimal('4847520', '10000')).toEqual({ value: '484.752', exact: true })
    expect(divideDecimal('4847520', '100000000')).toEqual({ value: '0.0484752', exact: true })
    expect(divideDecimal('3.5', '0.001')).toEqual({ value: '3500', exact: true })
    expect(divideDecimal('1', '15')).toEqual({ value: '0.066666666667', exact: false })
    expect(divideDecimal('0.5', '3')).toEqual({ value: '0.166666666667', exact: false })
    expect(divideDecimal('-2', '3')).toEqual({ value: '-0.666666666667', exact: false })
  })
})

describe('unit= on observation reads', () => {
  const ids = async (indicator: string) => (json((await t.app.inject({ url: `/v1/observations?indicator=${indicator}` })).body).data as Array<{ id: number }>).map((o) => o.id)

  it('converts every seeded observation to every compatible unit and back exactly (or within the stated rounding)', async () => {
    const all = json((await t.app.inject({ url: '/v1/observations?limit=1000' })).body).data as Array<{ id: number; value: string; unit: string }>
    expect(all.length).toBeGreaterThan(50)
    for (const o of all) {
      for (const target of SEED_UNITS.filter((u) => u.base === o.unit)) {
        const res = await t.app.inject({ url: `/v1/observations/${o.id}?unit=${encodeURIComponent(target.code)}` })
        expect(res.statusCode, `${o.id} ${target.code}`).toBe(200)
        const served = json(res.body)
        expect(served.unit).toBe(target.code)
        expect(served.conversion).toEqual({ from: o.unit, to: target.code, divisor: target.multiplier, exact: divideDecimal(o.value, target.multiplier).exact })
        expect(res.headers['unit-conversion']).toBe(`base=${encodeURIComponent(o.unit)}; to*=UTF-8''${encodeURIComponent(target.code)}; divisor=${target.multiplier}`)
        if (served.conversion.exact) expect(multiplyDecimal(served.value, target.multiplier)).toBe(o.value)
        else expect(served.value).toBe(divideDecimal(o.value, target.multiplier).value)
      }
    }
  })

  it('converts a list (JSON and CSV) and the revision history, leaving the reported figure as written', async () => {
    const plain = json((await t.app.inject({ url: '/v1/observations?indicator=dibao_paid,tekun_paid' })).body).data as Array<{ id: number; value: string }>
    const res = await t.app.inject({ url: `/v1/observations?indicator=dibao_paid,tekun_paid&unit=${encodeURIComponent('万元')}` })
    expect(res.statusCode).toBe(200)
    const converted = json(res.body).data as Array<{ id: number; value: string; unit: string; reported: { unit: string } }>
    expect(converted.map((o) => o.id)).toEqual(plain.map((o) => o.id))
    converted.forEach((o, i) => {
      expect(multiplyDecimal(o.value, '10000')).toBe(plain[i]!.value)
      expect(o.unit).toBe('万元')
    })
    expect(converted.find((o) => o.reported.unit === '万元')).toBeDefined()
    const dibao = converted.find((o) => o.value === '484.752')
    expect(dibao).toBeDefined()

    const csv = await t.app.inject({ url: `/v1/observations?indicator=dibao_paid,tekun_paid&unit=${encodeURIComponent('亿元')}&format=csv` })
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['unit-conversion']).toContain('divisor=100000000')
    const lines = csv.body.trim().split('\r\n')
    const header = lines[0]!.split(',')
    const [valueAt, unitAt] = [header.indexOf('value'), header.indexOf('unit')]
    expect(lines.length - 1).toBe(plain.length)
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',')
      expect(cells[unitAt]).toBe('亿元')
      expect(multiplyDecimal(cells[valueAt]!, '100000000')).toBe(plain[i]!.value)
    })

    const [id] = await ids('dibao_paid')
    const revisions = json((await t.app.inject({ url: `/v1/observations/${id}/revisions?unit=${encodeURIComponent('万元')}` })).body).data
    expect(revisions[0].value).toBe('484.752')
    expect(revisions[0].conversion.to).toBe('万元')
  })

  it('refuses an incompatible or unknown unit with a 400 naming the compatible ones (in=query, name=unit)', async () => {
    const [id] = await ids('dibao_paid')
    const compatibleCny = SEED_UNITS.filter((u) => u.base === 'CNY').map((u) => u.code)
    for (const url of [`/v1/observations/${id}?unit=${encodeURIComponent('公顷')}`, `/v1/observations/${id}/revisions?unit=mu`, `/v1/observations?indicator=dibao_paid&unit=${encodeURIComponent('%')}`]) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBe(400)
      const problem = json(res.body)
      expect(problem.errors[0]).toMatchObject({ in: 'query', name: 'unit' })
      for (const code of compatibleCny) expect(problem.detail, url).toContain(code)
    }
    const mixed = await t.app.inject({ url: `/v1/observations?indicator=dibao_paid,dibao_beneficiaries&unit=${encodeURIComponent('万元')}` })
    expect(mixed.statusCode).toBe(400)
    expect(json(mixed.body).detail).toContain('dibao_beneficiaries')
    const unnamed = await t.app.inject({ url: `/v1/observations?unit=${encodeURIComponent('万元')}` })
    expect(unnamed.statusCode).toBe(400)
    expect(json(unnamed.body).errors[0]).toMatchObject({ in: 'query', name: 'unit' })
    const unknown = await t.app.inject({ url: `/v1/observations/${id}?unit=${encodeURIComponent('银两')}` })
    expect(unknown.statusCode).toBe(400)
    expect(json(unknown.body).errors[0]).toMatchObject({ in: 'query', name: 'unit' })
  })

  it('names the compatible units of the indicators asked about when the unit is unknown, on every read that converts', async () => {
    const [id] = await ids('dibao_paid')
    const compatible = (base: string) => SEED_UNITS.filter((u) => u.base === base).map((u) => u.code)
    const cases: Array<[string, string[]]> = [
      [`/v1/observations/${id}?unit=hectare`, ['CNY']],
      [`/v1/observations/${id}/revisions?unit=hectare`, ['CNY']],
      ['/v1/observations?indicator=key_afforestation_area&unit=hectare', ['mu']],
      ['/v1/observations?indicator=key_afforestation_area,drainage_channel_length&unit=hectare&format=csv', ['mu', 'km']],
    ]
    for (const [url, bases] of cases) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBe(400)
      const problem = json(res.body)
      expect(problem.detail, url).toContain('No unit "hectare"')
      expect(problem.errors[0]).toMatchObject({ in: 'query', name: 'unit' })
      for (const base of bases) for (const code of compatible(base)) expect(problem.errors[0].message, `${url} ${code}`).toContain(code)
    }
    // An unknown indicator tells no base: the refusal names the unit only.
    const blind = json((await t.app.inject({ url: '/v1/observations?indicator=no_such_indicator&unit=hectare' })).body)
    expect(blind.detail).toBe('No unit "hectare" in the catalogue (GET /v1/units).')
  })

  it('converts with the ASCII codes a URL is typed with: ha, km2, km², m', async () => {
    const value = async (indicator: string, unit?: string) =>
      (json((await t.app.inject({ url: `/v1/observations?indicator=${indicator}${unit ? `&unit=${encodeURIComponent(unit)}` : ''}` })).body).data as Array<{ value: string; unit: string }>)
    for (const [indicator, unit, divisor] of [['key_afforestation_area', 'ha', '15'], ['key_afforestation_area', 'km2', '1500'], ['key_afforestation_area', 'km²', '1500'], ['drainage_channel_length', 'm', '0.001']] as const) {
      const plain = await value(indicator)
      const served = await value(indicator, unit)
      expect(served.length, unit).toBe(plain.length)
      served.forEach((o, k) => {
        expect(o.unit).toBe(unit)
        expect(o.value).toBe(divideDecimal(plain[k]!.value, divisor).value)
      })
    }
  })

  it('serves the same bytes as before when unit is absent (the SQL-built fast path)', async () => {
    const [id] = await ids('dibao_paid')
    const plain = json((await t.app.inject({ url: `/v1/observations/${id}` })).body)
    expect(plain.conversion).toBeUndefined()
    expect(plain.unit).toBe('CNY')
    const base = json((await t.app.inject({ url: `/v1/observations/${id}?unit=CNY` })).body)
    expect({ ...base, conversion: undefined }).toEqual({ ...plain, conversion: undefined })
    expect(base.conversion).toEqual({ from: 'CNY', to: 'CNY', divisor: '1', exact: true })
  })
})

describe('rounded conversions are marked in every representation', () => {
  type Listed = { id: number; indicator: string; area: string; period: string; kind: string; value: string; conversion: { exact: boolean } }
  const get = async (url: string) => {
    const res = await t.app.inject({ url })
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    return res.body
  }
  const listed = (query: string) => listAll<Listed>(t.app, query)
  const cellOf = (ds: any, o: Listed) => ['indicator', 'area', 'period', 'kind'].reduce((cell, d, i) => cell * ds.size[i] + ds.dimension[d].category.index[(o as any)[d]], 0)

  /** Every row of the JSON list, of CSV and of JSON-stat for `query` (with unit=): the same value and the same exactness. */
  async function expectMarkedAlike(query: string, labels: '' | 'zh' | 'en') {
    const list = await listed(query)
    const csv = parse(await get(`/v1/observations?${query}&format=csv${labels ? `&labels=${labels}` : ''}`), { bom: true }) as string[][]
    const [header, ...rows] = csv as [string[], ...string[][]]
    // value_exact right after the export columns; labels, when asked for, last.
    expect(header).toEqual([...CSV_COLUMNS, 'value_exact', ...(labels ? LABEL_COLUMNS : [])])
    const csvById = new Map(rows.map((r) => [Number(r[0]), Object.fromEntries(header.map((h, i) => [h, r[i] as string]))]))
    const ds = json<any>(await get(`/v1/observations?${query}&format=jsonstat${labels ? `&labels=${labels}` : ''}`))
    expect(csvById.size).toBe(list.length)
    expect(Object.keys(ds.extension.value).length).toBe(list.length)
    for (const o of list) {
      const row = csvById.get(o.id)
      expect(row?.value, `${o.id}`).toBe(o.value)
      expect(row?.value_exact, `${o.id}`).toBe(String(o.conversion.exact))
      const cell = cellOf(ds, o)
      expect(ds.extension.value[cell]).toBe(o.value)
      expect(ds.extension.exact[cell], `${o.id}`).toBe(o.conversion.exact)
      expect((ds.status?.[cell] ?? '').split(' ').includes('rounded'), `${o.id}`).toBe(!o.conversion.exact)
    }
    return list
  }

  it('marks each row alike in the JSON list, CSV (value_exact) and JSON-stat (status rounded, extension.exact), for any indicators and compatible unit', async () => {
    const units = json((await t.app.inject({ url: '/v1/units' })).body).data as Array<{ code: string; base: string }>
    const observed = new Set((await listed('')).map((o) => o.indicator))
    const indicators = (json((await t.app.inject({ url: '/v1/indicators' })).body).data as Array<{ code: string; unit: string }>).filter((i) => observed.has(i.code))
    const byBase = new Map<string, string[]>()
    for (const i of indicators) byBase.set(i.unit, [...(byBase.get(i.unit) ?? []), i.code])
    const bases = [...byBase.keys()].sort()
    const seen = new Set<boolean>()
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bases).chain((base) =>
          fc.record({
            indicator: fc.subarray(byBase.get(base) as string[], { minLength: 1, maxLength: Math.min(3, (byBase.get(base) as string[]).length) }),
            unit: fc.constantFrom(...units.filter((u) => u.base === base).map((u) => u.code)),
            labels: fc.constantFrom('' as const, 'zh' as const, 'en' as const),
          }),
        ),
        async ({ indicator, unit, labels }) => {
          const list = await expectMarkedAlike(`indicator=${indicator.join(',')}&unit=${encodeURIComponent(unit)}`, labels)
          for (const o of list) seen.add(o.conversion.exact)
        },
      ),
      { numRuns: runs(20) },
    )
    // With both kinds of row for certain (a random run may draw only exact conversions).
    for (const o of await expectMarkedAlike(`indicator=volunteer_tree_planting_base_area,key_afforestation_area&unit=${encodeURIComponent('hm²')}`, '')) seen.add(o.conversion.exact)
    for (const o of await expectMarkedAlike(`indicator=dibao_paid&unit=${encodeURIComponent('万元')}`, 'en')) seen.add(o.conversion.exact)
    expect([...seen].sort()).toEqual([false, true])
  })

  it('marks 100 亩 in hm² (6.666666666667) as rounded, and 484.752 万元 as exact', async () => {
    const q = `indicator=volunteer_tree_planting_base_area&period=2023-H2&unit=${encodeURIComponent('hm²')}`
    const [o] = await listed(q)
    expect(o).toMatchObject({ value: '6.666666666667', conversion: { exact: false } })
    const csv = parse(await get(`/v1/observations?${q}&format=csv`), { bom: true, columns: true }) as Array<Record<string, string>>
    expect(csv).toEqual([expect.objectContaining({ value: '6.666666666667', unit: 'hm²', value_exact: 'false' })])
    const ds = json<any>(await get(`/v1/observations?${q}&format=jsonstat&labels=en`))
    expect(ds.extension.value).toEqual({ 0: '6.666666666667' })
    expect(ds.extension.exact).toEqual({ 0: false })
    expect(ds.status).toEqual({ 0: 'rounded' })
    expect(ds.extension.statusLabel).toEqual({ rounded: 'rounded in conversion' })
    expect(ds.note.join(' ')).toMatch(/rounded half to even at 12 decimal places/)
    expect(ds.note.join(' ')).not.toMatch(/exact stored digits/)

    const exact = `indicator=dibao_paid&period=2023-H1&unit=${encodeURIComponent('万元')}`
    expect(parse(await get(`/v1/observations?${exact}&format=csv`), { bom: true, columns: true })).toEqual([expect.objectContaining({ value: '484.752', value_exact: 'true' })])
    const exactDs = json<any>(await get(`/v1/observations?${exact}&format=jsonstat`))
    expect(exactDs.status).toBeUndefined()
    expect(Object.values(exactDs.extension.exact)).toEqual([true])
  })
})
