// The OpenAPI 3.1 document, generated from the route schemas: served at
// /openapi.json and /openapi.yaml, browsable at /docs, committed as openapi.yaml.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Problem } from '../http/schemas.js'

export const API_VERSION = '1.0.0'

export default fp(
  async function openapi(app: FastifyInstance) {
    app.addSchema(Problem)
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Bayantala indicators',
          version: API_VERSION,
          description:
            'Every quantitative statement of the Bayantala Town (巴彦塔拉镇) 2023 H1 work report, as observations with exact decimal values, ' +
            'verbatim citations (quote and UTF-8 byte span in the stored source text) and an append-only revision history. ' +
            'Errors are RFC 9457 problem+json.',
          license: { name: 'Data: public government report; code: see repository' },
        },
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', description: 'An API key made with `npm run keys -- create --name NAME --scope write|admin`.' },
          },
        },
        tags: [
          { name: 'observations', description: 'Figures with their citations and revisions.' },
          { name: 'indicators', description: 'What is measured.' },
          { name: 'areas', description: 'Where: the town, its villages and the areas above it.' },
          { name: 'periods', description: 'When: reporting periods.' },
          { name: 'sources', description: 'The reports, byte for byte.' },
          { name: 'imports', description: 'Batch writes of observations.' },
          { name: 'changes', description: 'The change feed for incremental sync.' },
          { name: 'audit', description: 'The tamper-evident log of every write.' },
          { name: 'health', description: 'Liveness and readiness.' },
          { name: 'meta', description: 'Problem types and the API description.' },
        ],
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    app.get('/openapi.yaml', { schema: { hide: true } }, async (_req, reply) => reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })))
  },
  { name: 'openapi' },
)
