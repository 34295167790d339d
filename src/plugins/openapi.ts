// The OpenAPI 3.1 document, generated from the route schemas: served at
// /openapi.json and /openapi.yaml, browsable at /docs, committed as openapi.yaml.
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { FieldErrorSchema, Problem } from '../http/schemas.js'
import { AreaDetail, AreaList, Area } from '../modules/areas/areas.routes.js'
import { AuditEntry, AuditHead, AuditPage, VerifyResult } from '../modules/audit/audit.routes.js'
import { ChangePage } from '../modules/changes/changes.routes.js'
import { ImportSummarySchema } from '../modules/imports/imports.routes.js'
import { Indicator, IndicatorDetail, IndicatorList } from '../modules/indicators/indicators.routes.js'
import { Unit, UnitDetail, UnitList } from '../modules/units/units.routes.js'
import { ObservationPage, RevisionList } from '../modules/observations/observations.routes.js'
import { Observation, ObservationRevision } from '../modules/observations/observations.schemas.js'
import { Period, PeriodList } from '../modules/periods/periods.routes.js'
import { ProblemType, ProblemTypeList } from '../modules/problems/problems.routes.js'
import { CitedFigure, Derived, DerivedList, DerivedRevision, DerivedRevisionList, Progress, ProgressList, RelationList, RelationSchema, ValidationList, ValidationResult } from '../modules/relations/relations.schemas.js'
import { Source, SourceList } from '../modules/sources/sources.routes.js'
import { TopicDetail, TopicList, TopicMember, TopicSummary } from '../modules/topics/topics.routes.js'
import { Vintage, VintageList } from '../modules/vintages/vintages.routes.js'
import { completeDocument } from './openapi-contract.js'
import { JsonStatDataset } from '../modules/jsonstat/jsonstat.schemas.js'

export const API_VERSION = '1.0.0'

/** Every named resource and envelope: registered once, `$ref`'d by the routes, listed under components/schemas. */
export const COMPONENT_SCHEMAS = [
  FieldErrorSchema, Problem, ProblemType, ProblemTypeList,
  Observation, ObservationPage, ObservationRevision, RevisionList, ChangePage,
  Indicator, IndicatorDetail, IndicatorList, TopicSummary, TopicList, TopicMember, TopicDetail, Unit, UnitDetail, UnitList, Area, AreaDetail, AreaList, Period, PeriodList, Source, SourceList,
  ImportSummarySchema, AuditEntry, AuditPage, AuditHead, VerifyResult,
  Vintage, VintageList, JsonStatDataset,
  CitedFigure, RelationSchema, RelationList, Progress, ProgressList, ValidationResult, ValidationList, Derived, DerivedList, DerivedRevision, DerivedRevisionList,
]

export default fp(
  async function openapi(app: FastifyInstance) {
    for (const schema of COMPONENT_SCHEMAS) app.addSchema(schema)
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
          // No licence file ships with the repository and none is stated for the data: say so rather than invent one.
          license: { name: 'No licence granted (all rights reserved); the data restates a public government work report', identifier: 'LicenseRef-NoLicenceGranted' },
        },
        servers: [{ url: '/', description: 'This service (every path is relative to where it is deployed).' }],
        components: {
          securitySchemes: {
            bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'An API key made with `npm run keys -- create --name NAME --scope write|admin`.' },
          },
        },
        tags: [
          { name: 'observations', description: 'Figures with their citations and revisions.' },
          { name: 'indicators', description: 'What is measured.' },
          { name: 'topics', description: 'Families of indicators, by the words users look for them by.' },
          { name: 'areas', description: 'Where: the town, its villages and the areas above it.' },
          { name: 'periods', description: 'When: reporting periods.' },
          { name: 'units', description: 'The unit catalogue: base units and the reported units that convert to them exactly.' },
          { name: 'sources', description: 'The reports, byte for byte.' },
          { name: 'imports', description: 'Batch writes of observations.' },
          { name: 'relations', description: 'Relations between indicators: progress, validation rules and derived values.' },
          { name: 'changes', description: 'The change feed for incremental sync.' },
          { name: 'sdmx', description: 'SDMX structure queries: the dataflow of the observations and its data structure definition (docs/sdmx.md).' },
          { name: 'audit', description: 'The tamper-evident log of every write.' },
          { name: 'health', description: 'Liveness and readiness.' },
          { name: 'meta', description: 'Problem types and the API description.' },
        ],
      },
      transformObject: (document) => ('openapiObject' in document ? (completeDocument(document.openapiObject) as typeof document.openapiObject) : document.swaggerObject),
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    app.get('/openapi.yaml', { schema: { hide: true } }, async (_req, reply) => reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })))
  },
  { name: 'openapi' },
)
