// Topics: families of indicators under the words users look for them by (the brief's insurance
// enrolment, subsidies, afforestation and drainage first, then one per policy area).
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Errors } from '../../errors.js'
import { IndicatorCode, listOf, problemResponses, refTo } from '../../http/schemas.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import type { CatalogReads, IndicatorRecord, TopicRecord } from '../../storage/ports.js'
import type { Writer } from '../../writes/writer.js'

export const TopicCode = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'Topic code (lowercase snake_case), e.g. `subsidies`.' })

const topicFields = {
  code: TopicCode,
  nameZh: Type.String({ description: 'Name in Chinese.' }),
  nameEn: Type.String({ description: 'Name in English.' }),
  descriptionZh: Type.String({ description: 'What belongs to it, in Chinese.' }),
  descriptionEn: Type.String({ description: 'What belongs to it and why borderline figures are in or out, in English.' }),
  synonyms: Type.Array(Type.String(), { description: 'Other words for it (Chinese or English) that indicator search matches.' }),
  position: Type.Integer({ description: 'Listing order: the product brief\'s four families first.' }),
}

export const TopicSummary = Type.Object(
  {
    ...topicFields,
    indicatorCount: Type.Integer({ minimum: 0, description: 'How many indicators it holds.' }),
    indicators: Type.Array(IndicatorCode, { description: 'Codes of its indicators, sorted.' }),
  },
  { $id: 'TopicSummary', description: 'A topic with its member indicators\' codes.' },
)
export const TopicList = listOf(TopicSummary, 'Every topic, in position order.', 'TopicList')

export const TopicMember = Type.Object(
  {
    code: IndicatorCode,
    nameZh: Type.String({ description: 'Name in Chinese.' }),
    nameEn: Type.String({ description: 'Name in English.' }),
    unit: Type.String({ description: 'Base unit of its values.' }),
    category: Type.String({ description: 'Its policy area.' }),
    url: Type.String({ description: 'The indicator with its observations.' }),
  },
  { $id: 'TopicMember', description: 'An indicator of a topic.' },
)

export const TopicDetail = Type.Object(
  {
    ...topicFields,
    indicators: Type.Array(refTo(TopicMember), { description: 'Its indicators, by code.' }),
    observationsUrl: Type.String({ description: 'The observations of its indicators.' }),
  },
  { $id: 'TopicDetail', description: 'A topic with its indicators.' },
)

function head(t: TopicRecord) {
  return { code: t.code, nameZh: t.nameZh, nameEn: t.nameEn, descriptionZh: t.descriptionZh, descriptionEn: t.descriptionEn, synonyms: t.synonyms, position: t.position }
}

export function toTopicSummary(t: TopicRecord): Static<typeof TopicSummary> {
  return { ...head(t), indicatorCount: t.indicators.length, indicators: t.indicators }
}

function toMember(i: IndicatorRecord): Static<typeof TopicMember> {
  return { code: i.code, nameZh: i.nameZh, nameEn: i.nameEn, unit: i.unit, category: i.category, url: `/v1/indicators/${i.code}` }
}

const TopicBody = Type.Object(
  {
    nameZh: Type.String({ minLength: 1, maxLength: 200, description: 'Name in Chinese.' }),
    nameEn: Type.String({ minLength: 1, maxLength: 200, description: 'Name in English.' }),
    descriptionZh: Type.String({ minLength: 1, maxLength: 4000, description: 'What belongs to it, in Chinese.' }),
    descriptionEn: Type.String({ minLength: 1, maxLength: 4000, description: 'What belongs to it and why borderline figures are in or out, in English.' }),
    synonyms: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, description: 'Other words for it that indicator search matches; default none.' })),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Listing order; default: a new topic after the last one, an existing topic where it is.' })),
    indicators: Type.Array(IndicatorCode, { maxItems: 1000, description: 'Every member indicator\'s code: the list replaces the current members (missing ones leave the topic). Each must exist (422).' }),
  },
  { additionalProperties: false, description: 'A topic\'s definition and its whole member list.' },
)

export interface TopicRoutesOptions {
  writer: Writer
  catalog: CatalogReads
}

const topicRoutes: FastifyPluginAsyncTypebox<TopicRoutesOptions> = async (app, { writer, catalog }) => {
  app.put(
    '/:code',
    {
      onRequest: app.requireScope('admin'),
      schema: {
        tags: ['topics'],
        operationId: 'putTopic',
        summary: 'Create or change a topic (admin)',
        description:
          'Creates the topic (201) or replaces its names, descriptions, synonyms, position and member list (200); an identical definition changes nothing. Audited ' +
          '(`topic.create`/`topic.update`, the members in the snapshot). Members left out of `indicators` leave the topic; an unknown indicator code is 422. ' +
          'The seed never re-adds a member removed here.',
        security: [{ bearer: [] }],
        params: Type.Object({ code: TopicCode }, { additionalProperties: false }),
        body: TopicBody,
        response: { 200: refTo(TopicSummary), 201: refTo(TopicSummary), ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (req, reply) => {
      const b = req.body
      const input = { code: req.params.code, nameZh: b.nameZh, nameEn: b.nameEn, descriptionZh: b.descriptionZh, descriptionEn: b.descriptionEn, synonyms: b.synonyms ?? [], position: b.position, indicators: b.indicators }
      const { topic, outcome } = await writer.run(authorityOf(req), 'topic.put', input, actorOf(req))
      if (outcome === 'created') reply.code(201).header('location', `/v1/topics/${encodeURIComponent(topic.code)}`)
      return toTopicSummary(topic)
    },
  )

  app.get(
    '/',
    {
      schema: {
        tags: ['topics'],
        operationId: 'listTopics',
        summary: 'List topics',
        description: 'Every topic in position order (the product brief\'s families first), with its indicators\' codes. Filter indicators and observations by topic with `topic=`.',
        response: { 200: refTo(TopicList), ...problemResponses(400) },
      },
    },
    async () => ({ data: (await catalog.topics()).map(toTopicSummary) }),
  )

  app.get(
    '/:code',
    {
      schema: {
        tags: ['topics'],
        operationId: 'getTopic',
        summary: 'One topic with its indicators',
        description: 'The topic\'s names, description and synonyms in both languages, and its indicators.',
        params: Type.Object({ code: TopicCode }, { additionalProperties: false }),
        response: { 200: refTo(TopicDetail), ...problemResponses(400, 404) },
      },
    },
    async (req) => {
      const topic = await catalog.topic(req.params.code)
      if (!topic) throw Errors.notFound(`No topic "${req.params.code}".`)
      const members = await catalog.indicators({ topics: [topic.code] })
      return { ...head(topic), indicators: members.map(toMember), observationsUrl: `/v1/observations?topic=${topic.code}` }
    },
  )
}

export default topicRoutes
