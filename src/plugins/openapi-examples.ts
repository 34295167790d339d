// Examples for the OpenAPI document, taken from the seed (the Bayantala 2023 H1 report), so the docs
// page shows real figures and a mock server answers with them. test/openapi.test.ts checks each one
// against its schema, and the GET ones against what the seeded service answers.
import { Errors } from '../errors.js'
import { problemSlug } from './problem-details.js'
import { EXAMPLE_CURSOR } from './openapi-response-examples.js'

/** The seeded observation of the examples: 低保 paid in the first half of 2023 (seed entry 22). */
export const EXAMPLE_OBSERVATION_ID = 22

/** Query and path parameter examples: by `operationId.name`, else by name. */
export const PARAMETER_EXAMPLES: Record<string, unknown> = {
  'getArea.code': 'bayantala',
  'putArea.code': 'bayantala',
  'getPeriod.code': '2023-H1',
  'putPeriod.code': '2023-H1',
  'getIndicator.code': 'dibao_paid',
  'getTopic.code': 'subsidies',
  'putIndicator.code': 'dibao_paid',
  'getUnit.code': 'mu',
  'putUnit.code': '公顷',
  'putTopic.code': 'drainage',
  'getSource.id': 'bayantala-2023h1',
  'getSourceText.id': 'bayantala-2023h1',
  'listSourceAnnotations.id': 'bayantala-2023h1',
  'listSourceExclusions.id': 'bayantala-2023h1',
  'getProblemType.slug': 'not-found',
  'getSdmxDataflow.agency': 'BAYANTALA',
  'getSdmxDataflow.id': 'DF_TOWN_INDICATORS',
  'getSdmxDataflow.version': '1.0',
  'getSdmxDataStructure.agency': 'BAYANTALA',
  'getSdmxDataStructure.id': 'DSD_TOWN_INDICATORS',
  'getSdmxDataStructure.version': 'latest',
  'getRelation.code': 'afforestation_components',
  'listProgress.indicator': ['wagyu_surrogate_cattle'],
  'listDerived.indicator': ['dibao_per_recipient'],
  'getDerived.code': 'dibao_per_recipient.bayantala.2023-H1.actual',
  'listDerivedRevisions.code': 'dibao_per_recipient.bayantala.2023-H1.actual',
  rule: ['afforestation_components'],
  // Another observation than the correction's: a tester calling both in document order finds each example's If-Match true.
  'withdrawObservation.id': EXAMPLE_OBSERVATION_ID + 1,
  'withdrawObservation.reason': 'Counted twice: the same payment is reported in the annual report.',
  'importObservations.reason': 'Figures of the 2023 H1 report, second reading.',
  id: EXAMPLE_OBSERVATION_ID,
  // Two indicators in one base unit (CNY), so that `unit` converts the list they select.
  indicator: ['dibao_paid', 'tekun_paid'],
  unit: '万元',
  base: ['mu'],
  area: ['bayantala'],
  period: ['2023-H1'],
  periodFrom: '2023-H1',
  periodTo: '2023-H1',
  kind: ['actual'],
  category: ['social_security'],
  topic: ['subsidies'],
  source: ['bayantala-2023h1'],
  asOf: '2023-07-01',
  knownAt: '2030-01-01T00:00:00Z',
  publishedAt: '2023-09-30T00:00:00+08:00',
  updatedSince: '2023-07-01T00:00:00Z',
  includeWithdrawn: false,
  limit: 10,
  // The next page of the list query the other examples make together (a cursor belongs to the filters it was issued for).
  cursor: EXAMPLE_CURSOR,
  // CSV is the one representation that takes every other example together (bom, labels, unit, limit, cursor).
  format: 'csv',
  bom: false,
  labels: 'en',
  startPeriod: '2023-S1',
  endPeriod: '2023-S1',
  updatedAfter: '2023-07-01T00:00:00Z',
  lastNObservations: 1,
  q: '低保',
  level: ['village'],
  parent: 'bayantala',
  type: ['half'],
  after: 0,
  dryRun: true,
}

function problem(error: { code: string; title: string; statusCode: number }, instance: string, detail: string, extras: Record<string, unknown> = {}) {
  return {
    type: `/problems/${problemSlug(error.code)}`,
    title: error.title,
    status: error.statusCode,
    detail,
    instance,
    code: error.code,
    requestId: '5f0c6f1e-6d35-4f0e-9a53-0b1c2d3e4f50',
    ...extras,
  }
}

/** One real problem per status, as the service writes it. */
export const PROBLEM_EXAMPLES: Record<string, unknown> = {
  '400': problem(Errors.validation, '/v1/observations?limit=0', 'query parameter "limit" must be >= 1', { errors: [{ in: 'query', name: 'limit', message: 'must be >= 1' }] }),
  '401': problem(Errors.unauthorized, '/v1/imports', 'This route needs an API key: send "Authorization: Bearer <key>".'),
  '403': problem(Errors.forbidden, '/v1/audit/verify/full', 'This API key lacks the "admin" scope.'),
  '404': problem(Errors.notFound, '/v1/indicators/dibao_paid_2022', 'No indicator "dibao_paid_2022".'),
  '406': problem(Errors.notAcceptable, '/v1/observations', 'This resource is available as application/json, text/csv, application/vnd.sdmx.data+csv or application/vnd.sdmx.data+json; the Accept header allows none of them.'),
  '409': problem(Errors.conflict, '/v1/sources', 'Source "bayantala-2023h1" exists; sources never change. Store a corrected report under a new id.'),
  '412': problem(Errors.preconditionFailed, `/v1/observations/${EXAMPLE_OBSERVATION_ID}`, `The observation has changed: its current ETag is "obs-${EXAMPLE_OBSERVATION_ID}-r2" (revision 2). Re-read it, then retry.`, { currentRevision: 2 }),
  '413': problem(Errors.payloadTooLarge, '/v1/imports', 'Request body is too large'),
  '414': problem(Errors.uriTooLong, '/v1/observations?indicator=…', 'The request URI has 5000 characters; at most 4096 are accepted.'),
  '415': problem(Errors.unsupportedMediaType, '/v1/imports', 'Unsupported Media Type: application/xml'),
  '416': problem(Errors.rangeNotSatisfiable, '/v1/sources/bayantala-2023h1/text', 'Range bytes=20000-20099 lies outside the 14486 bytes of the text.'),
  '422': problem(Errors.unprocessable, `/v1/observations/${EXAMPLE_OBSERVATION_ID}`, 'quote not found in source "bayantala-2023h1": "2023年上半年发放城乡低保金484.75万元"', {
    errors: [{ in: 'body', name: '/citation/quote', message: 'quote not found in source "bayantala-2023h1": "2023年上半年发放城乡低保金484.75万元"' }],
  }),
  '428': problem(Errors.preconditionRequired, `/v1/observations/${EXAMPLE_OBSERVATION_ID}`, `Send If-Match with the observation's current ETag ("obs-${EXAMPLE_OBSERVATION_ID}-r1" now) so that no update is lost.`),
  '431': { type: `/problems/${problemSlug(Errors.headersTooLarge.code)}`, title: Errors.headersTooLarge.title, status: 431, detail: 'The request headers are larger than the server accepts (16 KiB in all); send fewer or shorter headers.', code: Errors.headersTooLarge.code, requestId: '5f0c6f1e-6d35-4f0e-9a53-0b1c2d3e4f50' },
  '429': problem(Errors.rateLimited, '/v1/observations', 'More than 600 requests in a minute from this client; retry in 17 s.'),
  '500': problem(Errors.internal, '/v1/observations', 'An internal error occurred. Quote request id 5f0c6f1e-6d35-4f0e-9a53-0b1c2d3e4f50 when reporting it.'),
  '503': problem(Errors.unavailable, '/v1/observations', 'The database cannot be reached; retry shortly.'),
}

/** Request bodies by operationId and media type: the seed's own entries, as a client would send them. */
export const REQUEST_EXAMPLES: Record<string, Record<string, unknown>> = {
  createSource: {
    'application/json': {
      id: 'bayantala-2023h1-notice',
      title: '巴彦塔拉镇2023年上半年低保金发放情况',
      titleEn: 'Bayantala Town: dibao paid in 2023 H1',
      issuer: '巴彦塔拉镇人民政府',
      issuedOn: '2023-06-25',
      text: '2023年上半年发放城乡低保金484.752万元。\n',
    },
  },
  putArea: {
    'application/json': { nameZh: '巴彦塔拉镇', nameEn: 'Bayantala Town', level: 'town', parent: 'horqin-left-middle', divisionCode: null },
  },
  putUnit: {
    'application/json': { nameZh: '公顷', nameEn: 'hectare', base: 'mu', multiplier: '15', description: '1 hectare = 15 mu exactly.' },
  },
  putTopic: {
    'application/json': {"nameZh": "农田排水", "nameEn": "Drainage", "descriptionZh": "农田排水渠建设维护项目：119公里排水渠，涉及29个嘎查村。", "descriptionEn": "The farmland drainage channel construction and maintenance project: 119 km of channels (the family's measure, in km) in 29 villages (its scope).", "synonyms": ["drainage", "drainage channel", "drainage ditch", "ditch", "排水", "排干", "排水渠", "沟渠"], "position": 4, "indicators": ["drainage_channel_length", "drainage_project_villages"]},
  },
  putIndicator: {
    'application/json': {
      nameZh: '城乡低保金发放',
      nameEn: 'Urban and rural minimum living allowance (dibao) paid',
      description: 'Total urban and rural minimum living allowance (dibao) paid out in the town in 2023 H1 (as of 2023-06-25).',
      category: 'social_security',
      unit: 'CNY',
      additive: true,
      synonyms: ['低保', '低保金', '最低生活保障', 'minimum living guarantee'],
    },
  },
  correctObservation: {
    'application/json': {
      reported: { value: '484.752', unit: '万元' },
      citation: { sourceId: 'bayantala-2023h1', quote: '2023年上半年发放城乡低保金484.752万元' },
      note: 'Checked against the printed report (巴政发〔2023〕38号).',
      reason: 'Reviewer note added after checking the printed report.',
    },
  },
  importObservations: {
    'application/json': {
      reason: 'Q3 brief: the H1 social-assistance figures restated',
      publishedAt: '2023-09-30T00:00:00+08:00',
      observations: [
        {
          indicator: 'tekun_paid',
          area: 'bayantala',
          period: '2023-H1',
          kind: 'actual',
          reported: { value: '76.5', unit: '万元' },
          citation: { sourceId: 'bayantala-2023h1', quote: '发放特困供养金76.5万元' },
        },
      ],
    },
    'text/csv': 'indicator,area,period,kind,reported_value,reported_unit,source_id,quote\r\ntekun_beneficiaries,bayantala,2023-H1,actual,170,人,bayantala-2023h1,受益170人\r\n',
  },
}
