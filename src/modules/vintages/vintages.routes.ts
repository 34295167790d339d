// Vintages: the dates on which figures were published (ALFRED's vintage_dates), each an asOf
// that answers differently from the day before.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { codeList, problemResponses, refTo } from '../../http/schemas.js'
import type { ObservationService } from '../observations/observations.service.js'

export const Vintage = Type.Object(
  {
    date: Type.String({ format: 'date', description: 'A UTC date on which revisions were published (`publishedAt`); `asOf` set to it sees them.' }),
    revisions: Type.Integer({ minimum: 1, description: 'Revisions published that day.' }),
    observations: Type.Integer({ minimum: 1, description: 'Observations those revisions belong to.' }),
  },
  { $id: 'Vintage', additionalProperties: false, description: 'One publication date.' },
)

export const VintageList = Type.Object(
  { data: Type.Array(refTo(Vintage), { description: 'Publication dates, oldest first.' }) },
  { $id: 'VintageList', description: 'The publication dates of the matching observations\' revisions.' },
)

export interface VintageRoutesOptions {
  observations: ObservationService
}

const vintageRoutes: FastifyPluginAsyncTypebox<VintageRoutesOptions> = async (app, { observations }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['observations'],
        operationId: 'listVintages',
        summary: 'Publication dates (vintages)',
        description:
          'The distinct UTC dates of `publishedAt` over every revision (withdrawals included), oldest first, like ALFRED\'s vintage dates: ' +
          'each is an `asOf` at which some figure first reads as published that day. Filter by `indicator` and `area`. See docs/time.md.',
        querystring: Type.Object(
          {
            indicator: Type.Optional(codeList('Indicator codes.')),
            area: Type.Optional(codeList('Area codes.')),
          },
          { additionalProperties: false },
        ),
        response: { 200: refTo(VintageList), ...problemResponses(400) },
      },
    },
    async (req) => ({ data: await observations.vintages(req.query) }),
  )
}

export default vintageRoutes
