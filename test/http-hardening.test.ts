// Issue 9, items 1, 8 and 9: request parsing that cannot overflow the stack,
// conditional requests and parameters, and problem+json for errors raised
// before routing (over a real socket: inject() bypasses Node's HTTP parser).
import type { AddressInfo } from 'node:net'
import net from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ifMatchVerdict, ifNoneMatchMatches, ifRangeAllows, parseTagList } from '../src/http/conditional.js'
import { exceedsDepth, MAX_JSON_DEPTH } from '../src/http/json-body.js'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
let writer: string
let admin: string

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
})
afterAll(() => t.close())

/** Lets the event loop turn: a long synchronous property would read as overload to the app's shedding. */
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(res.statusCode, res.body.slice(0, 300)).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(json(res.body).status).toBe(status)
}

const WRITE_ROUTES = [
  { method: 'PUT', url: '/v1/observations/1', key: () => writer },
  { method: 'DELETE', url: '/v1/observations/1?reason=r', key: () => writer },
  { method: 'POST', url: '/v1/imports', key: () => writer },
  { method: 'POST', url: '/v1/sources', key: () => admin },
  { method: 'PUT', url: '/v1/indicators/new_indicator', key: () => admin },
  { method: 'PUT', url: '/v1/areas/new-area', key: () => admin },
  { method: 'PUT', url: '/v1/periods/2024-H1', key: () => admin },
] as const

/** The nesting depth of a parsed JSON value, walked with a stack (the oracle for the bracket scan). */
function depthOf(value: unknown): number {
  let max = 0
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length) {
    const [v, d] = stack.pop()!
    if (v !== null && typeof v === 'object') {
      max = Math.max(max, d + 1)
      for (const c of Object.values(v)) stack.push([c, d + 1])
    }
  }
  return max
}

/** Strings that exercise the scanner: escapes of quotes, backslashes, brackets and surrogates. */
const tricky = fc.constantFrom('\\"', '\\\\', '[', ']', '{', '}', '\\u0041', '\\ud83d\\ude00', '\\ud800', '\\n', '低保', '"')

/** A JSON text nested `depth` levels, mixing arrays and objects, with escaped strings at any level. */
const deepJson = (minDepth: number, maxDepth: number) =>
  fc
    .record({
      depth: fc.integer({ min: minDepth, max: maxDepth }),
      shape: fc.array(fc.constantFrom('a', 'o'), { minLength: 1, maxLength: 8 }),
      escape: tricky,
      where: fc.constantFrom('inside', 'outside', 'key', 'none'),
    })
    .map(({ depth, shape, escape, where }) => {
      const str = escape === '"' || escape === '[' || escape === ']' || escape === '{' || escape === '}' ? `"${escape === '"' ? '\\"' : escape}"` : `"${escape}"`
      let open = ''
      let close = ''
      for (let i = 0; i < depth; i++) {
        const kind = shape[i % shape.length]
        const key = where === 'key' ? str : '"k"'
        open += kind === 'a' ? '[' : `{${key}:`
        close = (kind === 'a' ? ']' : '}') + close
      }
      const leaf = where === 'none' ? '1' : str
      const text = where === 'outside' ? `[${str},${open}${leaf}${close}]` : `${open}${leaf}${close}`
      return { text, depth: where === 'outside' ? depth + 1 : depth }
    })

describe('item 1: deep, wide and long JSON bodies', () => {
  it('the bracket scan agrees with the parsed depth on generated JSON (escapes, brackets in strings)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 8 }).map((v) => JSON.stringify(v)), deepJson(1, 80).map((d) => d.text)), fc.integer({ min: 0, max: 80 }), async (text, limit) => {
        await yieldToLoop()
        expect(exceedsDepth(text, limit)).toBe(depthOf(JSON.parse(text)) > limit)
      }),
      { numRuns: 2000, seed: 9001 },
    )
  })

  it('a body nested deeper than the limit is a 400 problem on every write route, at any depth, with any escape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_ROUTES), deepJson(MAX_JSON_DEPTH + 1, 20_000), async (route, body) => {
        const res = await t.app.inject({ method: route.method, url: route.url, headers: { ...bearer(route.key()), 'content-type': 'application/json', 'if-match': '"obs-1-r1"' }, payload: body.text })
        expectProblem(res, 400)
        expect(json(res.body).detail).toContain(`${MAX_JSON_DEPTH} levels`)
      }),
      { numRuns: 150, seed: 9002 },
    )
  })

  it('without a key, a deep body gets the same 400 or 401 every time, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WRITE_ROUTES), deepJson(MAX_JSON_DEPTH + 1, 20_000), fc.constantFrom(undefined, 'Bearer bti_aaaaaaaaaaaa_' + 'A'.repeat(43)), async (route, body, authorization) => {
        const send = () => t.app.inject({ method: route.method, url: route.url, headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' }, payload: body.text })
        const [a, b] = [await send(), await send()]
        expect([400, 401]).toContain(a.statusCode)
        expect(b.statusCode).toBe(a.statusCode)
        expectProblem(a, a.statusCode)
      }),
      { numRuns: 60, seed: 9003 },
    )
  })

  it('depth at the limit passes the parser (the schema decides), one more level does not', async () => {
    const nest = (n: number) => '['.repeat(n) + '"\\u00e9"' + ']'.repeat(n)
    const at = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: { ...bearer(writer), 'content-type': 'application/json' }, payload: nest(MAX_JSON_DEPTH) })
    expectProblem(at, 400)
    expect(json(at.body).detail).not.toContain('levels')
    const over = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: { ...bearer(writer), 'content-type': 'application/json' }, payload: nest(MAX_JSON_DEPTH + 1) })
    expectProblem(over, 400)
    expect(json(over.body).detail).toContain('levels')
  })

  it('wide and long bodies within 1 MiB are answered with 4xx, never 5xx', async () => {
    const limit = 1024 * 1024 - 64
    const bodies = [
      `[${'0,'.repeat(limit / 2 - 2)}0]`,
      `[${'"\\ud800",'.repeat(limit / 10 - 2)}0]`,
      `{${Array.from({ length: 80_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`,
      `{"reason":"r","observations":[${'{},'.repeat(limit / 3 - 20)}{}]}`,
      `{"reason":"${'\\u4f4e'.repeat(limit / 6 - 10)}","observations":[]}`,
    ]
    for (const payload of bodies) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/imports', headers: { ...bearer(writer), 'content-type': 'application/json' }, payload })
      expect(res.statusCode, res.body.slice(0, 200)).toBeGreaterThanOrEqual(400)
      expect(res.statusCode).toBeLessThan(500)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
  })
})

const opaque = fc.stringMatching(/^[!#-~]{0,12}$/).map((s) => `"${s}"`)

describe('item 8: one entity-tag comparator', () => {
  it('If-None-Match compares weakly, over lists and *; If-Match strongly', async () => {
    await fc.assert(
      fc.asyncProperty(opaque, opaque, fc.boolean(), fc.array(opaque, { maxLength: 3 }), async (current, other, weak, extra) => {
        await yieldToLoop()
        const sent = `${weak ? 'W/' : ''}${current}`
        expect(ifNoneMatchMatches([...extra, sent].join(', '), current)).toBe(true)
        expect(ifNoneMatchMatches('*', current)).toBe(true)
        expect(ifNoneMatchMatches([...extra, other].join(' ,'), current)).toBe(extra.includes(current) || other === current)
        expect(ifMatchVerdict(sent, current)).toBe(weak ? 'mismatch' : 'match')
        expect(ifMatchVerdict(`${other}, ${sent}`, current)).toBe(weak && other !== current ? 'mismatch' : 'match')
        expect(ifMatchVerdict('*', current)).toBe('any')
        expect(ifRangeAllows(sent, current)).toBe(!weak)
        expect(ifRangeAllows(other, current)).toBe(other === current)
      }),
      { numRuns: 1000, seed: 9004 },
    )
    expect(parseTagList('"a,b", W/"c"')).toEqual({ any: false, tags: [{ weak: false, opaque: '"a,b"' }, { weak: true, opaque: '"c"' }] })
    expect(parseTagList('garbage')).toBeNull()
    expect(ifMatchVerdict('garbage', '"x"')).toBe('malformed')
    expect(ifRangeAllows('Sun, 29 Nov 2026 05:00:00 GMT', '"x"')).toBe(false)
  })

  it('If-None-Match: a weakened ETag, a list or * gets 304 on observations, cached pages and source texts', async () => {
    const o = json((await t.app.inject({ url: '/v1/observations?limit=1' })).body).data[0]
    for (const url of [`/v1/observations/${o.id}`, '/v1/observations?limit=2', '/v1/sources/bayantala-2023h1/text', '/v1/indicators']) {
      const first = await t.app.inject({ url })
      expect(first.statusCode).toBe(200)
      const etag = first.headers.etag as string
      expect(etag).toMatch(/^"/)
      for (const header of [etag, `W/${etag}`, `"nope", W/${etag}`, '*']) {
        // Twice: the second may be answered from the response cache.
        for (let i = 0; i < 2; i++) expect((await t.app.inject({ url, headers: { 'if-none-match': header } })).statusCode, `${url} ${header}`).toBe(304)
      }
      expect((await t.app.inject({ url, headers: { 'if-none-match': '"nope", W/"other"' } })).statusCode).toBe(200)
    }
  })

  it('If-Match: * and weak tags do not correct or withdraw; the current strong ETag does', async () => {
    const o = json((await t.app.inject({ url: '/v1/observations?indicator=dibao_paid' })).body).data[0]
    const body = { reported: { value: o.reported.value, unit: o.reported.unit }, citation: { sourceId: o.source.id, quote: o.source.quote }, reason: 'test', qualifier: 'approx' }
    const etag = `"obs-${o.id}-r${o.revision}"`
    const star = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': '*' }, payload: body })
    expectProblem(star, 428)
    expect(json(star.body).detail).toContain(etag)
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/v1/observations/${o.id}?reason=r`, headers: { ...bearer(writer), 'if-match': '*' } }), 428)
    expectProblem(await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': `W/${etag}` }, payload: body }), 412)
    expectProblem(await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': `obs-${o.id}-r${o.revision}` }, payload: body }), 412)
    const ok = await t.app.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...bearer(writer), 'if-match': `"obs-0-r0", ${etag}` }, payload: body })
    expect(ok.statusCode, ok.body).toBe(200)
  })

  it('If-Range: only the current strong ETag gets 206; another, weak or a date gets the whole 200', async () => {
    const url = '/v1/sources/bayantala-2023h1/text'
    const whole = await t.app.inject({ url })
    const etag = whole.headers.etag as string
    const ranged = await t.app.inject({ url, headers: { range: 'bytes=0-9', 'if-range': etag } })
    expect(ranged.statusCode).toBe(206)
    expect(ranged.rawPayload.byteLength).toBe(10)
    for (const ifRange of [`W/${etag}`, '"0000"', 'Sun, 29 Nov 2026 05:00:00 GMT', 'garbage', `${etag}, ${etag}`]) {
      const res = await t.app.inject({ url, headers: { range: 'bytes=0-9', 'if-range': ifRange } })
      expect(res.statusCode, ifRange).toBe(200)
      expect(res.rawPayload.equals(whole.rawPayload)).toBe(true)
      expect(res.headers['content-range']).toBeUndefined()
    }
    // Out of range with a mismatched If-Range: the whole text, not 416.
    expect((await t.app.inject({ url, headers: { range: 'bytes=99999999-', 'if-range': '"0000"' } })).statusCode).toBe(200)
  })
})

/** The calendar oracle: a date is real when Date.UTC gives back the same fields (no rollover). */
function realInstant(y: number, mo: number, d: number, h: number, mi: number, s: number, oh: number, om: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59 || y < 1900 || y > 9999) return false
  const probe = new Date(Date.UTC(2000, 0, 1))
  probe.setUTCFullYear(y, mo - 1, d)
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo - 1 && probe.getUTCDate() === d
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

describe('item 8: dates and ids in parameters', () => {
  it('asOf and updatedSince are real calendar times: a property against a calendar oracle, on every route that takes them', async () => {
    const fields = fc.record({
      y: fc.oneof(fc.constantFrom(1900, 2000, 2023, 2024, 2100, 9999), fc.integer({ min: 1890, max: 9999 })),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 25 }),
      mi: fc.integer({ min: 0, max: 61 }),
      s: fc.integer({ min: 0, max: 61 }),
      frac: fc.constantFrom('', '.5', '.123456789'),
      zone: fc.oneof(fc.constant({ z: true, sign: '+', oh: 0, om: 0 }), fc.record({ z: fc.constant(false), sign: fc.constantFrom('+', '-'), oh: fc.integer({ min: 0, max: 25 }), om: fc.integer({ min: 0, max: 61 }) })),
      route: fc.constantFrom('/v1/observations?asOf=', '/v1/observations?updatedSince=', '/v1/observations/1?asOf=', '/v1/indicators/dibao_paid?asOf='),
    })
    await fc.assert(
      fc.asyncProperty(fields, async (f) => {
        const zone = f.zone.z ? 'Z' : `${f.zone.sign}${pad(f.zone.oh)}:${pad(f.zone.om)}`
        const text = `${pad(f.y, 4)}-${pad(f.mo)}-${pad(f.d)}T${pad(f.h)}:${pad(f.mi)}:${pad(f.s)}${f.frac}${zone}`
        const utc = Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi, f.s) - (f.zone.sign === '-' ? -1 : 1) * (f.zone.oh * 60 + f.zone.om) * 60_000
        const inRange = new Date(utc).getUTCFullYear() >= 1900 && new Date(utc).getUTCFullYear() <= 9999
        const valid = realInstant(f.y, f.mo, f.d, f.h, f.mi, f.s, f.zone.oh, f.zone.om) && inRange
        const res = await t.app.inject({ url: f.route + encodeURIComponent(text) })
        if (valid) expect([200, 404], `${text} ${res.body.slice(0, 200)}`).toContain(res.statusCode)
        else expectProblem(res, 400)
      }),
      { numRuns: 1500, seed: 9005 },
    )
    for (const bad of ['2023-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2023-04-31T00:00:00Z', '2023-06-25T24:00:00Z', '2023-06-25T00:00:00+24:00', '2023-06-25T00:00:00+05:60', '2023-06-25T00:00:60Z', '9999-12-31T23:00:00-02:00']) {
      expectProblem(await t.app.inject({ url: `/v1/observations?asOf=${encodeURIComponent(bad)}` }), 400)
    }
    expect((await t.app.inject({ url: '/v1/observations?asOf=2024-02-29T23:59:59%2B08:00' })).statusCode).toBe(200)
  })

  it('only canonical decimal ids: another spelling of an existing id is 400 or 404, never that resource', async () => {
    const ids = json((await t.app.inject({ url: '/v1/observations?limit=20' })).body).data.map((o: any) => o.id as number)
    const spelling = fc.record({
      id: fc.constantFrom(...ids),
      form: fc.constantFrom('hex', 'exp', 'plus', 'zeros', 'space', 'fraction', 'octal', 'binary', 'tab', 'trailingDot', 'minusZero'),
      sub: fc.constantFrom('', '/revisions'),
    })
    const spell = (id: number, form: string): string =>
      ({
        hex: `0x${id.toString(16)}`,
        exp: id % 10 === 0 ? `${id / 10}e1` : `${id}e0`,
        plus: `+${id}`,
        zeros: `0${id}`,
        space: ` ${id}`,
        fraction: `${id}.0`,
        octal: `0o${id.toString(8)}`,
        binary: `0b${id.toString(2)}`,
        tab: `${id}\t`,
        trailingDot: `${id}.`,
        minusZero: `-0${id}`,
      })[form]!
    await fc.assert(
      fc.asyncProperty(spelling, async ({ id, form, sub }) => {
        const res = await t.app.inject({ url: `/v1/observations/${encodeURIComponent(spell(id, form))}${sub}` })
        expect([400, 404], `${form} ${id} → ${res.statusCode}`).toContain(res.statusCode)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        for (const q of ['after', 'limit']) {
          const list = await t.app.inject({ url: `/v1/changes?${q}=${encodeURIComponent(spell(id, form))}` })
          expectProblem(list, 400)
        }
      }),
      { numRuns: 300, seed: 9006 },
    )
    expect((await t.app.inject({ url: `/v1/observations/${ids[0]}` })).statusCode).toBe(200)
    expect((await t.app.inject({ url: '/v1/changes?after=0&limit=10' })).statusCode).toBe(200)
  })
})

/** Sends raw bytes to the listening app and reads until the server closes or `ms` pass. */
function rawExchange(port: number, bytes: Buffer, ms = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes))
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('utf8'))
    }, ms)
    socket.on('data', (d) => chunks.push(d))
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('utf8'))
    })
    socket.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)))
  })
}

/** Splits a raw answer into status, lower-cased headers and body; the first answer on the connection. */
function parseRaw(raw: string) {
  const end = raw.indexOf('\r\n\r\n')
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim()
  const length = Number(headers['content-length'])
  const body = Buffer.from(raw.slice(end + 4), 'utf8').subarray(0, Number.isNaN(length) ? undefined : length).toString('utf8')
  return { status: Number(statusLine!.split(' ')[1]), headers, body }
}

function expectRawProblem(raw: string, status: number) {
  const res = parseRaw(raw)
  expect(res.status, raw.slice(0, 400)).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body))
  expect(res.headers['x-content-type-options']).toBe('nosniff')
  expect(res.headers['content-security-policy']).toContain("default-src 'none'")
  const problem = json(res.body)
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), code: expect.stringMatching(/^APP_ERR_/) })
  expect(res.body).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules/)
  return { ...res, problem }
}

describe('item 9: errors before routing are problems, over a real socket', () => {
  let port: number
  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = (t.app.server.address() as AddressInfo).port
  })

  const request = (head: string, rest: Buffer | string = '') => Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(rest) ? rest : Buffer.from(rest, 'latin1')])

  it('raw non-ASCII bytes in the URL: a 400 problem that says to percent-encode', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter((s) => /[^\x00-\x7f]/.test(s)), fc.constantFrom('/v1/indicators?q=', '/v1/areas/', '/v1/observations?area=', '/nope/'), async (text, path) => {
        const raw = await rawExchange(port, Buffer.concat([Buffer.from(`GET ${path}`), Buffer.from(text, 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]))
        const { problem, headers } = expectRawProblem(raw, 400)
        expect(problem.detail).toMatch(/percent-encode/i)
        expect(headers.connection).toBe('close')
      }),
      { numRuns: 25, seed: 9007 },
    )
    // The percent-encoded form is answered normally (after a pause if a loaded machine made the app shed load).
    const get = async () => parseRaw(await rawExchange(port, request(`GET /v1/indicators?q=${encodeURIComponent('低保')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)))
    let encoded = await get()
    if (encoded.status === 503) encoded = await new Promise<void>((r) => setTimeout(r, 2_000)).then(get)
    expect(encoded.status).toBe(200)
  })

  it('invalid bytes in headers, 431, bad chunks, Content-Length with Transfer-Encoding: each a problem', async () => {
    const cases: Array<[Buffer, number]> = [
      [request('GET /v1/indicators HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'), 400],
      [request('GET /v1/indicators HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n'), 400],
      [request('GET /v1/indicators HTTP/1.1\r\nHost: x\r\nX\x00A: ab\r\n\r\n'), 400],
      [request('GET /v1/indicators HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'), 400],
      [request(`GET /v1/indicators HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431],
      [request(`GET /v1/indicators HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(9_000)}\r\nX-B: ${'b'.repeat(9_000)}\r\n\r\n`), 431],
      [request(`POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writer}\r\nContent-Type: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`), 400],
      [request(`POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writer}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`), 400],
      [request(`POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writer}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n`), 400],
      [request(`POST /v1/imports HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${writer}\r\nContent-Type: application/json\r\nContent-Length: 1, 2\r\n\r\n{}`), 400],
      [request('G\x01T /v1/indicators HTTP/1.1\r\nHost: x\r\n\r\n'), 400],
      [request('GET /v1/indicators HTTP/9.9\r\nHost: x\r\n\r\n'), 400],
    ]
    for (const [i, [bytes, status]] of cases.entries()) {
      const raw = await rawExchange(port, bytes)
      expect(raw, `case ${i}`).not.toBe('')
      expectRawProblem(raw, status)
    }
  })

  it('an OPTIONS that is not a whole CORS preflight is a plain OPTIONS: 204 with Allow, no CORS answer', async () => {
    for (const headers of [{ origin: 'https://example.org' }, { 'access-control-request-method': 'GET' }, {}]) {
      const res = await t.app.inject({ method: 'OPTIONS', url: '/v1/indicators', headers })
      expect(res.statusCode).toBe(204)
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS')
      expect(res.headers['access-control-allow-methods']).toBeUndefined()
      expect(res.body).toBe('')
    }
    const ok = await t.app.inject({ method: 'OPTIONS', url: '/v1/indicators', headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' } })
    expect(ok.statusCode).toBe(204)
    expect(ok.headers['access-control-allow-methods']).toBe('GET, HEAD')
  })
})
