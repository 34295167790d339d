// Units: the catalogue of base units and the reported units that convert to them exactly.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MAX_DECIMAL_CHARS } from '../../domain/decimal.js'
import { Errors } from '../../errors.js'
import { listOf, problemResponses, refTo, UnitCode } from '../../http/schemas.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import type { CatalogReads, UnitRecord } from '../../storage/ports.js'
import type { Writer } from '../../writes/writer.js'

export const Unit = Type.Object(
  {
    code: UnitCode,
    nameZh: Type.String({ description: 'Name in Chinese.' }),
    nameEn: Type.String({ description: 'Name in English.' }),
    base: UnitCode,
    multiplier: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', maxLength: MAX_DECIMAL_CHARS, description: 'Exact decimal: a value in this unit × multiplier = the value in the base unit (1 for a base unit).' }),
    description: Type.String({ description: 'What it counts or measures; may be empty.' }),
    isBase: Type.Boolean({ description: 'Whether this is a base unit (base = code): the unit indicators store their values in.' }),
  },
  { $id: 'Unit', description: 'A unit of the catalogue: a base unit, or a reported unit that converts exactly to its base.' },
)
export const UnitDetail = Type.Composite(
  [Unit, Type.Object({ compatible: Type.Array(UnitCode, { description: 'Every unit with the same base (this one and the base included), by code: the units `unit=` on observation reads converts between.' }) })],
  { $id: 'UnitDetail', description: 'A unit with the units it converts to and from.' },
)
export const UnitList = listOf(Unit, 'Units, by code.', 'UnitList')

export function toUnit(u: UnitRecord): Static<typeof Unit> {
  return { code: u.code, nameZh: u.nameZh, nameEn: u.nameEn, base: u.base, multiplier: u.multiplier, description: u.description, isBase: u.base === u.code }
}

const UnitBody = Type.Object(
  {
    nameZh: Type.String({ minLength: 1, maxLength: 200, description: 'Name in Chinese.' }),
    nameEn: Type.String({ minLength: 1, maxLength: 200, description: 'Name in English.' }),
    base: Type.String({ ...UnitCode, description: 'The base unit it converts to: its own code for a new base unit, else an existing base unit.' }),
    multiplier: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', maxLength: MAX_DECIMAL_CHARS, description: 'Exact positive decimal: value in this unit × multiplier = value in the base (1 for a base unit).' }),
    description: Type.Optional(Type.String({ maxLength: 2000, description: 'What it counts or measures.' })),
  },
  { additionalProperties: false, description: 'A unit\'s definition.' },
)

export interface UnitRoutesOptions {
  writer: Writer
  catalog: CatalogReads
}

const unitRoutes: FastifyPluginAsyncTypebox<UnitRoutesOptions> = async (app, { writer, catalog }) => {
  app.put(
    '/:code',
    {
      onRequest: app.requireScope('admin'),
      schema: {
        tags: ['units'],
        operationId: 'putUnit',
        summary: 'Create or change a unit (admin)',
        description:
          'Creates the unit (201) or replaces its definition (200); an identical definition changes nothing. Audited. A base unit has base = its code and multiplier 1; ' +
          'a reported unit\'s base must be an existing base unit, its multiplier a positive exact decimal (422). A unit that observations are reported in, ' +
          'indicators store values in, or other units convert to keeps its base and multiplier (409); its names and description may change.',
        security: [{ bearer: [] }],
        params: Type.Object({ code: UnitCode }, { additionalProperties: false }),
        body: UnitBody,
        response: { 200: refTo(Unit), 201: refTo(Unit), ...problemResponses(400, 401, 403, 409, 422) },
      },
    },
    async (req, reply) => {
      const b = req.body
      const record: UnitRecord = { code: req.params.code, nameZh: b.nameZh, nameEn: b.nameEn, base: b.base, multiplier: b.multiplier, description: b.description ?? '' }
      const { unit, outcome } = await writer.run(authorityOf(req), 'unit.put', record, actorOf(req))
      if (outcome === 'created') reply.code(201).header('location', `/v1/units/${encodeURIComponent(unit.code)}`)
      return toUnit(unit)
    },
  )

  app.get(
    '/',
    {
      schema: {
        tags: ['units'],
        operationId: 'listUnits',
        summary: 'List units',
        description: 'The unit catalogue, by code: base units (isBase) and the reported units that convert to them. Filter by base.',
        querystring: Type.Object(
          { base: Type.Optional(Type.Array(UnitCode, { maxItems: 50, description: 'Only units of these bases (repeat the parameter for several).' })) },
          { additionalProperties: false },
        ),
        response: { 200: refTo(UnitList), ...problemResponses(400) },
      },
    },
    async (req) => ({ data: (await catalog.units({ base: req.query.base })).map(toUnit) }),
  )

  app.get(
    '/:code',
    {
      schema: {
        tags: ['units'],
        operationId: 'getUnit',
        summary: 'One unit',
        description: 'A unit with its base and every compatible unit (same base).',
        params: Type.Object({ code: UnitCode }, { additionalProperties: false }),
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: refTo(UnitDetail), ...problemResponses(400, 404) },
      },
    },
    async (req) => {
      const unit = await catalog.unit(req.params.code)
      if (!unit) throw Errors.notFound(`No unit "${req.params.code}".`)
      return { ...toUnit(unit), compatible: (await catalog.units({ base: [unit.base] })).map((u) => u.code) }
    },
  )
}

export default unitRoutes
