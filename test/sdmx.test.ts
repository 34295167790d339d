// SDMX: the observation list as SDMX-JSON 2.0 (checked against the official schema) and SDMX-CSV 2.0
// (read back with a plain CSV parser), both holding the JSON list's observations exactly; SDMX period
// codes; the SDMX query aliases and lastNObservations; Accept version negotiation; the DSD.
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { parse } from 'csv-parse/sync'
import fc from 'fast-check'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { parsePeriod } from '../src/domain/periods.js'
import { buildTestApp, json, listAll, type TestContext } from './helpers.js'

let t: TestContext

const inject = (options: InjectOptions) => t.app.inject(options)
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

const schema = JSON.parse(readFileSync(new URL('./fixtures/sdmx/sdmx-json-data-schema-2.0.0.json', import.meta.url), 'utf8')) as Record<string, unknown>
const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, unicodeRegExp: false })
;(addFormats as unknown as (a: Ajv) => Ajv)(ajv)
// The fixture is draft-04 style (`id`, `$schema: http://json-schema.org/schema#`): compiled as draft-07 with its id as `$id`.
const { $schema: _draft, id: schemaId, ...schemaBody } = schema
const validateMessage = ajv.compile({ $id: schemaId as string, ...schemaBody })

/** One observation by its identity and value, as every representation must carry it. */
type Obs = { indicator: string; area: string; kind: string; period: string; value: string; status: string }
const key = (o: Obs) => `${o.indicator}|${o.area}|${o.kind}|${o.period}|${o.value}|${o.status}`
const sorted = (list: Obs[]) => list.map(key).sort()

/** The canonical period code of an SDMX one (2023-S1 → 2023-H1, 2023-M07 → 2023-07). */
const canonical = (sdmx: string) => parsePeriod(sdmx)?.code ?? `unparsed:${sdmx}`

/** The frequency a TIME_PERIOD's format states, read apart from the service: 2023 → A, 2023-S1 → S, 2023-Q3 → Q, 2023-M07 → M. */
const FREQ_FORMATS: Array<[string, RegExp]> = [['A', /^\d{4}$/], ['S', /^\d{4}-S[12]$/], ['Q', /^\d{4}-Q[1-4]$/], ['M', /^\d{4}-M(0[1-9]|1[0-2])$/]]
const frequencyOf = (timePeriod: string) => FREQ_FORMATS.find(([, format]) => format.test(timePeriod))?.[0] ?? `unformatted:${timePeriod}`

/** Every observation of the JSON list for `query` (less `labels`, which the list does not take), page by page. */
async function jsonList(query: string): Promise<Obs[]> {
  const params = new URLSearchParams(query)
  params.delete('labels')
  return (await listAll(t.app, params.toString())).map((o) => ({ indicator: o.indicator, area: o.area, kind: o.kind, period: o.period, value: o.value, status: o.status }))
}

/** Each series of an SDMX-JSON message: its key's value of each series dimension (by id), and its observations' TIME_PERIOD codes and value arrays. */
function seriesOf(message: any): Array<{ key: Record<string, string>; action: string; observations: Array<{ timePeriod: string; values: any[] }> }> {
  const structure = message.data.structures[0]
  return message.data.dataSets.flatMap((set: any) =>
    Object.entries<any>(set.series).map(([seriesKey, series]) => {
      const positions = seriesKey.split(':').map(Number)
      expect(positions.length).toBe(structure.dimensions.series.length)
      const key = Object.fromEntries(structure.dimensions.series.map((d: any, i: number) => [d.id, d.values[positions[i] as number].id]))
      const observations = Object.entries<any>(series.observations).map(([timeKey, values]) => ({ timePeriod: structure.dimensions.observation[0].values[Number(timeKey)].id as string, values }))
      return { key, action: set.action, observations }
    }),
  )
}

/** The observations an SDMX-JSON message holds, decoded through its structure. */
function decodeMessage(message: any): Obs[] {
  return seriesOf(message).flatMap(({ key, action, observations }) =>
    observations.map(({ timePeriod, values }) => {
      expect(typeof values[0]).toBe('string')
      return { indicator: key.INDICATOR as string, area: key.REF_AREA as string, kind: key.KIND as string, period: canonical(timePeriod), value: values[0], status: action === 'Delete' ? 'withdrawn' : 'active' }
    }),
  )
}

async function sdmxJson(query: string): Promise<any> {
  const res = await inject({ url: `/v1/observations?${query}`, headers: { accept: 'application/vnd.sdmx.data+json;version=2.0.0' } })
  expect(res.statusCode, res.body).toBe(200)
  expect(res.headers['content-type']).toBe('application/vnd.sdmx.data+json; version=2.0.0; charset=utf-8')
  const message = json(res.body)
  const valid = validateMessage(message)
  expect(valid, JSON.stringify(validateMessage.errors?.slice(0, 3))).toBe(true)
  return message
}

/** Every SDMX-JSON message answering `query`, following meta.links next. */
async function sdmxJsonMessages(query: string): Promise<any[]> {
  const out: any[] = []
  let message = await sdmxJson(query)
  for (;;) {
    out.push(message)
    const next = message.meta.links?.find((l: any) => l.rel === 'next')
    if (!next) return out
    const url = new URL(next.href)
    message = await sdmxJson(url.searchParams.toString())
  }
}

/** All observations of the SDMX-JSON answers for `query`. */
async function sdmxJsonAll(query: string): Promise<Obs[]> {
  return (await sdmxJsonMessages(query)).flatMap(decodeMessage)
}

async function sdmxCsv(query: string): Promise<{ records: Array<Record<string, string>>; body: string }> {
  const res = await inject({ url: `/v1/observations?${query}`, headers: { accept: 'application/vnd.sdmx.data+csv;version=2.0.0' } })
  expect(res.statusCode, res.body).toBe(200)
  expect(res.headers['content-type']).toBe('application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8')
  return { records: parse(res.body, { columns: true, bom: true }) as Array<Record<string, string>>, body: res.body }
}

const fromCsv = (r: Record<string, string>): Obs => ({
  indicator: r.INDICATOR as string,
  area: r.REF_AREA as string,
  kind: r.KIND as string,
  period: canonical(r.TIME_PERIOD as string),
  value: r.OBS_VALUE as string,
  status: r.ACTION === 'D' ? 'withdrawn' : 'active',
})

// A forecast history of one indicator over every period type; values with many digits, so a float would show.
const HISTORY = [
  { period: '2023', reported: '98765432.123456' },
  { period: '2023-H2', reported: '4321.000001' },
  { period: '2023-Q3', reported: '0.0001' },
  { period: '2023-Q4', reported: '1234567890.98765' },
  { period: '2023-09', reported: '77.7' },
  { period: '2023-12', reported: '9007199254.740993' },
]
const PREFIXES = ['甲项', '乙项', '丙项', '丁项', '戊项', '己项']
let withdrawnId = 0

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  const admin = (await createKey(t.storage, 'sdmx-admin', ['admin'])).secret
  const writer = (await createKey(t.storage, 'sdmx-writer', ['write'])).secret
  const quotes = HISTORY.map((h, i) => `${PREFIXES[i]}预计发放共${h.reported}万元`)
  const src = await inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id: 'sdmx-forecasts', title: 'x', issuer: 'x', issuedOn: '2023-10-09', text: quotes.join('\n') } })
  expect(src.statusCode, src.body).toBe(201)
  const imp = await inject({
    method: 'POST',
    url: '/v1/imports',
    headers: bearer(writer),
    payload: {
      reason: 'sdmx forecasts',
      observations: HISTORY.map((h, i) => ({ indicator: 'dibao_paid', area: 'bayantala', period: h.period, kind: 'forecast', reported: { value: h.reported, unit: '万元' }, citation: { sourceId: 'sdmx-forecasts', quote: quotes[i] } })),
    },
  })
  expect(imp.statusCode, imp.body).toBe(200)
  // One withdrawn observation: SDMX-CSV ACTION D, an SDMX-JSON data set with action Delete.
  const list = await inject({ url: '/v1/observations?indicator=dibao_paid&kind=forecast&period=2023-Q3' })
  expect(list.statusCode, list.body).toBe(200)
  const [victim] = json(list.body).data
  withdrawnId = victim.id
  const etag = (await inject({ url: `/v1/observations/${victim.id}` })).headers.etag as string
  const del = await inject({ method: 'DELETE', url: `/v1/observations/${victim.id}?reason=test`, headers: { ...bearer(writer), 'if-match': etag } })
  expect(del.statusCode, del.body).toBe(200)
})
afterAll(() => t?.close())

describe('SDMX-JSON 2.0', () => {
  it('is valid against the official schema and holds the JSON list exactly, for several filters (an empty one too)', async () => {
    for (const query of ['', 'indicator=dibao_paid', 'kind=forecast&includeWithdrawn=true', 'area=bayantala&kind=actual', 'periodFrom=2030', 'updatedSince=2000-01-01T00:00:00Z', 'labels=zh&indicator=dibao_paid']) {
      const [fromJson, fromSdmx] = await Promise.all([jsonList(query), sdmxJsonAll(query)])
      expect(sorted(fromSdmx), query).toEqual(sorted(fromJson))
    }
    const empty = await sdmxJson('periodFrom=2030')
    expect(empty.data).toEqual({ structures: [], dataSets: [] })
  })

  it('pages by meta.links next when more match than `limit`, every observation once', async () => {
    const all = await jsonList('')
    const first = await sdmxJson('limit=7')
    expect(first.meta.links[0].rel).toBe('next')
    expect(sorted(await sdmxJsonAll('limit=7'))).toEqual(sorted(all))
  })

  it('names the asking host in its next link, never a host another client sent (the answer is cached)', async () => {
    const url = '/v1/observations?limit=3&indicator=dibao_paid,tekun_paid,tekun_beneficiaries,dibao_beneficiaries'
    const accept = 'application/vnd.sdmx.data+json;version=2.0.0'
    for (const host of ['evil.example', 'mirror.example:8443', 'evil.example']) {
      const res = await inject({ url, headers: { accept, host } })
      expect(res.statusCode, res.body).toBe(200)
      expect(new URL(json(res.body).meta.links[0].href).host).toBe(host)
    }
    const plain = await inject({ url, headers: { accept } })
    expect(new URL(json(plain.body).meta.links[0].href).host).toBe('localhost')
  })

  it('names every code in both languages and writes SDMX period codes with their start and end', async () => {
    const message = await sdmxJson('indicator=dibao_paid&kind=forecast&labels=zh')
    const s = message.data.structures[0]
    expect(s.dimensions.series.map((d: any) => [d.id, d.keyPosition])).toEqual([['FREQ', 0], ['INDICATOR', 1], ['REF_AREA', 2], ['KIND', 3]])
    expect([s.dimensions.observation[0].id, s.dimensions.observation[0].keyPosition]).toEqual(['TIME_PERIOD', 4])
    expect(s.dimensions.series[1].values[0]).toMatchObject({ id: 'dibao_paid', names: { en: expect.any(String), zh: expect.any(String) } })
    expect(s.dimensions.series[1].values[0].name).toBe(s.dimensions.series[1].values[0].names.zh)
    // FREQ lists only the frequencies used, each named in both languages.
    expect(s.dimensions.series[0].values.map((v: any) => v.id).sort()).toEqual(['A', 'M', 'Q', 'S'])
    expect(s.dimensions.series[0].values.find((v: any) => v.id === 'S')).toEqual({ id: 'S', name: '半年度', names: { en: 'Half-yearly, semester', zh: '半年度' } })
    const one = await sdmxJson('indicator=dibao_paid&kind=forecast&period=2023-Q4')
    expect(one.data.structures[0].dimensions.series[0].values.map((v: any) => v.id)).toEqual(['Q'])
    const periods = s.dimensions.observation[0].values.map((v: any) => v.id).sort()
    expect(periods).toEqual(['2023', '2023-M09', '2023-M12', '2023-Q4', '2023-S2'])
    const q4 = s.dimensions.observation[0].values.find((v: any) => v.id === '2023-Q4')
    expect(q4).toMatchObject({ start: '2023-10-01T00:00:00Z', end: '2023-12-31T23:59:59Z' })
    expect(s.attributes.observation.map((a: any) => a.id)).toEqual(['UNIT_MEASURE', 'UNIT_MULT', 'OBS_STATUS', 'OBS_QUALIFIER', 'CITATION_SOURCE', 'CITATION_QUOTE', 'CITATION_SPAN'])
    const status = s.attributes.observation.find((a: any) => a.id === 'OBS_STATUS')
    expect(status.values.map((v: any) => v.id)).toEqual(['F'])
  })

  it('puts withdrawn observations in a data set with action Delete', async () => {
    const message = await sdmxJson('indicator=dibao_paid&kind=forecast&includeWithdrawn=true')
    expect(message.data.dataSets.map((d: any) => d.action).sort()).toEqual(['Delete', 'Information'])
    const deleted = decodeMessage(message).filter((o) => o.status === 'withdrawn')
    expect(deleted.map((o) => o.period)).toEqual(['2023-Q3'])
    expect(withdrawnId).toBeGreaterThan(0)
  })
})

describe('SDMX-CSV 2.0', () => {
  it('has the structure columns, dimensions, OBS_VALUE and attributes, and the exact values of the JSON list', async () => {
    const { records, body } = await sdmxCsv('indicator=dibao_paid&kind=forecast&includeWithdrawn=true')
    expect(body.split('\r\n')[0]).toBe('STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,REF_AREA,KIND,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,UNIT_MULT,OBS_STATUS,OBS_QUALIFIER,CITATION_SOURCE,CITATION_QUOTE,CITATION_SPAN')
    for (const r of records) expect(r).toMatchObject({ STRUCTURE: 'dataflow', STRUCTURE_ID: 'BAYANTALA:DF_TOWN_INDICATORS(1.0)', UNIT_MEASURE: 'CNY', UNIT_MULT: '0', OBS_STATUS: 'F', CITATION_SOURCE: 'sdmx-forecasts' })
    expect(records.map((r) => r.TIME_PERIOD).sort()).toEqual(['2023', '2023-M09', '2023-M12', '2023-Q3', '2023-Q4', '2023-S2'])
    expect(records.find((r) => r.TIME_PERIOD === '2023-Q3')?.ACTION).toBe('D')
    expect(Object.fromEntries(records.map((r) => [r.TIME_PERIOD, r.FREQ]))).toEqual({ '2023': 'A', '2023-S2': 'S', '2023-Q3': 'Q', '2023-Q4': 'Q', '2023-M09': 'M', '2023-M12': 'M' })
    const json = await jsonList('indicator=dibao_paid&kind=forecast&includeWithdrawn=true')
    expect(sorted(records.map(fromCsv))).toEqual(sorted(json))
    const full = json.find((o) => o.period === '2023-12')
    expect(full?.value).toBe('90071992547409.93')
  })

  it('reads back into the JSON list\'s observations for any filter', async () => {
    const indicators = json((await inject({ url: '/v1/indicators' })).body).data.map((i: any) => i.code) as string[]
    const filter = fc.record(
      {
        indicator: fc.subarray(indicators, { minLength: 1, maxLength: 4 }),
        kind: fc.subarray(['actual', 'target', 'forecast'], { minLength: 1 }),
        startPeriod: fc.constantFrom('2022', '2023-S1', '2023-Q3', '2023-M10'),
        includeWithdrawn: fc.boolean(),
      },
      { requiredKeys: ['indicator'] },
    )
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        const query = new URLSearchParams()
        for (const [k, v] of Object.entries(f)) for (const each of Array.isArray(v) ? v : [v]) query.append(k, String(each))
        const [fromJson, { records }] = await Promise.all([jsonList(query.toString()), sdmxCsv(query.toString())])
        expect(sorted(records.map(fromCsv))).toEqual(sorted(fromJson))
      }),
      { numRuns: 15 },
    )
  })

  it('begins with a byte-order mark when bom=true, and format=sdmx-csv stands for the Accept header', async () => {
    const res = await inject({ url: '/v1/observations?format=sdmx-csv&bom=true&indicator=dibao_paid' })
    expect(res.statusCode).toBe(200)
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    expect(res.body.slice(1).startsWith('STRUCTURE,')).toBe(true)
    const plain = await inject({ url: '/v1/observations?format=sdmx-csv&indicator=dibao_paid' })
    expect(plain.body.startsWith('STRUCTURE,')).toBe(true)
  })

  it('neutralizes a text cell that could start a formula, as the CSV export does', async () => {
    const { records } = await sdmxCsv('indicator=dibao_paid&kind=forecast')
    for (const r of records) expect(r.CITATION_QUOTE?.startsWith("'")).toBe(false)
  })
})

describe('FREQ', () => {
  it('gives every SDMX-JSON series one frequency, and FREQ agrees with the TIME_PERIOD format in SDMX-JSON and SDMX-CSV, for any filter', async () => {
    const indicators = json((await inject({ url: '/v1/indicators' })).body).data.map((i: any) => i.code) as string[]
    const filter = fc.record(
      {
        indicator: fc.subarray(indicators, { minLength: 1, maxLength: 4 }),
        kind: fc.subarray(['actual', 'target', 'forecast'], { minLength: 1 }),
        startPeriod: fc.constantFrom('2022', '2023-S1', '2023-Q3', '2023-M10'),
        endPeriod: fc.constantFrom('2023', '2023-S2', '2023-Q4', '2023-M12', '2024'),
        includeWithdrawn: fc.boolean(),
        lastNObservations: fc.integer({ min: 1, max: 3 }),
        limit: fc.integer({ min: 1, max: 40 }),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        const query = new URLSearchParams()
        for (const [k, v] of Object.entries(f)) for (const each of Array.isArray(v) ? v : [v]) query.append(k, String(each))
        for (const message of await sdmxJsonMessages(query.toString())) {
          for (const { key, observations } of seriesOf(message)) {
            expect([...new Set(observations.map((o) => frequencyOf(o.timePeriod)))], JSON.stringify(key)).toEqual([key.FREQ])
          }
        }
        const { records } = await sdmxCsv(query.toString())
        for (const r of records) expect(r.FREQ, r.TIME_PERIOD).toBe(frequencyOf(r.TIME_PERIOD as string))
      }),
      { numRuns: 25 },
    )
  })

  it('splits one indicator, area and kind into a series per frequency', async () => {
    const series = seriesOf(await sdmxJson('indicator=dibao_paid&kind=forecast&includeWithdrawn=true'))
    const byFreq = Object.fromEntries(series.filter((s) => s.action === 'Information').map((s) => [s.key.FREQ, s.observations.map((o) => o.timePeriod).sort()]))
    expect(byFreq).toEqual({ A: ['2023'], S: ['2023-S2'], Q: ['2023-Q4'], M: ['2023-M09', '2023-M12'] })
  })
})

describe('SDMX query parameters', () => {
  it('startPeriod, endPeriod and updatedAfter select what periodFrom, periodTo and updatedSince do, on every representation', async () => {
    const pairs = [
      ['startPeriod=2023-S2', 'periodFrom=2023-H2'],
      ['endPeriod=2023-Q3', 'periodTo=2023-Q3'],
      ['startPeriod=2023-M09&endPeriod=2023-M12', 'periodFrom=2023-09&periodTo=2023-12'],
      ['updatedAfter=2000-01-01T00:00:00Z', 'updatedSince=2000-01-01T00:00:00Z'],
      ['updatedAfter=2999-01-01T00:00:00Z', 'updatedSince=2999-01-01T00:00:00Z'],
    ]
    for (const [alias, name] of pairs) {
      expect(sorted(await jsonList(`${alias}&indicator=dibao_paid`)), alias).toEqual(sorted(await jsonList(`${name}&indicator=dibao_paid`)))
      expect(sorted((await sdmxCsv(`${alias}&indicator=dibao_paid`)).records.map(fromCsv)), alias).toEqual(sorted(await jsonList(`${name}&indicator=dibao_paid`)))
    }
    // The same value in both spellings is accepted.
    expect((await inject({ url: '/v1/observations?startPeriod=2023-S1&periodFrom=2023-H1' })).statusCode).toBe(200)
  })

  it('takes an ISO 8601 date as a bound, as SDMX REST does: periods starting on or after it, ending on or before it (property)', async () => {
    const all = await jsonList('includeWithdrawn=false')
    // The dates of a period code, written here apart from the service's parser.
    const datesOf = (code: string): [string, string] => {
      const y = code.slice(0, 4)
      const last = (m: number) => String(new Date(Date.UTC(Number(y), m, 0)).getUTCDate()).padStart(2, '0')
      const months = (a: number, b: number): [string, string] => [`${y}-${String(a).padStart(2, '0')}-01`, `${y}-${String(b).padStart(2, '0')}-${last(b)}`]
      const rest = code.slice(5)
      if (rest === '') return months(1, 12)
      if (rest[0] === 'H') return rest === 'H1' ? months(1, 6) : months(7, 12)
      if (rest[0] === 'Q') return months(Number(rest[1]) * 3 - 2, Number(rest[1]) * 3)
      return months(Number(rest), Number(rest))
    }
    const day = fc.date({ min: new Date('2022-06-01T00:00:00Z'), max: new Date('2024-06-30T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
    await fc.assert(
      fc.asyncProperty(fc.option(day, { nil: undefined }), fc.option(day, { nil: undefined }), async (from, to) => {
        fc.pre(from === undefined || to === undefined || from <= to)
        const query = [from && `startPeriod=${from}`, to && `endPeriod=${to}`].filter(Boolean).join('&')
        const expected = all.filter((o) => (from === undefined || datesOf(o.period)[0] >= from) && (to === undefined || datesOf(o.period)[1] <= to))
        expect(sorted(await jsonList(query || 'includeWithdrawn=false')), query).toEqual(sorted(expected))
        expect(sorted((await sdmxCsv(query || 'includeWithdrawn=false')).records.map(fromCsv)), query).toEqual(sorted(expected))
      }),
      { numRuns: 30 },
    )
    // A date and the period that starts on it are one bound: given both ways, no conflict.
    expect((await inject({ url: '/v1/observations?startPeriod=2023-07-01&periodFrom=2023-H2' })).statusCode).toBe(200)
    expect((await inject({ url: '/v1/observations?startPeriod=2023-07-02&periodFrom=2023-H2' })).statusCode).toBe(400)
  })

  it('names the alias the client sent when its value is malformed', async () => {
    for (const [alias, value] of [['startPeriod', '2024-02-30'], ['startPeriod', '2023-13-01'], ['endPeriod', '2023-S3'], ['updatedAfter', 'yesterday']] as const) {
      const res = await inject({ url: `/v1/observations?${alias}=${encodeURIComponent(value)}` })
      expect(res.statusCode, res.body).toBe(400)
      expect(json(res.body).errors.map((e: any) => e.name)).toEqual([alias])
    }
  })

  it('refuses an alias and its parameter with different values, naming both', async () => {
    for (const [alias, name, a, b] of [
      ['startPeriod', 'periodFrom', '2023-S1', '2023-Q2'],
      ['startPeriod', 'periodFrom', '2023-01-02', '2023'],
      ['endPeriod', 'periodTo', '2023', '2024'],
      ['updatedAfter', 'updatedSince', '2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z'],
    ] as const) {
      for (const format of ['json', 'csv', 'sdmx-csv', 'sdmx-json']) {
        const res = await inject({ url: `/v1/observations?format=${format}&${alias}=${encodeURIComponent(a)}&${name}=${encodeURIComponent(b)}` })
        expect(res.statusCode, `${format} ${alias}`).toBe(400)
        expect(json(res.body).errors.map((e: any) => e.name).sort()).toEqual([alias, name].sort())
      }
    }
  })

  it('lastNObservations keeps the last N periods of each series, on every representation and across pages', async () => {
    const all = await jsonList('includeWithdrawn=false')
    const order = (a: Obs, b: Obs) => {
      const pa = parsePeriod(a.period)!
      const pb = parsePeriod(b.period)!
      return pb.endDate.localeCompare(pa.endDate) || pb.startDate.localeCompare(pa.startDate)
    }
    // A series is SDMX's: indicator, area, kind and frequency (the year, its halves, quarters and months apart).
    const seriesKey = (o: Obs) => `${o.indicator}|${o.area}|${o.kind}|${parsePeriod(o.period)!.type}`
    for (const n of [1, 2, 3, 5]) {
      const series = new Map<string, Obs[]>()
      for (const o of all) series.set(seriesKey(o), [...(series.get(seriesKey(o)) ?? []), o])
      const expected = [...series.values()].flatMap((list) => list.sort(order).slice(0, n))
      expect(sorted(await jsonList(`lastNObservations=${n}`)), `json ${n}`).toEqual(sorted(expected))
      expect(sorted((await sdmxCsv(`lastNObservations=${n}`)).records.map(fromCsv)), `sdmx-csv ${n}`).toEqual(sorted(expected))
      expect(sorted(await sdmxJsonAll(`lastNObservations=${n}&limit=3`)), `sdmx-json ${n}`).toEqual(sorted(expected))
    }
    const latest = await jsonList('lastNObservations=2&indicator=dibao_paid&kind=forecast')
    expect(latest.map((o) => o.period).sort()).toEqual(['2023', '2023-09', '2023-12', '2023-H2', '2023-Q4'])
    // Paged one by one, the cursors keep to the selection.
    const paged: Obs[] = (await listAll(t.app, 'lastNObservations=2&indicator=dibao_paid', 1)).map((o) => ({ indicator: o.indicator, area: o.area, kind: o.kind, period: o.period, value: o.value, status: o.status }))
    expect(sorted(paged)).toEqual(sorted(await jsonList('lastNObservations=2&indicator=dibao_paid')))
    // A cursor of the unselected list is not one of the selection.
    const other = json((await inject({ url: '/v1/observations?indicator=dibao_paid&limit=1' })).body).nextCursor
    expect((await inject({ url: `/v1/observations?lastNObservations=2&indicator=dibao_paid&limit=1&cursor=${other}` })).statusCode).toBe(400)
  })
})

describe('SDMX version negotiation', () => {
  it('serves SDMX 2.0 (version 2.0.0, 2.0 or none) and refuses a request only for another version with 406', async () => {
    for (const [accept, type] of [
      ['application/vnd.sdmx.data+json;version=2.0.0', 'application/vnd.sdmx.data+json'],
      ['application/vnd.sdmx.data+json; version=2.0', 'application/vnd.sdmx.data+json'],
      ['application/vnd.sdmx.data+json', 'application/vnd.sdmx.data+json'],
      ['application/vnd.sdmx.data+csv;version=2.0.0', 'application/vnd.sdmx.data+csv'],
      ['application/vnd.sdmx.data+csv;version=1.0.0, application/vnd.sdmx.data+json;version=2.0.0;q=0.5', 'application/vnd.sdmx.data+json'],
      ['application/json', 'application/json'],
      ['text/csv', 'text/csv'],
    ]) {
      const res = await inject({ url: '/v1/observations?indicator=dibao_paid&limit=2', headers: { accept } })
      expect(res.statusCode, accept).toBe(200)
      expect(String(res.headers['content-type']).split(';')[0], accept).toBe(type)
    }
    for (const accept of ['application/vnd.sdmx.data+json;version=1.0.0', 'application/vnd.sdmx.data+csv;version=1.0.0', 'application/vnd.sdmx.data+json;version=2.1.0']) {
      const res = await inject({ url: '/v1/observations', headers: { accept } })
      expect(res.statusCode, accept).toBe(406)
    }
  })

  it('refuses unit= with an SDMX representation (SDMX values are in the base unit), and labels= with SDMX-CSV (codes only)', async () => {
    for (const format of ['sdmx-json', 'sdmx-csv']) {
      const res = await inject({ url: `/v1/observations?format=${format}&indicator=dibao_paid&unit=%E4%B8%87%E5%85%83` })
      expect(res.statusCode).toBe(400)
      expect(json(res.body).errors).toEqual([expect.objectContaining({ in: 'query', name: 'unit' })])
    }
    const labelled = await inject({ url: '/v1/observations?format=sdmx-csv&indicator=dibao_paid&labels=en' })
    expect(labelled.statusCode).toBe(400)
    expect(json(labelled.body).errors).toEqual([expect.objectContaining({ in: 'query', name: 'labels', message: expect.stringContaining('sdmx-json') })])
  })
})

describe('the data structure definition', () => {
  it('lists every dimension, attribute and the measure the data uses, and codes for every indicator, area and kind', async () => {
    const res = await inject({ url: '/v1/sdmx/structure/datastructure/BAYANTALA/DSD_TOWN_INDICATORS/1.0' })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/vnd.sdmx.structure+json; version=2.0.0; charset=utf-8')
    const message = json(res.body)
    const dsd = message.data.dataStructures[0]
    const components = dsd.dataStructureComponents
    const ids = [
      ...components.dimensionList.dimensions.map((d: any) => d.id),
      ...components.dimensionList.timeDimensions.map((d: any) => d.id),
      ...components.measureList.measures.map((m: any) => m.id),
      ...components.attributeList.attributes.map((a: any) => a.id),
    ]
    const { body } = await sdmxCsv('limit=1')
    expect(ids.sort()).toEqual(body.split('\r\n')[0]!.split(',').slice(3).sort())
    const codelist = (id: string) => message.data.codelists.find((c: any) => c.id === id).codes.map((c: any) => c.id)
    const indicators = json((await inject({ url: '/v1/indicators' })).body).data.map((i: any) => i.code)
    expect(codelist('CL_INDICATOR').sort()).toEqual([...indicators].sort())
    const areas = json((await inject({ url: '/v1/areas' })).body).data.map((a: any) => a.code)
    expect(codelist('CL_AREA').sort()).toEqual([...areas].sort())
    expect(codelist('CL_KIND')).toEqual(['actual', 'target', 'forecast'])
    const freq = message.data.codelists.find((c: any) => c.id === 'CL_FREQ')
    expect(freq.codes).toEqual([
      { id: 'A', name: 'Annual', names: { en: 'Annual', zh: '年度' } },
      { id: 'S', name: 'Half-yearly, semester', names: { en: 'Half-yearly, semester', zh: '半年度' } },
      { id: 'Q', name: 'Quarterly', names: { en: 'Quarterly', zh: '季度' } },
      { id: 'M', name: 'Monthly', names: { en: 'Monthly', zh: '月度' } },
    ])
    expect(freq.names).toEqual({ en: 'Frequency', zh: '频率' })
    // FREQ is the first dimension, coded by CL_FREQ; TIME_PERIOD comes after the other four.
    const dimensions = components.dimensionList.dimensions
    expect(dimensions.map((d: any) => [d.id, d.position])).toEqual([['FREQ', 0], ['INDICATOR', 1], ['REF_AREA', 2], ['KIND', 3]])
    expect(dimensions[0].localRepresentation.enumeration).toBe('urn:sdmx:org.sdmx.infomodel.codelist.Codelist=BAYANTALA:CL_FREQ(1.0)')
    expect(components.dimensionList.timeDimensions[0].position).toBe(4)
    expect(message.data.conceptSchemes[0].concepts.find((c: any) => c.id === 'FREQ')).toEqual({ id: 'FREQ', name: 'Frequency', names: { en: 'Frequency', zh: '频率' } })
    // Every code the data uses is in the code lists.
    const data = await sdmxJson('limit=1000')
    const s = data.data.structures[0]
    for (const [i, list] of [[0, 'CL_FREQ'], [1, 'CL_INDICATOR'], [2, 'CL_AREA'], [3, 'CL_KIND']] as const) for (const v of s.dimensions.series[i].values) expect(codelist(list)).toContain(v.id)
    for (const v of s.attributes.observation.find((a: any) => a.id === 'UNIT_MEASURE').values) expect(codelist('CL_UNIT')).toContain(v.value)
  })

  it('answers the dataflow and SDMX REST wildcards, and 404 for another artefact', async () => {
    for (const url of ['dataflow/BAYANTALA/DF_TOWN_INDICATORS/1.0', 'dataflow/*/*/latest', 'datastructure/all/all/~', 'dataflow/BAYANTALA/DF_TOWN_INDICATORS/+']) {
      const res = await inject({ url: `/v1/sdmx/structure/${url}` })
      expect(res.statusCode, url).toBe(200)
      expect(json(res.body).data.dataflows[0]).toMatchObject({ id: 'DF_TOWN_INDICATORS', agencyID: 'BAYANTALA', version: '1.0' })
    }
    for (const url of ['dataflow/ECB/DF_TOWN_INDICATORS/1.0', 'dataflow/BAYANTALA/DSD_TOWN_INDICATORS/1.0', 'datastructure/BAYANTALA/DSD_TOWN_INDICATORS/2.0']) {
      expect((await inject({ url: `/v1/sdmx/structure/${url}` })).statusCode, url).toBe(404)
    }
  })
})
