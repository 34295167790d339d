// Batch imports of observations by natural key, in JSON or CSV, all or nothing.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CsvError, parseCsv } from '../../http/csv.js'
import { AreaCode, IndicatorCode, Nullable, PeriodCodeInput, problemResponses, StringEnum } from '../../http/schemas.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import { problemBody } from '../../plugins/problem-details.js'
import { AppError, Errors } from '../../errors.js'
import type { Writer } from '../../db/writer.js'
import { MAX_IMPORT_ROWS, type ImportRow } from '../observations/observation-commands.js'
import { Citation, Kind, Qualifier, Reported } from '../observations/observations.schemas.js'
import { IDEMPOTENCY_TTL_HOURS, requestFingerprint } from './idempotency.js'

/** Bytes an import body may hold. */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024

const ImportRowSchema = Type.Object(
  {
    indicator: IndicatorCode,
    area: AreaCode,
    period: PeriodCodeInput,
    kind: Kind,
    value: Type.Optional(Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: 41, description: 'Value in the base unit; when omitted, reported value × unit multiplier.' })),
    qualifier: Type.Optional(Qualifier),
    reported: Reported,
    citation: Citation,
    involvedAreas: Type.Optional(Type.Array(AreaCode, { maxItems: 100, uniqueItems: true, description: 'Areas the source names as involved.' })),
    note: Type.Optional(Nullable(Type.String({ maxLength: 2000 }), { description: 'Reviewer\'s note.' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Reason for this row; defaults to the batch reason.' })),
  },
  { additionalProperties: false, description: 'One observation, identified by indicator, area, period and kind.' },
)

const ImportBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Why these figures are recorded (or give `reason` in the query).' })),
    observations: Type.Array(ImportRowSchema, { description: `The rows (at most ${MAX_IMPORT_ROWS}; more is 413).` }),
  },
  { additionalProperties: false, description: 'A batch of observations.' },
)

const ImportSummarySchema = Type.Object(
  {
    dryRun: Type.Boolean({ description: 'True when nothing was written.' }),
    received: Type.Integer({ description: 'Rows received.' }),
    created: Type.Integer({ description: 'New observations.' }),
    updated: Type.Integer({ description: 'Observations that got a new revision.' }),
    unchanged: Type.Integer({ description: 'Rows identical to the revision in force: nothing recorded.' }),
    rejected: Type.Integer({ description: 'Invalid rows (then nothing is written at all).' }),
    results: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ description: 'Row index in the request, from 0.' }),
          id: Type.Integer({ description: 'Observation id.' }),
          revision: Type.Integer({ description: 'Its revision in force after the import.' }),
          outcome: StringEnum(['created', 'updated', 'unchanged'], { description: 'What happened to it.' }),
        },
        { description: 'One row\'s result.' },
      ),
      { description: 'Per-row results, in request order.' },
    ),
    errors: Type.Array(
      Type.Object(
        { index: Type.Integer({ description: 'Row index, from 0.' }), problems: Type.Array(Type.String(), { description: 'What is wrong with it.' }) },
        { description: 'A rejected row.' },
      ),
      { description: 'Rejected rows with their reasons.' },
    ),
  },
  { description: 'What the import did (or, with dryRun, would do).' },
)

const CSV_REQUIRED = ['indicator', 'area', 'period', 'kind', 'reported_value', 'reported_unit', 'source_id', 'quote'] as const
const CSV_OPTIONAL = ['value', 'qualifier', 'reported_text', 'involved_areas', 'note', 'reason'] as const

function rowsFromCsv(text: string): ImportRow[] {
  let records: string[][]
  try {
    records = parseCsv(text)
  } catch (err) {
    throw Errors.validation(`The CSV is malformed: ${(err as CsvError).message}.`, { errors: [{ in: 'body', name: `line ${(err as CsvError).line}`, message: (err as CsvError).message }] })
  }
  const header = records.shift()
  if (!header) throw Errors.validation('The CSV is empty: a header row is required.')
  const known = new Set<string>([...CSV_REQUIRED, ...CSV_OPTIONAL])
  const unknown = header.filter((h) => !known.has(h))
  const missing = CSV_REQUIRED.filter((h) => !header.includes(h))
  if (unknown.length || missing.length) {
    throw Errors.validation(`CSV columns: ${[...unknown.map((u) => `unknown "${u}"`), ...missing.map((m) => `missing "${m}"`)].join(', ')}.`, {
      errors: [...unknown.map((u) => ({ in: 'body', name: u, message: 'is not a known column' })), ...missing.map((m) => ({ in: 'body', name: m, message: 'is required' }))],
    })
  }
  const col = Object.fromEntries(header.map((h, i) => [h, i]))
  return records
    .filter((r) => !(r.length === 1 && r[0] === ''))
    .map((r, index) => {
      if (r.length !== header.length) throw Errors.validation(`CSV row ${index} has ${r.length} fields, the header ${header.length}.`, { errors: [{ in: 'body', name: `row ${index}`, message: 'wrong number of fields' }] })
      const get = (name: string): string | undefined => (col[name] === undefined || r[col[name]] === '' ? undefined : r[col[name]])
      return {
        indicator: get('indicator') ?? '',
        area: get('area') ?? '',
        period: get('period') ?? '',
        kind: (get('kind') ?? '') as ImportRow['kind'],
        value: get('value'),
        qualifier: get('qualifier') as ImportRow['qualifier'],
        reported: { value: get('reported_value') ?? '', unit: get('reported_unit') ?? '', text: get('reported_text') },
        citation: { sourceId: get('source_id') ?? '', quote: get('quote') ?? '' },
        involvedAreas: get('involved_areas')?.split(';').filter(Boolean) ?? [],
        note: get('note') ?? null,
        reason: get('reason'),
      }
    })
}

export interface ImportRoutesOptions {
  writer: Writer
}

const importRoutes: FastifyPluginAsyncTypebox<ImportRoutesOptions> = async (app, { writer }) => {
  app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: MAX_IMPORT_BYTES }, (_req, body, done) => done(null, body))

  app.post(
    '/',
    {
      onRequest: app.requireScope('write'),
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        tags: ['imports'],
        summary: 'Import a batch of observations (write)',
        description:
          `Up to ${MAX_IMPORT_ROWS} observations identified by indicator, area, period and kind, as JSON or as CSV (\`Content-Type: text/csv\`, header row; ` +
          `columns ${[...CSV_REQUIRED, ...CSV_OPTIONAL].join(', ')}; involved_areas separated by ";"). All or nothing: one invalid row rejects the batch (422) ` +
          'and the summary names each bad row by index and reason. A row equal to the revision in force is counted `unchanged` and records nothing. ' +
          '`dryRun=true` validates and counts without writing. With an `Idempotency-Key` header, a retry with the same key and body replays the first answer ' +
          `(header Idempotent-Replayed: true), the same key with another body is 422, and a duplicate sent while the first runs is 409; keys are kept ${IDEMPOTENCY_TTL_HOURS} hours, per API key.`,
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            dryRun: Type.Optional(Type.Boolean({ description: 'Validate and count, write nothing.' })),
            reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Reason for the batch (required for CSV unless every row has one).' })),
          },
          { additionalProperties: false },
        ),
        headers: Type.Object(
          { 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$', description: 'Makes retries safe (printable ASCII, up to 200 characters).' })) },
          { additionalProperties: true },
        ),
        body: {
          content: {
            'application/json': { schema: ImportBody },
            'text/csv': { schema: { type: 'string', description: 'RFC 4180 CSV with a header row.' } },
          },
        } as unknown as typeof ImportBody,
        response: { 200: ImportSummarySchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req)
      if (req.body === undefined || req.body === null) {
        throw Errors.validation('Send the batch as a JSON body or as text/csv.', { errors: [{ in: 'body', name: '(root)', message: 'is required' }] })
      }
      const isCsv = typeof req.body === 'string'
      const body = req.body as Static<typeof ImportBody> | string
      const rows = isCsv ? rowsFromCsv(body as string) : (body as Static<typeof ImportBody>).observations
      if (rows.length > MAX_IMPORT_ROWS) throw Errors.payloadTooLarge(`An import holds at most ${MAX_IMPORT_ROWS} rows; this one has ${rows.length}. Split it.`)
      const reason = req.query.reason ?? (isCsv ? undefined : (body as Static<typeof ImportBody>).reason)
      if (reason === undefined && rows.some((r) => r.reason === undefined)) {
        throw Errors.validation('Give a reason for the batch (`reason` in the query or the body) or for every row.', { errors: [{ in: 'query', name: 'reason', message: 'is required' }] })
      }
      const dryRun = req.query.dryRun ?? false
      const key = req.headers['idempotency-key'] as string | undefined
      const run = (idempotencyKey?: string) => writer.run(authorityOf(req), 'observation.import', rows, { dryRun, reason: reason ?? '', actor, idempotencyKey })

      if (key === undefined || dryRun) return run()

      const fingerprint = requestFingerprint([req.method, req.url.split('?')[0], JSON.stringify(req.query), isCsv ? 'csv' : 'json', isCsv ? (body as string) : JSON.stringify(body)])
      const claim = await writer.run(authorityOf(req), 'idempotency.claim', actor, key, fingerprint)
      if (claim.kind === 'mismatch') throw Errors.unprocessable(`Idempotency-Key "${key}" was used with a different request; use a new key for a new request.`)
      if (claim.kind === 'in-progress') throw Errors.conflict(`A request with Idempotency-Key "${key}" is still being processed; retry later.`, {}, { 'retry-after': '1' })
      if (claim.kind === 'replay') {
        return reply.code(claim.statusCode as 200).header('idempotent-replayed', 'true').type(claim.statusCode >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8').send(JSON.parse(claim.body))
      }
      // Let other requests (a concurrent duplicate among them) run before the batch takes the write lock.
      await new Promise((resolve) => setImmediate(resolve))
      try {
        return await run(key)
      } catch (err) {
        if (err instanceof AppError && err.statusCode === 422) {
          // A rejected batch is an answer too: replay it rather than re-run it.
          await writer.run(authorityOf(req), 'idempotency.complete', actor, key, 422, JSON.stringify(problemBody(req, 422, err.code, err.title, err.message, err.extras)))
        } else {
          await writer.run(authorityOf(req), 'idempotency.release', actor, key)
        }
        throw err
      }
    },
  )
}

export default importRoutes
