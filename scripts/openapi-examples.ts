// Writes src/plugins/openapi-response-examples.ts: the answers a freshly seeded service gives to each
// operation called with the document's own example parameters and bodies, lists cut to their first
// items. Run it (then `npm run openapi`) when a seeded answer changes; test/openapi.test.ts fails
// until then, since it compares the examples with the service's answers.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { createKey } from '../src/modules/keys/keys.js'
import { projectRoot } from '../src/paths.js'
import { EXAMPLE_OBSERVATION_ID, REQUEST_EXAMPLES } from '../src/plugins/openapi-examples.js'
import { REPRESENTATION_PARAMETERS, type RepresentationParameter } from '../src/modules/observations/representation-parameters.js'
import { loadSeeds } from '../src/seed/seed-loader.js'
import { createSqliteStorage } from '../src/storage/sqlite/index.js'

type Examples = Record<string, Record<string, Record<string, unknown>>>

/** Items an example list keeps: enough to show the shape, few enough to read. */
const KEPT_ITEMS = 2

function cut(value: unknown): unknown {
  if (Array.isArray(value)) return value.slice(0, KEPT_ITEMS).map(cut)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v)]))
  return value
}

/** The first whole lines of a text answer holding at least `chars` characters (a CSV export: its header and first rows). */
function firstLines(text: string, chars: number): string {
  let out = ''
  for (const line of text.split(/(?<=\n)/)) {
    if (out.length >= chars) break
    out += line
  }
  return out
}

const storage = createSqliteStorage(':memory:')
await storage.migrate()
await loadSeeds(storage)
const { secret } = await createKey(storage, 'reviewer', ['write', 'admin'])
const app = await buildApp({ storage, logger: false, config: { databaseUrl: ':memory:' } })
await app.ready()
const auth = { authorization: `Bearer ${secret}` }
const doc = app.swagger() as any

const examples: Examples = {}
const put = (operationId: string, status: number, mediaType: string, example: unknown) => {
  examples[operationId] ??= {}
  examples[operationId][String(status)] ??= {}
  examples[operationId][String(status)]![mediaType] = example
}

async function call(method: string, url: string, options: { headers?: Record<string, string>; body?: unknown; mediaType?: string } = {}) {
  const send = () =>
    app.inject({
      method: method.toUpperCase() as 'GET',
      url,
      headers: { ...auth, ...options.headers, ...(options.body !== undefined ? { 'content-type': options.mediaType ?? 'application/json' } : {}) },
      ...(options.body !== undefined ? { payload: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    })
  let res = await send()
  // On a busy machine the start-up's work can trip the event-loop guard: a 503 is retried, as a client would.
  for (let tries = 0; res.statusCode === 503 && tries < 20; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    res = await send()
  }
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res
}

function pathOf(path: string, op: any): string {
  return path.replace(/\{(\w+)\}/g, (_, name) => String(op.parameters.find((p: any) => p.in === 'path' && p.name === name).example))
}

function record(operationId: string, res: Awaited<ReturnType<typeof call>>) {
  const mediaType = String(res.headers['content-type']).split(';')[0]!
  // An SDMX message's id and preparation time are new on every answer: the example leaves them out, so that it stays a subset of any answer.
  const sdmxMessage = (body: any) => {
    if (body?.meta?.prepared !== undefined) {
      delete body.meta.id
      delete body.meta.prepared
    }
    return body
  }
  if (mediaType === 'application/json' || mediaType === 'application/ld+json') put(operationId, res.statusCode, mediaType, cut(sdmxMessage(res.json())))
  else if (mediaType.endsWith('+json')) put(operationId, res.statusCode, mediaType, sdmxMessage(res.json()))
  else put(operationId, res.statusCode, mediaType, mediaType === 'text/csv' ? res.body.split(/(?<=\n)/).slice(0, 1 + KEPT_ITEMS).join('') : firstLines(res.body, 200))
}

// The cursor example belongs to the filters of the other query examples together (a cursor is bound to its
// filters), so a contract tester that sends every example at once is answered 200: the second page of them.
const listQuery = new URLSearchParams()
for (const p of doc.paths['/v1/observations'].get.parameters as any[]) {
  if (p.in !== 'query' || p.name === 'cursor' || p.name === 'limit' || p.name === 'format' || p.example === undefined) continue
  // The cursor is read from the JSON list, which refuses the parameters of other representations (bom, labels); a cursor is bound to the filters only.
  if (p.name in REPRESENTATION_PARAMETERS && !(REPRESENTATION_PARAMETERS[p.name as RepresentationParameter].takes as readonly string[]).includes('json')) continue
  for (const v of Array.isArray(p.example) ? p.example : [p.example]) listQuery.append(p.name, String(v))
}
listQuery.set('limit', '1')
const exampleCursor: unknown = (await call('get', `/v1/observations?${listQuery}`)).json().nextCursor
if (typeof exampleCursor !== 'string') throw new Error(`the list examples together match fewer than two observations: ${listQuery}`)

// Reads first, on the seed as it is.
for (const [path, item] of Object.entries<any>(doc.paths)) {
  const op = item.get
  if (!op) continue
  record(op.operationId, await call('get', pathOf(path, op)))
}
record('listObservations', await call('get', '/v1/observations', { headers: { accept: 'text/csv' } }))
record('listObservations', await call('get', '/v1/observations?indicator=dibao_paid&limit=2', { headers: { accept: 'application/vnd.sdmx.data+csv;version=2.0.0' } }))
record('listObservations', await call('get', '/v1/observations?indicator=dibao_paid&limit=2', { headers: { accept: 'application/vnd.sdmx.data+json;version=2.0.0' } }))
record('getObservationAnnotation', await call('get', '/v1/observations/22/annotation', { headers: { accept: 'application/ld+json' } }))
record('listSourceAnnotations', await call('get', '/v1/sources/bayantala-2023h1/annotations', { headers: { accept: 'application/ld+json' } }))
const observation = (await call('get', `/v1/observations/${EXAMPLE_OBSERVATION_ID}`)).json()
record('getSourceText', await call('get', `/v1/sources/${observation.source.id}/text`, { headers: { range: `bytes=${observation.source.byteStart}-${observation.source.byteEnd - 1}` } }))

// Then each write with its example body, in an order where each one applies.
const body = (operationId: string, mediaType = 'application/json') => REQUEST_EXAMPLES[operationId]![mediaType]
record('createSource', await call('post', '/v1/sources', { body: body('createSource') }))
// An upsert answers the same representation whether it created (201) or found (200) the entry.
for (const [operationId, url, payload] of [['putArea', '/v1/areas/bayantala', body('putArea')], ['putPeriod', '/v1/periods/2023-H1', undefined], ['putIndicator', '/v1/indicators/dibao_paid', body('putIndicator')], ['putUnit', `/v1/units/${encodeURIComponent('公顷')}`, body('putUnit')], ['putTopic', '/v1/topics/drainage', body('putTopic')]] as const) {
  const res = await call('put', url, payload === undefined ? {} : { body: payload })
  record(operationId, res)
  put(operationId, 201, 'application/json', examples[operationId]![String(res.statusCode)]!['application/json'])
}
record('importObservations', await call('post', '/v1/imports?dryRun=true', { body: body('importObservations') }))
const corrected = await call('put', `/v1/observations/${EXAMPLE_OBSERVATION_ID}`, { headers: { 'if-match': String((await call('get', `/v1/observations/${EXAMPLE_OBSERVATION_ID}`)).headers.etag) }, body: body('correctObservation') })
record('correctObservation', corrected)
const reason = encodeURIComponent(doc.paths['/v1/observations/{id}'].delete.parameters.find((p: any) => p.name === 'reason').example)
const withdrawn = doc.paths['/v1/observations/{id}'].delete.parameters.find((p: any) => p.name === 'id').example
record('withdrawObservation', await call('delete', `/v1/observations/${withdrawn}?reason=${reason}`, { headers: { 'if-match': String((await call('get', `/v1/observations/${withdrawn}`)).headers.etag) } }))

await app.close()
await storage.close()

const file = join(projectRoot, 'src/plugins/openapi-response-examples.ts')
writeFileSync(
  file,
  '// Generated by `npx tsx scripts/openapi-examples.ts` from a freshly seeded service: do not edit by hand.\n' +
    '// Each operation\'s answers to its example request, by status and media type (lists cut to their first items).\n' +
    `export const RESPONSE_EXAMPLES: Record<string, Record<string, Record<string, unknown>>> = ${JSON.stringify(examples, null, 2)}\n\n` +
    '/** The nextCursor of the list query made of the other parameter examples with limit=1. */\n' +
    `export const EXAMPLE_CURSOR = ${JSON.stringify(exampleCursor)}\n`,
)
process.stdout.write(`wrote ${file}\n`)
