// Issue 13 §2: a CSV export that spreadsheets and scripts take as it is. The seeded observations are
// exported (plain, and with bom=true&labels=zh), the exact bytes imported into a fresh database whose
// catalogue is set up through the API only, and exported again: every observation column but this
// database's bookkeeping (id, revision, recorded_at) comes back the same. Then bom and labels on random
// filters, and label text made hostile through the API.
import fc from 'fast-check'
import { parse } from 'csv-parse/sync'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { AREA_RANK } from '../src/modules/areas/areas.commands.js'
import { csvCell, isNeutralizedLead, unneutralize, UTF8_BOM as BOM } from '../src/http/csv-export.js'
import { CSV_COLUMNS } from '../src/modules/observations/observations.csv.js'
import { LABEL_COLUMNS } from '../src/modules/observations/observation-labels.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

const config = { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } }
/** This database's bookkeeping: another database gives its own. */
const BOOKKEEPING = new Set(['id', 'revision', 'recorded_at'])
const NUMBER_COLUMNS = new Set(['id', 'value', 'reported_value', 'byte_start', 'byte_end', 'revision'])

let seeded: TestContext
let fresh: TestContext
let seededAuth: { authorization: string }
let freshAuth: { authorization: string }

beforeAll(async () => {
  seeded = await buildTestApp({ build: config })
  fresh = await buildTestApp({ seed: false, build: config })
  seededAuth = { authorization: `Bearer ${(await createKey(seeded.storage, 'admin', ['admin', 'write'])).secret}` }
  freshAuth = { authorization: `Bearer ${(await createKey(fresh.storage, 'admin', ['admin', 'write'])).secret}` }
})
afterAll(async () => {
  await seeded?.close()
  await fresh?.close()
})

const inject = (t: TestContext, options: InjectOptions) => t.app.inject(options)
const get = (t: TestContext, url: string) => inject(t, { method: 'GET', url })
/** The CSV as its bytes say (light-my-request's `body` drops a leading BOM). */
const text = (res: { rawPayload: Buffer }) => res.rawPayload.toString('utf8')
const exportCsv = async (t: TestContext, query = '') => {
  const res = await get(t, `/v1/observations?format=csv${query}`)
  expect(res.statusCode, res.body).toBe(200)
  return Object.assign(res, { csv: text(res) })
}
/** Records as a plain RFC 4180 reader gives them (csv-parse), the BOM taken off. */
const records = (body: string): string[][] => parse(body, { bom: true, relaxColumnCount: false }) as string[][]
/** Rows as objects of stored values: text cells with the export's one leading ' dropped. */
function rowsOf(body: string): Array<Record<string, string>> {
  const [header, ...rest] = records(body)
  return rest.map((r) => Object.fromEntries((header as string[]).map((h, i) => [h, NUMBER_COLUMNS.has(h) ? (r[i] as string) : unneutralize(r[i] as string)])))
}
/** An observation's content: every export column but the bookkeeping and the labels. */
const content = (row: Record<string, string | undefined>) => Object.fromEntries(CSV_COLUMNS.filter((c) => !BOOKKEEPING.has(c)).map((c) => [c, row[c]]))
const naturalKey = (r: Record<string, string | undefined>) => `${r.indicator}|${r.area}|${r.period}|${r.kind}`
const byKey = (rows: Array<Record<string, string | undefined>>) => rows.map(content).sort((a, b) => naturalKey(a).localeCompare(naturalKey(b)))

/** The seeded catalogue, copied into the fresh database through the public API. */
async function copyCatalogue(periods: string[]): Promise<void> {
  const put = async (url: string, payload?: object) => {
    const res = await inject(fresh, { method: 'PUT', url, headers: freshAuth, ...(payload ? { payload } : {}) })
    expect([200, 201], `${url}: ${res.body}`).toContain(res.statusCode)
  }
  const have = new Set((json((await get(fresh, '/v1/units')).body).data as Array<{ code: string }>).map((u) => u.code))
  const units = json((await get(seeded, '/v1/units')).body).data as Array<{ code: string; nameZh: string; nameEn: string; base: string; multiplier: string; description: string; isBase: boolean }>
  for (const u of [...units].sort((a, b) => Number(b.isBase) - Number(a.isBase))) {
    if (!have.has(u.code)) await put(`/v1/units/${encodeURIComponent(u.code)}`, { nameZh: u.nameZh, nameEn: u.nameEn, base: u.base, multiplier: u.multiplier, description: u.description })
  }
  const areas = json((await get(seeded, '/v1/areas')).body).data as Array<{ code: string; nameZh: string; nameEn: string; level: keyof typeof AREA_RANK; parent: string | null; divisionCode: string | null }>
  for (const { code, ...a } of [...areas].sort((x, y) => AREA_RANK[x.level] - AREA_RANK[y.level])) await put(`/v1/areas/${code}`, a)
  for (const p of periods) await put(`/v1/periods/${p}`)
  const indicators = json((await get(seeded, '/v1/indicators')).body).data as Array<{ code: string; nameZh: string; nameEn: string; description: string; category: string; unit: string; additive: boolean; synonyms: string[] }>
  for (const { code, ...i } of indicators) await put(`/v1/indicators/${code}`, i)
  for (const s of json((await get(seeded, '/v1/sources')).body).data as Array<Record<string, string | null>>) {
    const bytes = (await get(seeded, `/v1/sources/${s.id}/text`)).rawPayload
    const body = Object.fromEntries(['id', 'title', 'titleEn', 'documentNumber', 'issuer', 'recipient', 'issuedOn', 'sha256'].flatMap((k) => (s[k] == null ? [] : [[k, s[k]]])))
    const res = await inject(fresh, { method: 'POST', url: '/v1/sources', headers: freshAuth, payload: { ...body, contentBase64: bytes.toString('base64') } })
    expect(res.statusCode, res.body).toBe(201)
  }
}

const importCsv = (t: TestContext, auth: object, body: Buffer | string, query = '?reason=round%20trip') =>
  inject(t, { method: 'POST', url: `/v1/imports${query}`, headers: { ...auth, 'content-type': 'text/csv' }, payload: body })

describe('an export imports unchanged into a fresh database (round trip)', () => {
  it('carries every observation column back: plain, and with bom=true&labels=zh', async () => {
    const plain = await exportCsv(seeded)
    const labelled = await exportCsv(seeded, '&bom=true&labels=zh')
    expect(labelled.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
    const original = rowsOf(plain.csv)
    expect(original.length).toBeGreaterThan(20)
    expect(original.every((r) => r.status === 'active')).toBe(true)

    await copyCatalogue([...new Set(original.map((r) => r.period as string))])
    const dry = await importCsv(fresh, freshAuth, labelled.rawPayload, '?reason=round%20trip&dryRun=true')
    expect(dry.statusCode, dry.body).toBe(200)
    expect(json(dry.body)).toMatchObject({ received: original.length, created: original.length, rejected: 0 })

    // The exact bytes of the labelled, BOM-led export.
    const first = await importCsv(fresh, freshAuth, labelled.rawPayload)
    expect(first.statusCode, first.body).toBe(200)
    expect(json(first.body)).toMatchObject({ created: original.length, updated: 0, unchanged: 0 })
    const again = rowsOf((await exportCsv(fresh)).csv)
    expect(byKey(again)).toEqual(byKey(original))

    // The plain export of the same data is the same content: importing it records nothing.
    const second = await importCsv(fresh, freshAuth, plain.rawPayload)
    expect(second.statusCode, second.body).toBe(200)
    expect(json(second.body)).toMatchObject({ created: 0, updated: 0, unchanged: original.length })

    // And the fresh database's labelled export has the same labels.
    const labels = (body: string) => rowsOf(body).map((r) => [naturalKey(r), ...LABEL_COLUMNS.map((c) => r[c])].join('|')).sort()
    expect(labels((await exportCsv(fresh, '&labels=zh')).csv)).toEqual(labels(labelled.csv))
  })

  it('refuses the withdrawn rows of an includeWithdrawn export, each by its row, and writes nothing', async () => {
    const rows = json((await get(fresh, '/v1/observations?limit=2')).body).data as Array<{ id: number }>
    const target = rows[1] as { id: number }
    const etag = (await get(fresh, `/v1/observations/${target.id}`)).headers.etag as string
    const withdrawn = await inject(fresh, { method: 'DELETE', url: `/v1/observations/${target.id}?reason=test`, headers: { ...freshAuth, 'if-match': etag } })
    expect(withdrawn.statusCode, withdrawn.body).toBe(200)
    const body = (await exportCsv(fresh, '&includeWithdrawn=true&limit=3')).csv
    const index = rowsOf(body).findIndex((r) => r.status === 'withdrawn')
    expect(index).toBe(1)
    const res = await importCsv(fresh, freshAuth, body)
    expect(res.statusCode, res.body).toBe(422)
    const problem = json(res.body)
    expect(problem.errors).toEqual([expect.objectContaining({ in: 'body', index: 1, name: '/observations/1/status' })])
    expect(problem.summary).toMatchObject({ rejected: 1, created: 0, updated: 0 })
    // Without includeWithdrawn the export is import-ready again.
    expect((await importCsv(fresh, freshAuth, (await exportCsv(fresh, '&limit=3')).csv)).statusCode).toBe(200)
  })

  it('refuses a converted export (unit=) as a whole at its value_exact column, and checks the value column of a file without it', async () => {
    // dibao_paid is in CNY, which 万元 divides by 10 000: a conversion that changes the value.
    const [first] = rowsOf((await exportCsv(seeded, '&limit=1&indicator=dibao_paid')).csv) as Array<Record<string, string>>
    const units = json((await get(seeded, `/v1/units?base=${encodeURIComponent(first?.unit as string)}`)).body).data as Array<{ code: string; multiplier: string }>
    const other = units.find((u) => u.multiplier !== '1')
    expect(other).toBeDefined()
    // The base unit itself too: even a conversion that changes no value is an export made with unit=.
    for (const code of [first?.unit as string, other!.code]) {
      for (const labels of ['', '&labels=en']) {
        const converted = await exportCsv(seeded, `&limit=1&indicator=${first?.indicator}&unit=${encodeURIComponent(code)}${labels}`)
        const res = await importCsv(seeded, seededAuth, converted.csv, '?reason=converted&dryRun=true')
        expect(res.statusCode, res.body).toBe(400)
        expect(json(res.body).errors).toEqual([expect.objectContaining({ in: 'body', name: 'value_exact', message: expect.stringContaining('unit=') })])
      }
    }
    // Without the marker column, a converted value still fails the value check: never stored in the wrong unit.
    const converted = records((await exportCsv(seeded, `&limit=1&indicator=${first?.indicator}&unit=${encodeURIComponent(other!.code)}`)).csv)
    const at = (converted[0] as string[]).indexOf('value_exact')
    // The cells are already neutralized: csvCell only quotes them again.
    const stripped = converted.map((r) => r.filter((_, i) => i !== at).map((c) => csvCell('number', c)).join(',') + '\r\n').join('')
    const [row] = rowsOf(stripped)
    expect(row?.value).not.toBe(first?.value)
    const res = await importCsv(seeded, seededAuth, stripped, '?reason=converted&dryRun=true')
    expect(res.statusCode, res.body).toBe(422)
    expect(JSON.stringify(json(res.body).errors)).toContain('/observations/0/value')
  })
})

describe('bom and labels on any filter (property)', () => {
  it('bom only adds U+FEFF; labels only append their cells, each the catalogue\'s name or date', async () => {
    const catalogue = {
      indicators: json((await get(seeded, '/v1/indicators')).body).data as Array<{ code: string; nameZh: string; nameEn: string }>,
      areas: json((await get(seeded, '/v1/areas')).body).data as Array<{ code: string; nameZh: string; nameEn: string }>,
      units: json((await get(seeded, '/v1/units')).body).data as Array<{ code: string; nameZh: string; nameEn: string }>,
      sources: json((await get(seeded, '/v1/sources')).body).data as Array<{ id: string; title: string; titleEn: string | null }>,
    }
    const name = (lang: string, zh: string | null | undefined, en: string | null | undefined) => (lang === 'zh' ? zh || en : en || zh) ?? ''
    const codes = catalogue.indicators.map((i) => i.code)
    const query = fc.record(
      {
        indicator: fc.subarray(codes, { minLength: 1, maxLength: 4 }),
        kind: fc.subarray(['actual', 'target', 'forecast'], { minLength: 1 }),
        limit: fc.integer({ min: 1, max: 40 }),
        includeWithdrawn: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), fc.constantFrom('zh', 'en', undefined), async (q, bom, lang) => {
        const filter = Object.entries(q).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `&${k}=${String(x)}`)).join('')
        const plain = (await exportCsv(seeded, filter)).csv
        const res = await exportCsv(seeded, `${filter}${bom ? '&bom=true' : '&bom=false'}${lang ? `&labels=${lang}` : ''}`)
        expect(res.csv.startsWith(BOM)).toBe(bom)
        if (res.headers['content-length'] !== undefined) expect(Number(res.headers['content-length'])).toBe(res.rawPayload.length)
        const body = bom ? res.csv.slice(1) : res.csv
        expect(body.startsWith(BOM)).toBe(false)
        if (!lang) {
          expect(body).toBe(plain)
          return
        }
        const lines = records(body)
        const plainRecords = records(plain)
        expect(lines.length).toBe(plainRecords.length)
        expect(lines[0]).toEqual([...CSV_COLUMNS, ...LABEL_COLUMNS])
        for (const [i, r] of lines.entries()) {
          expect(r.slice(0, CSV_COLUMNS.length)).toEqual(plainRecords[i])
          if (i === 0) continue
          const o = Object.fromEntries(CSV_COLUMNS.map((c, k) => [c, unneutralize(r[k] as string)]))
          const labels = r.slice(CSV_COLUMNS.length).map(unneutralize)
          const ind = catalogue.indicators.find((x) => x.code === o.indicator)
          const area = catalogue.areas.find((x) => x.code === o.area)
          const unit = catalogue.units.find((x) => x.code === o.unit)
          const source = catalogue.sources.find((x) => x.id === o.source_id)
          const period = json((await get(seeded, `/v1/periods/${o.period}`)).body) as { startDate: string; endDate: string }
          expect(labels).toEqual([name(lang, ind?.nameZh, ind?.nameEn), name(lang, area?.nameZh, area?.nameEn), name(lang, unit?.nameZh, unit?.nameEn), period.startDate, period.endDate, name(lang, source?.title, source?.titleEn)])
        }
      }),
      { numRuns: 25 },
    )
  })

  it('keeps bom and labels apart in the response cache and under compression', async () => {
    const url = '/v1/observations?format=csv&limit=5'
    const answers = []
    for (const q of ['', '&bom=true', '&labels=en', '&bom=true&labels=en', '']) answers.push(await get(seeded, url + q))
    expect(answers.map((a) => text(a).startsWith(BOM))).toEqual([false, true, false, true, false])
    expect(text(answers[4] as { rawPayload: Buffer })).toBe(text(answers[0] as { rawPayload: Buffer }))
    const etags = answers.slice(0, 4).flatMap((a) => (a.headers.etag === undefined ? [] : [a.headers.etag]))
    expect(new Set(etags).size).toBe(etags.length)
    const gz = await inject(seeded, { method: 'GET', url: `${url}&bom=true`, headers: { 'accept-encoding': 'gzip' } })
    const { gunzipSync } = await import('node:zlib')
    const bytes = gz.headers['content-encoding'] === 'gzip' ? gunzipSync(gz.rawPayload) : gz.rawPayload
    expect(bytes.toString('utf8')).toBe(text(answers[1] as { rawPayload: Buffer }))
  })
})

describe('hostile label text, set through the API', () => {
  it('neutralizes and quotes names with = , quotes and newlines, and the labelled export still imports', async () => {
    const hostile = ['=HYPERLINK("http://x","y")', '+1,2', '-"quoted", and\nnewline', '@SUM(A1)', " lead space", "'already", '\t=1', '普通,名称\r\n第二行']
    const rows = json((await get(seeded, '/v1/observations?limit=50')).body).data as Array<{ indicator: string; area: string }>
    const ind = rows[0]?.indicator as string
    const area = rows[0]?.area as string
    const indicator = json((await get(seeded, `/v1/indicators/${ind}`)).body)
    const areaBody = json((await get(seeded, `/v1/areas/${area}`)).body)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...hostile), fc.constantFrom(...hostile), fc.constantFrom('zh', 'en'), async (indName, areaName, lang) => {
        const i = { description: indicator.description, category: indicator.category, unit: indicator.unit, additive: indicator.additive, synonyms: indicator.synonyms }
        const a = { level: areaBody.level, parent: areaBody.parent, divisionCode: areaBody.divisionCode }
        const named = await inject(seeded, { method: 'PUT', url: `/v1/indicators/${ind}`, headers: seededAuth, payload: { ...i, nameZh: indName, nameEn: indName } })
        expect(named.statusCode, named.body).toBe(200)
        const areaNamed = await inject(seeded, { method: 'PUT', url: `/v1/areas/${area}`, headers: seededAuth, payload: { ...a, nameZh: areaName, nameEn: areaName } })
        expect(areaNamed.statusCode, areaNamed.body).toBe(200)
        const res = await exportCsv(seeded, `&indicator=${ind}&area=${area}&labels=${lang}&bom=true`)
        const [header, ...lines] = records(res.csv)
        expect(lines.length).toBeGreaterThan(0)
        for (const line of lines) {
          const cell = (c: string) => line[(header as string[]).indexOf(c)] as string
          for (const [column, stored] of [['indicator_name', indName], ['area_name', areaName]] as const) {
            expect(unneutralize(cell(column))).toBe(stored)
            // A cell that would start a formula is led by ' (and stays text).
            if (isNeutralizedLead(stored.codePointAt(0) as number)) expect(cell(column)).toBe(`'${stored}`)
          }
        }
        // The labelled export reads back into the same rows: nothing changes.
        const back = await importCsv(seeded, seededAuth, res.rawPayload)
        expect(back.statusCode, back.body).toBe(200)
        expect(json(back.body)).toMatchObject({ created: 0, updated: 0 })
      }),
      { numRuns: 12 },
    )
  })
})
