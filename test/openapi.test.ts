// The committed openapi.yaml is what the server serves, and a contract tools can trust: every
// operation named, secured and complete by class; every example valid and, for reads, what the
// seeded service really answers; every header a real answer carries documented.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Errors } from '../src/errors.js'
import { projectRoot } from '../src/paths.js'
import { RATE_LIMIT_EXEMPT_PATHS } from '../src/plugins/protection.js'
import { EXAMPLE_OBSERVATION_ID } from '../src/plugins/openapi-examples.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

type Json = Record<string, any>
interface Operation {
  path: string
  method: string
  op: Json
  where: string
}

let t: TestContext
let doc: Json
let operations: Operation[]
beforeAll(async () => {
  t = await buildTestApp()
  doc = json((await t.app.inject({ url: '/openapi.json' })).body)
  operations = Object.entries<Json>(doc.paths).flatMap(([path, ops]) => Object.entries<Json>(ops).map(([method, op]) => ({ path, method, op, where: `${method.toUpperCase()} ${path}` })))
})
afterAll(() => t.close())

/** A `$ref` into this document, followed. */
function resolve<T = Json>(node: Json): T {
  if (!node?.$ref) return node as T
  const parts = String(node.$ref).replace(/^#\//, '').split('/')
  return resolve(parts.reduce((at: Json, part) => at[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc))
}

const statusesOf = (op: Json) => Object.keys(op.responses)
const parametersOf = (op: Json): Json[] => (op.parameters ?? []).map((p: Json) => resolve(p))
const headersOf = (response: Json): Record<string, Json> => Object.fromEntries(Object.entries<Json>(resolve(response).headers ?? {}).map(([name, h]) => [name.toLowerCase(), resolve(h)]))

/** A validator of the document's schemas (JSON Schema 2020-12, as OpenAPI 3.1 has it), `#/components` references included. */
function validatorOf(schema: Json) {
  const ajv = validatorOf.ajv ??= (() => {
    const a = new Ajv2020({ strict: false, allErrors: true })
    ;(addFormats as unknown as (ajv: Ajv2020) => Ajv2020)(a)
    a.addSchema({ $id: 'doc.json', components: { schemas: doc.components.schemas } })
    return a
  })()
  const rebased = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"doc.json#/components/'))
  return ajv.compile(rebased)
}
validatorOf.ajv = undefined as Ajv2020 | undefined

function expectValid(schema: Json, value: unknown, where: string) {
  const validate = validatorOf(schema)
  expect(validate(value) ? [] : validate.errors, where).toEqual([])
}

/** Members that differ between two seeded services: when they recorded a revision or last verified. */
const VOLATILE_MEMBERS = new Set(['recordedAt', 'lastFullAt'])
const TIMESTAMP = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g

/** True when `example` says nothing `actual` does not: same scalars, objects with a subset of members, lists with a prefix of items. */
function isSubset(example: unknown, actual: unknown): boolean {
  if (Array.isArray(example)) return Array.isArray(actual) && example.length <= actual.length && example.every((e, i) => isSubset(e, actual[i]))
  if (example && typeof example === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false
    return Object.entries(example).every(([k, v]) => k in actual && (VOLATILE_MEMBERS.has(k) || isSubset(v, (actual as Json)[k])))
  }
  return example === actual
}

/** Operations whose answer depends on the instance (its key, its thread mode, its clock), not on the seed: checked against their schema only. */
const INSTANCE_BOUND = new Set(['getReadiness', 'getAuditHead', 'getAuditPublicKey', 'listAuditEntries', 'verifyAudit', 'verifyAuditFull'])

describe('OpenAPI document', () => {
  it('served YAML equals the committed openapi.yaml (run `npm run openapi` after changing a schema)', async () => {
    const res = await t.app.inject({ url: '/openapi.yaml' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe(readFileSync(join(projectRoot, 'openapi.yaml'), 'utf8'))
    // No YAML anchors or aliases: not every OpenAPI tool follows them.
    expect(res.body).not.toMatch(/(?:^|[:-] )[&*]a\d+\b/m)
  })

  it('is OpenAPI 3.1 with servers, a licence and named components for every resource and envelope', () => {
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.servers?.length).toBeGreaterThan(0)
    expect(doc.info.license.name).toBeTruthy()
    expect(doc.info.license.identifier ?? doc.info.license.url).toBeTruthy()
    for (const name of ['Observation', 'ObservationPage', 'Revision', 'RevisionList', 'ChangePage', 'Indicator', 'IndicatorList', 'Area', 'AreaList', 'Period', 'PeriodList', 'Source', 'SourceList', 'AuditEntry', 'AuditPage', 'ImportSummary', 'Problem'])
      expect(doc.components.schemas, name).toHaveProperty(name)
  })

  it('names every operation once, in camelCase, with tags, summary, description and a security requirement', () => {
    expect(operations.length).toBeGreaterThanOrEqual(29)
    const ids = operations.map(({ op }) => op.operationId)
    expect(new Set(ids).size).toBe(ids.length)
    const tags = new Set(doc.tags.map((tag: Json) => tag.name))
    for (const { op, where } of operations) {
      expect(op.operationId, where).toMatch(/^[a-z][a-zA-Z0-9]*$/)
      expect(op.tags?.length, where).toBeGreaterThan(0)
      for (const tag of op.tags) expect(tags.has(tag), `${where} tag ${tag}`).toBe(true)
      expect(op.summary, where).toBeTruthy()
      expect(op.description, where).toBeTruthy()
      expect(Array.isArray(op.security), where).toBe(true)
      for (const requirement of op.security) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes, where).toHaveProperty(scheme)
    }
  })

  it('documents the statuses of each route class', () => {
    for (const { path, method, op, where } of operations) {
      const statuses = statusesOf(op)
      const secured = op.security.length > 0
      expect(statuses, where).toEqual(expect.arrayContaining(['400', '414', '500']))
      if (path !== '/healthz') expect(statuses, where).toContain('503')
      if (!RATE_LIMIT_EXEMPT_PATHS.includes(path)) expect(statuses, where).toContain('429')
      if (op.requestBody) expect(statuses, where).toEqual(expect.arrayContaining(['413', '415']))
      if (secured) expect(statuses, where).toEqual(expect.arrayContaining(['401', '403']))
      if (path.includes('{') && method !== 'put') expect(statuses, where).toContain('404')
      if (method === 'get' && path.startsWith('/v1/') && !path.startsWith('/v1/audit/verify')) expect(statuses, where).toContain('304')
      expect(statuses.some((s) => s.startsWith('2')), where).toBe(true)
    }
  })

  it('documents the headers each status carries and each request reads', () => {
    for (const { path, op, where } of operations) {
      const params = parametersOf(op).filter((p) => p.in === 'header').map((p) => p.name)
      const statuses = statusesOf(op)
      if (statuses.includes('304')) {
        expect(params, where).toContain('If-None-Match')
        const notModified = resolve(op.responses['304'])
        expect(notModified.content, `${where} 304 has no body`).toBeUndefined()
        expect(Object.keys(headersOf(notModified)), where).toEqual(expect.arrayContaining(['etag', 'x-request-id']))
      }
      if (statuses.includes('428') || statuses.includes('412')) expect(params, where).toContain('If-Match')
      if (statuses.includes('206')) expect(params, where).toEqual(expect.arrayContaining(['Range', 'If-Range']))
      if (statuses.includes('401')) expect(Object.keys(headersOf(op.responses['401'])), where).toContain('www-authenticate')
      for (const s of ['429', '503']) if (statuses.includes(s)) expect(Object.keys(headersOf(op.responses[s])), `${where} ${s}`).toContain('retry-after')
      const limited = !RATE_LIMIT_EXEMPT_PATHS.includes(path)
      for (const s of statuses) {
        const headers = Object.keys(headersOf(op.responses[s]))
        expect(headers, `${where} ${s}`).toContain('x-request-id')
        if (limited) expect(headers, `${where} ${s}`).toEqual(expect.arrayContaining(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']))
      }
    }
    expect(parametersOf(doc.paths['/v1/imports'].post).map((p) => p.name)).toContain('Idempotency-Key')
  })

  it('gives every parameter a description and an example its schema accepts', () => {
    for (const { op, where } of operations) {
      for (const p of parametersOf(op)) {
        expect(p.description ?? p.schema?.description, `${where} ${p.name}`).toBeTruthy()
        expect(p.example, `${where} ${p.name}`).toBeDefined()
        expectValid(p.schema, p.example, `${where} parameter ${p.name}`)
      }
    }
    for (const [name, header] of Object.entries<Json>(doc.components.headers)) if (header.example !== undefined) expectValid(header.schema, header.example, `header ${name}`)
  })

  it('gives every request body and every 2xx answer an example its schema accepts', () => {
    for (const { op, where } of operations) {
      for (const [mediaType, media] of Object.entries<Json>(op.requestBody?.content ?? {})) {
        expect(media.example, `${where} body ${mediaType}`).toBeDefined()
        expectValid(media.schema, media.example, `${where} body ${mediaType}`)
      }
      for (const status of statusesOf(op).filter((s) => s.startsWith('2'))) {
        for (const [mediaType, media] of Object.entries<Json>(resolve(op.responses[status]).content ?? {})) {
          expect(media.example, `${where} ${status} ${mediaType}`).toBeDefined()
          expectValid(media.schema, media.example, `${where} ${status} ${mediaType}`)
        }
      }
    }
  })

  it('gives every problem answer an example that is a Problem with one error-array shape', () => {
    const problem = doc.components.schemas.Problem
    expect(problem.properties).not.toHaveProperty('problems')
    expect(problem.properties.errors.items.$ref).toBe('#/components/schemas/FieldError')
    expect(doc.components.schemas.FieldError.required).toEqual(['in', 'name', 'message'])
    // An import summary's rejected rows use the same shape.
    expect(doc.components.schemas.ImportSummary.properties.errors.items.$ref).toBe('#/components/schemas/FieldError')
    for (const [name, response] of Object.entries<Json>(doc.components.responses)) {
      const media = response.content?.['application/problem+json']
      if (!media) continue
      expectValid(media.schema, media.example, `response ${name}`)
      expect(Object.values(Errors).some((e) => e.code === media.example.code && e.statusCode === media.example.status && e.title === media.example.title), `${name}: a coded error`).toBe(true)
    }
  })

  it('describes every field of every schema and parameter', () => {
    const undocumented: string[] = []
    const walk = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return
      for (const [name, prop] of Object.entries<any>(schema.properties ?? {})) {
        if (!prop.description && !prop.$ref) undocumented.push(`${where}.${name}`)
        walk(prop, `${where}.${name}`)
      }
      if (schema.items) walk(schema.items, `${where}[]`)
      for (const k of ['anyOf', 'oneOf', 'allOf']) for (const s of schema[k] ?? []) walk(s, where)
    }
    for (const { op, where } of operations) {
      for (const p of parametersOf(op)) if (!p.description && !p.schema?.description) undocumented.push(`${where} param ${p.name}`)
      for (const [status, r] of Object.entries<any>(op.responses)) for (const [type, c] of Object.entries<any>(resolve(r).content ?? {})) walk(c.schema, `${where} ${status} ${type}`)
    }
    for (const [name, schema] of Object.entries<any>(doc.components.schemas)) walk(schema, name)
    expect(undocumented).toEqual([])
  })

  it('serves interactive docs', async () => {
    const res = await t.app.inject({ url: '/docs/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
  })
})

const settled = (app: TestContext['app'], options: InjectOptions) => app.inject(options)

describe('OpenAPI document against the seeded service', () => {
  /** The response headers the document defines: a real answer carrying one must document it. */
  const known = () => new Set(Object.keys(doc.components.headers).map((h) => h.toLowerCase()))

  function expectDocumentedHeaders(response: Json, real: Record<string, unknown>, where: string) {
    const documented = headersOf(response)
    for (const name of Object.keys(real)) if (known().has(name)) expect(Object.keys(documented), `${where}: ${name} is sent`).toContain(name)
    for (const [name, h] of Object.entries(documented)) if (h.required) expect(real, `${where}: required ${name}`).toHaveProperty(name)
  }

  const urlOf = (path: string, op: Json) => path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(parametersOf(op).find((p) => p.in === 'path' && p.name === name)!.example)))

  it('answers every public read with its 200 example (a subset, lists cut) and the headers the document gives it', async () => {
    for (const { path, method, op, where } of operations) {
      if (method !== 'get' || op.security.length > 0) continue
      const res = await settled(t.app, { url: urlOf(path, op) })
      expect(res.statusCode, where).toBe(200)
      expectDocumentedHeaders(op.responses['200'], res.headers, where)
      const mediaType = String(res.headers['content-type']).split(';')[0]!
      const media = resolve(op.responses['200']).content?.[mediaType]
      expect(media, `${where} answers ${mediaType}`).toBeDefined()
      if (INSTANCE_BOUND.has(op.operationId)) continue
      if (mediaType.endsWith('json')) expect(isSubset(media.example, res.json()), `${where}: the 200 example is what the seeded service answers`).toBe(true)
      else expect(res.body.replace(TIMESTAMP, 'T').startsWith(String(media.example).replace(TIMESTAMP, 'T')), where).toBe(true)
    }
  })

  it('answers 304 with no body and no Content-Type where the document says so, with its headers', async () => {
    for (const { path, method, op, where } of operations) {
      if (method !== 'get' || !statusesOf(op).includes('304') || op.security.length > 0) continue
      const url = urlOf(path, op)
      const first = await settled(t.app, { url })
      expect(first.headers.etag, where).toBeTruthy()
      const res = await settled(t.app, { url, headers: { 'if-none-match': String(first.headers.etag) } })
      expect(res.statusCode, where).toBe(304)
      expect(res.body, where).toBe('')
      expect(res.headers['content-type'], where).toBeUndefined()
      expectDocumentedHeaders(op.responses['304'], res.headers, `${where} 304`)
    }
  })

  it('answers the CSV export and a byte range with their examples', async () => {
    const csv = await settled(t.app, { url: '/v1/observations', headers: { accept: 'text/csv' } })
    const list = doc.paths['/v1/observations'].get
    expectDocumentedHeaders(list.responses['200'], csv.headers, 'CSV export')
    expect(csv.body.replace(TIMESTAMP, 'T').startsWith(String(list.responses['200'].content['text/csv'].example).replace(TIMESTAMP, 'T'))).toBe(true)

    const observation = (await settled(t.app, { url: `/v1/observations/${EXAMPLE_OBSERVATION_ID}` })).json()
    const text = doc.paths['/v1/sources/{id}/text'].get
    const range = await settled(t.app, { url: `/v1/sources/${observation.source.id}/text`, headers: { range: `bytes=${observation.source.byteStart}-${observation.source.byteEnd - 1}` } })
    expect(range.statusCode).toBe(206)
    expectDocumentedHeaders(text.responses['206'], range.headers, 'byte range')
    expect(range.body).toBe(text.responses['206'].content['text/plain'].example)
  })

  it('answers a limited route over its limit with the documented 429 and its headers, and leaves the probes unlimited', async () => {
    const limited = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1 } } })
    try {
      for (const { path, op, where } of operations.filter(({ method, op }) => method === 'get' && op.security.length === 0)) {
        const url = urlOf(path, op)
        await settled(limited.app, { url })
        const res = await settled(limited.app, { url })
        if (RATE_LIMIT_EXEMPT_PATHS.includes(path)) {
          expect(res.statusCode, where).toBe(200)
          expect(res.headers, where).not.toHaveProperty('ratelimit-limit')
          continue
        }
        expect(res.statusCode, where).toBe(429)
        expectDocumentedHeaders(op.responses['429'], res.headers, `${where} 429`)
        expect(res.headers, where).toHaveProperty('retry-after')
      }
    } finally {
      await limited.close()
    }
  })

  it('answers the documented problems of each class with their headers', async () => {
    for (const { path, method, op, where } of operations) {
      const url = urlOf(path, op)
      if (op.security.length > 0) {
        const res = await settled(t.app, { method: method.toUpperCase() as 'GET', url })
        expect(res.statusCode, where).toBe(401)
        expectDocumentedHeaders(op.responses['401'], res.headers, `${where} 401`)
      }
      const long = await settled(t.app, { method: method.toUpperCase() as 'GET', url: `${url}?q=${'x'.repeat(5000)}` })
      expect(long.statusCode, where).toBe(414)
      expectDocumentedHeaders(op.responses['414'], long.headers, `${where} 414`)
    }
  })
})
