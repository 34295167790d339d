// The document checked against the service: every response a test receives (status, headers, body) is
// validated against openapi.yaml, so an answer the document does not describe fails the test that caused it.
import { appendFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'
import { expect } from 'vitest'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { projectRoot } from '../../src/paths.js'

declare module 'light-my-request' {
  interface InjectOptions {
    /** `false` skips the contract check for this one request: only for deliberately malformed HTTP. */
    contract?: false
  }
}

/** Strict fails the test; report appends each violation to CONTRACT_REPORT_FILE (JSON lines) and lets it pass. */
export type ContractMode = 'strict' | 'report'
// Report until openapi.yaml documents every status and header the service sends (issue 11); then strict.
const DEFAULT_MODE: ContractMode = 'strict'
export const contractMode: ContractMode = process.env.CONTRACT === 'strict' ? 'strict' : process.env.CONTRACT === 'report' ? 'report' : DEFAULT_MODE
export const reportFile = process.env.CONTRACT_REPORT_FILE ?? join(tmpdir(), 'contract-violations.jsonl')

// The parts of an OpenAPI 3.1 document the check reads.
type Schema = Record<string, unknown> | boolean
interface HeaderObject { required?: boolean; schema?: Schema; $ref?: string }
interface MediaTypeObject { schema?: Schema }
interface ResponseObject { headers?: Record<string, HeaderObject>; content?: Record<string, MediaTypeObject>; $ref?: string }
export interface ParameterObject { name: string; in: string; required?: boolean; schema?: Schema; example?: unknown; examples?: Record<string, { value?: unknown }>; $ref?: string }
export interface OperationObject {
  operationId?: string
  parameters?: ParameterObject[]
  requestBody?: { required?: boolean; content?: Record<string, MediaTypeObject & { example?: unknown; examples?: Record<string, { value?: unknown }> }>; $ref?: string }
  responses?: Record<string, ResponseObject>
  security?: Array<Record<string, string[]>>
}
export type PathItem = Partial<Record<Method, OperationObject>> & { parameters?: ParameterObject[] }
export interface OpenApiDocument { paths: Record<string, PathItem>; components?: { schemas?: Record<string, Schema>; responses?: Record<string, ResponseObject>; [kind: string]: Record<string, unknown> | undefined }; security?: Array<Record<string, string[]>> }
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const
export type Method = (typeof METHODS)[number]

/** Headers any HTTP response may carry whatever the operation: they are not the document's to declare. */
const GENERIC_HEADERS = new Set([
  'date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', // message framing
  'content-type', // checked against the response's content map instead
  'content-encoding', // compression is negotiated by Accept-Encoding on every response, not per operation
])
/** CORS answers from @fastify/cors on every route, driven by the request's Origin. */
const GENERIC_HEADER_PREFIXES = ['access-control-']
/** The OWASP REST security headers (src/plugins/protection.ts): the same on every response, a policy for browsers, not data. */
const SECURITY_HEADERS = new Set([
  'content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'cross-origin-resource-policy',
])

/** The document itself and its HTML viewer: they present the API, they are not operations of it. */
// The web view's pages and stylesheet are for people, not in the API's document.
const PRESENTATION_PATHS = [/^\/docs(\/|$)/, /^\/openapi\.(json|yaml)$/, /^\/(?:[?#]|$)/, /^\/(?:indicators|sources)\/[^/?#]+(?:[?#]|$)/, /^\/audit(?:[?#]|$)/, /^\/assets\//]

export interface Violation { operation: string; status: number; kind: string; detail: string; test?: string }

const DOC_ID = 'https://contract.test/openapi.yaml'
/** A document made ready to check exchanges against: its schemas compile on first use. */
export interface Contract { doc: OpenApiDocument; ajv: Ajv2020; routes: Array<{ template: string; pattern: RegExp }>; validators: Map<string, ValidateFunction> }
let documentContract: Contract | undefined

/** openapi.yaml, parsed once per test file. */
export function openApiDocument(): OpenApiDocument {
  return load().doc
}

/**
 * Parses the document and readies Ajv now, not inside the first request: the app under test shares this event
 * loop, and its overload guard (503 on event-loop delay) must not see the contract's start-up as the service's.
 */
export function prepareContract(): void {
  load()
}

function load(): Contract {
  documentContract ??= compileContract(parse(readFileSync(join(projectRoot, 'openapi.yaml'), 'utf8')))
  return documentContract
}

export function compileContract(doc: OpenApiDocument): Contract {
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; OpenAPI's own annotations (example, xml…) are not keywords.
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
  addFormats.default(ajv)
  ajv.addSchema({ ...doc, $id: DOC_ID })
  // Literal segments beat templated ones (/v1/audit/head over a /v1/audit/{x}), as routers do.
  const routes = Object.keys(doc.paths)
    .map((template) => ({ template, pattern: new RegExp('^' + template.split(/\{[^}]+\}/).map(escapeRegExp).join('[^/]+') + '/?$') }))
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))
  return { doc, ajv, routes, validators: new Map() }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function pointer(...parts: string[]): string {
  return '#' + parts.map((p) => '/' + p.replace(/~/g, '~0').replace(/\//g, '~1')).join('')
}

/** A validator for the schema at a JSON pointer into the document, compiled on first use with its $refs resolved. */
function validatorAt(c: Contract, ref: string): ValidateFunction {
  let validate = c.validators.get(ref)
  if (!validate) {
    validate = c.ajv.compile({ $ref: DOC_ID + ref })
    c.validators.set(ref, validate)
  }
  return validate
}

/** The node at a JSON pointer into the document, following $refs, with the pointer where it was found. */
function resolve(c: Contract, at: string): { node: Record<string, unknown>; at: string } {
  let current = at
  for (let hops = 0; hops < 10; hops++) {
    let target: unknown = c.doc
    for (const part of current.replace(/^#\//, '').split('/')) {
      const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
      target = target !== null && typeof target === 'object' ? Reflect.get(target, key) : undefined
    }
    if (target === null || typeof target !== 'object') throw new Error(`openapi.yaml: nothing at ${current}`)
    const ref: unknown = Reflect.get(target, '$ref')
    if (typeof ref !== 'string') return { node: Object.fromEntries(Object.entries(target)), at: current }
    current = ref
  }
  throw new Error(`openapi.yaml: $ref loop at ${at}`)
}

/** A node of openapi.yaml with its `$ref` (to components, say) followed. */
export function dereferenced<T extends object>(node: T): T | Record<string, unknown> {
  const ref: unknown = Reflect.get(node, '$ref')
  return typeof ref === 'string' ? resolve(load(), ref).node : node
}

/** The documented path template a request path falls under, if any. */
export function matchPath(pathname: string, c: Contract = load()): string | undefined {
  return c.routes.find((r) => r.pattern.test(pathname))?.template
}

/** What one exchange looked like on the wire, whatever carried it (inject or a real fetch). */
export interface Exchange {
  method: string
  url: string
  status: number
  headers: Record<string, string | string[] | number | undefined>
  /** The body as the client reads it, decoded of any Content-Encoding. */
  body: Buffer
}

/** Every way `exchange` departs from the document; empty when it conforms. */
export function checkExchange(exchange: Exchange, c: Contract = load()): Violation[] {
  const { doc } = c
  const method = exchange.method.toLowerCase()
  const status = exchange.status
  let pathname: string
  try {
    pathname = new URL(exchange.url, 'http://localhost').pathname
  } catch {
    pathname = exchange.url
  }
  if (PRESENTATION_PATHS.some((p) => p.test(pathname))) return []
  const template = matchPath(pathname, c)
  const headers = new Map(Object.entries(exchange.headers).map(([k, v]) => [k.toLowerCase(), v]))
  const contentType = firstValue(headers.get('content-type'))
  const media = contentType?.split(';')[0]?.trim().toLowerCase()
  const pathItem = template ? doc.paths[template] : undefined
  // HEAD is GET without the body (RFC 9110 §9.3.2) unless the document describes it on its own.
  const operationMethod = method === 'head' && !pathItem?.head ? 'get' : method
  const operation = pathItem && METHODS.includes(operationMethod as Method) ? pathItem[operationMethod as Method] : undefined
  const label = `${exchange.method.toUpperCase()} ${template ?? pathname}${operation?.operationId ? ` (${operation.operationId})` : ''}`
  const out: Violation[] = []
  const fail = (kind: string, detail: string): void => void out.push({ operation: label, status, kind, detail })
  const bodyless = method === 'head' || status === 204 || status === 304 || (status >= 100 && status < 200)

  if (status === 304) {
    if (exchange.body.length > 0) fail('304-with-body', `a 304 carries ${exchange.body.length} bytes of body`)
    if (contentType) fail('304-with-content-type', `a 304 carries Content-Type: ${contentType}`)
  }
  if (method === 'head' && exchange.body.length > 0) fail('head-with-body', `a HEAD answer carries ${exchange.body.length} bytes of body`)

  if (!template || !operation) {
    // No operation the document could describe (unknown path, or a method the path does not have):
    // a refusal must still be a problem, and OPTIONS may be answered by the HTTP layer without one.
    if (method === 'options' && status === 204 && exchange.body.length === 0) return out
    if (status < 400) fail('no-operation', `${status} on ${template ? 'a method the document does not list for this path' : 'a path the document does not list'}`)
    else if (method !== 'head') checkProblem(c, exchange, media, fail)
    return out
  }

  const responses = operation.responses ?? {}
  const key = [String(status), `${Math.floor(status / 100)}XX`, 'default'].find((k) => k in responses)
  if (!key) {
    fail('undocumented-status', `status ${status} is not among the documented ${Object.keys(responses).join(', ')}`)
    return out
  }
  const { node: response, at: responseAt } = resolve(c, pointer('paths', template, operationMethod, 'responses', key))
  const declaredHeaders = isRecord(response.headers) ? response.headers : {}
  const content = isRecord(response.content) ? response.content : {}

  // Headers: every one the service sent is declared (generic HTTP aside), every required one is sent, values fit.
  const declared = new Map(Object.keys(declaredHeaders).map((name) => [name.toLowerCase(), resolve(c, `${responseAt}${pointer('headers', name).slice(1)}`)]))
  for (const [name, value] of headers) {
    if (GENERIC_HEADERS.has(name) || SECURITY_HEADERS.has(name) || GENERIC_HEADER_PREFIXES.some((p) => name.startsWith(p))) continue
    const header = declared.get(name)
    if (!header) {
      fail('undeclared-header', `header ${name} is sent but not declared on response ${key}`)
      continue
    }
    if (header.node.schema === undefined) continue
    const validate = validatorAt(c, `${header.at}/schema`)
    const text = firstValue(value) ?? ''
    if (!validate(headerValue(text, header.node.schema))) fail('header-schema', `header ${name}: ${JSON.stringify(text)}: ${c.ajv.errorsText(validate.errors)}`)
  }
  for (const [name, header] of declared) if (header.node.required === true && !headers.has(name) && status !== 304) fail('missing-header', `required header ${name} is absent`)

  // Body: its media type is in the content map and, for JSON, the body is valid against that media type's schema.
  if (status === 304) return out
  const mediaTypes = Object.keys(content)
  if (mediaTypes.length === 0) {
    if (exchange.body.length > 0 || contentType) fail('undocumented-body', `response ${key} documents no content but the service sent ${contentType ?? 'no Content-Type'} with ${exchange.body.length} bytes`)
    return out
  }
  if (!media) {
    if (!bodyless) fail('missing-content-type', `response ${key} has content but no Content-Type was sent`)
    return out
  }
  const mediaKey = mediaTypes.find((m) => m.toLowerCase() === media) ?? mediaTypes.find((m) => m === `${media.split('/')[0]}/*` || m === '*/*')
  if (!mediaKey) {
    fail('undocumented-media-type', `Content-Type ${media} is not among ${mediaTypes.join(', ')}`)
    return out
  }
  const mediaObject = content[mediaKey]
  if (bodyless || !isJson(media) || !isRecord(mediaObject) || mediaObject.schema === undefined) return out
  let body: unknown
  try {
    body = JSON.parse(exchange.body.toString('utf8'))
  } catch {
    fail('body-not-json', `${media} body does not parse: ${JSON.stringify(exchange.body.subarray(0, 80).toString('utf8'))}`)
    return out
  }
  const validate = validatorAt(c, `${responseAt}${pointer('content', mediaKey, 'schema').slice(1)}`)
  if (!validate(body)) fail('body-schema', c.ajv.errorsText(validate.errors, { dataVar: 'body', separator: '; ' }).slice(0, 600))
  return out
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function checkProblem(c: Contract, exchange: Exchange, media: string | undefined, fail: (kind: string, detail: string) => void): void {
  if (media !== 'application/problem+json') {
    fail('not-a-problem', `a ${exchange.status} without an operation must be application/problem+json, got ${media ?? 'no Content-Type'}`)
    return
  }
  if (!c.doc.components?.schemas?.Problem) return
  let body: unknown
  try {
    body = JSON.parse(exchange.body.toString('utf8'))
  } catch {
    fail('body-not-json', 'the problem body does not parse')
    return
  }
  const validate = validatorAt(c, pointer('components', 'schemas', 'Problem'))
  if (!validate(body)) fail('body-schema', c.ajv.errorsText(validate.errors, { dataVar: 'body', separator: '; ' }))
}

function isJson(media: string): boolean {
  return media === 'application/json' || media.endsWith('+json')
}

function firstValue(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value[0] : String(value)
}

/** A header is text; its schema may say number or boolean. */
function headerValue(text: string, schema: unknown): unknown {
  const type = isRecord(schema) ? schema.type : undefined
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text)
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true'
  return text
}

const reported = new Set<string>()

/** Fails the running test (strict) or records the violations (report). */
export function enforce(violations: Violation[]): void {
  if (violations.length === 0) return
  const test = expect.getState().currentTestName ?? expect.getState().testPath ?? 'setup'
  if (contractMode === 'report') {
    const file = expect.getState().testPath?.replace(projectRoot + '/', '') ?? ''
    // One line per distinct violation and file: a property test repeats the same one thousands of times.
    const fresh = violations.filter((v) => !reported.has(`${file} ${v.operation} ${v.status} ${v.kind} ${v.detail}`))
    for (const v of fresh) reported.add(`${file} ${v.operation} ${v.status} ${v.kind} ${v.detail}`)
    if (fresh.length > 0) appendFileSync(reportFile, fresh.map((v) => JSON.stringify({ ...v, test: `${file} > ${test}` }) + '\n').join(''))
    return
  }
  throw new Error(`openapi.yaml contract: ${violations.map((v) => `${v.operation} → ${v.status}: ${v.kind}: ${v.detail}`).join('\n  ')}`)
}

function decoded(body: Buffer, encoding: string | undefined): Buffer {
  if (body.length === 0) return body
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip': return gunzipSync(body)
    case 'br': return brotliDecompressSync(body)
    case 'deflate': return inflateSync(body)
    default: return body
  }
}

type Injected = LightMyRequestResponse

/** How one inject response departs from the document. */
export function violationsOf(res: Injected): Violation[] {
  const req = res.raw.req
  return checkExchange({ method: req.method ?? 'GET', url: req.url ?? '/', status: res.statusCode, headers: res.headers, body: decoded(res.rawPayload, firstValue(res.headers['content-encoding'])) })
}

/** Checks one inject response against the document. */
export function checkInjected(res: Injected): void {
  enforce(violationsOf(res))
}

/**
 * Wraps `app.inject` so every response is checked before the test sees it. The promise form only (the
 * callback and chain forms are not used by the suite); `{ contract: false }` opts a single request out.
 */
export function withContract<T extends FastifyInstance>(app: T): T {
  prepareContract()
  const inject = app.inject.bind(app)
  const checked = async (opts: InjectOptions | string): Promise<Injected> => {
    if (typeof opts === 'object' && opts.contract === false) {
      const { contract: _skip, ...rest } = opts
      return inject(rest)
    }
    const res = await inject(opts)
    checkInjected(res)
    return res
  }
  Object.defineProperty(app, 'inject', { value: checked, configurable: true, writable: true })
  return app
}

/** `fetch` against a running service, each response checked before the caller sees it (fetch has decoded the body). */
export async function checkedFetch(input: string | URL, init?: RequestInit & { contract?: false }): Promise<Response> {
  const res = await fetch(input, init)
  if (init?.contract === false) return res
  let body: Buffer
  try {
    body = Buffer.from(await res.clone().arrayBuffer())
  } catch {
    return res // the connection broke mid-body (a test killing the server): the caller sees that, not a contract failure
  }
  const headers: Record<string, string> = {}
  res.headers.forEach((value, name) => (headers[name] = value))
  enforce(checkExchange({ method: init?.method ?? 'GET', url: String(input), status: res.status, headers, body }))
  return res
}
