// Indicators: what is measured, and its current observations.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Errors } from '../../errors.js'
import { codeList, IndicatorCode, listOf, problemResponses, refTo, splitCodes } from '../../http/schemas.js'
import { AsOf, KnownAt, Observation } from '../observations/observations.schemas.js'
import type { ObservationService } from '../observations/observations.service.js'
import type { Writer } from '../../writes/writer.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import type { CatalogReads, IndicatorRecord } from '../../storage/ports.js'
import { sendSerializedJson } from '../../http/serialized-json.js'
import { Progress } from '../relations/relations.schemas.js'
import type { RelationService } from '../relations/relations.service.js'

/** Observations embedded in an indicator; beyond this, page through /v1/observations. */
export const EMBEDDED_OBSERVATIONS = 1000

export const Indicator = Type.Object(
  {
    code: IndicatorCode,
    nameZh: Type.String({ description: 'Name in Chinese.' }),
    nameEn: Type.String({ description: 'Name in English.' }),
    description: Type.String({ description: 'What is counted, over what period, as of when.' }),
    category: Type.String({ description: 'Policy area, e.g. `social_security`, `agriculture`, `ecology`.' }),
    unit: Type.String({ description: 'Base unit of every value: a base unit of the catalogue (GET /v1/units?base=…), e.g. CNY, mu, km, person, percent.' }),
    additive: Type.Boolean({ description: 'Whether values add up across areas (amounts, persons: yes; prices, ages: no).' }),
    synonyms: Type.Array(Type.String(), { description: 'Other words for it (Chinese or English) that search matches, e.g. 医保 for medical insurance.' }),
  },
  { $id: 'Indicator', description: 'An indicator.' },
)
export const IndicatorList = listOf(Indicator, 'Matching indicators: by code, or best match first with `q`.', 'IndicatorList')

export const IndicatorDetail = Type.Composite(
  [
    Indicator,
    Type.Object({
      observations: Type.Array(refTo(Observation), { description: `Its observations in force (at most ${EMBEDDED_OBSERVATIONS}), in id order.` }),
      observationsTruncated: Type.Boolean({ description: 'True when there are more; page through observationsUrl.' }),
      observationsUrl: Type.String({ description: 'The full, pageable list of its observations.' }),
      progress: Type.Array(refTo(Progress), { description: 'Its target/actual pairs (as at GET /v1/progress?indicator=…): the ratio actual / target, both observations cited.' }),
    }),
  ],
  { $id: 'IndicatorDetail', description: 'An indicator with its observations.' },
)

export function toIndicator(i: IndicatorRecord): Static<typeof Indicator> {
  return { code: i.code, nameZh: i.nameZh, nameEn: i.nameEn, description: i.description, category: i.category, unit: i.unit, additive: i.additive, synonyms: i.synonyms ?? [] }
}

export interface IndicatorRoutesOptions {
  writer: Writer
  catalog: CatalogReads
  observations: ObservationService
  relations: RelationService
}

const IndicatorBody = Type.Object(
  {
    nameZh: Type.String({ minLength: 1, maxLength: 200, description: 'Name in Chinese.' }),
    nameEn: Type.String({ minLength: 1, maxLength: 200, description: 'Name in English.' }),
    description: Type.String({ minLength: 1, maxLength: 2000, description: 'What is counted, over what period, as of when.' }),
    category: Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'Policy area (lowercase snake_case).' }),
    unit: Type.String({ maxLength: 20, description: 'A base unit of the unit catalogue (GET /v1/units lists them: base equals code). Cannot change once observations exist.' }),
    additive: Type.Boolean({ description: 'Whether values add up across areas.' }),
    synonyms: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 50, uniqueItems: true, description: 'Other words for it that search matches (default: none).' }),
    ),
  },
  { additionalProperties: false, description: 'An indicator\'s definition.' },
)

const indicatorRoutes: FastifyPluginAsyncTypebox<IndicatorRoutesOptions> = async (app, { writer, catalog, observations, relations }) => {
  app.put(
    '/:code',
    {
      onRequest: app.requireScope('admin'),
      schema: {
        tags: ['indicators'],
        operationId: 'putIndicator',
        summary: 'Create or change an indicator (admin)',
        description: 'Creates the indicator (201) or replaces its definition (200); an identical definition changes nothing. Audited. The unit of an indicator with observations cannot change (409).',
        security: [{ bearer: [] }],
        params: Type.Object({ code: IndicatorCode }, { additionalProperties: false }),
        body: IndicatorBody,
        response: { 200: refTo(Indicator), 201: refTo(Indicator), ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (req, reply) => {
      const { indicator, outcome } = await writer.run(authorityOf(req), 'indicator.put', { code: req.params.code, ...req.body, synonyms: req.body.synonyms ?? [] }, actorOf(req))
      if (outcome === 'created') reply.code(201).header('location', `/v1/indicators/${indicator.code}`)
      return toIndicator(indicator)
    },
  )

  app.get(
    '/',
    {
      schema: {
        tags: ['indicators'],
        operationId: 'listIndicators',
        summary: 'List indicators',
        description:
          'Indicators by code. `q` searches code, names (Chinese and English), synonyms, topic names and description (Latin text case-insensitively, ' +
          'plurals and British/American spellings folded) and answers best match first: exact code, exact name, name, synonym or topic, description; by code within each.',
        querystring: Type.Object(
          {
            category: Type.Optional(codeList('Categories.')),
            topic: Type.Optional(codeList('Topics (see /v1/topics): indicators in any of them.')),
            q: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Text to search for, in Chinese or English.' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: refTo(IndicatorList), ...problemResponses(400) },
      },
    },
    async (req) => ({ data: (await catalog.indicators({ categories: splitCodes(req.query.category), topics: splitCodes(req.query.topic), q: req.query.q })).map(toIndicator) }),
  )

  app.get(
    '/:code',
    {
      schema: {
        tags: ['indicators'],
        operationId: 'getIndicator',
        summary: 'One indicator with its observations',
        description: 'The indicator and its observations in force now, or as published by `asOf` and/or recorded by `knownAt`.',
        params: Type.Object({ code: IndicatorCode }, { additionalProperties: false }),
        querystring: Type.Object(
          { asOf: Type.Optional(AsOf), knownAt: Type.Optional(KnownAt) },
          { additionalProperties: false },
        ),
        response: { 200: refTo(IndicatorDetail), ...problemResponses(400, 404) },
      },
    },
    async (req, reply) => {
      const indicator = await catalog.indicator(req.params.code)
      if (!indicator) throw Errors.notFound(`No indicator "${req.params.code}".`)
      const page = await observations.pageJson({ indicator: [indicator.code], asOf: req.query.asOf, knownAt: req.query.knownAt }, undefined, EMBEDDED_OBSERVATIONS)
      const progress = await relations.progress({ indicator: [indicator.code], asOf: req.query.asOf, knownAt: req.query.knownAt })
      // The observations come as JSON built by SQLite (up to a thousand: serializing objects was
      // most of this answer's cost); the IndicatorDetail fields around them, in schema order.
      const head = JSON.stringify(toIndicator(indicator)).slice(0, -1)
      return sendSerializedJson(
        reply,
        `${head},"observations":[${page.data}],"observationsTruncated":${page.nextCursor !== null},"observationsUrl":${JSON.stringify(`/v1/observations?indicator=${indicator.code}`)},"progress":${JSON.stringify(progress)}}`,
      )
    },
  )
}

export default indicatorRoutes
