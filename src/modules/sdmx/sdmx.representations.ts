// The SDMX representations of the observation list (SDMX-CSV 2.0, SDMX-JSON 2.0 data messages):
// their schema and description for the list route, and how they are sent.
import { Readable } from 'node:stream'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { linkNextPage, nextPageHref } from '../../http/paging.js'
import type { ObservationQuery } from '../observations/observations.service.js'
import { DATAFLOW_REF, SDMX_CSV_COLUMNS, SDMX_CSV_TYPE, SDMX_JSON_TYPE, SERIES_DIMENSIONS, type Lang } from './sdmx.js'
import type { SdmxService } from './sdmx.service.js'

/** An SDMX-JSON 2.0 data message; the official SDMX-JSON 2.0 data schema (test fixture) defines its members. */
export const SdmxDataMessage = Type.Object(
  {
    meta: Type.Object({}, { additionalProperties: true, description: 'Message id, preparation time, sender, content languages; `links` with rel `next` when more observations match than one message holds.' }),
    data: Type.Object(
      {
        structures: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The structure of the data sets: dimensions with the values used, the measure OBS_VALUE, the attributes with their values. Empty when nothing matches.' }),
        dataSets: Type.Array(Type.Object({}, { additionalProperties: true }), { description: `The observations as series keyed ${SERIES_DIMENSIONS.map((d) => d.id).join(':')} (value indices; FREQ is the frequency of the periods, one per series), observations keyed by TIME_PERIOD index: [OBS_VALUE as an exact decimal string, attribute value indices…]. Withdrawn ones in a data set with action Delete.` }),
      },
      { additionalProperties: true, description: 'The data.' },
    ),
  },
  { $id: 'SdmxDataMessage', additionalProperties: true, description: 'An SDMX-JSON 2.0 data message (application/vnd.sdmx.data+json; version=2.0.0).' },
)

export const SDMX_CSV_DESCRIPTION =
  `SDMX-CSV 2.0: columns ${SDMX_CSV_COLUMNS.join(', ')}; STRUCTURE is \`dataflow\`, STRUCTURE_ID \`${DATAFLOW_REF}\`, ACTION \`I\` (D for a withdrawn observation). ` +
  'FREQ is the SDMX frequency of the period (A, S, Q, M); TIME_PERIOD the SDMX period code (2023, 2023-S1, 2023-Q3, 2023-M07); OBS_VALUE the exact decimal in the unit UNIT_MEASURE (UNIT_MULT 0). ' +
  "Quoting and formula neutralization as the CSV export: a text cell that could start a spreadsheet formula is written with a leading ' and quoted. " +
  '`bom=true` prefixes a UTF-8 byte-order mark; `labels` is refused (400: the codes are named in the data structure definition). Streamed in full unless `limit` is given.'

/** The SDMX data representations of the observation list: SDMX-CSV 2.0 streamed, or one SDMX-JSON 2.0 message page. */
export async function replySdmxData(
  sdmx: SdmxService,
  req: FastifyRequest,
  reply: FastifyReply,
  query: ObservationQuery & { bom?: boolean | undefined; labels?: Lang | undefined },
  cursor: string | undefined,
  limit: number | undefined,
): Promise<FastifyReply | Record<string, unknown>> {
  if (req.representation === 'sdmx-csv') {
    // The lines' first read checks the query: a refusal must not carry the download's headers.
    const { lines, nextCursor } = await sdmx.dataCsv(query, cursor, limit, query.bom)
    linkNextPage(reply, req.url, nextCursor)
    reply.type(SDMX_CSV_TYPE).header('content-disposition', 'attachment; filename="observations.sdmx.csv"')
    return reply.send(Readable.from(lines))
  }
  // Absolute, as the SDMX-JSON schema asks (format uri); the response cache keys answers by host too.
  const nextUrl = (next: string) => new URL(nextPageHref(req.url, next), `${req.protocol}://${req.host}`).href
  const { message, nextCursor } = await sdmx.dataJson(query, cursor, limit, query.labels ?? 'en', nextUrl)
  linkNextPage(reply, req.url, nextCursor)
  reply.type(SDMX_JSON_TYPE)
  return reply.send(JSON.stringify(message))
}
