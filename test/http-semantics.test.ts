// HTTP semantics as a class, over every route the app serves (enumerated from its own
// OpenAPI document plus the hidden routes), path parameters filled from the seed:
// 405 with Allow, OPTIONS, HEAD = GET without a body, 304 without Content-Type,
// Vary and a cache keyed by representation, Cache-Control on every read, unknown
// query parameters refused, and gzip/br coding with per-coding ETags.
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import fc from 'fast-check'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { negotiate, negotiateEncoding } from '../src/http/negotiate.js'
import { COMPRESSION_THRESHOLD } from '../src/http/compression.js'
import { ifMatchVerdict, ifNoneMatchMatches, codedEtag } from '../src/http/conditional.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS'
const METHODS: Method[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/**
 * Headers that legitimately differ between two requests to the same resource; and the framing of a
 * streamed GET (chunked), which a HEAD has no body to frame (RFC 9110 §9.3.2 lets size fields go).
 */
const PER_REQUEST = new Set(['date', 'x-request-id', 'ratelimit-remaining', 'ratelimit-reset', 'x-cache', 'connection', 'transfer-encoding'])

interface KnownPath {
  template: string
  /** A concrete path with parameters taken from the seed. */
  path: string
  methods: Set<string>
  /** Media types of the GET 200 answer, from the document. */
  offers: string[]
}

let t: TestContext
let paths: KnownPath[] = []
let writeKey = ''
/** An admin key on every read: some reads (the full audit verification) are for admins, and a key changes nothing else. */
let admin: Record<string, string> = {}

async function fill(template: string, examples: Record<string, unknown> = {}): Promise<string> {
  let path = template
  for (const m of template.matchAll(/\{([^}]+)\}/g)) {
    // A parameter with no listing above it (the SDMX structure paths) takes its documented example.
    if (examples[m[1]!] !== undefined && examples[m[1]!] !== null) {
      path = path.replace(m[0]!, encodeURIComponent(String(examples[m[1]!])))
      continue
    }
    const parent = path.slice(0, path.indexOf(m[0]!) - 1)
    const res = await t.app.inject({ url: parent.replace(/\/$/, '') || '/' })
    const body = json(res.body)
    const first = (Array.isArray(body) ? body[0] : body.data?.[0]) as Record<string, unknown>
    const slug = typeof first.type === 'string' ? first.type.split('/').pop() : undefined
    const value = first[m[1]!] ?? (m[1] === 'slug' ? slug : undefined) ?? first.id ?? first.code
    expect(value, `a value for ${m[0]} in ${template}`).toBeDefined()
    path = path.replace(m[0]!, encodeURIComponent(String(value)))
  }
  return path
}

const allowOf = (methods: Set<string>) => {
  const all = new Set(methods)
  if (all.has('GET')) all.add('HEAD')
  all.add('OPTIONS')
  return [...all].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)).join(', ')
}


const ask = (options: InjectOptions): Promise<LightMyRequestResponse> => t.app.inject(options)

/** The field names a Vary header lists, in lower case. */
const varyOf = (res: LightMyRequestResponse) => String(res.headers.vary ?? '').split(',').map((f) => f.trim().toLowerCase())

const stable = (headers: Record<string, unknown>) => Object.fromEntries(Object.entries(headers).filter(([k]) => !PER_REQUEST.has(k)))
const gets = () => paths.filter((p) => p.methods.has('GET'))

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  writeKey = (await createKey(t.storage, 'semantics', ['write'])).secret
  admin = { authorization: `Bearer ${(await createKey(t.storage, 'semantics-admin', ['admin'])).secret}` }
  const doc = t.app.swagger() as { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, unknown> }>; parameters?: Array<{ in: string; name: string; example?: unknown }> }>> }
  for (const [template, ops] of Object.entries(doc.paths)) {
    const offers = Object.keys(ops.get?.responses?.['200']?.content ?? {})
    const examples = template.startsWith('/v1/sdmx/') ? Object.fromEntries((ops.get?.parameters ?? []).filter((p) => p.in === 'path').map((p) => [p.name, p.example])) : {}
    paths.push({ template, path: await fill(template, examples), methods: new Set(Object.keys(ops).map((m) => m.toUpperCase())), offers })
  }
  // Hidden from the document, served all the same.
  for (const hidden of ['/openapi.json', '/openapi.yaml', '/docs', '/docs/json']) paths.push({ template: hidden, path: hidden, methods: new Set(['GET']), offers: [] })
  paths = paths.filter((p) => p.template !== '/metrics')
})
afterAll(() => t.close())

describe('405 with Allow, and OPTIONS', () => {
  it('every known path answers a method it lacks with 405 problem+json and Allow naming the methods it has', async () => {
    for (const p of paths) {
      for (const method of METHODS.filter((m) => !p.methods.has(m) && !(m === 'HEAD' && p.methods.has('GET')))) {
        const res = await ask({ method, url: p.path, headers: { authorization: `Bearer ${writeKey}` } })
        expect(res.statusCode, `${method} ${p.path}`).toBe(405)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(res.headers.allow, `${method} ${p.path}`).toBe(allowOf(p.methods))
        if (method !== 'HEAD') expect(json(res.body).code).toBe('APP_ERR_METHOD_NOT_ALLOWED')
        expect(res.headers['cache-control']).toBe('no-store')
      }
    }
  })

  it('every known path answers a plain OPTIONS with 204, Allow and no body', async () => {
    for (const p of paths) {
      const res = await ask({ method: 'OPTIONS', url: p.path })
      expect(res.statusCode, p.path).toBe(204)
      expect(res.headers.allow, p.path).toBe(allowOf(p.methods))
      expect(res.body).toBe('')
      expect(res.headers['content-type']).toBeUndefined()
    }
  })

  it('a CORS preflight is still answered by CORS, on any path', async () => {
    for (const p of paths) {
      const res = await ask({ method: 'OPTIONS', url: p.path, headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' } })
      expect(res.statusCode).toBe(204)
      expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD')
      expect(res.headers['access-control-allow-origin']).toBe('*')
    }
  })

  it('unknown paths stay 404 for every method, OPTIONS included (a parameter segment is not a wildcard)', async () => {
    const segment = fc.stringMatching(/^[a-z0-9-]{1,12}$/)
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.map((p) => p.path)), segment, fc.constantFrom<Method>(...METHODS, 'OPTIONS'), async (base, extra, method) => {
        const url = `${base === '/' ? '' : base}/${extra}/zz-nothing-here`
        const res = await ask({ method, url })
        expect(res.statusCode, `${method} ${url}`).toBe(404)
        expect(res.headers.allow).toBeUndefined()
      }),
      { numRuns: 60 },
    )
    for (const url of ['/v1/nope', '/v1/observations/1/nope', '/nope']) {
      expect((await ask({ method: 'POST', url })).statusCode).toBe(404)
      expect((await ask({ method: 'OPTIONS', url })).statusCode).toBe(404)
    }
  })

  it('a path parameter matches any value: /v1/observations/{id} is known for ids that do not exist', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1e9 }), async (id) => {
        const res = await ask({ method: 'POST', url: `/v1/observations/${id}` })
        expect(res.statusCode).toBe(405)
        expect(res.headers.allow).toBe('GET, HEAD, PUT, DELETE, OPTIONS')
      }),
      { numRuns: 20 },
    )
  })
})

describe('HEAD is GET without the body; 304 has no body and no Content-Type', () => {
  for (const encoding of [undefined, 'gzip', 'br']) {
    it(`on every GET route, HEAD's headers equal GET's, cold and warm (Accept-Encoding: ${encoding ?? 'none'})`, async () => {
      const headers = encoding ? { ...admin, 'accept-encoding': encoding } : admin
      for (const p of gets()) {
        // HEAD first (cold), then GET, then HEAD again (warm): the order never shows.
        const cold = await ask({ method: 'HEAD', url: p.path, headers })
        const get = await ask({ method: 'GET', url: p.path, headers })
        const warm = await ask({ method: 'HEAD', url: p.path, headers })
        expect(get.statusCode, `${p.path} ${get.body}`).toBeLessThan(300)
        for (const head of [cold, warm]) {
          expect(head.statusCode, p.path).toBe(get.statusCode)
          expect(head.body, p.path).toBe('')
          expect(stable(head.headers), `HEAD ${p.path}`).toEqual(stable(get.headers))
        }
      }
    })
  }

  it('on every GET route with an ETag, If-None-Match gives 304 on GET and HEAD, without Content-Type or body, with the same ETag', async () => {
    for (const encoding of [undefined, 'gzip', 'br']) {
      const headers: Record<string, string> = encoding ? { ...admin, 'accept-encoding': encoding } : admin
      for (const p of gets()) {
        // Fresh from the database (the route or the cache's miss path) and from the cache.
        for (const extra of [{ 'cache-control': 'no-cache' }, {}]) {
          const get = await ask({ method: 'GET', url: p.path, headers: { ...headers, ...extra } })
          const etag = get.headers.etag as string | undefined
          if (p.path.startsWith('/v1/') && !p.path.startsWith('/v1/audit/verify')) expect(etag, `ETag on ${p.path}`).toBeDefined()
          if (!etag) continue
          for (const method of ['GET', 'HEAD'] as const) {
            const res = await ask({ method, url: p.path, headers: { ...headers, ...extra, 'if-none-match': etag } })
            expect(res.statusCode, `${method} ${p.path} ${JSON.stringify(extra)} ${encoding}`).toBe(304)
            expect(res.body).toBe('')
            expect(res.headers['content-type'], `${method} ${p.path}`).toBeUndefined()
            expect(res.headers['content-length'] ?? '0').toBe('0')
            expect(res.headers['content-encoding']).toBeUndefined()
            expect(res.headers.etag, `${method} ${p.path} ${encoding}`).toBe(etag)
            expect(res.headers['cache-control']).toBe(get.headers['cache-control'])
          }
        }
      }
    }
  })
})

describe('Vary: Accept and a cache keyed by representation', () => {
  const negotiated = () => gets().filter((p) => p.offers.length > 1)

  it('the document names at least the observation list as negotiated', () => {
    expect(negotiated().map((p) => p.template)).toContain('/v1/observations')
  })

  it('every negotiated route says Vary: Accept on every answer, and answers each offer as that offer, warm or cold', async () => {
    for (const p of negotiated()) {
      for (let round = 0; round < 2; round++) {
        for (const type of p.offers) {
          // A short page where the route pages (the list); the annotation routes take no limit.
          const res = await ask({ url: p.template === '/v1/observations' ? `${p.path}?limit=3` : p.path, headers: { accept: type } })
          expect(res.statusCode).toBe(200)
          expect(String(res.headers['content-type'])).toContain(type)
          expect(varyOf(res)).toContain('accept')
        }
      }
    }
  })

  it('a warm cache refuses an Accept it cannot serve, as a cold one does (406 with Vary: Accept)', async () => {
    const refused = fc.constantFrom(
      'application/xml',
      'image/png',
      'text/html',
      'application/json;q=0, text/csv;q=0',
      'text/*;q=0, application/*;q=0',
      // The most specific range decides (RFC 9110 §12.5.1): */* does not undo a refusal.
      'application/*;q=0, text/csv;q=0, */*',
      'text/csv;q=1.5, application/json;q=abc',
    )
    for (const p of negotiated()) {
      await fc.assert(
        fc.asyncProperty(refused, fc.boolean(), async (accept, warm) => {
          if (warm) {
            expect((await ask({ url: p.path })).statusCode).toBe(200)
            expect((await ask({ url: p.path })).headers['x-cache']).toBe('hit')
          }
          const res = await ask({ url: p.path, headers: { accept } })
          expect(res.statusCode, `${accept} warm=${warm}`).toBe(406)
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
          expect(varyOf(res)).toContain('accept')
        }),
        { numRuns: 15 },
      )
    }
  })

  it('each offer takes the weight of the most specific range naming it (property against a reference reading of RFC 9110 §12.5.1)', () => {
    const offers = { json: 'application/json', csv: 'text/csv' } as const
    const range = fc.constantFrom('application/json', 'text/csv', 'application/*', 'text/*', '*/*', 'application/xml')
    const weight = fc.constantFrom('', ';q=0', ';q=0.5', ';q=1', ';q=0.001', ';q=2', ';q=x')
    fc.assert(
      fc.property(fc.array(fc.tuple(range, weight), { minLength: 1, maxLength: 5 }), (parts) => {
        const accept = parts.map(([r, w]) => r + w).join(', ')
        const q = (w: string) => (w === '' ? 1 : /^;q=(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(w) ? Number(w.slice(3)) : 0)
        const rank = (r: string, type: string) => (r === type ? 2 : r === `${type.split('/')[0]}/*` ? 1 : r === '*/*' ? 0 : -1)
        const weightOf = (type: string) => {
          let best: { s: number; q: number } | null = null
          for (const [r, w] of parts) {
            const s = rank(r, type)
            if (s >= 0 && (!best || s > best.s || (s === best.s && q(w) > best.q))) best = { s, q: q(w) }
          }
          return best?.q ?? 0
        }
        const [wj, wc] = [weightOf(offers.json), weightOf(offers.csv)]
        let chosen: string
        try {
          chosen = negotiate(accept, offers)
        } catch {
          chosen = 'none'
        }
        if (wj <= 0 && wc <= 0) expect(chosen, accept).toBe('none')
        else expect(chosen === 'json' ? wj : wc, accept).toBe(Math.max(wj, wc))
      }),
      { numRuns: 500 },
    )
    expect(negotiate('application/json;q=0, */*', offers)).toBe('csv')
  })

  it('the cache key is the representation, not the Accept text: many spellings of JSON share one entry', async () => {
    const url = '/v1/observations?limit=7'
    const first = await ask({ url, headers: { accept: 'application/json' } })
    for (const accept of ['*/*', 'application/*', 'application/json;q=0.9, text/csv;q=0.1', '']) {
      const res = await ask({ url, headers: { accept } })
      expect(res.headers['x-cache'], accept).toBe('hit')
      expect(res.body).toBe(first.body)
    }
    const csv = await ask({ url, headers: { accept: 'text/csv' } })
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
  })
})

describe('Cache-Control on every read', () => {
  it('every GET and HEAD answer carries Cache-Control: live state no-store, immutable data as the route says, the rest no-cache', async () => {
    for (const p of gets()) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await ask({ method, url: p.path, headers: admin })
        const control = res.headers['cache-control']
        expect(control, `${method} ${p.path}`).toBeDefined()
        if (['/healthz', '/readyz', '/v1/audit/verify', '/v1/audit/verify/full'].includes(p.template)) expect(control).toBe('no-store')
        else if (p.template === '/v1/sources/{id}/text') expect(control).toMatch(/immutable/)
        else expect(control, p.path).toMatch(/^(no-cache|public, max-age=\d+(, immutable)?)$/)
      }
    }
  })

  it('the change feed: full pages immutable, the partial last page no-cache', async () => {
    const full = await ask({ url: '/v1/changes?limit=2' })
    expect(json(full.body).hasMore).toBe(true)
    expect(full.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const partial = await ask({ url: '/v1/changes?limit=1000' })
    expect(json(partial.body).hasMore).toBe(false)
    expect(partial.headers['cache-control']).toBe('no-cache')
  })

  it('every problem answer is no-store, on any route (404, 400, 406, 405)', async () => {
    for (const p of gets()) {
      const res = await ask({ url: `${p.path}?zz-unknown=1`, headers: admin })
      expect(res.statusCode, p.path).toBe(400)
      expect(res.headers['cache-control'], p.path).toBe('no-store')
    }
    for (const url of ['/v1/nope', '/v1/observations/999999999', '/v1/indicators/nope', '/v1/sources/nope/text']) {
      const res = await ask({ url })
      expect(res.statusCode).toBe(404)
      expect(res.headers['cache-control'], url).toBe('no-store')
    }
  })
})

describe('unknown query parameters', () => {
  it('every GET route answers an unknown parameter with 400 naming it (in: query)', async () => {
    const name = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,15}$/).filter((n) => !['indicator', 'area', 'period', 'periodFrom', 'periodTo', 'kind', 'category', 'asOf', 'knownAt', 'publishedAt', 'updatedSince', 'includeWithdrawn', 'limit', 'cursor', 'format', 'after', 'seq', 'from', 'to', 'entityType', 'entityId', 'action', 'actor'].includes(n))
    for (const p of gets()) {
      await fc.assert(
        fc.asyncProperty(name, async (param) => {
          const res = await ask({ url: `${p.path}?${param}=1`, headers: admin })
          if (res.statusCode === 200) {
            // A parameter the route does take (the generator cannot know every route's).
            expect(JSON.stringify(t.app.swagger()), `${param} on ${p.path}`).toContain(`"${param}"`)
            return
          }
          expect(res.statusCode, `${p.path}?${param}=1`).toBe(400)
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
          expect(json(res.body).errors).toContainEqual(expect.objectContaining({ in: 'query', name: param }))
        }),
        { numRuns: 5 },
      )
    }
  })

  it('a write route with a query answers an unknown parameter too', async () => {
    const res = await ask({ method: 'DELETE', url: '/v1/observations/1?reason=x&zz=1', headers: { authorization: `Bearer ${writeKey}`, 'if-match': '"obs-1-r1"' } })
    expect(res.statusCode).toBe(400)
    expect(json(res.body).errors).toContainEqual(expect.objectContaining({ in: 'query', name: 'zz' }))
  })

  it('a coded request body is refused with 415 and Accept-Encoding: identity, on every write route, never read as plain bytes', async () => {
    for (const [method, url] of [['POST', '/v1/imports?dryRun=true'], ['PUT', '/v1/observations/1'], ['POST', '/v1/sources'], ['PUT', '/v1/areas/bayantala']] as const) {
      for (const coding of ['gzip', 'br', 'deflate', 'x-gzip']) {
        const res = await ask({ method, url, headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json', 'content-encoding': coding }, payload: '{"observations":[]}' })
        expect(res.statusCode, `${method} ${url} ${coding}`).toBe(415)
        expect(res.headers['accept-encoding']).toBe('identity')
        expect(json(res.body).errors).toEqual([{ in: 'header', name: 'Content-Encoding', message: 'only identity is accepted' }])
      }
    }
  })

  it('a missing file under a route that answers GET is 404, not a 405 naming GET', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      const res = await ask({ method, url: '/docs/static/no-such-file.js' })
      expect(res.statusCode, method).toBe(404)
      expect(res.headers.allow).toBeUndefined()
    }
  })

  it('the interactive docs still load: the page, its scripts and styles, and the document it fetches', async () => {
    const page = await ask({ url: '/docs/' })
    expect(page.statusCode).toBe(200)
    const assets = [...page.body.matchAll(/(?:src|href)="\.?\/?([^"]+)"/g)].map((m) => m[1]!).filter((a) => !a.startsWith('http'))
    expect(assets.length).toBeGreaterThan(0)
    for (const asset of assets) expect((await ask({ url: `/docs/${asset}` })).statusCode, asset).toBe(200)
    expect((await ask({ url: '/docs/json' })).statusCode).toBe(200)
  })
})

describe('compression', () => {
  const decode = (coding: string, raw: Buffer) => (coding === 'br' ? brotliDecompressSync(raw) : gunzipSync(raw)).toString('utf8')

  it('every GET answer of 1 KiB or more is coded as asked, decodes to the identity bytes, with its own ETag and Vary: Accept-Encoding', async () => {
    for (const p of gets()) {
      const identity = await ask({ url: p.path, headers: admin })
      const big = identity.rawPayload.byteLength >= COMPRESSION_THRESHOLD
      for (const coding of ['gzip', 'br']) {
        for (let round = 0; round < 2; round++) {
          const res = await ask({ url: p.path, headers: { ...admin, 'accept-encoding': coding } })
          if (p.template === '/v1/sources/{id}/text' || !big) {
            expect(res.headers['content-encoding'], p.path).toBeUndefined()
            if (!p.template.startsWith('/v1/audit/verify')) expect(res.body).toBe(identity.body)
            continue
          }
          expect(res.headers['content-encoding'], `${p.path} ${coding}`).toBe(coding)
          // The verification reports when it last ran: its body differs from one request to the next.
          if (!p.template.startsWith('/v1/audit/verify')) expect(decode(coding, res.rawPayload), p.path).toBe(identity.body)
          expect(varyOf(res), p.path).toContain('accept-encoding')
          if (identity.headers.etag) {
            expect(res.headers.etag).toBe(codedEtag(identity.headers.etag as string, coding as 'gzip' | 'br'))
            expect(res.headers.etag).not.toBe(identity.headers.etag)
          }
        }
      }
    }
  })

  it('honours q-values: the highest q wins, q=0 refuses, ties go to brotli, identity when nothing is acceptable', async () => {
    const url = '/v1/indicators'
    const cases: Array<[string, string | undefined]> = [
      ['gzip;q=1, br;q=0.5', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['gzip, br', 'br'],
      // `*` is every coding the field does not name (RFC 9110 §12.5.3): ties go to brotli, a named q=0 stays refused.
      ['*', 'br'],
      ['gzip;q=0, *', 'br'],
      ['gzip;q=0, br;q=0, *', undefined],
      ['x-gzip', 'gzip'],
      // An invalid weight refuses that coding.
      ['br;q=1.5, gzip;q=0.1', 'gzip'],
      ['br;q=abc', undefined],
      ['*;q=0.5, br;q=0', 'gzip'],
      ['br;q=0.5, *', 'gzip'],
      ['identity', undefined],
      ['*;q=0', undefined],
      ['deflate', undefined],
    ]
    for (const [accept, coding] of cases) {
      for (const fresh of [{ 'cache-control': 'no-cache' }, {}]) {
        const res = await ask({ url, headers: { 'accept-encoding': accept, ...fresh } })
        expect(res.headers['content-encoding'], accept).toBe(coding)
      }
    }
    // The same rule decides uncached answers (@fastify/compress): the OpenAPI document is not cached.
    for (const [accept, coding] of cases) expect((await ask({ url: '/openapi.json', headers: { 'accept-encoding': accept } })).headers['content-encoding'], accept).toBe(coding)
  })

  it('negotiateEncoding is the argmax of q over the offers, ties to the first offer, null when every q is 0', () => {
    const q = fc.option(fc.constantFrom(0, 0.1, 0.5, 0.9, 1), { nil: undefined })
    fc.assert(
      fc.property(q, q, q, (br, gzip, star) => {
        const parts = [br !== undefined ? `br;q=${br}` : '', gzip !== undefined ? `gzip;q=${gzip}` : '', star !== undefined ? `*;q=${star}` : ''].filter(Boolean)
        const weight = (given: number | undefined) => given ?? star ?? 0
        const expected = weight(br) > 0 && weight(br) >= weight(gzip) ? 'br' : weight(gzip) > 0 ? 'gzip' : null
        expect(negotiateEncoding(parts.join(', ') || undefined, ['br', 'gzip'])).toBe(parts.length ? expected : null)
      }),
    )
  })

  it('the cache keeps the coded bytes: a hit sends the same bytes the miss coded', async () => {
    const url = '/v1/observations?limit=50'
    for (const coding of ['gzip', 'br']) {
      const miss = await ask({ url, headers: { 'accept-encoding': coding, 'cache-control': 'no-cache' } })
      const hit = await ask({ url, headers: { 'accept-encoding': coding } })
      expect(hit.headers['x-cache']).toBe('hit')
      expect(hit.rawPayload.equals(miss.rawPayload)).toBe(true)
      expect(hit.headers['content-length']).toBe(String(miss.rawPayload.byteLength))
    }
  })

  it('If-None-Match names one variant exactly; If-Match accepts a correction whichever variant was read', async () => {
    const url = '/v1/observations/1'
    const plain = await ask({ url })
    const tag = plain.headers.etag as string
    for (const coding of ['gzip', 'br'] as const) {
      expect(ifNoneMatchMatches(codedEtag(tag, coding), tag)).toBe(false)
      expect(ifNoneMatchMatches(tag, codedEtag(tag, coding))).toBe(false)
      expect(ifNoneMatchMatches(`W/${codedEtag(tag, coding)}`, codedEtag(tag, coding))).toBe(true)
      expect(ifNoneMatchMatches(codedEtag(tag, coding === 'br' ? 'gzip' : 'br'), codedEtag(tag, coding))).toBe(false)
      expect(ifMatchVerdict(codedEtag(tag, coding), tag)).toBe('match')
      expect(ifMatchVerdict(codedEtag(tag, coding), codedEtag(tag, coding === 'br' ? 'gzip' : 'br'))).toBe('match')
      expect(ifMatchVerdict(`W/${codedEtag(tag, coding)}`, tag)).toBe('mismatch')
      expect(ifMatchVerdict(codedEtag('"obs-1-r999"', coding), tag)).toBe('mismatch')
    }
  })

  it("a 304 names the coded variant the request selects, cached or not: an observation above 1 KiB", async () => {
    const o = json((await ask({ url: '/v1/observations/2' })).body)
    const put = await ask({
      method: 'PUT',
      url: `/v1/observations/${o.id}`,
      headers: { authorization: `Bearer ${writeKey}`, 'if-match': `"obs-${o.id}-r${o.revision}"` },
      payload: { reported: o.reported.text ? o.reported : { value: o.reported.value, unit: o.reported.unit }, citation: { sourceId: o.source.id, quote: o.source.quote }, note: '注'.repeat(600), reason: 'a long note' },
    })
    expect(put.statusCode, put.body).toBe(200)
    const url = `/v1/observations/${o.id}`
    for (const coding of ['gzip', 'br'] as const) {
      const full = await ask({ url, headers: { 'accept-encoding': coding, 'cache-control': 'no-cache' } })
      expect(full.headers['content-encoding']).toBe(coding)
      const tag = full.headers.etag as string
      expect(tag).toMatch(new RegExp(`\\+${coding}"$`))
      for (const fresh of [{ 'cache-control': 'no-cache' }, {}]) {
        const res = await ask({ url, headers: { 'accept-encoding': coding, 'if-none-match': tag, ...fresh } })
        expect(res.statusCode).toBe(304)
        expect(res.headers.etag, JSON.stringify(fresh)).toBe(tag)
      }
      // The identity tag names another variant than the one this request selects: the full coded answer.
      const plain = await ask({ url, headers: { 'accept-encoding': coding, 'if-none-match': `"obs-${o.id}-r${o.revision + 1}"`, 'cache-control': 'no-cache' } })
      expect(plain.statusCode).toBe(200)
      expect(plain.headers.etag).toBe(tag)
      // And identity asked with the identity tag is the route's own 304.
      const identity = await ask({ url, headers: { 'if-none-match': `"obs-${o.id}-r${o.revision + 1}"`, 'cache-control': 'no-cache' } })
      expect(identity.statusCode).toBe(304)
    }
  })

  it('the CSV export streams coded, and decodes to the identity export', async () => {
    const url = '/v1/observations?format=csv'
    const identity = await ask({ url })
    for (const coding of ['gzip', 'br']) {
      const res = await ask({ url, headers: { 'accept-encoding': coding } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-encoding']).toBe(coding)
      expect(res.headers['content-length']).toBeUndefined()
      expect(decode(coding, res.rawPayload)).toBe(identity.body)
      expect(varyOf(res)).toEqual(expect.arrayContaining(['accept', 'accept-encoding']))
    }
  })

  it('byte ranges are never coded: the text route answers 206 with exact bytes whatever Accept-Encoding says', async () => {
    const p = paths.find((x) => x.template === '/v1/sources/{id}/text')!
    const whole = await ask({ url: p.path })
    for (const coding of ['gzip', 'br', '*']) {
      const res = await ask({ url: p.path, headers: { range: 'bytes=0-99', 'accept-encoding': coding } })
      expect(res.statusCode).toBe(206)
      expect(res.headers['content-encoding']).toBeUndefined()
      expect(res.rawPayload.equals(whole.rawPayload.subarray(0, 100))).toBe(true)
      expect(res.headers['content-range']).toBe(`bytes 0-99/${whole.rawPayload.byteLength}`)
    }
  })

  it('problem answers above the threshold are coded too, and small ones are not', async () => {
    const long = `/v1/observations?indicator=${'x'.repeat(60)}&zz=${'y'.repeat(2000)}`
    const res = await ask({ url: long, headers: { 'accept-encoding': 'gzip' } })
    expect(res.statusCode).toBe(400)
    const body = gunzipSync(res.rawPayload).toString()
    expect(json(body).status).toBe(400)
    const small = await ask({ url: '/v1/indicators/nope', headers: { 'accept-encoding': 'gzip' } })
    expect(small.headers['content-encoding']).toBeUndefined()
  })
})

describe('the Host header (RFC 9110 §7.2)', () => {
  // Every route that writes an absolute link builds it on the Host: SDMX-JSON's next page, the pages' commands.
  const LINKED = ['/v1/observations?format=sdmx-json&limit=1', '/audit?lang=en', '/sources/bayantala-2023h1?lang=en', '/v1/observations?limit=1', '/v1/observations/22/annotation']
  const hostChar = fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=%:[]@/?#"<> \\^`{|}'.split(''))

  it('refuses a Host that is not host[:port] with a 400 problem naming it, and builds every link on any other (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: hostChar, minLength: 1, maxLength: 24 }), fc.constantFrom(...LINKED), async (host, url) => {
        const res = await ask({ url, headers: { host } })
        if (res.statusCode === 400) {
          // The API answers a problem; a page answers a page saying the same.
          if (url.startsWith('/v1/')) expect(json(res.body).errors).toEqual([expect.objectContaining({ in: 'header', name: 'Host' })])
          else expect(res.body).toContain('Host')
          return
        }
        expect(res.statusCode, `${JSON.stringify(host)} ${url}: ${res.body.slice(0, 200)}`).toBe(200)
        // Accepted, so a URL parser takes it as an authority.
        expect(() => new URL(`http://${host}/`)).not.toThrow()
        for (const m of res.body.matchAll(/"href":"([^"]+)"/g)) expect(() => new URL(m[1]!)).not.toThrow()
      }),
      { numRuns: 150 },
    )
  })

  it('takes names, addresses and ports as written, and refuses ports past 65535, stray colons and brackets', async () => {
    for (const host of ['localhost', 'localhost:3000', 'stats.example.org', '127.0.0.1:8080', '[::1]:8080', '[2001:db8::1]']) {
      expect((await ask({ url: '/v1/observations?format=sdmx-json&limit=1', headers: { host } })).statusCode, host).toBe(200)
    }
    for (const host of ['x:99999', 'x:65536', 'a b.c', 'host:3777:1', '[::1', '::1', 'a"b<c>.example', 'x:', 'x:-1', '[::1]x']) {
      expect((await ask({ url: '/v1/observations?format=sdmx-json&limit=1', headers: { host } })).statusCode, host).toBe(400)
    }
  })
})
