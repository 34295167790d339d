// Citations as W3C Web Annotations, and the numbers of a source deliberately not extracted.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problemResponses, SourceId } from '../../http/schemas.js'
import { AsOf, KnownAt } from '../observations/observations.schemas.js'
import { Annotation, AnnotationPage, ANNO_CONTEXT, ExclusionList } from './annotations.schemas.js'
import type { AnnotationService } from './annotations.service.js'

export interface AnnotationRoutesOptions {
  annotations: AnnotationService
}

const ObservationParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Observation id, in plain decimal digits.' }) },
  { additionalProperties: false },
)
const SourceParams = Type.Object({ id: SourceId }, { additionalProperties: false })
const NoQuery = Type.Object({}, { additionalProperties: false })

/** The Web Annotation Protocol's media type (W3C, §4.2), offered beside plain JSON: the same document. */
const ANNOTATION_MEDIA_TYPE = `application/ld+json; profile="${ANNO_CONTEXT}"`
const representations = { json: 'application/json', jsonld: 'application/ld+json' }
const negotiated = (schema: unknown, description: string) => ({
  description,
  content: { 'application/json': { schema }, 'application/ld+json': { schema } },
})

const annotationRoutes: FastifyPluginAsyncTypebox<AnnotationRoutesOptions> = async (app, { annotations }) => {
  // With `Accept: application/ld+json`, the answer names the annotation profile; the bytes are the same.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.representation === 'jsonld' && reply.statusCode === 200) reply.type(ANNOTATION_MEDIA_TYPE)
    return payload
  })

  app.get(
    '/observations/:id/annotation',
    {
      config: { representations },
      schema: {
        tags: ['observations'],
        operationId: 'getObservationAnnotation',
        summary: 'An observation\'s citation as a W3C Web Annotation',
        description:
          `A Web Annotation (JSON-LD, context ${ANNO_CONTEXT}) whose body is the observation and whose target selects its quote in the stored text three ways: ` +
          'a TextQuoteSelector (exact, with up to 32 code points of prefix and suffix), a TextPositionSelector in code points, and a DataPositionSelector in bytes ' +
          '(the observation\'s byteStart/byteEnd); plus a text-fragment link that highlights the quote in a browser. `asOf`/`knownAt` as on GET /v1/observations/{id}.',
        params: ObservationParams,
        querystring: Type.Object({ asOf: Type.Optional(AsOf), knownAt: Type.Optional(KnownAt) }, { additionalProperties: false }),
        response: { 200: negotiated(Annotation, 'The annotation; as JSON-LD with the annotation profile when asked for `application/ld+json`.'), ...problemResponses(400, 404, 406) },
      },
    },
    async (req) => annotations.annotation(req.params.id, req.query.asOf, req.query.knownAt),
  )

  app.get(
    '/sources/:id/annotations',
    {
      config: { representations },
      schema: {
        tags: ['sources'],
        operationId: 'listSourceAnnotations',
        summary: 'Every citation of a report, as Web Annotations',
        description: 'An AnnotationPage holding the annotation of every current (not withdrawn) observation that cites the source, in observation id order.',
        params: SourceParams,
        querystring: NoQuery,
        response: { 200: negotiated(AnnotationPage, 'The annotation page; as JSON-LD with the annotation profile when asked for `application/ld+json`.'), ...problemResponses(400, 404, 406) },
      },
    },
    async (req) => ({
      '@context': ANNO_CONTEXT,
      id: `/v1/sources/${req.params.id}/annotations`,
      type: 'AnnotationPage' as const,
      startIndex: 0,
      items: await annotations.sourceAnnotations(req.params.id),
    }),
  )

  app.get(
    '/sources/:id/exclusions',
    {
      schema: {
        tags: ['sources'],
        operationId: 'listSourceExclusions',
        summary: 'Numbers of a report deliberately not extracted',
        description:
          'The reviewed exclusions of the source (dates, document numbers, headings, names…), each with the reviewer\'s reason and every place it occurs in the text, ' +
          'in bytes and in code points. A source without reviewed exclusions (one stored through the API) has an empty list.',
        params: SourceParams,
        querystring: NoQuery,
        response: { 200: ExclusionList, ...problemResponses(400, 404) },
      },
    },
    async (req) => ({ sourceId: req.params.id, data: await annotations.exclusions(req.params.id) }),
  )
}

export default annotationRoutes
