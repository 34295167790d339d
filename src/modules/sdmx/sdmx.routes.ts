// SDMX REST structure queries: the dataflow and its data structure definition (DSD) as SDMX-JSON 2.0.
import { Readable } from 'node:stream'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { ObservationQuery } from '../observations/observations.service.js'
import { problemResponses } from '../../http/schemas.js'
import { AGENCY, DATAFLOW_ID, DATAFLOW_REF, SDMX_CSV_COLUMNS, DSD_ID, SDMX_CSV_TYPE, SDMX_JSON_TYPE, SDMX_STRUCTURE_TYPE, VERSION, type Lang } from './sdmx.js'
import type { SdmxService } from './sdmx.service.js'

export interface SdmxRoutesOptions {
  sdmx: SdmxService
}

/** An SDMX-JSON 2.0 structure message; the SDMX-JSON structure schema defines its members. */
export const SdmxStructureMessage = Type.Object(
  {
    meta: Type.Object({}, { additionalProperties: true, description: 'Message id, preparation time, sender and content languages.' }),
    data: Type.Object(
      {
        dataflows: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The dataflow, referring to its data structure by URN.' }),
        dataStructures: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The data structure definition: dimensions, time dimension, attributes and measure.' }),
        conceptSchemes: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The concepts each component stands for.' }),
        codelists: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Code lists of the coded components: indicators, areas, kinds, units, unit multipliers, observation status, qualifiers (names in English and Chinese).' }),
      },
      { additionalProperties: true, description: 'The structures.' },
    ),
  },
  { $id: 'SdmxStructureMessage', additionalProperties: true, description: 'An SDMX-JSON 2.0 structure message (application/vnd.sdmx.structure+json; version=2.0.0).' },
)

/** An SDMX-JSON 2.0 data message; the official SDMX-JSON 2.0 data schema (test fixture) defines its members. */
export const SdmxDataMessage = Type.Object(
  {
    meta: Type.Object({}, { additionalProperties: true, description: 'Message id, preparation time, sender, content languages; `links` with rel `next` when more observations match than one message holds.' }),
    data: Type.Object(
      {
        structures: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The structure of the data sets: dimensions with the values used, the measure OBS_VALUE, the attributes with their values. Empty when nothing matches.' }),
        dataSets: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'The observations as series keyed INDICATOR:REF_AREA:KIND (value indices), observations keyed by TIME_PERIOD index: [OBS_VALUE as an exact decimal string, attribute value indices…]. Withdrawn ones in a data set with action Delete.' }),
      },
      { additionalProperties: true, description: 'The data.' },
    ),
  },
  { $id: 'SdmxDataMessage', additionalProperties: true, description: 'An SDMX-JSON 2.0 data message (application/vnd.sdmx.data+json; version=2.0.0).' },
)

export const SDMX_CSV_DESCRIPTION =
  `SDMX-CSV 2.0: columns ${SDMX_CSV_COLUMNS.join(', ')}; STRUCTURE is \`dataflow\`, STRUCTURE_ID \`${DATAFLOW_REF}\`, ACTION \`I\` (D for a withdrawn observation). ` +
  'TIME_PERIOD is the SDMX period code (2023, 2023-S1, 2023-Q3, 2023-M07); OBS_VALUE the exact decimal in the unit UNIT_MEASURE (UNIT_MULT 0). ' +
  "Quoting and formula neutralization as the CSV export: a text cell that could start a spreadsheet formula is written with a leading ' and quoted. " +
  '`bom=true` prefixes a UTF-8 byte-order mark; `labels` does not apply (the codes are named in the data structure definition). Streamed in full unless `limit` is given.'

const StructureParams = (id: string) =>
  Type.Object(
    {
      agency: Type.String({ maxLength: 40, description: `Maintenance agency: \`${AGENCY}\`, or \`*\`/\`all\`.` }),
      id: Type.String({ maxLength: 40, description: `Artefact id: \`${id}\`, or \`*\`/\`all\`.` }),
      version: Type.String({ maxLength: 20, description: `Version: \`${VERSION}\`, or \`latest\`, \`~\`, \`+\`, \`*\`, \`all\`.` }),
    },
    { additionalProperties: false },
  )

const sdmxRoutes: FastifyPluginAsyncTypebox<SdmxRoutesOptions> = async (app, { sdmx }) => {
  for (const [artefact, id, summary] of [
    ['dataflow', DATAFLOW_ID, 'The SDMX dataflow of the observations'],
    ['datastructure', DSD_ID, 'The SDMX data structure definition of the observations'],
  ] as const) {
    app.get(
      `/structure/${artefact}/:agency/:id/:version`,
      {
        schema: {
          tags: ['sdmx'],
          operationId: artefact === 'dataflow' ? 'getSdmxDataflow' : 'getSdmxDataStructure',
          summary,
          description:
            `SDMX REST structure query. Answers an SDMX-JSON 2.0 structure message holding the dataflow ${AGENCY}:${DATAFLOW_ID}(${VERSION}), its data structure definition ${AGENCY}:${DSD_ID}(${VERSION}), ` +
            'the concepts and every code list (indicators and areas from the catalogue, names in English and Chinese). `GET /v1/observations` serves the data as SDMX-CSV 2.0 and SDMX-JSON 2.0 (docs/sdmx.md).',
          params: StructureParams(id),
          response: {
            200: {
              description: 'The structure message.',
              content: {
                'application/vnd.sdmx.structure+json': { schema: SdmxStructureMessage },
              },
            },
            ...problemResponses(404, 406),
          },
        },
      },
      async (req, reply) => {
        const message = await sdmx.structure(artefact, req.params.agency, req.params.id, req.params.version)
        // Sent as text: the schema documents the message, whose members are open (the SDMX-JSON schema's).
        return (reply as FastifyReply).type(SDMX_STRUCTURE_TYPE).send(JSON.stringify(message))
      },
    )
  }
}

export default sdmxRoutes

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
    const lines = await sdmx.dataCsv(query, cursor, limit, query.bom)
    reply.type(SDMX_CSV_TYPE).header('content-disposition', 'attachment; filename="observations.sdmx.csv"')
    return reply.send(Readable.from(lines))
  }
  const nextUrl = (next: string) => {
    const url = new URL(req.url, `${req.protocol}://${req.host}`)
    url.searchParams.set('cursor', next)
    return url.href
  }
  const message = await sdmx.dataJson(query, cursor, limit, query.labels ?? 'en', nextUrl)
  reply.type(SDMX_JSON_TYPE)
  return reply.send(JSON.stringify(message))
}
