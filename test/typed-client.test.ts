// A client typed from openapi.yaml alone (openapi-typescript + openapi-fetch), with no casts: if the document and
// the service disagree, this file stops compiling or its answers fail the contract check behind app.inject.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import createClient from 'openapi-fetch'
import openapiTS, { astToString } from 'openapi-typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { projectRoot } from '../src/paths.js'
import { buildTestApp, type TestContext } from './helpers.js'
import type { paths } from './support/api-types.js'

// application/json is a page, or a JSON-stat dataset with format=jsonstat: the page is the member with a cursor.
type ObservationsPage = Extract<paths['/v1/observations']['get']['responses'][200]['content']['application/json'], { nextCursor: unknown }>
type Observation = ObservationsPage['data'][number]
type Change = paths['/v1/changes']['get']['responses'][200]['content']['application/json']['data'][number]
type ImportRow = paths['/v1/imports']['post']['requestBody']['content']['application/json']['observations'][number]

let t: TestContext
let writer: string

/** fetch over app.inject: every exchange the client makes goes through the contract check of buildTestApp. */
async function injectFetch(request: Request): Promise<Response> {
  const url = new URL(request.url)
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined
  const res = await t.app.inject({ method: request.method, url: url.pathname + url.search, headers: Object.fromEntries(request.headers), ...(body ? { payload: body } : {}) })
  const headers = new Headers()
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v))
  }
  const bodiless = res.statusCode === 204 || res.statusCode === 304 || request.method === 'HEAD'
  return new Response(bodiless ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers })
}

// JSON and problem+json are the client's media types: `data` is the JSON schema's type, `error` the problem's; CSV is asked for as text.
const client = createClient<paths, 'application/json' | 'application/problem+json'>({ baseUrl: 'http://bayantala.test', fetch: injectFetch })
const writeHeaders = (): Record<string, string> => ({ authorization: `Bearer ${writer}` })

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  writer = (await createKey(t.storage, 'typed-client', ['write'])).secret
})
afterAll(() => t.close())

/** Every page of a filtered list, following nextCursor to the end. */
async function listAll(query: { indicator?: string[]; includeWithdrawn?: boolean } = {}): Promise<Observation[]> {
  const all: Observation[] = []
  let cursor: string | undefined
  for (let page = 0; page < 1000; page++) {
    const { data, error } = await client.GET('/v1/observations', { params: { query: { ...query, limit: 7, ...(cursor ? { cursor } : {}) } } })
    if (error) throw new Error(`page ${page}: ${error.detail}`)
    if (!('nextCursor' in data)) throw new Error(`page ${page} is not a page`)
    all.push(...data.data)
    if (data.nextCursor === null) return all
    cursor = data.nextCursor
  }
  throw new Error('the cursor never ended')
}

describe('a typed client generated from openapi.yaml', () => {
  it('the committed types are what openapi-typescript makes of the committed openapi.yaml (npm run openapi:types)', async () => {
    const fresh = astToString(await openapiTS(new URL(`file://${join(projectRoot, 'openapi.yaml')}`)))
    const committed = readFileSync(join(projectRoot, 'test/support/api-types.ts'), 'utf8')
    expect(committed.replace(/^\/\*\*[\s\S]*?\*\/\s*/, '')).toBe(fresh.replace(/^\/\*\*[\s\S]*?\*\/\s*/, ''))
  })

  it('lists observations page by page, following nextCursor, each once and in id order', async () => {
    const all = await listAll()
    const [active] = await t.query<{ n: number }>("SELECT count(*) AS n FROM observation o JOIN observation_revision r ON r.seq = o.current_seq WHERE r.status = 'active'")
    expect(all.length).toBe(Number(active?.n))
    const ids = all.map((o) => o.id)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('reads one indicator', async () => {
    const [first] = await listAll()
    if (!first) throw new Error('the seed has no observations')
    const { data, error, response } = await client.GET('/v1/indicators/{code}', { params: { path: { code: first.indicator } } })
    expect(error).toBeUndefined()
    expect(response.status).toBe(200)
    expect(data?.code).toBe(first.indicator)
    const missing = await client.GET('/v1/indicators/{code}', { params: { path: { code: 'no_such_indicator' } } })
    expect(missing.response.status).toBe(404)
    expect(missing.error?.code).toMatch(/^APP_ERR_/)
  })

  it('corrects an observation with If-Match from its ETag, and a stale tag is refused', async () => {
    const [target] = await listAll()
    if (!target) throw new Error('the seed has no observations')
    const read = await client.GET('/v1/observations/{id}', { params: { path: { id: target.id } } })
    const etag = read.response.headers.get('etag')
    if (!read.data || !etag) throw new Error('an observation without body or ETag')
    const o = read.data
    const correction = {
      qualifier: o.qualifier,
      reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) },
      citation: { sourceId: o.source.id, quote: o.source.quote },
      involvedAreas: o.involvedAreas,
      note: 'checked against the typed client',
      reason: 'typed client correction',
    }
    const put = await client.PUT('/v1/observations/{id}', { params: { path: { id: o.id } }, headers: { ...writeHeaders(), 'if-match': etag }, body: correction })
    expect(put.error).toBeUndefined()
    expect(put.data?.revision).toBe(o.revision + 1)
    expect(put.data?.note).toBe('checked against the typed client')
    const stale = await client.PUT('/v1/observations/{id}', { params: { path: { id: o.id } }, headers: { ...writeHeaders(), 'if-match': etag }, body: correction })
    expect(stale.response.status).toBe(412)
    expect(stale.error?.currentRevision).toBe(o.revision + 1)
  })

  it('imports with an Idempotency-Key, and the retry is replayed, not run again', async () => {
    const [o] = await listAll()
    if (!o) throw new Error('the seed has no observations')
    const row: ImportRow = {
      indicator: o.indicator,
      area: o.area,
      period: o.period,
      kind: 'forecast',
      reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) },
      citation: { sourceId: o.source.id, quote: o.source.quote },
      note: 'imported by the typed client',
    }
    const request = { params: { header: { 'Idempotency-Key': 'typed-client-1' } }, headers: writeHeaders(), body: { reason: 'typed client import', observations: [row] } }
    const first = await client.POST('/v1/imports', request)
    expect(first.error).toBeUndefined()
    expect(first.data).toMatchObject({ received: 1, created: 1, rejected: 0 })
    expect(first.response.headers.get('idempotent-replayed')).toBeNull()
    const retry = await client.POST('/v1/imports', request)
    expect(retry.response.headers.get('idempotent-replayed')).toBe('true')
    expect(retry.data).toEqual(first.data)
  })

  it('syncs a mirror from /v1/changes that equals a full listing, withdrawals included', async () => {
    const mirror = new Map<number, Change>()
    let after = 0
    for (let page = 0; page < 1000; page++) {
      const { data, error } = await client.GET('/v1/changes', { params: { query: { after, limit: 11 } } })
      if (error) throw new Error(error.detail)
      for (const change of data.data) mirror.set(change.id, change)
      after = data.nextAfter
      if (!data.hasMore) break
    }
    const listed = await listAll({ includeWithdrawn: true })
    expect(mirror.size).toBe(listed.length)
    for (const o of listed) {
      const mirrored = mirror.get(o.id)
      expect(mirrored?.revision).toBe(o.revision)
      expect(mirrored?.value).toBe(o.value)
      expect(mirrored?.status).toBe(o.status)
    }
  })

  it('tells the JSON and the CSV answers of /v1/observations apart in the types', async () => {
    const json = await client.GET('/v1/observations', { params: { query: { limit: 2 } } })
    const csv = await client.GET('/v1/observations', { params: { query: { format: 'csv', limit: 2 } }, parseAs: 'text' })
    const page: ObservationsPage | undefined = json.data && 'nextCursor' in json.data ? json.data : undefined
    // @ts-expect-error the CSV answer is text, not the JSON page
    const notAPage: ObservationsPage | undefined = csv.data
    void notAPage
    const text: string | undefined = csv.data
    expect(page?.data).toHaveLength(2)
    expect(csv.response.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(text?.split('\r\n').filter(Boolean)).toHaveLength(3)
  })
})
