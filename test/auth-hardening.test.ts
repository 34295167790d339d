// Issue 9, items 2, 13 and 16 (keys): what an API key can and cannot do to the
// rate limit, to a write that outlives its revocation, and to the audit log's actors.
import { spawnSync } from 'node:child_process'
import { request, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.js'
import { withContract } from './support/contract.js'
import { loadConfig } from '../src/config.js'
import type { Storage } from '../src/storage/ports.js'
import { openStorage } from '../src/storage/open.js'
import { INTERNAL_ACTORS, isReservedActorName, RESERVED_ACTOR_NAMES } from '../src/modules/audit/actors.js'
import { createKey, KeyError, listKeys, revokeKey } from '../src/modules/keys/keys.js'
import { createFailureCounter } from '../src/plugins/protection.js'
import { freshDb, json } from './helpers.js'

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) {
  expect(res.statusCode).toBe(status)
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/)
  expect(json(res.body).status).toBe(status)
}

async function appWith(config: { rateLimitPerMinute?: number; authFailuresPerWindow?: number; authFailureWindowSeconds?: number }) {
  const { storage, db, cleanup } = await freshDb()
  const app = withContract(await buildApp({ storage, logger: false, config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000, ...config } }))
  await app.ready()
  return { app, storage, db, close: async () => (await app.close(), cleanup()) }
}

describe('rate limit: buckets by verified key only, failed authentications locked out per address (item 2)', () => {
  it('the lockout is configured by AUTH_FAILURES_PER_WINDOW and AUTH_FAILURE_WINDOW_SECONDS, 20 per 600 s by default', async () => {
    expect(loadConfig({})).toMatchObject({ authFailuresPerWindow: 20, authFailureWindowSeconds: 600 })
    expect(loadConfig({ AUTH_FAILURES_PER_WINDOW: '5', AUTH_FAILURE_WINDOW_SECONDS: '60' })).toMatchObject({ authFailuresPerWindow: 5, authFailureWindowSeconds: 60 })
    for (const [name, value] of [['AUTH_FAILURES_PER_WINDOW', '0'], ['AUTH_FAILURES_PER_WINDOW', 'many'], ['AUTH_FAILURE_WINDOW_SECONDS', '-1'], ['AUTH_FAILURE_WINDOW_SECONDS', '0']] as const) {
      expect(() => loadConfig({ [name]: value }), `${name}=${value}`).toThrow(new RegExp(name))
    }
  })

  it('requests with invented key ids all share their address bucket', async () => {
    const { app, close } = await appWith({ rateLimitPerMinute: 3 })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) {
      const invented = `bti_${String(i).padStart(12, 'a')}_${'A'.repeat(43)}`
      statuses.push((await app.inject({ url: '/v1/areas', headers: bearer(invented), remoteAddress: '10.1.0.1' })).statusCode)
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429])
    await close()
  })

  it('a verified key has its own bucket, apart from its address', async () => {
    const { app, storage, close } = await appWith({ rateLimitPerMinute: 3 })
    const key = (await createKey(storage, 'reader', ['write'])).secret
    const hit = (headers: Record<string, string> = {}) => app.inject({ url: '/v1/areas', headers, remoteAddress: '10.1.0.2' })
    for (let i = 0; i < 3; i++) expect((await hit()).statusCode).toBe(200)
    expectProblem(await hit(), 429)
    const withKey = []
    for (let i = 0; i < 4; i++) withKey.push((await hit(bearer(key))).statusCode)
    expect(withKey).toEqual([200, 200, 200, 429])
    await close()
  })

  it('N failed authentications, on any route, lock the address out for the window: 429 with Retry-After, even for a correct key', async () => {
    const { app, storage, close } = await appWith({ authFailuresPerWindow: 5, authFailureWindowSeconds: 600 })
    const good = (await createKey(storage, 'writer', ['write'])).secret
    const gone = (await createKey(storage, 'gone', ['write'])).secret
    await revokeKey(storage, { name: 'gone' })
    const from = (remoteAddress: string, headers: Record<string, string>, url = '/v1/imports', method: 'GET' | 'POST' = 'POST') =>
      app.inject({ method, url, headers, remoteAddress, ...(method === 'POST' ? { payload: { reason: 'r', observations: [] } } : {}) })
    const attacker = '192.0.2.7'
    // Malformed, unknown, revoked, on a write route and on a public read route that carries the bad header.
    expectProblem(await from(attacker, { authorization: 'Basic Zm9vOmJhcg==' }), 401)
    expectProblem(await from(attacker, bearer(`bti_${'z'.repeat(12)}_${'B'.repeat(43)}`)), 401)
    expectProblem(await from(attacker, bearer(gone)), 401)
    expect((await from(attacker, bearer('nonsense'), '/v1/areas', 'GET')).statusCode).toBe(200)
    expect((await from(attacker, { authorization: '' }, '/v1/indicators', 'GET')).statusCode).toBe(200)
    for (const headers of [bearer(good), bearer('still-guessing'), bearer(good)]) {
      const locked = await from(attacker, headers)
      expectProblem(locked, 429)
      const retry = Number(locked.headers['retry-after'])
      expect(retry).toBeGreaterThan(590)
      expect(retry).toBeLessThanOrEqual(600)
    }
    // A write without credentials guesses nothing: the plain 401.
    expectProblem(await from(attacker, {}), 401)
    // Only credentials are refused: public reads without a key still answer, and health checks stay allow-listed.
    expect((await from(attacker, {}, '/v1/areas', 'GET')).statusCode).toBe(200)
    expect((await from(attacker, bearer('x'), '/healthz', 'GET')).statusCode).toBe(200)
    // Another address is not affected, and the correct key works from there.
    expect((await from('192.0.2.8', { ...bearer(good) })).statusCode).toBe(200)
    await close()
  })

  it('the lockout ends with its window, which starts at the first failure and does not extend itself', async () => {
    let now = 1_000_000
    const counter = createFailureCounter(2, 10_000, () => now)
    await counter.record('a')
    now += 4_000
    expect(await counter.lockedFor('a')).toBe(0)
    await counter.record('a')
    expect(await counter.lockedFor('a')).toBe(6_000)
    now += 5_999
    await counter.record('a')
    expect(await counter.lockedFor('a')).toBe(1)
    expect(await counter.lockedFor('b')).toBe(0)
    now += 1
    expect(await counter.lockedFor('a')).toBe(0)
    await counter.record('a')
    expect(await counter.lockedFor('a')).toBe(0)
  })

  it('groups IPv6 clients by /64, so that rotating addresses within it gains nothing', async () => {
    const { app, close } = await appWith({ authFailuresPerWindow: 3 })
    for (let i = 1; i <= 3; i++) await app.inject({ url: '/v1/areas', headers: bearer('guess'), remoteAddress: `2001:db8:1:2::${i.toString(16)}` })
    expectProblem(await app.inject({ url: '/v1/areas', headers: bearer('guess'), remoteAddress: '2001:db8:1:2:ffff::9' }), 429)
    expect((await app.inject({ url: '/v1/areas', headers: bearer('guess'), remoteAddress: '2001:db8:1:3::1' })).statusCode).toBe(200)
    await close()
  })

  it('looks the key up once per request: the rate limit and the route share one check', async () => {
    const { app, storage, close } = await appWith({})
    const good = (await createKey(storage, 'writer', ['write'])).secret
    const lookups = { n: 0 }
    const byId = storage.keys.byId.bind(storage.keys)
    storage.keys.byId = (id) => (lookups.n++, byId(id))
    const count = async (options: { method: 'POST'; url: string; payload: object; headers?: Record<string, string> }) => {
      const before = lookups.n
      await app.inject(options)
      return lookups.n - before
    }
    const write = { method: 'POST' as const, url: '/v1/imports', payload: { reason: 'r', observations: [] } }
    // Warm up first: some lookups are prepared or cached on first use.
    for (let i = 0; i < 2; i++) await count(write)
    const anonymousWrite = await count(write)
    expect(await count({ ...write, headers: bearer(good) })).toBe(anonymousWrite + 1)
    expect(await count({ ...write, headers: bearer(`bti_${'q'.repeat(12)}_${'C'.repeat(43)}`) })).toBe(anonymousWrite + 1)
    await close()
  })

  describe('property: no Authorization header that fails to authenticate gets a bucket of its own', () => {
    let app: App
    let storage: Storage
    let close: () => Promise<void>
    let good: string
    let revoked: string
    beforeAll(async () => {
      ;({ app, storage, close } = await appWith({ rateLimitPerMinute: 1 }))
      good = (await createKey(storage, 'writer', ['write'])).secret
      revoked = (await createKey(storage, 'gone', ['write'])).secret
      await revokeKey(storage, { name: 'gone' })
    })
    afterAll(() => close())

    const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789')
    const b64 = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')
    const visible = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 })
    const garbage = fc.oneof(
      visible,
      visible.map((s) => `Bearer ${s}`),
      fc.tuple(fc.string({ unit: alnum, minLength: 12, maxLength: 12 }), fc.string({ unit: b64, minLength: 0, maxLength: 60 })).map(([id, rest]) => `Bearer bti_${id}_${rest}`),
      fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER'), fc.string({ unit: b64, minLength: 43, maxLength: 43 })).map(([scheme, rest]) => `${scheme} ${good.slice(0, 17)}${rest}`),
      fc.constantFrom('revoked', 'good+', 'good-prefix').map((which) => `Bearer ${which === 'revoked' ? revoked : which === 'good+' ? `${good}x` : good.slice(0, -1)}`),
    )

    it('each lands in its address bucket, already spent', async () => {
      let n = 0
      await fc.assert(
        fc.asyncProperty(garbage, async (authorization) => {
          const remoteAddress = `10.9.${Math.floor(n / 250)}.${(n++ % 250) + 1}`
          expect((await app.inject({ url: '/v1/areas', remoteAddress })).statusCode).toBe(200)
          const res = await app.inject({ url: '/v1/areas', headers: { authorization }, remoteAddress })
          expect(res.statusCode, authorization).toBe(429)
        }),
        { numRuns: 150 },
      )
      // The control: the one real key does get its own bucket from a spent address.
      const remoteAddress = '10.9.255.1'
      await app.inject({ url: '/v1/areas', remoteAddress })
      expect((await app.inject({ url: '/v1/areas', headers: bearer(good), remoteAddress })).statusCode).toBe(200)
    })
  })
})

/** Sends the headers and the first half of the body, waits for `midway`, then the rest; resolves with the answer. */
function slowUpload(port: number, method: string, path: string, headers: Record<string, string>, body: string, midway: () => Promise<void>) {
  return new Promise<{ statusCode: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const bytes = Buffer.from(body)
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(bytes.length) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.flushHeaders()
    req.write(bytes.subarray(0, bytes.length >> 1))
    midway().then(
      () => req.end(bytes.subarray(bytes.length >> 1)),
      (err) => (req.destroy(), reject(err)),
    )
  })
}

describe.each([
  { file: true, label: 'database file, writer thread' },
  { file: false, label: ':memory:, inline writer' },
])('a key revoked while its request uploads writes nothing (item 13; $label)', ({ file }) => {
  let app: App
  let storage: Storage
  let query: (sql: string, ...params: unknown[]) => Promise<unknown[]>
  let port: number
  let cleanup: () => Promise<void>
  /** Resolves once the next request has passed authentication and its body is being read. */
  let authenticated: () => Promise<void>

  beforeAll(async () => {
    ;({ storage, query, cleanup } = await freshDb({ file }))
    app = withContract(await buildApp({ storage, logger: false, config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } }))
    let signal: (() => void) | null = null
    authenticated = () => new Promise<void>((resolve) => (signal = resolve))
    // preParsing runs after every onRequest hook, the key checks included, and before the body is read.
    app.addHook('preParsing', async () => {
      signal?.()
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    port = (app.server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await app.close()
    await cleanup()
  })

  async function state() {
    const q = (sql: string) => query(sql)
    return {
      observations: await q('SELECT * FROM observation ORDER BY id'),
      revisions: await q('SELECT count(*) n, max(seq) s FROM observation_revision'),
      audit: await q('SELECT count(*) n, max(seq) s, max(hash) h FROM audit_entry'),
      catalog: await q('SELECT (SELECT count(*) FROM indicator) i, (SELECT count(*) FROM area) a, (SELECT count(*) FROM reporting_period) p, (SELECT count(*) FROM source) s'),
      idempotency: await q('SELECT count(*) n FROM idempotency_key'),
    }
  }

  async function newImportRow() {
    const o = json((await app.inject({ url: '/v1/observations?indicator=medical_insurance_enrolled' })).body).data[0]
    return { indicator: o.indicator, area: o.area, period: '2023', kind: 'forecast', reported: { value: o.reported.value, unit: o.reported.unit }, citation: { sourceId: o.source.id, quote: o.source.quote }, involvedAreas: o.involvedAreas, note: 'sent slowly' }
  }
  const indicator = (code: string) => ({ path: `/v1/indicators/${code}`, body: JSON.stringify({ nameZh: '新', nameEn: 'New', description: 'sent slowly', category: 'c', unit: 'person', additive: true }) })

  it('an import whose key is revoked mid-upload (as `npm run keys -- revoke` does): 401, nothing written, audit unchanged', async () => {
    const key = (await createKey(storage, `uploader-${file}`, ['write']))
    const body = JSON.stringify({ reason: 'slow upload', observations: [await newImportRow()] })
    const before = (await state())
    const res = await slowUpload(port, 'POST', '/v1/imports', bearer(key.secret), body, async () => {
      await authenticated()
      await revokeKey(storage, { id: key.key.id })
    })
    expectProblem(res as never, 401)
    expect(res.headers['www-authenticate']).toMatch(/invalid_token/)
    const after = (await state())
    // The revocation itself is the one audit entry added.
    expect(after.audit[0]).toMatchObject({ n: (before.audit[0] as { n: number }).n + 1 })
    expect(json((await app.inject({ url: '/v1/audit?limit=1000' })).body).data.at(-1)).toMatchObject({ action: 'api_key.revoke', entityId: key.key.id })
    expect({ ...after, audit: null }).toEqual({ ...before, audit: null })
  })

  it('the same holds for an admin write, and for a scope withdrawn mid-upload (403): one check for every command', async () => {
    const key = (await createKey(storage, `admin-${file}`, ['admin']))
    const before = (await state())
    const first = indicator('slow_one')
    const res = await slowUpload(port, 'PUT', first.path, bearer(key.secret), first.body, async () => {
      await authenticated()
      await revokeKey(storage, { name: key.key.name })
    })
    expectProblem(res as never, 401)
    expect((await state()).catalog).toEqual(before.catalog)

    const narrowed = (await createKey(storage, `narrowed-${file}`, ['admin', 'write']))
    const second = indicator('slow_two')
    const res2 = await slowUpload(port, 'PUT', second.path, bearer(narrowed.secret), second.body, async () => {
      await authenticated()
      await query("UPDATE api_key SET scopes = 'write' WHERE id = ?", narrowed.key.id)
    })
    expectProblem(res2 as never, 403)
    expect((await state()).catalog).toEqual(before.catalog)
  })

  it('a key left alone still writes over the same slow path (the control)', async () => {
    const key = (await createKey(storage, `steady-${file}`, ['admin']))
    const third = indicator('slow_three')
    const res = await slowUpload(port, 'PUT', third.path, bearer(key.secret), third.body, () => authenticated())
    expect(res.statusCode).toBe(201)
  })
})

describe('API key names and the audit log\'s internal actors (item 16)', () => {
  it('every actor the code itself writes into the audit log is reserved: seed, key commands', async () => {
    const { storage, query, cleanup } = await freshDb()
    const a = (await createKey(storage, 'somebody', ['write']))
    await revokeKey(storage, { id: a.key.id })
    const keyNames = new Set((await listKeys(storage.keys)).map((k) => k.name))
    const actors = ((await query('SELECT DISTINCT actor FROM audit_entry')) as { actor: string }[]).map((r) => r.actor)
    const internal = actors.filter((x) => !keyNames.has(x))
    expect(internal.sort()).toEqual([INTERNAL_ACTORS.cli, INTERNAL_ACTORS.seed].sort())
    for (const actor of internal) expect(isReservedActorName(actor), actor).toBe(true)
    for (const actor of Object.values(INTERNAL_ACTORS)) expect(RESERVED_ACTOR_NAMES).toContain(actor)
    cleanup()
  })

  it('property: a key cannot be named like an internal actor, whatever the case or separators', async () => {
    const { storage, cleanup } = await freshDb({ seed: false })
    const lookalike = fc
      .tuple(fc.constantFrom(...RESERVED_ACTOR_NAMES), fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }), fc.array(fc.constantFrom('', '', '.', '_', '-'), { minLength: 16, maxLength: 16 }))
      .map(([name, upper, seps]) =>
        [...name.replace(/[._-]/g, '')].map((c, i) => (i > 0 ? seps[i] : '') + (upper[i] ? c.toUpperCase() : c)).join(''),
      )
    await fc.assert(
      fc.asyncProperty(lookalike, async (name) => {
        await expect(createKey(storage, name, ['write'])).rejects.toThrow(/internal actor/)
      }),
      { numRuns: 300 },
    )
    expect((await listKeys(storage.keys))).toEqual([])
    // Names that merely contain one are distinct in the log and stay allowed.
    for (const name of ['seedling', 'cli-tool-2', 'writer', 'admin']) expect((await createKey(storage, name, ['write'])).key.name).toBe(name)
    cleanup()
  })

  it('revoking by a bare string that is one key\'s name and another key\'s id is refused, naming both; --id and --name are exact', async () => {
    const { storage, cleanup } = await freshDb({ seed: false })
    const a = (await createKey(storage, 'alpha', ['write']))
    const b = (await createKey(storage, a.key.id, ['write']))
    await expect(revokeKey(storage, a.key.id)).rejects.toThrow(KeyError)
    try {
      await revokeKey(storage, a.key.id)
    } catch (err) {
      expect((err as Error).message).toContain(`"${a.key.id}" (id ${b.key.id})`)
      expect((err as Error).message).toContain(`"alpha" (id ${a.key.id})`)
    }
    expect((await listKeys(storage.keys)).every((k) => k.revokedAt === null)).toBe(true)
    expect((await revokeKey(storage, { name: a.key.id })).id).toBe(b.key.id)
    expect((await listKeys(storage.keys)).find((k) => k.id === a.key.id)?.revokedAt).toBeNull()
    expect((await revokeKey(storage, { id: a.key.id })).id).toBe(a.key.id)
    await expect(revokeKey(storage, { name: 'nobody' })).rejects.toThrow(/no key named "nobody"/)
    await expect(revokeKey(storage, { id: 'alpha' })).rejects.toThrow(/no key with id "alpha"/)
    cleanup()
  })

  it('the CLI says which: `revoke --id` or `revoke --name`, exactly one', async () => {
    const { storage, path, cleanup } = await freshDb({ file: true, seed: false })
    const a = (await createKey(storage, 'alpha', ['write']))
    const b = (await createKey(storage, a.key.id, ['write']))
    await storage.close()
    const keys = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], { env: { ...process.env, DATABASE_URL: path }, encoding: 'utf8' })
    const both = keys('revoke', '--id', a.key.id, '--name', 'alpha')
    expect(both.status).toBe(1)
    expect(both.stderr).toMatch(/exactly one of --id ID or --name NAME/)
    const byName = keys('revoke', '--name', a.key.id)
    expect(byName.status, byName.stderr).toBe(0)
    expect(byName.stdout).toContain(`(id ${b.key.id})`)
    const after = await openStorage(path)
    const listed = await listKeys(after.keys)
    await after.close()
    expect(listed.find((k) => k.id === a.key.id)?.revokedAt).toBeNull()
    expect(listed.find((k) => k.id === b.key.id)?.revokedAt).not.toBeNull()
    await cleanup()
  }, 120_000)
})
