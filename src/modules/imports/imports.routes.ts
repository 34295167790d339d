// Batch imports of observations by natural key, in JSON or CSV, all or nothing.
import { MAX_DECIMAL_CHARS } from '../../domain/decimal.js'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CsvError, parseCsv } from '../../http/csv.js'
import { strictUtf8 } from '../../http/json-body.js'
import { compileBodyValidator } from '../../http/validation.js'
import type { JsonValue } from '../../domain/canonical-json.js'
import { AreaCode, FieldErrorSchema, IndicatorCode, Nullable, PeriodCodeInput, problemResponses, refTo, StringEnum } from '../../http/schemas.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import { problemBody } from '../../plugins/problem-details.js'
import { AppError, Errors, type FieldError } from '../../errors.js'
import { parseInstantOrNull } from '../../domain/time.js'
import type { Writer } from '../../writes/writer.js'
import { MAX_IMPORT_ROWS, type ImportRow, type ParameterName } from '../observations/observation-commands.js'
import { Citation, Kind, Qualifier, Reported, WrittenTime } from '../observations/observations.schemas.js'
import { LABEL_COLUMNS } from '../observations/observation-labels.js'
import { CONVERSION_COLUMNS, CSV_COLUMNS, CSV_NUMBER_COLUMNS } from '../observations/observations.csv.js'
import { unneutralize } from '../../http/csv-export.js'
import { IDEMPOTENCY_TTL_HOURS, requestFingerprint, type Answer } from './idempotency.js'

/** Bytes an import body may hold. */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024

const BATCH_PUBLISHED_AT =
  'When the authority published the batch (RFC 3339): the `publishedAt` of every row that does not give its own (or give `publishedAt` in the query, which wins). Omitted: when the service records it. ' +
  'Not before the issue date of a source a row cites (422 naming this parameter).'

/**
 * The batch's publication time (the query's wins over the body's), checked as itself before any row inherits it:
 * a malformed one is the request's error, even when every row states its own.
 */
function batchPublication(query: string | undefined, body: string | undefined): { value: string; from: ParameterName } | undefined {
  const given: Array<{ value: string | undefined; from: ParameterName }> = [
    { value: query, from: { in: 'query', name: 'publishedAt' } },
    { value: body, from: { in: 'body', name: '/publishedAt' } },
  ]
  for (const { value, from } of given) {
    if (value !== undefined && parseInstantOrNull(value) === null) {
      throw Errors.validation(`publishedAt must be an RFC 3339 time such as 2023-06-25T00:00:00Z, got "${value}".`, { errors: [{ ...from, message: 'is not an RFC 3339 time' }] })
    }
  }
  return given.find((g): g is { value: string; from: ParameterName } => g.value !== undefined)
}

const ImportRowSchema = Type.Object(
  {
    indicator: IndicatorCode,
    area: AreaCode,
    period: PeriodCodeInput,
    kind: Kind,
    value: Type.Optional(Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: MAX_DECIMAL_CHARS, description: 'Value in the base unit; when omitted, reported value × unit multiplier.' })),
    qualifier: Type.Optional(Qualifier),
    reported: Reported,
    citation: Citation,
    involvedAreas: Type.Optional(Type.Array(AreaCode, { maxItems: 100, uniqueItems: true, description: 'Areas the source names as involved.' })),
    note: Type.Optional(Nullable(Type.String({ maxLength: 2000 }), { description: 'Reviewer\'s note; an empty note is no note (null).' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Reason for this row; defaults to the batch reason.' })),
    restore: Type.Optional(Type.Boolean({ description: 'Required (true) to bring back a withdrawn observation; without it such a row is rejected.' })),
    ...WrittenTime,
  },
  { additionalProperties: false, description: 'One observation, identified by indicator, area, period and kind.' },
)

const ImportBody = Type.Object(
  {
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Why these figures are recorded (or give `reason` in the query).' })),
    publishedAt: Type.Optional(Type.String({ maxLength: 40, description: BATCH_PUBLISHED_AT })),
    observations: Type.Array(ImportRowSchema, { description: `The rows (at most ${MAX_IMPORT_ROWS}; more is 413).` }),
  },
  { additionalProperties: false, description: 'A batch of observations.' },
)

export const ImportSummarySchema = Type.Object(
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
    errors: Type.Array(refTo(FieldErrorSchema), { description: 'What is wrong with the rejected rows, one entry per reason, each naming its row (`index`, and `name` as a pointer like `/observations/3/value`).' }),
  },
  { $id: 'ImportSummary', description: 'What the import did (or, with dryRun, would do).' },
)

const CSV_REQUIRED = ['indicator', 'area', 'period', 'kind', 'reported_value', 'reported_unit', 'source_id', 'quote'] as const
const CSV_OPTIONAL = ['value', 'qualifier', 'reported_text', 'involved_areas', 'note', 'reason', 'restore', 'temporality', 'reference_date', 'published_at'] as const
/**
 * The export's columns that an import does not read, so that an export is imported as it is: `id`, `revision` and
 * `recorded_at` are this database's bookkeeping (another database gives its own), `byte_start`/`byte_end` are found
 * again from the quote, `unit` is the indicator's (the value is checked against reported × multiplier in it), and the
 * label columns are names of the codes. `status` is read: a withdrawn row is refused.
 */
const CSV_EXPORT_ONLY = [...CSV_COLUMNS.filter((c) => !(CSV_REQUIRED as readonly string[]).includes(c) && !(CSV_OPTIONAL as readonly string[]).includes(c)), ...LABEL_COLUMNS]
/** Columns whose cells are numbers in the export: never neutralized, so read as they are. */
const CSV_NUMBER_CELLS: ReadonlySet<string> = new Set(CSV_NUMBER_COLUMNS)

// CSV rows are turned into the objects a JSON import carries and checked by the same schema: one set of limits for both.
const validateCsvBatch = compileBodyValidator(ImportBody)

const csvError = (name: string, message: string): FieldError => ({ in: 'body', name, message })

/**
 * The CSV's rows as JSON import rows: an empty cell is an absent field,
 * involved_areas is split on ";", restore true/false is a boolean (anything
 * else stays text and fails the schema as it would in JSON).
 */
function rowsFromCsv(text: string): unknown[] {
  let records: string[][]
  try {
    records = parseCsv(text)
  } catch (err) {
    throw Errors.validation(`The CSV is malformed: ${(err as CsvError).message}.`, { errors: [csvError(`line ${(err as CsvError).line}`, (err as CsvError).message)] })
  }
  const header = records.shift()
  if (!header) throw Errors.validation('The CSV is empty: a header row is required.', { errors: [csvError('header', 'is required')] })
  // A converted export's values are in another unit than the indicator's (and may be rounded): refused as a whole, never stored.
  const conversion = header.filter((h) => (CONVERSION_COLUMNS as readonly string[]).includes(h))
  if (conversion.length) {
    throw Errors.validation('This CSV is an export made with unit= (values converted, some perhaps rounded); an import records values in the indicator\'s unit. Export again without unit= and import that.', {
      errors: conversion.map((c) => csvError(c, 'marks an export converted with unit=; export without unit= to import')),
    })
  }
  const known = new Set<string>([...CSV_REQUIRED, ...CSV_OPTIONAL, ...CSV_EXPORT_ONLY])
  const duplicated = [...new Set(header.filter((h, i) => header.indexOf(h) !== i))]
  const unknown = header.filter((h) => !known.has(h))
  const missing = CSV_REQUIRED.filter((h) => !header.includes(h))
  if (duplicated.length || unknown.length || missing.length) {
    const errors = [
      ...duplicated.map((d) => csvError(d, 'appears more than once in the header')),
      ...unknown.map((u) => csvError(u, 'is not a known column')),
      ...missing.map((m) => csvError(m, 'is required')),
    ]
    throw Errors.validation(`CSV columns: ${errors.map((e) => `"${e.name}" ${e.message}`).join('; ')}.`, { errors })
  }
  const col = new Map(header.map((h, i) => [h, i]))
  const rows = records.filter((r) => !(r.length === 1 && r[0] === ''))
  if (rows.length > MAX_IMPORT_ROWS) throw Errors.payloadTooLarge(`An import holds at most ${MAX_IMPORT_ROWS} rows; this one has ${rows.length}. Split it.`)
  const withdrawn: FieldError[] = []
  const parsed = rows.map((r, index) => {
    if (r.length !== header.length) throw Errors.validation(`CSV row ${index} has ${r.length} fields, the header ${header.length}.`, { errors: [csvError(`row ${index}`, 'wrong number of fields')] })
    // A text cell is read back the way the export wrote it: one leading ' (its formula neutralization) is dropped.
    const get = (name: string): string | undefined => {
      const i = col.get(name)
      const cell = i === undefined ? undefined : r[i]
      return cell === undefined || cell === '' ? undefined : CSV_NUMBER_CELLS.has(name) ? cell : unneutralize(cell)
    }
    const status = get('status')
    if (status !== undefined && status !== 'active' && status !== 'withdrawn') {
      throw Errors.validation(`CSV row ${index}: status must be active or withdrawn, got "${status}".`, { errors: [csvError(`/observations/${index}/status`, 'must be active or withdrawn')] })
    }
    if (status === 'withdrawn') {
      withdrawn.push({ in: 'body', name: `/observations/${index}/status`, index, message: 'is withdrawn: an import records figures in force; withdraw with DELETE /v1/observations/{id}, or export without includeWithdrawn' })
    }
    const row: Record<string, unknown> = {}
    const put = (target: Record<string, unknown>, key: string, value: unknown) => {
      if (value !== undefined) target[key] = value
    }
    put(row, 'indicator', get('indicator'))
    put(row, 'area', get('area'))
    put(row, 'period', get('period'))
    put(row, 'kind', get('kind'))
    put(row, 'value', get('value'))
    put(row, 'qualifier', get('qualifier'))
    const reported: Record<string, unknown> = {}
    put(reported, 'value', get('reported_value'))
    put(reported, 'unit', get('reported_unit'))
    put(reported, 'text', get('reported_text'))
    row.reported = reported
    const citation: Record<string, unknown> = {}
    put(citation, 'sourceId', get('source_id'))
    put(citation, 'quote', get('quote'))
    row.citation = citation
    put(row, 'involvedAreas', get('involved_areas')?.split(';'))
    put(row, 'note', get('note'))
    put(row, 'reason', get('reason'))
    const restore = get('restore')
    put(row, 'restore', restore === 'true' ? true : restore === 'false' ? false : restore)
    put(row, 'temporality', get('temporality'))
    put(row, 'referenceDate', get('reference_date'))
    put(row, 'publishedAt', get('published_at'))
    return row
  })
  if (withdrawn.length) {
    const summary = { dryRun: false, received: parsed.length, created: 0, updated: 0, unchanged: 0, rejected: withdrawn.length, results: [], errors: withdrawn }
    throw Errors.unprocessable(`${withdrawn.length} of ${parsed.length} rows are withdrawn observations; nothing was written.`, { errors: withdrawn, summary })
  }
  return parsed
}

/** Checks CSV rows with the JSON body's schema; a failure is answered exactly as the JSON body's would be. */
function validateCsvRows(rows: unknown[]): ImportRow[] {
  if (!validateCsvBatch({ observations: rows })) {
    throw Object.assign(new Error('body does not match the import schema'), { validation: validateCsvBatch.errors ?? [], validationContext: 'body', statusCode: 400 })
  }
  return rows as ImportRow[]
}

function mediaTypeParameters(contentType: string | undefined): Map<string, string> {
  const params = new Map<string, string>()
  for (const part of (contentType ?? '').split(';').slice(1)) {
    const eq = part.indexOf('=')
    if (eq === -1) continue
    params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase())
  }
  return params
}

export interface ImportRoutesOptions {
  writer: Writer
  /** Runs the validation of a batch on its own connection and thread, on a read snapshot: it never holds the write lock. */
  checker: Writer
}

const importRoutes: FastifyPluginAsyncTypebox<ImportRoutesOptions> = async (app, { writer, checker }) => {
  // Only JSON and CSV: a text/plain body is not read as CSV here (415).
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES }, (req, body, done) => {
    const charset = mediaTypeParameters(req.headers['content-type']).get('charset')
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      done(Errors.unsupportedMediaType(`CSV must be UTF-8 (charset=utf-8 or no charset); got charset=${charset}.`), undefined)
      return
    }
    try {
      done(null, strictUtf8(body as Buffer))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  /** Idempotency keys whose import this process is running now: a claim lives no longer than the request. */
  const running = new Map<string, string>()

  app.post(
    '/',
    {
      onRequest: app.requireScope('write'),
      bodyLimit: MAX_IMPORT_BYTES,
      schema: {
        tags: ['imports'],
        operationId: 'importObservations',
        summary: 'Import a batch of observations (write)',
        description:
          `Up to ${MAX_IMPORT_ROWS} observations identified by indicator, area, period and kind, as JSON or as CSV (\`Content-Type: text/csv\`, header row; ` +
          `columns ${[...CSV_REQUIRED, ...CSV_OPTIONAL].join(', ')}; involved_areas separated by ";"). All or nothing: one invalid row rejects the batch (422) ` +
          'and the summary names each bad row by index and reason. A row equal to the revision in force is counted `unchanged` and records nothing. ' +
          '`dryRun=true` validates and counts without writing. With an `Idempotency-Key` header, a retry with the same key and body replays the first answer ' +
          `(header Idempotent-Replayed: true), the same key with another body is 422, and a duplicate sent while the first runs is 409; keys are kept ${IDEMPOTENCY_TTL_HOURS} hours, per API key. ` +
          'A key is recorded only with the batch it answers: after a crash, a retry runs the import (once). A row that would bring back a withdrawn observation needs `restore: true`. ' +
          'CSV rows are checked against the same row schema as JSON rows; the body must be UTF-8 (`charset=utf-8` or none), a leading byte-order mark is skipped. ' +
          `A CSV export of GET /v1/observations is read as it is: its other columns (${CSV_EXPORT_ONLY.join(', ')}) are ignored, except that a \`status\` of withdrawn is refused (422 per row), ` +
          'and one leading \' of a text cell (the export\'s formula neutralization) is dropped. ' +
          `An export made with unit= (its ${CONVERSION_COLUMNS.join(', ')} column) holds converted values and is refused as a whole (400 naming the column): export without unit= to import. ` +
          'Rows may state `temporality` (flow by default; a stock needs `referenceDate`) and `publishedAt`; `publishedAt` in the query (or the JSON body) is the batch\'s, for rows that give none (docs/time.md).',
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            dryRun: Type.Optional(Type.Boolean({ description: 'Validate and count, write nothing.' })),
            reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Reason for the batch (required for CSV unless every row has one).' })),
            publishedAt: Type.Optional(Type.String({ maxLength: 40, description: BATCH_PUBLISHED_AT })),
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
        response: { 200: refTo(ImportSummarySchema), ...problemResponses(400, 401, 403, 409, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req)
      if (req.body === undefined || req.body === null) {
        throw Errors.validation('Send the batch as a JSON body or as text/csv.', { errors: [{ in: 'body', name: '', message: 'is required' }] })
      }
      const isCsv = typeof req.body === 'string'
      const body = req.body as Static<typeof ImportBody> | string
      const given = isCsv ? validateCsvRows(rowsFromCsv(body as string)) : (body as Static<typeof ImportBody>).observations
      const batch = batchPublication(req.query.publishedAt, isCsv ? undefined : (body as Static<typeof ImportBody>).publishedAt)
      // The batch's publication time is each row's unless the row states its own; the rows' rules then check it, naming the batch's parameter.
      const rows = batch === undefined ? given : given.map((row) => (row.publishedAt === undefined ? { ...row, publishedAt: batch.value, publishedAtFrom: batch.from } : row))
      if (rows.length > MAX_IMPORT_ROWS) throw Errors.payloadTooLarge(`An import holds at most ${MAX_IMPORT_ROWS} rows; this one has ${rows.length}. Split it.`)
      const reason = req.query.reason ?? (isCsv ? undefined : (body as Static<typeof ImportBody>).reason)
      if (reason === undefined && rows.some((r) => r.reason === undefined)) {
        throw Errors.validation('Give a reason for the batch (`reason` in the query or the body) or for every row.', { errors: [{ in: 'query', name: 'reason', message: 'is required' }] })
      }
      // A dry run is checked on a read snapshot by the checker: it never queues behind writes nor makes them wait.
      if (req.query.dryRun === true) return (await checker.run(authorityOf(req), 'observation.plan', rows, true)).summary

      const importOnce = async (idempotency?: { key: string; requestHash: string }) => {
        // Validation first, outside the write lock; the writer then holds it only to confirm the catalog and write.
        const { plan } = await checker.run(authorityOf(req), 'observation.plan', rows, false)
        return writer.run(authorityOf(req), 'observation.import', rows, { dryRun: false, reason: reason ?? '', actor, idempotency, plan })
      }
      const replay = (answer: Answer) => {
        if (answer.kind === 'mismatch') throw Errors.unprocessable(`Idempotency-Key "${key}" was used with a different request; use a new key for a new request.`)
        return reply
          .code(answer.statusCode as 200)
          .header('idempotent-replayed', 'true')
          .type(answer.statusCode >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8')
          .send(JSON.parse(answer.body))
      }

      const key = req.headers['idempotency-key'] as string | undefined
      if (key === undefined) {
        const result = await importOnce()
        if ('answer' in result) throw new Error('an import without Idempotency-Key met a recorded answer')
        return result.summary
      }
      // The request as parsed, not as sent: key order and CSV quoting do not make it another request.
      const requestHash = requestFingerprint({ method: 'POST', path: '/v1/imports', reason: reason ?? null, observations: rows as unknown as JsonValue })
      const claim = `${actor}\u0000${key}`
      const runningHash = running.get(claim)
      if (runningHash !== undefined) {
        if (runningHash !== requestHash) throw Errors.unprocessable(`Idempotency-Key "${key}" was used with a different request; use a new key for a new request.`)
        throw Errors.conflict(`A request with Idempotency-Key "${key}" is still being processed; retry later.`, {}, { 'retry-after': '1' })
      }
      running.set(claim, requestHash)
      try {
        const earlier = await checker.run(authorityOf(req), 'idempotency.lookup', actor, key, requestHash)
        if (earlier) return replay(earlier)
        try {
          const result = await importOnce({ key, requestHash })
          return 'answer' in result ? replay(result.answer) : result.summary
        } catch (err) {
          if (!(err instanceof AppError && err.statusCode === 422)) throw err
          // A rejected batch is an answer too: replay it rather than re-run it.
          const first = await writer.run(authorityOf(req), 'idempotency.record', actor, key, requestHash, 422, JSON.stringify(problemBody(req, 422, err.code, err.title, err.message, err.extras)))
          if (first) return replay(first)
          throw err
        }
      } finally {
        running.delete(claim)
      }
    },
  )
}

export default importRoutes
