// Reporting periods: canonical codes out, common aliases (SDMX, DHIS2) in.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Errors } from '../../errors.js'
import { canonicalPeriod } from '../../http/period-param.js'
import { listOf, PeriodCodeInput, problemResponses, refTo, StringEnum } from '../../http/schemas.js'
import type { Writer } from '../../writes/writer.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import type { CatalogReads, PeriodRecord } from '../../storage/ports.js'

const PeriodType = StringEnum(['year', 'half', 'quarter', 'month'], {
  description: 'Granularity of the period.',
})

export const Period = Type.Object(
  {
    code: Type.String({ description: 'Canonical code: `2023`, `2023-H1`, `2023-Q3` or `2023-07`.' }),
    type: PeriodType,
    startDate: Type.String({ format: 'date', description: 'First day.' }),
    endDate: Type.String({ format: 'date', description: 'Last day (inclusive).' }),
  },
  { $id: 'Period', description: 'A reporting period.' },
)
export const PeriodList = listOf(Period, 'Reporting periods in time order.', 'PeriodList')

export function toPeriod(p: PeriodRecord): Static<typeof Period> {
  return { code: p.code, type: p.type, startDate: p.startDate, endDate: p.endDate }
}

export interface PeriodRoutesOptions {
  writer: Writer
  catalog: CatalogReads
}

const periodRoutes: FastifyPluginAsyncTypebox<PeriodRoutesOptions> = async (app, { writer, catalog }) => {
  app.put(
    '/:code',
    {
      onRequest: app.requireScope('admin'),
      schema: {
        tags: ['periods'],
        operationId: 'putPeriod',
        summary: 'Add a reporting period (admin)',
        description: 'Adds the period (201) so that observations can use it; its dates follow from the code. Adding one that exists changes nothing (200). Audited.',
        security: [{ bearer: [] }],
        params: Type.Object({ code: PeriodCodeInput }, { additionalProperties: false }),
        response: { 200: refTo(Period), 201: refTo(Period), ...problemResponses(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const { period, outcome } = await writer.run(authorityOf(req), 'period.put', canonicalPeriod(req.params.code, 'code'), actorOf(req))
      if (outcome === 'created') reply.code(201).header('location', `/v1/periods/${period.code}`)
      return toPeriod(period)
    },
  )

  app.get(
    '/',
    {
      schema: {
        tags: ['periods'],
        operationId: 'listPeriods',
        summary: 'List reporting periods',
        description: 'Every period in use, in time order, the containing period first (2023, 2023-H1, 2023-Q1, 2023-01, …).',
        querystring: Type.Object(
          { type: Type.Optional(Type.Array(PeriodType, { maxItems: 4, description: 'Only these granularities.' })) },
          { additionalProperties: false },
        ),
        response: { 200: refTo(PeriodList), ...problemResponses(400) },
      },
    },
    async (req) => ({ data: (await catalog.periods({ type: req.query.type })).map(toPeriod) }),
  )

  app.get(
    '/:code',
    {
      schema: {
        tags: ['periods'],
        operationId: 'getPeriod',
        summary: 'One reporting period',
        description: 'Accepts any supported spelling (`2023-S1`, `2023S1`, `202307`, …); the answer always carries the canonical code, and Content-Location names its canonical URL.',
        params: Type.Object({ code: PeriodCodeInput }, { additionalProperties: false }),
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: refTo(Period), ...problemResponses(400, 404) },
      },
    },
    async (req, reply) => {
      const code = canonicalPeriod(req.params.code, 'code')
      const period = await catalog.period(code)
      if (!period) throw Errors.notFound(`No observations use reporting period "${code}".`)
      reply.header('content-location', `/v1/periods/${code}`)
      return toPeriod(period)
    },
  )
}

export default periodRoutes
