// Hostile and malformed input: every bad request gets a clear 4xx problem, and
// nothing it touches changes.
import { Writable } from 'node:stream'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { withContract } from './support/contract.js'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, freshDb, json, onPostgres, type TestContext } from './helpers.js'

let t: TestContext
let writer: string
let admin: string

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
})
afterAll(() => t.close())

async function snapshot() {
  const q = (sql: string) => t.query(sql)
  return JSON.stringify([
    await q('SELECT * FROM observation ORDER BY id'),
    await q('SELECT count(*), max(seq) FROM observation_revision'),
    await q('SELECT count(*), max(seq), max(hash) FROM audit_entry'),
    await q('SELECT * FROM indicator ORDER BY code'),
    await q('SELECT * FROM area ORDER BY code'),
    await q('SELECT code FROM reporting_period ORDER BY code'),
    await q('SELECT id, sha256 FROM source ORDER BY id'),
  ])
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(res.statusCode, res.body).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(json(res.body).status).toBe(status)
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+|SqliteError|node_modules/)
}

const auth = (secret: string) => ({ authorization: `Bearer ${secret}` })
const validRow = { indicator: 'dibao_paid', area: 'bayantala', period: '2023-H1', kind: 'actual', reported: { value: '484.752', unit: '万元' }, citation: { sourceId: 'bayantala-2023h1', quote: '2023年上半年发放城乡低保金484.752万元' } }

describe('malformed and hostile bodies', () => {
  it('refuses prototype poisoning, invalid JSON, invalid UTF-8 and unpaired surrogates with 400', async () => {
    const before = (await snapshot())
    const post = (payload: string | Buffer) => t.app.inject({ method: 'POST', url: '/v1/imports?reason=x', headers: { ...auth(writer), 'content-type': 'application/json' }, payload })
    expectProblem(await post('{"__proto__": {"admin": true}, "observations": []}'), 400)
    expectProblem(await post('{"constructor": {"prototype": {"admin": true}}, "observations": []}'), 400)
    expectProblem(await post('{"observations": [NaN]}'), 400)
    expectProblem(await post('{"observations": [Infinity]}'), 400)
    expectProblem(await post('{"observations": '), 400)
    expectProblem(await post(''), 400)
    expectProblem(await post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), 400)
    expectProblem(await post('{"reason": "\\ud800", "observations": []}'), 400)
    expect(({} as Record<string, unknown>).admin).toBeUndefined()
    expect((await snapshot())).toBe(before)
  })

  it('refuses numbers where exact decimals are expected, huge, negative or non-numeric values, and unknown fields', async () => {
    const before = (await snapshot())
    const post = (row: unknown) => t.app.inject({ method: 'POST', url: '/v1/imports?reason=x', headers: auth(writer), payload: { observations: [row] } })
    expectProblem(await post({ ...validRow, reported: { value: 484.752, unit: '万元' } }), 400)
    expectProblem(await post({ ...validRow, value: 4847520 }), 400)
    expectProblem(await post({ ...validRow, value: '1'.repeat(60) }), 400)
    expectProblem(await post({ ...validRow, value: '1e400' }), 400)
    expectProblem(await post({ ...validRow, value: 'NaN' }), 400)
    expectProblem(await post({ ...validRow, reported: { value: 'four', unit: '万元' } }), 400)
    expectProblem(await post({ ...validRow, colour: 'red' }), 400)
    expectProblem(await post({ ...validRow, citation: { ...validRow.citation, page: 3 } }), 400)
    // Well-formed but wrong: the number does not match the quote.
    expectProblem(await post({ ...validRow, value: '-4847520' }), 422)
    expectProblem(await post({ ...validRow, reported: { value: '-484.752', unit: '万元' } }), 422)
    expect((await snapshot())).toBe(before)
  })

  it('refuses dates out of range', async () => {
    const before = (await snapshot())
    for (const asOf of ['2023-13-01T00:00:00Z', '2023-02-30T25:00:00Z', '99999-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '2023-02-30', '1899-12-31', 'now']) {
      expectProblem(await t.app.inject({ url: `/v1/observations?asOf=${encodeURIComponent(asOf)}` }), 400)
    }
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/sources', headers: auth(admin), payload: { id: 'x-src', title: 't', issuer: 'i', issuedOn: '2023-02-30', text: 'x' } }), 400)
    expect((await snapshot())).toBe(before)
  })

  it('treats SQL metacharacters as data', async () => {
    const q = await t.app.inject({ url: `/v1/indicators?q=${encodeURIComponent("'; DROP TABLE indicator; --")}` })
    expect(q.statusCode).toBe(200)
    expect(json(q.body).data).toEqual([])
    expectProblem(await t.app.inject({ url: `/v1/observations?indicator=${encodeURIComponent("x' OR '1'='1")}` }), 400)
    expectProblem(await t.app.inject({ url: `/v1/areas/${encodeURIComponent("a'--")}` }), 400)
    expect(json((await t.app.inject({ url: '/v1/indicators' })).body).data.length).toBeGreaterThan(50)
  })

  it('answers odd encodings in the URL with 4xx, never 5xx', async () => {
    for (const url of ['/v1/indicators?q=%FF', '/v1/indicators?q=%', '/v1/areas/%E0%A4%A', '/v1/observations?limit=%00', '/v1/%2e%2e/%2e%2e/etc/passwd', '/v1/observations?limit=1e309', '/v1/observations?limit=-1', '/v1/observations/1.5']) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBeLessThan(500)
      if (res.statusCode >= 400) expect(res.headers['content-type'], url).toMatch(/problem\+json/)
    }
  })
})

describe('limits', () => {
  it('413 for a body over the limit, 414 for an over-long URI, 400 for an over-large page', async () => {
    const big = { nameZh: 'x', nameEn: 'x', description: 'x'.repeat(1_100_000), category: 'c', unit: 'person', additive: true }
    expectProblem(await t.app.inject({ method: 'PUT', url: '/v1/indicators/big', headers: auth(admin), payload: big }), 413)
    expectProblem(await t.app.inject({ url: `/v1/indicators?q=${'a'.repeat(5000)}` }), 414)
    expectProblem(await t.app.inject({ url: '/v1/observations?limit=1001' }), 400)
    expectProblem(await t.app.inject({ url: `/v1/observations?${Array.from({ length: 101 }, (_, i) => `indicator=a${i}`).join('&')}` }), 400)
  })

  it('rate-limits per client address and per API key, with Retry-After, without trusting X-Forwarded-For unless told to', async () => {
    for (const trustProxy of [false, true]) {
      const { storage, cleanup } = await freshDb()
      const app = withContract(await buildApp({ storage, logger: false, config: { databaseUrl: ':memory:', rateLimitPerMinute: 3, trustProxy } }))
      const key = (await createKey(storage, 'k', ['write'])).secret
      const hit = (headers: Record<string, string> = {}) => app.inject({ url: '/v1/areas', headers, remoteAddress: '10.0.0.1' })
      const statuses = []
      for (let i = 0; i < 4; i++) statuses.push((await hit({ 'x-forwarded-for': `192.0.2.${i}` })).statusCode)
      if (trustProxy) expect(statuses).toEqual([200, 200, 200, 200])
      else {
        expect(statuses).toEqual([200, 200, 200, 429])
        const limited = await hit()
        expectProblem(limited, 429)
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
        // A client with a key has its own budget.
        expect((await hit(auth(key))).statusCode).toBe(200)
        // Health checks are never limited.
        expect((await app.inject({ url: '/healthz', remoteAddress: '10.0.0.1' })).statusCode).toBe(200)
      }
      await app.close()
      cleanup()
    }
  })
})

describe('headers, CORS, errors and logs', () => {
  it('sends security headers on every response, errors included', async () => {
    for (const url of ['/v1/areas', '/v1/areas/nope', '/nope', '/v1/sources/bayantala-2023h1/text']) {
      const res = await t.app.inject({ url })
      expect(res.headers['x-content-type-options'], url).toBe('nosniff')
      expect(res.headers['content-security-policy'], url).toBe("default-src 'none'; frame-ancestors 'none'")
      expect(res.headers['strict-transport-security'], url).toBeTruthy()
      expect(res.headers['x-frame-options'], url).toBeTruthy()
      expect(res.headers['access-control-expose-headers'], url).toContain('RateLimit-Remaining')
    }
    const limited = await t.app.inject({ url: '/v1/areas' })
    expect(limited.headers['ratelimit-remaining']).toMatch(/^\d+$/)
    expect(limited.headers['x-ratelimit-remaining']).toBeUndefined()
    // The interactive docs are HTML with their own scripts: a policy that lets those, and only those, run.
    const docs = await t.app.inject({ url: '/docs/' })
    expect(docs.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self'/)
    expect(docs.headers['x-dns-prefetch-control']).toBe('off')
  })

  it('allows cross-origin reads but not writes', async () => {
    const read = await t.app.inject({ url: '/v1/areas', headers: { origin: 'https://example.org' } })
    expect(read.headers['access-control-allow-origin']).toBe('*')
    const preflight = await t.app.inject({ method: 'OPTIONS', url: '/v1/imports', headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' } })
    expect(String(preflight.headers['access-control-allow-methods'] ?? '')).not.toMatch(/POST|PUT|DELETE/)
  })

  it.skipIf(onPostgres)('answers internal failures with a bare 500 problem: no stack, no internal message', async () => {
    const { storage, db, cleanup } = await freshDb()
    const app = withContract(await buildApp({ storage, logger: false, config: { databaseUrl: ':memory:' } }))
    db.$client.close()
    const res = await app.inject({ url: '/v1/sources' })
    expectProblem(res, 500)
    expect(json(res.body).detail).toMatch(/^An internal error occurred/)
    expect(res.body).not.toMatch(/database|connection|sqlite/i)
    await app.close()
    cleanup()
  })

  it('never logs API key secrets, valid or not', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const { storage, cleanup } = await freshDb()
    const app = withContract(await buildApp({ storage, logger: { level: 'trace', stream: sink }, config: { databaseUrl: ':memory:' } }))
    const secret = (await createKey(storage, 'logged', ['write'])).secret
    await app.inject({ method: 'POST', url: '/v1/imports', headers: auth(secret), payload: { reason: 'x', observations: [] } })
    await app.inject({ method: 'POST', url: '/v1/imports', headers: auth(`${secret}x`), payload: { reason: 'x', observations: [] } })
    // Should anything ever log request headers, the redaction still holds.
    app.log.info({ headers: { authorization: `Bearer ${secret}` } }, 'headers logged')
    await app.close()
    cleanup()
    const log = lines.join('')
    expect(log).toContain('[redacted]')
    expect(log).not.toContain(secret.slice(20))
    // Every line of a request carries its id.
    const requestLines = lines.map((l) => JSON.parse(l)).filter((l) => l.req || l.res)
    expect(requestLines.length).toBeGreaterThan(0)
    expect(requestLines.every((l) => typeof l.reqId === 'string')).toBe(true)
  })
})

describe('generated requests (property-based)', () => {
  it('never answers 5xx; every error is a problem with a matching status; rejected writes change nothing', async () => {
    const doc = json((await t.app.inject({ url: '/openapi.json' })).body)
    const operations = Object.entries<Record<string, any>>(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })))
    const sample = fc.oneof(
      fc.constantFrom('dibao_paid', 'bayantala', '2023-H1', '2023S1', '1', '5', 'bayantala-2023h1', 'true', '100', '0', '-1', '2023-06-25T00:00:00Z', 'csv', 'json', 'village'),
      fc.string({ maxLength: 30 }),
      fc.stringMatching(/^[a-z0-9_-]{1,20}$/),
      fc.integer({ min: -5, max: 2_000_000 }).map(String),
    )
    // Deep and wide JSON as raw text, with escapes (quotes, backslashes, brackets, surrogates) anywhere:
    // no nesting or width within the body limit may cost a 5xx.
    const escaped = fc.constantFrom('\\"', '\\\\', '[', ']', '{', '}', '\\u0041', '\\ud83d\\ude00', '\\ud800', '\\udfff', '\\n', '低保', '')
    const deep = fc
      .record({ depth: fc.integer({ min: 1, max: 5000 }), shape: fc.array(fc.constantFrom('[', '{"k":', '{"', '[1,'), { minLength: 1, maxLength: 5 }), leaf: escaped })
      .map(({ depth, shape, leaf }) => {
        let open = ''
        let close = ''
        for (let i = 0; i < depth; i++) {
          const s = shape[i % shape.length]!
          open += s === '{"' ? `{"${leaf}":` : s
          close = (s === '[' || s === '[1,' ? ']' : '}') + close
        }
        return { raw: `${open}"${leaf}"${close}` }
      })
    const wide = fc
      .record({ n: fc.integer({ min: 1000, max: 20_000 }), kind: fc.constantFrom('array', 'object', 'string', 'observations'), leaf: escaped })
      .map(({ n, kind, leaf }) => ({
        raw:
          kind === 'array'
            ? `[${Array.from({ length: n }, () => `"${leaf}"`).join(',')}]`
            : kind === 'object'
              ? `{${Array.from({ length: n }, (_, i) => `"${leaf}${i}":"${leaf}"`).join(',')}}`
              : kind === 'string'
                ? `{"reason":"${leaf.repeat(n)}","observations":[]}`
                : `{"reason":"r","observations":[${Array.from({ length: Math.min(n, 12_000) }, () => `{"note":"${leaf}"}`).join(',')}]}`,
      }))
    const body = fc.oneof(
      fc.constant(undefined),
      deep,
      wide,
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ reason: sample, observations: fc.array(fc.record({ indicator: sample, area: sample, period: sample, kind: sample, reported: fc.record({ value: sample, unit: sample }), citation: fc.record({ sourceId: sample, quote: sample }) }), { maxLength: 3 }) }, { requiredKeys: [] }),
      fc.record({ reported: fc.record({ value: sample, unit: sample }), citation: fc.record({ sourceId: sample, quote: sample }), reason: sample, qualifier: sample }, { requiredKeys: [] }),
      fc.record({ nameZh: sample, nameEn: sample, description: sample, category: sample, unit: sample, additive: fc.boolean(), level: sample, parent: sample }, { requiredKeys: [] }),
    )
    const request = fc.record({
      op: fc.constantFrom(...operations),
      pathValues: fc.array(sample, { minLength: 3, maxLength: 3 }),
      query: fc.dictionary(fc.oneof(fc.constantFrom('limit', 'cursor', 'indicator', 'area', 'period', 'kind', 'category', 'asOf', 'q', 'level', 'type', 'after', 'format', 'dryRun', 'reason', 'includeWithdrawn', 'periodFrom'), fc.string({ maxLength: 8 })), sample, { maxKeys: 3 }),
      body,
      key: fc.constantFrom(undefined, writer, admin),
      ifMatch: fc.constantFrom(undefined, '*', '"obs-1-r1"', 'garbage'),
    })
    let writesTried = 0
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        let i = 0
        const url = r.op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(r.pathValues[i++] as string))
        const qs = new URLSearchParams(Object.entries(r.query)).toString()
        const before = r.op.method === 'GET' ? '' : (await snapshot())
        const res = await t.app.inject({
          method: r.op.method,
          url: qs ? `${url}?${qs}` : url,
          headers: { ...(r.key ? auth(r.key) : {}), ...(r.ifMatch ? { 'if-match': r.ifMatch } : {}) },
          ...(r.body === undefined || r.op.method === 'GET'
            ? {}
            : typeof r.body === 'object' && r.body !== null && 'raw' in r.body && Object.keys(r.body).length === 1
              ? { payload: (r.body as { raw: string }).raw, headers: { ...(r.key ? auth(r.key) : {}), ...(r.ifMatch ? { 'if-match': r.ifMatch } : {}), 'content-type': 'application/json' } }
              : { payload: r.body as object }),
        })
        expect(res.statusCode, `${r.op.method} ${url}?${qs} → ${res.body.slice(0, 300)}`).toBeLessThan(500)
        if (res.statusCode >= 400) {
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
          expect(json(res.body).status).toBe(res.statusCode)
          if (r.op.method !== 'GET') {
            writesTried++
            expect((await snapshot())).toBe(before)
          }
        }
      }),
      { numRuns: 3000, seed: 20261128 },
    )
    expect(writesTried).toBeGreaterThan(500)
  }, 120_000)
})
