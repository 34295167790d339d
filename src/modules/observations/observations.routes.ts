// Observations: filtered keyset pages in JSON, the same list streamed as CSV,
// single observations and their revision history.
import { MAX_DECIMAL_CHARS } from '../../domain/decimal.js'
import { Readable } from 'node:stream'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { codingFor } from '../../http/compression.js'
import { ifNoneMatchMatches } from '../../http/conditional.js'
import { codeList, NotModified, Nullable, PeriodCodeInput, problemResponses, refTo, StringEnum, UnitCode } from '../../http/schemas.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import type { Writer } from '../../writes/writer.js'
import { observationEtag } from './observation-commands.js'
import { AsOf, Citation, Kind, KnownAt, Observation, ObservationRevision, Qualifier, Reported, WrittenTime, toObservation, toObservationRevision } from './observations.schemas.js'
import type { ObservationService } from './observations.service.js'
import { sendSerializedJson } from '../../http/serialized-json.js'
import { withBom } from '../../http/csv-export.js'
import { linkNextPage } from '../../http/paging.js'
import { CONVERSION_COLUMNS, CSV_COLUMNS, CSV_NUMBER_COLUMNS } from './observations.csv.js'
import { LABEL_COLUMNS } from './observation-labels.js'
import { conversionHeader, convertRow, type ConvertedRow } from './unit-conversion.js'
import { appliesTo, refuseMisapplied, REPRESENTATIONS, type Representation } from './representation-parameters.js'
import { DEFAULT_LANG, type JsonStatService } from '../jsonstat/jsonstat.js'
import { JsonStatDataset } from '../jsonstat/jsonstat.schemas.js'
import { replySdmxData, SDMX_CSV_DESCRIPTION, SdmxDataMessage } from '../sdmx/sdmx.representations.js'
import type { SdmxService } from '../sdmx/sdmx.service.js'

const CSV_DESCRIPTION =
  `Columns: ${CSV_COLUMNS.join(', ')} (involved_areas semicolon-separated). Number columns (${CSV_NUMBER_COLUMNS.join(', ')}) are written exactly as stored. ` +
  "Every other column is text: a text cell that begins with = + - @ ' (or a full-width or other compatibility form of them), or with any control, space or invisible " +
  "format character, is written with a leading ' and quoted, so that no spreadsheet runs it as a formula: drop one leading ' from a text cell to get the stored value back. " +
  'Any field holding a comma, double quote, backslash or control character (NUL, CR and LF included) is quoted, quotes doubled; all else is written byte for byte. ' +
  '`bom=true` begins the body with a UTF-8 byte-order mark (EF BB BF). ' +
  `With \`unit=\`, ${CONVERSION_COLUMNS.join(', ')} follows the columns above: true where the converted value is exact, false where it is rounded half to even at 12 decimal places. ` +
  `\`labels=zh|en\` appends, after every other column (labels are always last), ${LABEL_COLUMNS.join(', ')}: the names of indicator, area and unit (the catalogue's, in that language, else the other) and of the source title, ` +
  'and the period\'s first and last day (ISO 8601); they are text cells under the same rule. ' +
  'The export, labels and BOM included, is accepted by POST /v1/imports as it is, except a converted one (unit=), which it refuses (docs/imports.md).'

export const MAX_PAGE = 1000
export const DEFAULT_PAGE = 100

/** `unit=`: serve values converted to a compatible unit of the catalogue. */
const TargetUnit = Type.String({
  ...UnitCode,
  description:
    'Serve `value` converted exactly to this unit of the catalogue (GET /v1/units), which must have the same base as the indicator\'s unit (mu ↔ 公顷 ↔ 平方公里, CNY ↔ 万元 ↔ 亿元, km ↔ 米): ' +
    'value ÷ the unit\'s multiplier, exact when the quotient terminates, else rounded half to even at 12 decimal places. `unit` then names it and `conversion` says how ' +
    '(the `Unit-Conversion` header too). An incompatible or unknown unit is 400, naming the compatible ones. Percent-encode it (`%25` for %).',
})

export const ObservationListQuery = Type.Object(
  {
    indicator: Type.Optional(codeList('Indicator codes.')),
    area: Type.Optional(codeList('Area codes.')),
    period: Type.Optional(Type.Array(PeriodCodeInput, { maxItems: 100, description: 'Reporting periods (any accepted spelling). Repeat or separate with commas.' })),
    periodFrom: Type.Optional(Type.String({ ...PeriodCodeInput, description: 'Only periods starting on or after this period\'s start, or on or after this ISO 8601 date (2023-07-01).' })),
    periodTo: Type.Optional(Type.String({ ...PeriodCodeInput, description: 'Only periods ending on or before this period\'s end, or on or before this ISO 8601 date (2023-12-31).' })),
    kind: Type.Optional(Type.Array(Kind, { maxItems: 3, description: 'Kinds: actual, target, forecast.' })),
    category: Type.Optional(codeList('Indicator categories.')),
    topic: Type.Optional(codeList('Topics (see /v1/topics): observations of indicators in any of them.')),
    source: Type.Optional(codeList('Source ids (see /v1/sources): observations whose revision in force (the current one, or the one asOf/knownAt selects) cites any of them.')),
    asOf: Type.Optional(AsOf),
    knownAt: Type.Optional(KnownAt),
    updatedSince: Type.Optional(
      Type.String({ maxLength: 40, description: 'RFC 3339 time: only observations whose revision in force was recorded at or after it (withdrawals included).' }),
    ),
    includeWithdrawn: Type.Optional(Type.Boolean({ description: 'Include withdrawn observations (default false).' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE, description: `Page size for JSON (default ${DEFAULT_PAGE}, max ${MAX_PAGE}); for CSV, the most rows to export (default: all), the rest linked by the Link header. ${appliesTo('limit')}` })),
    cursor: Type.Optional(Type.String({ maxLength: 200, description: `Opaque cursor from a previous page's nextCursor (or its \`Link: <…>; rel="next"\`, which carries it); keep the other parameters unchanged. ${appliesTo('cursor')}` })),
    format: Type.Optional(
      StringEnum([...REPRESENTATIONS], {
        description: 'Overrides the Accept header: `csv` (RFC 4180), `sdmx-csv` (SDMX-CSV 2.0), `sdmx-json` (SDMX-JSON 2.0 data message), `jsonstat` (one JSON-stat 2.0 dataset).',
      }),
    ),
    bom: Type.Optional(Type.Boolean({ description: `CSV and SDMX-CSV: begin with a UTF-8 byte-order mark, so that spreadsheets on Windows read the Chinese as UTF-8 (default false). ${appliesTo('bom')}` })),
    labels: Type.Optional(
      StringEnum(['zh', 'en'], {
        description: `CSV: add label columns in this language (indicator, area and unit names, period start and end dates, source title) at the end, after every export column. JSON-stat: the language of the labels. SDMX-JSON: the language of the \`name\` fields. ${appliesTo('labels')}`,
      }),
    ),
    startPeriod: Type.Optional(Type.String({ ...PeriodCodeInput, description: 'SDMX alias of periodFrom (SDMX period codes such as 2023-S1, or an ISO 8601 date).' })),
    endPeriod: Type.Optional(Type.String({ ...PeriodCodeInput, description: 'SDMX alias of periodTo (a period code or an ISO 8601 date).' })),
    updatedAfter: Type.Optional(Type.String({ maxLength: 40, description: 'SDMX alias of updatedSince.' })),
    lastNObservations: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'SDMX: only the last N periods of each series (indicator, area, kind, frequency: a year, its halves, quarters and months are four series).' })),
    unit: Type.Optional(
      Type.String({
        ...TargetUnit,
        description: `${TargetUnit.description} On a list, indicator= must name the indicators and all must be stored in the unit's base (else 400 naming the others), so every page converts alike. ${appliesTo('unit')}`,
      }),
    ),
  },
  { additionalProperties: false },
)

export const ObservationPage = Type.Object(
  {
    data: Type.Array(refTo(Observation), { description: 'Observations on this page, in id order.' }),
    nextCursor: Nullable(Type.String(), { description: 'Pass as `cursor` for the next page; null on the last page.' }),
  },
  { $id: 'ObservationPage', description: 'One page of observations in id order.' },
)

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Observation id, in plain decimal digits (no sign, leading zero, exponent, fraction or hex: those are 400).' }) }, { additionalProperties: false })

export const RevisionList = Type.Object({ data: Type.Array(refTo(ObservationRevision), { description: 'Revisions, oldest first.' }) }, { $id: 'RevisionList', description: 'All revisions of an observation, oldest first.' })

export interface ObservationRoutesOptions {
  observations: ObservationService
  writer: Writer
  /** The JSON-stat representation of the list (modules/jsonstat). */
  jsonstat: JsonStatService
  /** The SDMX representations of the list (modules/sdmx). */
  sdmx: SdmxService
}

const Reason = Type.String({ minLength: 1, maxLength: 2000, description: 'Why the change is made; kept in the revision and the audit log.' })

const CorrectionBody = Type.Object(
  {
    value: Type.Optional(Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: MAX_DECIMAL_CHARS, description: 'Value in the indicator\'s base unit; when omitted, reported value × unit multiplier. When given, must equal it.' })),
    qualifier: Type.Optional(Qualifier),
    reported: Reported,
    citation: Citation,
    involvedAreas: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }), { maxItems: 100, uniqueItems: true, description: 'Areas the source names as involved.' })),
    note: Type.Optional(Nullable(Type.String({ maxLength: 2000 }), { description: 'Reviewer\'s note.' })),
    ...WrittenTime,
    reason: Reason,
  },
  {
    additionalProperties: false,
    description:
      'The new content of the observation; its identity (indicator, area, period, kind) stays. Omitted `temporality` keeps the current one, and omitted `referenceDate` the current one while it stays a stock; omitted `publishedAt` is now.',
  },
)


const observationRoutes: FastifyPluginAsyncTypebox<ObservationRoutesOptions> = async (app, { observations, writer, jsonstat, sdmx }) => {
  app.get(
    '/',
    {
      // Negotiated before the response cache looks (plugins/http-semantics), so a cached answer is keyed by it.
      config: {
        representations: {
          json: 'application/json',
          csv: 'text/csv',
          'sdmx-csv': 'application/vnd.sdmx.data+csv;version=2.0.0',
          'sdmx-json': 'application/vnd.sdmx.data+json;version=2.0.0',
          jsonstat: 'application/json',
        } satisfies Record<Representation, string>,
      },
      schema: {
        tags: ['observations'],
        operationId: 'listObservations',
        summary: 'List observations',
        description:
          'Observations matching every given filter, in id order, one keyset page at a time. With `Accept: text/csv` or `format=csv` ' +
          'the same list is streamed as RFC 4180 CSV (UTF-8, header row, CRLF line ends), all rows unless `limit` is given. ' +
          'Withdrawn observations are left out unless `includeWithdrawn=true` or `updatedSince` is given.',
        querystring: ObservationListQuery,
        response: {
          200: {
            description: 'A page of observations, or the CSV export.',
            content: {
              'application/json': { schema: { anyOf: [refTo(ObservationPage), refTo(JsonStatDataset)], description: 'A page of observations; with format=jsonstat, one JSON-stat 2.0 dataset (docs/jsonstat.md).' } },
              'text/csv': { schema: { type: 'string', description: CSV_DESCRIPTION } },
              'application/vnd.sdmx.data+csv': { schema: { type: 'string', description: SDMX_CSV_DESCRIPTION } },
              'application/vnd.sdmx.data+json': { schema: SdmxDataMessage },
            },
          },
          ...problemResponses(400, 406),
        },
      },
    },
    async (req, reply) => {
      const { limit, cursor, format: _format, unit, bom, labels, ...filters } = req.query
      refuseMisapplied(req.representation as Representation, req.query)
      if (req.representation === 'jsonstat') {
        return sendSerializedJson(reply, await jsonstat.dataset(filters, { lang: labels ?? DEFAULT_LANG, unit, search: req.url.slice(req.url.indexOf('?') + 1) }))
      }
      if (req.representation === 'sdmx-csv' || req.representation === 'sdmx-json') {
        return replySdmxData(sdmx, req, reply, { ...filters, bom, labels }, cursor, limit)
      }
      if (unit !== undefined) {
        // Conversion reads rows and serializes them; the SQL-built JSON below stays the path of every unconverted read.
        const target = await observations.listTarget(filters, unit)
        reply.header('unit-conversion', conversionHeader(target))
        if (req.representation === 'csv') {
          const { lines, nextCursor } = await observations.csvConverted(filters, cursor, limit, target, labels)
          linkNextPage(reply, req.url, nextCursor)
          reply.type('text/csv; charset=utf-8; header=present').header('content-disposition', 'attachment; filename="observations.csv"')
          return reply.send(Readable.from(withBom(lines, bom)))
        }
        const page = await observations.pageConverted(filters, cursor, limit ?? DEFAULT_PAGE, target)
        linkNextPage(reply, req.url, page.nextCursor)
        return { data: page.data.map((r) => ({ ...toObservation(r), conversion: r.conversion })), nextCursor: page.nextCursor }
      }
      if (req.representation === 'csv') {
        const { lines, nextCursor } = await observations.csv(filters, cursor, limit, labels)
        // A streamed export is all rows unless `limit` cuts it; then, like a JSON page, it links the rest.
        linkNextPage(reply, req.url, nextCursor)
        reply
          .type('text/csv; charset=utf-8; header=present')
          .header('content-disposition', 'attachment; filename="observations.csv"')
        return reply.send(Readable.from(withBom(lines, bom)))
      }
      const page = await observations.pageJson(filters, cursor, limit ?? DEFAULT_PAGE)
      linkNextPage(reply, req.url, page.nextCursor)
      return sendSerializedJson(reply, `{"data":[${page.data}],"nextCursor":${JSON.stringify(page.nextCursor)}}`)
    },
  )

  app.get(
    '/:id',
    {
      schema: {
        tags: ['observations'],
        operationId: 'getObservation',
        summary: 'One observation',
        description:
          'The revision in force now, or the latest one published by `asOf` and/or recorded by `knownAt`. The ETag names the revision; send it back as If-None-Match for a 304, or as If-Match to correct it.',
        params: IdParams,
        querystring: Type.Object({ asOf: Type.Optional(AsOf), knownAt: Type.Optional(KnownAt), unit: Type.Optional(TargetUnit) }, { additionalProperties: false }),
        response: { 200: refTo(Observation), 304: NotModified, ...problemResponses(400, 404) },
      },
    },
    async (req, reply) => {
      const found = await observations.byId(req.params.id, req.query.asOf, req.query.knownAt)
      const target = req.query.unit === undefined ? null : await observations.rowTarget(req.query.unit, found.unit, `Observation ${found.id} (${found.indicator})`)
      const row: ConvertedRow = target ? convertRow(found, target) : found
      if (target) reply.header('unit-conversion', conversionHeader(target))
      const etag = observationEtag(row)
      reply.header('etag', etag).header('cache-control', 'no-cache')
      // Only for an uncoded answer: whether the 200 would be coded (another tag) depends on its size, known later (the response cache and the compression plugin answer 304 then).
      if (codingFor(req.headers['accept-encoding']) === null && ifNoneMatchMatches(req.headers['if-none-match'], etag)) return reply.code(304).send()
      return row.conversion ? { ...toObservation(row), conversion: row.conversion } : toObservation(row)
    },
  )

  app.put(
    '/:id',
    {
      onRequest: app.requireScope('write'),
      schema: {
        tags: ['observations'],
        operationId: 'correctObservation',
        summary: 'Correct an observation (write)',
        description:
          'Appends a revision with the new content and the reason. Requires If-Match with the current ETag (strong comparison): a stale or weak one is 412 and changes nothing (no lost updates); ' +
          'a missing one, or `If-Match: *`, is 428. The citation is checked like the seed\'s (the quote must occur once in the stored source and write the reported number as a whole number, followed by the reported unit: docs/citation-rules.md). ' +
          'Content identical to the current revision records nothing.',
        security: [{ bearer: [] }],
        params: IdParams,
        body: CorrectionBody,
        response: { 200: refTo(Observation), ...problemResponses(400, 401, 403, 404, 412, 422, 428) },
      },
    },
    async (req, reply) => {
      const { row } = await writer.run(authorityOf(req), 'observation.correct', req.params.id, req.headers['if-match'], req.body, actorOf(req))
      reply.header('etag', observationEtag(row))
      return toObservation(row)
    },
  )

  app.delete(
    '/:id',
    {
      onRequest: app.requireScope('write'),
      schema: {
        tags: ['observations'],
        operationId: 'withdrawObservation',
        summary: 'Withdraw an observation (write)',
        description: 'Appends a revision that marks the observation withdrawn; its history stays, and the change feed reports it. Requires If-Match with the current ETag (not `*`) and a reason.',
        security: [{ bearer: [] }],
        params: IdParams,
        querystring: Type.Object({ reason: Reason }, { additionalProperties: false }),
        response: { 200: refTo(Observation), ...problemResponses(400, 401, 403, 404, 412, 428) },
      },
    },
    async (req, reply) => {
      const { row } = await writer.run(authorityOf(req), 'observation.withdraw', req.params.id, req.headers['if-match'], req.query.reason, actorOf(req))
      reply.header('etag', observationEtag(row))
      return toObservation(row)
    },
  )

  app.get(
    '/:id/revisions',
    {
      schema: {
        tags: ['observations'],
        operationId: 'listObservationRevisions',
        summary: 'Revision history of an observation',
        description: 'Every revision, oldest first, with the reason and who made it. Nothing is ever removed from this list.',
        params: IdParams,
        querystring: Type.Object({ unit: Type.Optional(TargetUnit) }, { additionalProperties: false }),
        response: { 200: refTo(RevisionList), ...problemResponses(400, 404) },
      },
    },
    async (req, reply) => {
      const rows = await observations.revisions(req.params.id)
      if (req.query.unit === undefined) return { data: rows.map(toObservationRevision) }
      const first = rows[0] as (typeof rows)[number]
      const target = await observations.rowTarget(req.query.unit, first.unit, `Observation ${first.id} (${first.indicator})`)
      reply.header('unit-conversion', conversionHeader(target))
      return { data: rows.map((r) => convertRow(r, target)).map((r) => ({ ...toObservationRevision(r), conversion: r.conversion })) }
    },
  )
}

export default observationRoutes
