// What the route schemas cannot say on their own, added to the generated document once: the
// statuses every route class can answer with (limits, overload, authentication, conditional
// requests), the headers each answer carries and each request reads, as reusable components.
// test/openapi.test.ts holds these classes to the service's real answers.
import { RATE_LIMIT_EXEMPT_PATHS } from './protection.js'
import { PARAMETER_EXAMPLES, PROBLEM_EXAMPLES, REQUEST_EXAMPLES } from './openapi-examples.js'
import { RESPONSE_EXAMPLES } from './openapi-response-examples.js'

type Json = Record<string, any>

const string = { type: 'string' } as const
const integer = { type: 'integer', minimum: 0 } as const

/** Response headers, each defined once (components/headers) and referenced by name. */
export const RESPONSE_HEADERS: Record<string, Json> = {
  'X-Request-Id': { description: 'The request id: the caller\'s X-Request-Id when sane, else a new UUID. Quote it when reporting a problem.', required: true, schema: string, example: '5f0c6f1e-6d35-4f0e-9a53-0b1c2d3e4f50' },
  ETag: { description: 'Validator of the representation: send it back as If-None-Match for a 304, or (observations) as If-Match to change it.', schema: string, example: '"obs-22-r1"' },
  'Cache-Control': {
    description: 'How long the answer may be reused: `no-cache` (revalidate with the ETag) unless the representation can never change (`immutable`); `no-store` on problems and on the probes and audit verification.',
    required: true,
    schema: string,
    example: 'no-cache',
  },
  Vary: { description: 'Request headers the representation depends on (Accept for negotiated media types, Accept-Encoding when compressed).', schema: string, example: 'Accept-Encoding' },
  'Content-Encoding': { description: 'The compression applied (gzip or br) when the client accepts it and the body is large enough to gain.', schema: string, example: 'gzip' },
  Location: { description: 'Where the created resource is served.', required: true, schema: string, example: '/v1/areas/bayantala' },
  'Content-Location': { description: 'The canonical URL of the resource, when it was asked for by an alias.', schema: string, example: '/v1/periods/2023-H1' },
  'Unit-Conversion': {
    description: "With `unit=`: the conversion applied to every value, `base=<stored base unit>; to*=UTF-8''<served unit, percent-encoded>; divisor=<its multiplier>` (served value = stored value ÷ divisor).",
    schema: string,
    example: "base=CNY; to*=UTF-8''%E4%B8%87%E5%85%83; divisor=10000",
  },
  Link: {
    description: 'The next page (RFC 8288, `rel="next"`), relative to the service: this request with `cursor` set to the next cursor. Absent on the last page, and on a CSV export without `limit` (it holds every row).',
    schema: string,
    example: '</v1/observations?limit=2&cursor=eyJhIjoyLCJmIjoiWGJyNjVaWk5oUmJqX0dYaiJ9>; rel="next"',
  },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: integer, example: 5 },
  'RateLimit-Limit': { description: 'Requests allowed per minute to this client (an API key, else an address).', schema: integer, example: 600 },
  'RateLimit-Remaining': { description: 'Requests left in the current window.', schema: integer, example: 599 },
  'RateLimit-Reset': { description: 'Seconds until the window resets.', schema: integer, example: 60 },
  'WWW-Authenticate': { description: 'The Bearer challenge (RFC 6750); `error="invalid_token"` for an unknown or revoked key.', required: true, schema: string, example: 'Bearer realm="bayantala-indicators"' },
  'Idempotent-Replayed': { description: '`true` when this is the recorded answer to an earlier request with the same Idempotency-Key.', schema: { type: 'string', enum: ['true'] } },
  'Content-Range': { description: 'The bytes sent and the whole length (206), or `bytes */length` (416).', required: true, schema: string, example: 'bytes 3521-3570/14486' },
  'Accept-Ranges': { description: 'Byte ranges of the text may be requested.', schema: { type: 'string', enum: ['bytes'] } },
  'Content-Disposition': { description: 'Names the CSV export as a file download.', schema: string, example: 'attachment; filename="observations.csv"' },
  'Accept-Encoding': { description: 'On a 415 for a coded request body (Content-Encoding other than identity): the only coding a request body may have.', schema: { type: 'string', enum: ['identity'] } },
  'X-Cache': { description: '`hit` when answered from the response cache, `miss` when the answer was just stored in it.', schema: { type: 'string', enum: ['hit', 'miss'] } },
}

/** Request headers, each defined once (components/parameters). */
export const REQUEST_HEADERS: Record<string, Json> = {
  IfMatch: { name: 'If-Match', in: 'header', required: false, description: 'The current ETag, compared strongly. Required in practice: without it (or with `*`) the answer is 428; a stale one is 412.', schema: string, example: '"obs-22-r1"' },
  IfNoneMatch: { name: 'If-None-Match', in: 'header', required: false, description: 'ETags the client holds (weak comparison; a list or `*`): 304 with no body when one matches. The example is a stale tag, so an example request gets the 200.', schema: string, example: '"obs-22-r0"' },
  Range: { name: 'Range', in: 'header', required: false, description: 'One byte range, `bytes=start-end` (UTF-8 offsets, end inclusive): 206 with the bytes, 416 outside the text.', schema: string, example: 'bytes=3521-3570' },
  IfRange: { name: 'If-Range', in: 'header', required: false, description: 'Honour Range only while the text still has this ETag; otherwise the whole text (200).', schema: string, example: '"697197996068763bf95affb7f798ca9cccfce8ac30dd553c5abaad300da8abe9"' },
  IdempotencyKey: { name: 'Idempotency-Key', in: 'header', required: false, description: 'Makes retries safe (printable ASCII, up to 200 characters): a retry with the same key and body replays the first answer (with Idempotent-Replayed: true).', schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' }, example: 'import-2023h1-0001' },
}

/** Problem answers by status: the component's name and when it is sent. */
const PROBLEMS: Record<string, [name: string, description: string]> = {
  '400': ['BadRequest', 'Malformed or unknown parameters, or a malformed body.'],
  '401': ['Unauthorized', 'Missing, malformed, unknown or revoked API key.'],
  '403': ['Forbidden', 'The API key lacks the required scope.'],
  '404': ['NotFound', 'No such resource.'],
  '406': ['NotAcceptable', 'None of the accepted media types can be produced.'],
  '409': ['Conflict', 'Conflicts with the current state or a concurrent request.'],
  '412': ['PreconditionFailed', 'If-Match does not match the current ETag strongly: nothing was changed.'],
  '413': ['PayloadTooLarge', 'The request body or batch is too large.'],
  '414': ['UriTooLong', 'The request URI is too long.'],
  '415': ['UnsupportedMediaType', 'Unsupported request media type.'],
  '416': ['RangeNotSatisfiable', 'The byte range lies outside the text.'],
  '422': ['UnprocessableContent', 'Well-formed but breaks a rule of the data.'],
  '428': ['PreconditionRequired', 'If-Match with the current ETag is required; `*` is not accepted.'],
  '431': ['HeadersTooLarge', 'The request line and headers exceed 16 KiB together (a very long query string counts): refused before routing, and the connection is closed.'],
  '429': ['TooManyRequests', 'Rate limit exceeded, or too many failed authentications from this address.'],
  '500': ['InternalError', 'An internal error; the detail names the request id, nothing else.'],
  '503': ['ServiceUnavailable', 'Overloaded, not ready, or the database is unreachable.'],
}

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` })
const headerRefs = (...names: string[]) => Object.fromEntries(names.map((n) => [n, ref('headers', n)]))
const RATE_LIMIT = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']

function problemResponse(status: string): Json {
  const [, description] = PROBLEMS[status]!
  // A concurrent duplicate import (409) says when to retry; a replayed import may be a recorded 422.
  const extra = status === '401' ? ['WWW-Authenticate'] : status === '416' ? ['Content-Range', 'Accept-Ranges', 'ETag'] : ['409', '429', '503'].includes(status) ? ['Retry-After'] : status === '422' ? ['Idempotent-Replayed'] : status === '415' ? ['Accept-Encoding'] : []
  return {
    description,
    // Every problem is no-store; a large one is compressed like any answer (src/plugins/compression.ts).
    headers: headerRefs('X-Request-Id', 'Cache-Control', 'Vary', 'Content-Encoding', ...extra, ...RATE_LIMIT),
    content: { 'application/problem+json': { schema: ref('schemas', 'Problem'), example: PROBLEM_EXAMPLES[status] } },
  }
}

/** Routes whose GET answers are validated by an ETag (so If-None-Match gives 304): the response cache's and the text's. */
function hasEtag(method: string, path: string): boolean {
  return method === 'get' && path.startsWith('/v1/') && !path.startsWith('/v1/audit/verify')
}

/** Response headers particular to one operation, on its 2xx answers. */
const OPERATION_HEADERS: Record<string, Record<string, string[]>> = {
  createSource: { '201': ['Location'] },
  putArea: { '201': ['Location'] },
  putPeriod: { '201': ['Location'] },
  putIndicator: { '201': ['Location'] },
  putUnit: { '201': ['Location'] },
  putTopic: { '201': ['Location'] },
  getPeriod: { '200': ['Content-Location'] },
  getSourceText: { '200': ['Accept-Ranges'], '206': ['Accept-Ranges', 'Content-Range'] },
  correctObservation: { '200': ['ETag'] },
  withdrawObservation: { '200': ['ETag'] },
  listObservations: { '200': ['Content-Disposition', 'Unit-Conversion', 'Link'] },
  getObservation: { '200': ['Unit-Conversion'] },
  listObservationRevisions: { '200': ['Unit-Conversion'] },
  importObservations: { '200': ['Idempotent-Replayed'] },
}

/** Completes the generated document (the @fastify/swagger transformObject hook). */
export function completeDocument(doc: Json): Json {
  doc.components ??= {}
  doc.components.headers = RESPONSE_HEADERS
  doc.components.parameters = REQUEST_HEADERS
  doc.components.responses = {
    NotModified: { description: 'Not modified: If-None-Match matched the ETag (weak comparison, so W/"x" matches "x"; a list or * also works). No body, no Content-Type; the representation\'s own headers (its next page, its conversion) as the 200 gave them.', headers: headerRefs('X-Request-Id', 'ETag', 'Cache-Control', 'Vary', 'X-Cache', 'Accept-Ranges', 'Content-Location', 'Link', 'Unit-Conversion', ...RATE_LIMIT) },
    ...Object.fromEntries(Object.keys(PROBLEMS).map((s) => [PROBLEMS[s]![0], problemResponse(s)])),
  }
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(item)) completeOperation(path, method, op)
  }
  // A copy without shared objects: the YAML writer would turn each shared one into an anchor and aliases, which some tools do not follow.
  return JSON.parse(JSON.stringify(doc)) as Json
}

function completeOperation(path: string, method: string, op: Json): void {
  const limited = !RATE_LIMIT_EXEMPT_PATHS.includes(path)
  const secured = Array.isArray(op.security) && op.security.length > 0
  op.security ??= []
  const responses: Json = op.responses
  const statuses = new Set(Object.keys(responses))
  // Every route: bad parameters, a too long URI, an internal error; all but the liveness probe shed load.
  const added = ['400', '414', '431', '500']
  if (path !== '/healthz') added.push('503')
  if (limited) added.push('429')
  // Fastify reads a body on every method that may carry one, so even a PUT or DELETE that takes none answers 413 or 415 to one.
  if (op.requestBody || ['put', 'post', 'delete', 'patch'].includes(method)) added.push('413', '415')
  if (secured) added.push('401', '403')
  const etag = hasEtag(method, path) || statuses.has('304')
  if (etag) added.push('304')
  for (const s of added) statuses.add(s)

  // Request headers: conditional requests, ranges, idempotency.
  const params: Json[] = (op.parameters ?? []).filter((p: Json) => !(p.in === 'header' && /^idempotency-key$/i.test(p.name)))
  if (etag) params.push(ref('parameters', 'IfNoneMatch'))
  if (statuses.has('428')) {
    // The If-Match example names the revision in force of the operation's own example observation.
    const id = PARAMETER_EXAMPLES[`${op.operationId}.id`] ?? PARAMETER_EXAMPLES.id
    const example = `"obs-${String(id)}-r1"`
    params.push(example === REQUEST_HEADERS.IfMatch!.example ? ref('parameters', 'IfMatch') : { ...REQUEST_HEADERS.IfMatch, example })
  }
  if (statuses.has('206')) params.push(ref('parameters', 'Range'), ref('parameters', 'IfRange'))
  if (op.operationId === 'importObservations') params.push(ref('parameters', 'IdempotencyKey'))
  for (const p of params) if (!p.$ref) p.example ??= PARAMETER_EXAMPLES[`${op.operationId}.${p.name}`] ?? PARAMETER_EXAMPLES[p.name]
  if (params.length) op.parameters = params
  for (const [mediaType, media] of Object.entries<Json>(op.requestBody?.content ?? {})) media.example ??= REQUEST_EXAMPLES[op.operationId]?.[mediaType]

  const sorted = [...statuses].sort()
  const out: Json = {}
  for (const status of sorted) {
    if (status === '304') {
      out[status] = ref('responses', 'NotModified')
      continue
    }
    if (PROBLEMS[status] && !(status === '503' && responses[status]?.content?.['application/json'])) {
      out[status] = ref('responses', PROBLEMS[status]![0])
      continue
    }
    const response: Json = responses[status]
    const names = ['X-Request-Id']
    if (status.startsWith('2')) {
      // Every read says how long it may be reused; every answer may be compressed, so Vary names Accept-Encoding.
      if (method === 'get') names.push('Cache-Control')
      names.push('Vary', 'Content-Encoding')
      if (etag) names.push('ETag', 'X-Cache')
      names.push(...(OPERATION_HEADERS[op.operationId]?.[status] ?? []))
    }
    if (limited) names.push(...RATE_LIMIT)
    response.headers = { ...headerRefs(...new Set(names)), ...response.headers }
    for (const [mediaType, media] of Object.entries<Json>(response.content ?? {})) media.example ??= RESPONSE_EXAMPLES[op.operationId]?.[status]?.[mediaType]
    out[status] = response
  }
  op.responses = out
}
