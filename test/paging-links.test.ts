// Paging through `Link: <…>; rel="next"` (RFC 8288): every representation of the observation list that can
// be cut by `limit` (JSON, CSV, SDMX-CSV, SDMX-JSON, converted values) links the rest, and following the
// links from the first page reads every matching observation exactly once, in order, as one unlimited read does.
// A hit from the response cache carries the representation's headers as the miss did.
import fc from 'fast-check'
import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
let indicators: string[]

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  indicators = json<{ data: { code: string }[] }>((await t.app.inject({ url: '/v1/indicators' })).body).data.map((i) => i.code)
})
afterAll(() => t.close())

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers })

/** The target of a `rel="next"` link in a Link header, or null. */
function nextOf(link: string | string[] | number | undefined): string | null {
  const m = /^<([^>]*)>;\s*rel="next"$/.exec(String(link ?? ''))
  return m ? m[1]! : null
}

type Reader = (body: string) => string[]
/** What identifies an observation in each representation: its id, or (SDMX, which has none) its key. */
/** `grouped`: a message groups its observations by series, so only the set of a page is in id order, not its listing. */
const READERS: Record<string, { query: string; accept?: string; read: Reader; grouped?: boolean }> = {
  json: { query: '', read: (body) => json<{ data: { id: number }[] }>(body).data.map((o) => String(o.id)) },
  csv: { query: '&format=csv', read: (body) => (parse(body, { columns: true }) as { id: string }[]).map((r) => r.id) },
  'csv with labels and bom': { query: '&format=csv&labels=en&bom=true', read: (body) => (parse(body, { columns: true, bom: true }) as { id: string }[]).map((r) => r.id) },
  'sdmx-csv': {
    query: '',
    accept: 'application/vnd.sdmx.data+csv;version=2.0.0',
    read: (body) => (parse(body, { columns: true }) as Record<string, string>[]).map((r) => [r.INDICATOR, r.REF_AREA, r.KIND, r.TIME_PERIOD, r.OBS_VALUE].join('|')),
  },
  'sdmx-json': {
    query: '&format=sdmx-json',
    grouped: true,
    read: (body) => {
      const message = json<{ data?: { dataSets?: { series: Record<string, { observations: Record<string, unknown[]> }> }[] } }>(body)
      return (message.data?.dataSets ?? []).flatMap((d) => Object.values(d.series).flatMap((s) => Object.values(s.observations).map((o) => String(o[0]))))
    },
  },
}

/** Follows the links from `first`, checking each is relative and same-route; returns the pages' items and how many pages. */
async function follow(first: string, accept: string | undefined, read: Reader): Promise<{ items: string[]; pages: number }> {
  const items: string[] = []
  let url: string | null = first
  let pages = 0
  while (url !== null) {
    const res = await get(url, accept ? { accept } : {})
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
    items.push(...read(res.body))
    pages++
    expect(pages, 'the links end').toBeLessThan(500)
    url = nextOf(res.headers.link)
    if (url !== null) expect(url.startsWith('/v1/observations?')).toBe(true)
  }
  return { items, pages }
}

describe('Link rel="next" on the observation list', () => {
  it('reads every matching observation once, in order, by following the links from a limited first page, in every representation (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(indicators, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('', '&kind=actual', '&kind=target', '&includeWithdrawn=true'),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(...Object.keys(READERS)),
        async (codes, extra, limit, name) => {
          const { query, accept, read, grouped } = READERS[name]!
          const filter = `/v1/observations?indicator=${codes.join(',')}${extra}${query}`
          // SDMX-JSON is cut at 1000 observations even without limit; the seed holds fewer.
          const whole = await get(name.startsWith('sdmx-json') || name === 'json' ? `${filter}&limit=1000` : filter, accept ? { accept } : {})
          expect(whole.statusCode).toBe(200)
          expect(nextOf(whole.headers.link)).toBeNull()
          const expected = read(whole.body)
          const paged = await follow(`${filter}&limit=${limit}`, accept, read)
          expect(grouped ? [...paged.items].sort() : paged.items).toEqual(grouped ? [...expected].sort() : expected)
          expect(paged.pages).toBe(Math.max(1, Math.ceil(expected.length / limit)))
        },
      ),
      { numRuns: 40 },
    )
  })

  it('links converted values too (unit=), each page converted alike', async () => {
    const whole = json<{ data: { id: number; value: string }[] }>((await get('/v1/observations?indicator=dibao_paid,tekun_paid&unit=%E4%B8%87%E5%85%83&limit=1000')).body).data
    expect(whole.length).toBeGreaterThan(1)
    const paged = await follow('/v1/observations?indicator=dibao_paid,tekun_paid&unit=%E4%B8%87%E5%85%83&limit=1', undefined, (body) => json<{ data: { id: number; value: string }[] }>(body).data.map((o) => `${o.id}:${o.value}`))
    expect(paged.items).toEqual(whole.map((o) => `${o.id}:${o.value}`))
  })

  it('writes the link relative to the service, whatever Host the request names, and keeps every other parameter', async () => {
    const res = await get('/v1/observations?indicator=dibao_paid,tekun_paid&kind=actual&limit=1', { host: 'evil.example' })
    const next = nextOf(res.headers.link)
    expect(next).not.toBeNull()
    const params = new URL(next!, 'http://x').searchParams
    expect([params.get('indicator'), params.get('kind'), params.get('limit')]).toEqual(['dibao_paid,tekun_paid', 'actual', '1'])
    expect(params.get('cursor')).toBe(json<{ nextCursor: string }>(res.body).nextCursor)
    expect(String(res.headers.link)).not.toContain('evil.example')
  })

  it('gives no link on the last page, nor on a CSV export without limit (it holds every row)', async () => {
    expect((await get('/v1/observations?format=csv')).headers.link).toBeUndefined()
    expect((await get('/v1/observations?limit=1000')).headers.link).toBeUndefined()
    expect((await get('/v1/observations?format=csv&limit=1000')).headers.link).toBeUndefined()
  })

  it('refuses a bad cursor on a limited CSV export with a problem, not a download', async () => {
    const res = await get('/v1/observations?format=csv&limit=2&cursor=nonsense')
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/problem\+json/)
    expect(res.headers['content-disposition']).toBeUndefined()
    expect(res.headers.link).toBeUndefined()
  })
})

describe('response cache', () => {
  it('never serves one Host\'s SDMX-JSON next link to another, and shares the answers that name no host', async () => {
    const url = '/v1/observations?format=sdmx-json&limit=1&indicator=dibao_paid,tekun_paid'
    const spoofed = await get(url, { host: 'evil.example' })
    expect(spoofed.body).toContain('http://evil.example/')
    const honest = await get(url, { host: 'stats.example.org' })
    expect(honest.headers['x-cache']).toBe('miss')
    expect(honest.body).not.toContain('evil.example')
    expect(honest.body).toContain('http://stats.example.org/')
    const list = '/v1/observations?indicator=dibao_paid&limit=1'
    expect((await get(list, { host: 'a.example' })).headers['x-cache']).toBe('miss')
    expect((await get(list, { host: 'b.example' })).headers['x-cache']).toBe('hit')
  })


  /** Headers that belong to one exchange, not to the representation. */
  const PER_EXCHANGE = /^(x-request-id|x-cache|date|connection|content-length|keep-alive|ratelimit-.*|x-ratelimit-.*|retry-after)$/

  it('answers a hit with the headers of the miss, for every cached representation of the list', async () => {
    const urls: [string, Record<string, string>][] = [
      ['/v1/observations?indicator=dibao_paid&unit=%E4%B8%87%E5%85%83', {}],
      ['/v1/observations?limit=2', {}],
      ['/v1/observations?indicator=dibao_paid&limit=1&format=sdmx-json', {}],
      ['/v1/observations?indicator=dibao_paid&limit=1', { accept: 'application/vnd.sdmx.data+json;version=2.0.0' }],
      ['/v1/observations?indicator=dibao_paid,tekun_paid&format=jsonstat', {}],
      ['/v1/periods/2023H1', {}],
      ['/v1/indicators/dibao_paid', {}],
    ]
    for (const [url, headers] of urls) {
      const miss = await get(url, headers)
      const hit = await get(url, headers)
      expect(miss.statusCode, `${url}: ${miss.body}`).toBe(200)
      expect([miss.headers['x-cache'], hit.headers['x-cache']], url).toEqual(['miss', 'hit'])
      const own = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => !PER_EXCHANGE.test(k)).sort(([a], [b]) => (a < b ? -1 : 1)))
      expect(own(hit.headers), url).toEqual(own(miss.headers))
      expect(hit.body).toBe(miss.body)
      // Revalidated, the 304 says what the 200 said about the representation (its next page, its conversion).
      const revalidated = await get(url, { ...headers, 'if-none-match': String(miss.headers.etag) })
      expect(revalidated.statusCode, url).toBe(304)
      for (const h of ['link', 'unit-conversion', 'etag', 'vary']) expect(revalidated.headers[h], `${url} ${h}`).toBe(miss.headers[h])
    }
  })
})
