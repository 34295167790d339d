// SDMX REST structure queries: the dataflow and its data structure definition (DSD) as SDMX-JSON 2.0.
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problemResponses } from '../../http/schemas.js'
import { AGENCY, DATAFLOW_ID, DSD_ID, SDMX_STRUCTURE_TYPE, VERSION } from './sdmx.js'
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
        codelists: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'Code lists of the coded components: frequencies, indicators, areas, kinds, units, unit multipliers, observation status, qualifiers (names in English and Chinese).' }),
      },
      { additionalProperties: true, description: 'The structures.' },
    ),
  },
  { $id: 'SdmxStructureMessage', additionalProperties: true, description: 'An SDMX-JSON 2.0 structure message (application/vnd.sdmx.structure+json; version=2.0.0).' },
)

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
