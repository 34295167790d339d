// The read API over the seeded report, through app.inject.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedsFolder } from '../src/paths.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

const extraction = JSON.parse(readFileSync(join(seedsFolder, 'bayantala-2023h1', 'extraction.json'), 'utf8'))
const corrections = JSON.parse(readFileSync(join(seedsFolder, 'bayantala-2023h1', 'corrections.json'), 'utf8')).corrections
const keyOf = (o: any) => `${o.indicator} ${o.area} ${o.period} ${o.kind}`
/** What the seed serves: the extraction with its reviewed corrections applied in order. */
const seeded = (() => {
  const status = new Map<string, string>(extraction.observations.map((o: any) => [keyOf(o), 'active']))
  for (const c of corrections) for (const o of c.observations ?? []) status.set(keyOf(o), o.withdraw ? 'withdrawn' : 'active')
  const indicators = new Set([...extraction.indicators, ...corrections.flatMap((c: any) => c.indicators ?? [])].map((i: any) => i.code))
  return { active: [...status.values()].filter((s) => s === 'active').length, indicators: indicators.size }
})()
const SOURCE = 'bayantala-2023h1'
let t: TestContext

beforeAll(async () => {
  // Hundreds of generated filter walks below: more requests than the default per-client limit allows.
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
})
afterAll(() => t.close())

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers })

function expectProblem(res: Awaited<ReturnType<typeof get>>, status: number, code: string) {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const body = json(res.body)
  expect(body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), instance: expect.any(String), type: expect.stringMatching(/^\/problems\//) })
  return body
}

async function allPages(query: string, limit: number) {
  const rows: any[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await get(`/v1/observations?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    expect(res.statusCode).toBe(200)
    const body = json(res.body)
    rows.push(...body.data)
    cursor = body.nextCursor
    pages++
  } while (cursor)
  return { rows, pages }
}

describe('sources', () => {
  it('lists and describes the report with its SHA-256', async () => {
    const list = json((await get('/v1/sources')).body)
    expect(list.data.map((s: any) => s.id)).toEqual([SOURCE])
    const s = json((await get(`/v1/sources/${SOURCE}`)).body)
    expect(s).toMatchObject({ documentNumber: '巴政发〔2023〕38号', issuedOn: '2023-06-25', byteLength: 14486, sha256: extraction.source.sha256, recipient: '科左中旗人民政府办公室' })
  })

  it('serves the exact bytes, whose SHA-256 matches the metadata', async () => {
    const res = await get(`/v1/sources/${SOURCE}/text`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(createHash('sha256').update(res.rawPayload).digest('hex')).toBe(extraction.source.sha256)
    expect(res.rawPayload.equals(readFileSync(join(seedsFolder, 'bayantala-2023h1', 'source.txt')))).toBe(true)
    const again = await get(`/v1/sources/${SOURCE}/text`, { 'if-none-match': res.headers.etag as string })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })

  it('serves the byte range an observation cites, for curl -r', async () => {
    const o = json((await get('/v1/observations?indicator=dibao_paid')).body).data[0]
    const res = await get(`/v1/sources/${SOURCE}/text`, { range: `bytes=${o.source.byteStart}-${o.source.byteEnd - 1}` })
    expect(res.statusCode).toBe(206)
    expect(res.body).toBe(o.source.quote)
    expect(res.headers['content-range']).toBe(`bytes ${o.source.byteStart}-${o.source.byteEnd - 1}/14486`)
    expectProblem(await get(`/v1/sources/${SOURCE}/text`, { range: 'bytes=20000-' }), 416, 'APP_ERR_RANGE_NOT_SATISFIABLE')
  })

  it('answers unknown and malformed ids with problems', async () => {
    expectProblem(await get('/v1/sources/nope'), 404, 'APP_ERR_NOT_FOUND')
    expectProblem(await get('/v1/sources/nope/text'), 404, 'APP_ERR_NOT_FOUND')
    expectProblem(await get('/v1/sources/Bad%20Id'), 400, 'APP_ERR_VALIDATION')
  })
})

describe('areas', () => {
  it('lists the hierarchy and filters by level and parent', async () => {
    const all = json((await get('/v1/areas')).body).data
    expect(all.length).toBe(22)
    const villages = json((await get('/v1/areas?level=village')).body).data
    expect(villages.length).toBe(17)
    expect(villages.every((a: any) => a.parent === 'bayantala')).toBe(true)
    expect(json((await get('/v1/areas?parent=tongliao')).body).data.map((a: any) => a.code)).toEqual(['horqin-left-middle'])
  })
  it('describes one area with parent and children', async () => {
    const town = json((await get('/v1/areas/bayantala')).body)
    expect(town).toMatchObject({ nameZh: '巴彦塔拉镇', level: 'town', parent: 'horqin-left-middle' })
    expect(town.children).toContain('wusitu-reserve')
    expect(town.children).toHaveLength(18)
  })
  it('404s an unknown area and 400s a bad level', async () => {
    expectProblem(await get('/v1/areas/atlantis'), 404, 'APP_ERR_NOT_FOUND')
    expectProblem(await get('/v1/areas?level=planet'), 400, 'APP_ERR_VALIDATION')
  })
})

describe('periods', () => {
  it('lists the periods of 2023 in time order, containing period first', async () => {
    const codes = json((await get('/v1/periods')).body).data.map((p: any) => p.code)
    expect(codes.slice(0, 5)).toEqual(['2023', '2023-H1', '2023-Q1', '2023-01', '2023-02'])
    expect(codes).toHaveLength(19)
    expect(json((await get('/v1/periods?type=half')).body).data.map((p: any) => p.code)).toEqual(['2023-H1', '2023-H2'])
  })
  it('accepts SDMX and DHIS2 aliases and answers canonically', async () => {
    for (const alias of ['2023-S1', '2023S1', '2023-H1', '2023h1']) {
      const res = await get(`/v1/periods/${alias}`)
      expect(res.statusCode, alias).toBe(200)
      expect(json(res.body)).toEqual({ code: '2023-H1', type: 'half', startDate: '2023-01-01', endDate: '2023-06-30' })
      expect(res.headers['content-location']).toBe('/v1/periods/2023-H1')
    }
    expect(json((await get('/v1/periods/202307')).body).code).toBe('2023-07')
    expect(json((await get('/v1/periods/2023Q3')).body).code).toBe('2023-Q3')
  })
  it('400s a malformed period, 404s one not in use', async () => {
    const p = expectProblem(await get('/v1/periods/2023-H3'), 400, 'APP_ERR_BAD_PERIOD')
    expect(p.errors).toEqual([{ in: 'path', name: 'code', message: 'is not a reporting period' }])
    expectProblem(await get('/v1/periods/2031-Q2'), 404, 'APP_ERR_NOT_FOUND')
  })
})

describe('indicators', () => {
  it('lists every indicator and filters by category', async () => {
    expect(json((await get('/v1/indicators')).body).data).toHaveLength(seeded.indicators)
    const social = json((await get('/v1/indicators?category=social_security')).body).data
    expect(social.length).toBeGreaterThan(0)
    expect(social.every((i: any) => i.category === 'social_security')).toBe(true)
  })
  it('searches both languages', async () => {
    const zh = json((await get(`/v1/indicators?q=${encodeURIComponent('低保')}`)).body).data.map((i: any) => i.code)
    expect(zh).toContain('dibao_paid')
    const en = json((await get('/v1/indicators?q=MEDICAL')).body).data.map((i: any) => i.code)
    expect(en).toContain('medical_insurance_enrolled')
    expect(json((await get('/v1/indicators?q=%25')).body).data).toEqual([])
  })
  it('returns one indicator with its observations', async () => {
    const ind = json((await get('/v1/indicators/wagyu_surrogate_cattle')).body)
    expect(ind).toMatchObject({ unit: 'head', category: 'livestock', observationsTruncated: false })
    const byKey = Object.fromEntries(ind.observations.map((o: any) => [`${o.period} ${o.kind}`, o.value]))
    expect(byKey).toEqual({ '2023 target': '200', '2023-H1 actual': '80' })
  })
  it('404s unknown and 400s malformed codes, and rejects unknown parameters', async () => {
    expectProblem(await get('/v1/indicators/nope'), 404, 'APP_ERR_NOT_FOUND')
    expectProblem(await get('/v1/indicators/Not-A-Code'), 400, 'APP_ERR_VALIDATION')
    const p = expectProblem(await get('/v1/indicators?categry=x'), 400, 'APP_ERR_VALIDATION')
    expect(p.errors).toEqual([{ in: 'query', name: 'categry', message: 'is not a known parameter' }])
  })
})

describe('observations', () => {
  it('states the report\'s figures exactly, as decimal strings in base units', async () => {
    const one = async (indicator: string) => json((await get(`/v1/observations?indicator=${indicator}`)).body).data[0]
    expect(await one('dibao_paid')).toMatchObject({
      value: '4847520',
      unit: 'CNY',
      qualifier: 'eq',
      period: '2023-H1',
      kind: 'actual',
      area: 'bayantala',
      reported: { value: '484.752', unit: '万元' },
      source: { id: SOURCE },
      revision: 1,
    })
    expect(await one('key_afforestation_area')).toMatchObject({ value: '13500', unit: 'mu', reported: { value: '1.35', unit: '万亩' } })
    expect(await one('stable_offfarm_workers')).toMatchObject({ value: '1210', qualifier: 'gt' })
    expect(await one('village_collective_accumulation')).toMatchObject({ value: '50000', qualifier: 'gte', kind: 'forecast' })
    expect(await one('beef_cattle_stock')).toMatchObject({ value: '70000', qualifier: 'gt', kind: 'target', period: '2023-H2' })
  })

  it('pages through every observation with keyset cursors, none twice', async () => {
    const { rows, pages } = await allPages('', 7)
    expect(rows).toHaveLength(seeded.active)
    expect(pages).toBe(Math.ceil(seeded.active / 7))
    const ids = rows.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort((a, b) => a - b)).toEqual(ids)
  })

  it('filters by indicator (repeated or comma-separated), area, period alias, kind and category', async () => {
    const a = json((await get('/v1/observations?indicator=dibao_paid&indicator=tekun_paid')).body).data
    const b = json((await get('/v1/observations?indicator=dibao_paid,tekun_paid')).body).data
    expect(a.map((o: any) => o.indicator).sort()).toEqual(['dibao_paid', 'tekun_paid'])
    expect(b).toEqual(a)
    const h2 = json((await get('/v1/observations?period=2023S2&limit=1000')).body).data
    expect(h2.length).toBeGreaterThan(0)
    expect(h2.every((o: any) => o.period === '2023-H2' && o.kind === 'target')).toBe(true)
    const houguaxi = json((await get('/v1/observations?area=houguaxi')).body).data
    expect(houguaxi.map((o: any) => o.indicator).sort()).toEqual(['mulberry_trees_planted', 'volunteer_tree_planting_base_area'])
    const forecasts = json((await get('/v1/observations?kind=forecast')).body).data
    expect(forecasts.every((o: any) => o.kind === 'forecast')).toBe(true)
    const social = json((await get('/v1/observations?category=social_security&limit=1000')).body).data
    expect(social.length).toBeGreaterThan(5)
    const range = json((await get('/v1/observations?periodFrom=2023-Q3&periodTo=2023-12&limit=1000')).body).data
    expect(range.map((o: any) => o.period)).toEqual(h2.map((o: any) => o.period))
  })

  it('serves the same list as CSV, with RFC 4180 quoting, via Accept or format', async () => {
    const { rows } = await allPages('', 1000)
    for (const req of [get('/v1/observations?format=csv'), get('/v1/observations', { accept: 'text/csv' })]) {
      const res = await req
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/)
      const records = parseCsv(res.body)
      expect(records[0]).toEqual(expect.arrayContaining(['id', 'value', 'quote', 'byte_start', 'byte_end']))
      const header = records[0] as string[]
      const data = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])))
      expect(data).toHaveLength(rows.length)
      data.forEach((d, i) => {
        const o = rows[i]
        expect(d).toMatchObject({
          id: String(o.id),
          indicator: o.indicator,
          value: o.value,
          quote: o.source.quote,
          byte_start: String(o.source.byteStart),
          involved_areas: o.involvedAreas.join(';'),
          reported_value: o.reported.value,
          reported_unit: o.reported.unit,
        })
      })
    }
    // A quote spanning line breaks survives quoting.
    const split = rows.find((o) => o.source.quote.includes('\n'))
    if (split) expect(parseCsv((await get(`/v1/observations?format=csv&indicator=${split.indicator}`)).body)[1]).toContain(split.source.quote)
  })

  it('returns one observation by id, 404 for unknown, 400 for malformed', async () => {
    const o = json((await get('/v1/observations/1')).body)
    expect(o.id).toBe(1)
    expectProblem(await get('/v1/observations/999999'), 404, 'APP_ERR_NOT_FOUND')
    expectProblem(await get('/v1/observations/abc'), 400, 'APP_ERR_VALIDATION')
    expectProblem(await get('/v1/observations/0'), 400, 'APP_ERR_VALIDATION')
    expectProblem(await get('/v1/observations/99999999999999999999'), 400, 'APP_ERR_VALIDATION')
  })

  it('rejects bad parameters with 400 and names them', async () => {
    for (const [url, name] of [
      ['/v1/observations?limit=0', 'limit'],
      ['/v1/observations?limit=1001', 'limit'],
      ['/v1/observations?limit=ten', 'limit'],
      ['/v1/observations?kind=guess', 'kind'],
      ['/v1/observations?period=2023-H9', 'period'],
      ['/v1/observations?colour=red', 'colour'],
      ['/v1/observations?asOf=yesterday', 'asOf'],
      ['/v1/observations?indicator=DROP%20TABLE', 'indicator'],
    ] as const) {
      const p = expectProblem(await get(url), 400, url.includes('period=') ? 'APP_ERR_BAD_PERIOD' : 'APP_ERR_VALIDATION')
      expect(p.errors?.[0]?.name, url).toBe(name)
    }
    expectProblem(await get('/v1/observations?cursor=garbage'), 400, 'APP_ERR_BAD_CURSOR')
    const page = json((await get('/v1/observations?limit=2')).body)
    expectProblem(await get(`/v1/observations?limit=2&kind=target&cursor=${page.nextCursor}`), 400, 'APP_ERR_BAD_CURSOR')
    expectProblem(await get('/v1/observations', { accept: 'image/png' }), 406, 'APP_ERR_NOT_ACCEPTABLE')
  })
})

describe('health, problems and unknown routes', () => {
  it('answers liveness and readiness', async () => {
    expect(json((await get('/healthz')).body)).toEqual({ status: 'ok' })
    const ready = json((await get('/readyz')).body)
    expect(ready.status).toBe('ready')
    expect(ready.migrations.applied).toBe(ready.migrations.expected)
    expect(ready.migrations.expected).toBeGreaterThanOrEqual(3)
  })
  it('answers unknown routes with problem+json and resolves problem types', async () => {
    const p = expectProblem(await get('/v2/everything'), 404, 'APP_ERR_ROUTE_NOT_FOUND')
    const type = json((await get(p.type)).body)
    expect(type).toMatchObject({ code: 'APP_ERR_ROUTE_NOT_FOUND', status: 404 })
  })
  it('echoes a request id', async () => {
    const res = await get('/healthz', { 'x-request-id': 'abc-123' })
    expect(res.headers['x-request-id']).toBe('abc-123')
    expect((await get('/healthz')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })
})

/** A strict RFC 4180 reader, so that the test does not trust the writer's own code. */
function parseCsv(text: string): string[][] {
  const records: string[][] = []
  let field = ''
  let record: string[] = []
  let i = 0
  let quoted = false
  while (i < text.length) {
    const c = text[i] as string
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i += 2
        continue
      }
      if (c === '"') quoted = false
      else field += c
      i++
      continue
    }
    if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      record.push(field)
      field = ''
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field)
      records.push(record)
      record = []
      field = ''
      i++
    } else field += c
    i++
  }
  if (field !== '' || record.length) records.push([...record, field])
  return records
}

describe('filter combinations', () => {
  it('page through exactly the observations a plain reading of the filters selects, whatever the plan', async () => {
    const q = async (sql: string) => (await t.query(sql)).map((r) => Object.values(r)[0] as string)
    const domain = {
      indicator: await q('SELECT DISTINCT indicator_code FROM observation ORDER BY 1'),
      area: await q('SELECT DISTINCT area_code FROM observation ORDER BY 1'),
      period: await q('SELECT DISTINCT period_code FROM observation ORDER BY 1'),
      category: await q('SELECT DISTINCT category FROM indicator ORDER BY 1'),
      kind: ['actual', 'target', 'forecast'],
    }
    const some = (values: string[]) => fc.subarray(values, { maxLength: 3 })
    const filters = fc.record({
      indicator: some(domain.indicator),
      area: some(domain.area),
      period: some(domain.period),
      category: some(domain.category),
      kind: some(domain.kind),
      periodFrom: fc.option(fc.constantFrom(...domain.period), { nil: undefined }),
      periodTo: fc.option(fc.constantFrom(...domain.period), { nil: undefined }),
      limit: fc.integer({ min: 1, max: 20 }),
    })
    const periodDates = new Map((await t.query<{ code: string; s: string; e: string }>('SELECT code, start_date AS s, end_date AS e FROM reporting_period')).map((p) => [p.code, p]))
    await fc.assert(
      fc.asyncProperty(filters, async (f) => {
        // An inverted range is a 400 (tested elsewhere).
        fc.pre(!(f.periodFrom && f.periodTo && periodDates.get(f.periodFrom)!.s > periodDates.get(f.periodTo)!.e))
        // The plain reading: one predicate per filter, no index hints, evaluated row by row.
        const where = ["r.status != 'withdrawn'"]
        const args: string[] = []
        const inList = (column: string, values: string[]) => {
          if (!values.length) return
          where.push(`${column} IN (${values.map(() => '?').join(', ')})`)
          args.push(...values)
        }
        inList('o.indicator_code', f.indicator)
        inList('o.area_code', f.area)
        inList('o.period_code', f.period)
        inList('i.category', f.category)
        inList('o.kind', f.kind)
        if (f.periodFrom) {
          where.push('p.start_date >= ?')
          args.push(periodDates.get(f.periodFrom)!.s)
        }
        if (f.periodTo) {
          where.push('p.end_date <= ?')
          args.push(periodDates.get(f.periodTo)!.e)
        }
        const expected = (
          await t.query<{ id: number }>(`SELECT o.id FROM observation o JOIN observation_revision r ON r.seq = o.current_seq JOIN indicator i ON i.code = o.indicator_code JOIN reporting_period p ON p.code = o.period_code WHERE ${where.join(' AND ')} ORDER BY o.id`, ...args)
        ).map((r) => r.id)
        const query = [
          ...f.indicator.map((v) => `indicator=${v}`),
          ...f.area.map((v) => `area=${v}`),
          ...f.period.map((v) => `period=${v}`),
          ...f.category.map((v) => `category=${v}`),
          ...f.kind.map((v) => `kind=${v}`),
          ...(f.periodFrom ? [`periodFrom=${f.periodFrom}`] : []),
          ...(f.periodTo ? [`periodTo=${f.periodTo}`] : []),
        ].join('&')
        const { rows } = await allPages(query, f.limit)
        expect(rows.map((r) => r.id)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })
})
