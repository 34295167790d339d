// Relations between indicators and what they give: progress (actual / target),
// validation rule results, and derived values (kept apart from reported figures).
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { codeList, PeriodCodeInput, problemResponses, refTo } from '../../http/schemas.js'
import { Derived, DerivedList, DerivedRevisionList, ProgressList, RelationList, RelationSchema, ValidationList } from './relations.schemas.js'
import type { RelationService } from './relations.service.js'
import { AsOf, KnownAt } from '../observations/observations.schemas.js'

export interface RelationRoutesOptions {
  relations: RelationService
}

const Periods = Type.Array(PeriodCodeInput, { maxItems: 100, description: 'Reporting periods (any accepted spelling). Repeat or separate with commas.' })
const DerivedCode = Type.String({
  pattern: '^[a-z][a-z0-9_]{0,63}\\.[a-z0-9][a-z0-9-]{0,63}\\.[0-9A-Za-z-]{4,10}\\.(actual|target|forecast)$',
  description: '`<derived indicator>.<area>.<period>.<kind>`, e.g. `dibao_per_recipient.bayantala.2023-H1.actual`.',
})
const TIME = { asOf: Type.Optional(AsOf), knownAt: Type.Optional(KnownAt) }
const TimeQuery = Type.Object(TIME, { additionalProperties: false })
/** Where and when the relation reads look: the same parameters on progress, validation and derived lists. */
const SCOPE = { area: Type.Optional(codeList('Area codes.')), period: Type.Optional(Periods), ...TIME }

export const relationRoutes: FastifyPluginAsyncTypebox<RelationRoutesOptions> = async (app, { relations }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['relations'],
        operationId: 'listRelations',
        summary: 'List declared relations',
        description: 'Relations between indicators: components → total, target ↔ actual, amount ↔ recipients, same scope; with the validation rules each implies.',
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: refTo(RelationList), ...problemResponses(400) },
      },
    },
    async () => ({ data: await relations.relations() }),
  )
  app.get(
    '/:code',
    {
      schema: {
        tags: ['relations'],
        operationId: 'getRelation',
        summary: 'One relation',
        description: 'A declared relation with its members and rules.',
        params: Type.Object({ code: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'Relation code.' }) }, { additionalProperties: false }),
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: refTo(RelationSchema), ...problemResponses(400, 404) },
      },
    },
    async (req) => relations.relation(req.params.code),
  )
}

export const progressRoutes: FastifyPluginAsyncTypebox<RelationRoutesOptions> = async (app, { relations }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['relations'],
        operationId: 'listProgress',
        summary: 'Progress of actuals against targets',
        description:
          'Every target/actual pair of the declared target_actual relations (same area, the actual\'s period within the target\'s), both observations cited, ' +
          'with the ratio actual / target as an exact decimal rounded half to even at 6 places and the percent (ratio × 100). `exact` says whether no rounding happened and both figures are exact.',
        querystring: Type.Object(
          {
            indicator: Type.Optional(codeList('Indicator codes (target or actual side).')),
            ...SCOPE,
          },
          { additionalProperties: false },
        ),
        response: { 200: refTo(ProgressList), ...problemResponses(400) },
      },
    },
    async (req) => ({ data: await relations.progress(req.query) }),
  )
}

export const validationRoutes: FastifyPluginAsyncTypebox<RelationRoutesOptions> = async (app, { relations }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['relations'],
        operationId: 'listValidationResults',
        summary: 'Validation rule results',
        description:
          'DHIS2-style results of the rules the relations imply, per area, period and kind: left side, operator, right side, the observations involved, and `pass`, `fail` or `incomplete` (a figure missing). ' +
          'Figures qualified other than `eq` are judged by their bounds (gt/gte below, lt/lte above, approx none): a rule fails only when no values within them could satisfy it, and `exact` is false. ' +
          'Writes are never refused by these rules: a correction that breaks one is stored and shows here as `fail`.',
        querystring: Type.Object(
          {
            rule: Type.Optional(codeList('Rule codes.')),
            ...SCOPE,
          },
          { additionalProperties: false },
        ),
        response: { 200: refTo(ValidationList), ...problemResponses(400, 404) },
      },
    },
    async (req) => relations.validation(req.query),
  )
}

export const derivedRoutes: FastifyPluginAsyncTypebox<RelationRoutesOptions> = async (app, { relations }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['relations'],
        operationId: 'listDerived',
        summary: 'Derived values',
        description: 'Values computed from reported figures (amount per recipient), with formula, rounding rule and cited inputs. Never listed among observations.',
        querystring: Type.Object(
          {
            indicator: Type.Optional(codeList('Derived indicator codes, e.g. `dibao_per_recipient`.')),
            ...SCOPE,
          },
          { additionalProperties: false },
        ),
        response: { 200: refTo(DerivedList), ...problemResponses(400) },
      },
    },
    async (req) => ({ data: await relations.derived(req.query) }),
  )
  app.get(
    '/:code',
    {
      schema: {
        tags: ['relations'],
        operationId: 'getDerived',
        summary: 'One derived value',
        description: 'The value computed from its inputs in force (at `asOf`/`knownAt` when given), with its revision at that time.',
        params: Type.Object({ code: DerivedCode }, { additionalProperties: false }),
        querystring: TimeQuery,
        response: { 200: refTo(Derived), ...problemResponses(400, 404) },
      },
    },
    async (req) => relations.derivedOne(req.params.code, req.query),
  )
  app.get(
    '/:code/revisions',
    {
      schema: {
        tags: ['relations'],
        operationId: 'listDerivedRevisions',
        summary: 'Revision trail of a derived value',
        description:
          'One entry per revision of an input, from the first moment both inputs existed, with the inputs used, the value they gave and when it was published and recorded; oldest first. ' +
          'With `asOf`/`knownAt`, the trail as it stood then: only input revisions published by `asOf` and recorded by `knownAt`; its length is the derived value\'s `revision` then.',
        params: Type.Object({ code: DerivedCode }, { additionalProperties: false }),
        querystring: TimeQuery,
        response: { 200: refTo(DerivedRevisionList), ...problemResponses(400, 404) },
      },
    },
    async (req) => ({ data: await relations.derivedRevisions(req.params.code, req.query) }),
  )
}
