// Areas: the administrative hierarchy the observations refer to.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Errors } from '../../errors.js'
import { AreaCode, listOf, Nullable, problemResponses, refTo, StringEnum } from '../../http/schemas.js'
import type { Writer } from '../../writes/writer.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import type { AreaRecord, CatalogReads } from '../../storage/ports.js'

export const AREA_LEVELS = ['province', 'prefecture', 'banner', 'town', 'village', 'reserve'] as const
const AreaLevel = StringEnum(AREA_LEVELS, { description: 'Administrative level.' })

export const Area = Type.Object(
  {
    code: AreaCode,
    nameZh: Type.String({ description: 'Name in Chinese, as in the report.' }),
    nameEn: Type.String({ description: 'Name in English (pinyin for villages).' }),
    level: AreaLevel,
    parent: Nullable(AreaCode, { description: 'Code of the containing area; null at the top.' }),
    divisionCode: Nullable(Type.String(), { description: 'GB/T 2260 administrative division code, where one exists.' }),
  },
  { $id: 'Area', description: 'An area: a place that observations are about.' },
)
export const AreaDetail = Type.Composite([Area, Type.Object({ children: Type.Array(AreaCode, { description: 'Codes of the areas directly inside this one.' }) })], {
  $id: 'AreaDetail',
  description: 'An area with the areas it contains.',
})
export const AreaList = listOf(Area, 'Areas, by code.', 'AreaList')

export function toArea(a: AreaRecord): Static<typeof Area> {
  return { code: a.code, nameZh: a.nameZh, nameEn: a.nameEn, level: a.level, parent: a.parentCode, divisionCode: a.divisionCode }
}

export interface AreaRoutesOptions {
  writer: Writer
  catalog: CatalogReads
}

const AreaBody = Type.Object(
  {
    nameZh: Type.String({ minLength: 1, maxLength: 200, description: 'Name in Chinese.' }),
    nameEn: Type.String({ minLength: 1, maxLength: 200, description: 'Name in English.' }),
    level: AreaLevel,
    parent: Nullable(AreaCode, { description: 'Code of the containing area (must exist), or null.' }),
    divisionCode: Type.Optional(Nullable(Type.String({ pattern: '^[0-9]{6,12}$' }), { description: 'GB/T 2260 division code.' })),
  },
  { additionalProperties: false, description: 'An area\'s definition.' },
)

const areaRoutes: FastifyPluginAsyncTypebox<AreaRoutesOptions> = async (app, { writer, catalog }) => {
  app.put(
    '/:code',
    {
      onRequest: app.requireScope('admin'),
      schema: {
        tags: ['areas'],
        operationId: 'putArea',
        summary: 'Create or change an area (admin)',
        description: 'Creates the area (201) or replaces its definition (200). The parent must exist, levels nest strictly downward (province > prefecture > banner > town > village or reserve) and a division code belongs to one area only (422). Audited.',
        security: [{ bearer: [] }],
        params: Type.Object({ code: AreaCode }, { additionalProperties: false }),
        body: AreaBody,
        response: { 200: refTo(Area), 201: refTo(Area), ...problemResponses(400, 401, 403, 422) },
      },
    },
    async (req, reply) => {
      const b = req.body
      const record: AreaRecord = { code: req.params.code, nameZh: b.nameZh, nameEn: b.nameEn, level: b.level, parentCode: b.parent, divisionCode: b.divisionCode ?? null }
      const { outcome } = await writer.run(authorityOf(req), 'area.put', record, actorOf(req))
      if (outcome === 'created') reply.code(201).header('location', `/v1/areas/${record.code}`)
      return toArea(record)
    },
  )

  app.get(
    '/',
    {
      schema: {
        tags: ['areas'],
        operationId: 'listAreas',
        summary: 'List areas',
        description: 'Every area, by code; filter by level or parent.',
        querystring: Type.Object(
          {
            level: Type.Optional(Type.Array(AreaLevel, { maxItems: 6, description: 'Only these levels (repeat the parameter for several).' })),
            parent: Type.Optional(AreaCode),
          },
          { additionalProperties: false },
        ),
        response: { 200: refTo(AreaList), ...problemResponses(400) },
      },
    },
    async (req) => ({ data: (await catalog.areas({ level: req.query.level, parent: req.query.parent })).map(toArea) }),
  )

  app.get(
    '/:code',
    {
      schema: {
        tags: ['areas'],
        operationId: 'getArea',
        summary: 'One area',
        description: 'An area with its parent and the codes of its children.',
        params: Type.Object({ code: AreaCode }, { additionalProperties: false }),
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: refTo(AreaDetail), ...problemResponses(400, 404) },
      },
    },
    async (req) => {
      const area = await catalog.area(req.params.code)
      if (!area) throw Errors.notFound(`No area "${req.params.code}".`)
      return { ...toArea(area), children: (await catalog.areaChildren(area.code)).map((c) => c.code) }
    },
  )
}

export default areaRoutes
