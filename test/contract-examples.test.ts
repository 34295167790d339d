// A Dredd-like run of the document's own examples: for every operation in openapi.yaml, a request made only
// from its examples (parameters, body, required headers) goes to a freshly seeded app, and the answer must be a
// documented 2xx that the contract check passes. An operation the examples cannot call fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, type TestContext } from './helpers.js'
import { dereferenced, METHODS, openApiDocument, violationsOf, type OperationObject, type ParameterObject } from './support/contract.js'


const doc = openApiDocument()
const SAFE = new Set(['get', 'head', 'options'])

/** The example a parameter, media type or schema offers: `example`, the first of `examples`, or the schema's own. */
function exampleOf(node: object): { value: unknown } | undefined {
  const example: unknown = Reflect.get(node, 'example')
  const examples: unknown = Reflect.get(node, 'examples')
  const schema: unknown = Reflect.get(node, 'schema')
  if (example !== undefined) return { value: example }
  if (Array.isArray(examples) && examples.length > 0) return { value: examples[0] }
  if (examples && typeof examples === 'object') {
    const first: unknown = Object.values(examples)[0]
    if (first && typeof first === 'object') {
      const named = dereferenced(first)
      if ('value' in named) return { value: named.value }
    }
  }
  if (schema && typeof schema === 'object') return exampleOf(dereferenced(schema))
  return undefined
}

/** The request an operation's examples describe, or what is missing to make one. */
function requestFrom(template: string, operation: OperationObject, shared: ParameterObject[]): { url: string; headers: Record<string, string>; payload?: string; missing: string[] } {
  const missing: string[] = []
  let url = template
  const query = new URLSearchParams()
  const headers: Record<string, string> = {}
  for (const declared of [...shared, ...(operation.parameters ?? [])]) {
    const parameter = dereferenced(declared)
    const { name, in: where, required } = parameter
    const example = exampleOf(parameter)
    if (!example) {
      if (required === true || where === 'path') missing.push(`${String(where)} parameter ${String(name)}`)
      continue
    }
    const values = Array.isArray(example.value) ? example.value.map(String) : [String(example.value)]
    if (where === 'path') url = url.replace(`{${String(name)}}`, encodeURIComponent(values.join(',')))
    else if (where === 'query') for (const v of values) query.append(String(name), v)
    else if (where === 'header') headers[String(name).toLowerCase()] = values.join(', ')
  }
  let payload: string | undefined
  const body = operation.requestBody ? dereferenced(operation.requestBody) : undefined
  const content: unknown = body?.content
  if (content && typeof content === 'object') {
    const [media, mediaObject] = Object.entries(content)[0] ?? []
    const example = mediaObject && typeof mediaObject === 'object' ? exampleOf(mediaObject) : undefined
    if (media && example) {
      headers['content-type'] = media
      payload = typeof example.value === 'string' ? example.value : JSON.stringify(example.value)
    } else if (body?.required === true) missing.push(`request body (${Object.keys(content).join(', ')})`)
  }
  const search = query.toString()
  return { url: search ? `${url}?${search}` : url, headers, ...(payload !== undefined ? { payload } : {}), missing }
}

const operations = Object.entries(doc.paths).flatMap(([template, item]) =>
  METHODS.flatMap((method) => {
    const operation = item[method]
    return operation ? [{ template, method, operation, shared: item.parameters ?? [] }] : []
  }),
)

// One service for the whole run, the operations in document order, as a contract tester (Dredd) calls them:
// the examples must hold together (a correction's example must leave the withdrawal's If-Match true).
describe('every operation, called with the document\'s own examples', () => {
  let t: TestContext
  let secret: string
  beforeAll(async () => {
    t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
    secret = (await createKey(t.storage, 'contract-examples', ['write', 'admin'])).secret
  })
  afterAll(() => t.close())

  it.each(operations.map((o) => [`${o.method.toUpperCase()} ${o.template}${o.operation.operationId ? ` (${o.operation.operationId})` : ''}`, o] as const))('%s', async (_name, { template, method, operation, shared }) => {
    const request = requestFrom(template, operation, shared)
    expect(request.missing, 'no example for').toEqual([])
    {
      const headers = { ...request.headers }
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0
      if (!SAFE.has(method) || !isPublic) headers.authorization = `Bearer ${secret}`
      if (!SAFE.has(method) && !headers['if-match']) {
        // The precondition a careful client sends: the ETag of what it read just before.
        const read = await t.app.inject({ method: 'GET', url: request.url.split('?')[0] ?? request.url })
        if (read.statusCode === 200 && typeof read.headers.etag === 'string') headers['if-match'] = read.headers.etag
      }
      const res = await t.app.inject({ method: method.toUpperCase(), url: request.url, headers, ...(request.payload !== undefined ? { payload: request.payload } : {}) })
      expect(violationsOf(res).map((v) => `${v.status} ${v.kind}: ${v.detail}`), `${method.toUpperCase()} ${request.url}`).toEqual([])
      const documented2xx = Object.keys(operation.responses ?? {}).filter((s) => /^2(\d\d|XX)$/.test(s))
      expect(documented2xx.some((s) => s === String(res.statusCode) || s === '2XX'), `${res.statusCode} ${res.body.slice(0, 300)}`).toBe(true)
    }
  })
})
