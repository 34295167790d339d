// Problem types: the `type` URI of every problem+json answer resolves here.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Errors } from '../../errors.js'
import { listOf, problemResponses, refTo } from '../../http/schemas.js'
import { problemSlug } from '../../plugins/problem-details.js'

export const ProblemType = Type.Object(
  {
    type: Type.String({ description: 'This URI.' }),
    code: Type.String({ description: 'Stable code, as in the `code` member of problems.' }),
    title: Type.String({ description: 'Title of the problem type.' }),
    status: Type.Integer({ description: 'HTTP status it is answered with.' }),
  },
  { $id: 'ProblemType', description: 'A problem type.' },
)
export const ProblemTypeList = listOf(ProblemType, 'All problem types, by code.', 'ProblemTypeList')

const types = Object.values(Errors).map((e) => ({ type: `/problems/${problemSlug(e.code)}`, code: e.code, title: e.title, status: e.statusCode }))

const problemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['meta'],
        operationId: 'listProblemTypes',
        summary: 'Problem types',
        description: 'Every kind of error this service answers with.',
        response: { 200: refTo(ProblemTypeList) },
      },
    },
    async () => ({ data: types }),
  )
  app.get(
    '/:slug',
    {
      schema: {
        tags: ['meta'],
        operationId: 'getProblemType',
        summary: 'One problem type',
        description: 'What a problem `type` URI means.',
        params: Type.Object({ slug: Type.String({ pattern: '^[a-z-]{1,64}$', description: 'Problem type slug.' }) }, { additionalProperties: false }),
        response: { 200: refTo(ProblemType), ...problemResponses(400, 404) },
      },
    },
    async (req) => {
      const t = types.find((x) => x.type === `/problems/${req.params.slug}`)
      if (!t) throw Errors.notFound(`No problem type "${req.params.slug}".`)
      return t
    },
  )
}

export default problemRoutes
