// The JSON-stat 2.0 dataset the observation list answers with format=jsonstat, as a schema for the OpenAPI document.
import { Type } from '@sinclair/typebox'
import { DecimalString } from '../../http/schemas.js'

/** The words a cell's `status` is made of, in this order, joined by a space: what makes its value other than an exact, current figure. */
export const STATUS_CODES = ['withdrawn', 'gt', 'gte', 'lt', 'lte', 'approx', 'rounded'] as const
export type StatusCode = (typeof STATUS_CODES)[number]
const STATUS_WORD = `(${STATUS_CODES.join('|')})`

const CellMap = <T extends Parameters<typeof Type.Record>[1]>(item: T, description: string) =>
  Type.Record(Type.String({ pattern: '^[0-9]+$' }), item, { description })

const Category = (what: string, extra: Record<string, ReturnType<typeof Type.Optional>> = {}) =>
  Type.Object(
    {
      index: Type.Record(Type.String(), Type.Integer({ minimum: 0 }), { description: `Position of each ${what} code along the dimension, from 0.` }),
      label: Type.Record(Type.String(), Type.String(), { description: `Name of each ${what} in the language asked for (labels=).` }),
      ...extra,
    },
    { description: `The ${what}s present in the selection.` },
  )

const Dimension = (what: string, category: ReturnType<typeof Category>) =>
  Type.Object({ label: Type.String({ description: `The dimension's name (${what}).` }), category }, { description: `The ${what} dimension.` })

const Unit = Type.Object(
  {
    label: Type.String({ description: 'The unit\'s name.' }),
    symbol: Type.String({ description: 'The unit\'s code in the catalogue (GET /v1/units).' }),
    position: Type.Literal('end', { description: 'The symbol follows the number.' }),
    decimals: Type.Integer({ minimum: 0, description: 'The most decimal places any value of this indicator has in the dataset.' }),
  },
  { description: 'The unit of an indicator\'s values.' },
)

const Link = Type.Object(
  {
    href: Type.String({ description: 'Where (a path on this service).' }),
    type: Type.Optional(Type.String({ description: 'Its media type.' })),
    label: Type.Optional(Type.String({ description: 'What it is.' })),
  },
  { description: 'A related resource.' },
)

const CellCitation = Type.Object(
  {
    sourceId: Type.String({ description: 'The source (GET /v1/sources/{id}).' }),
    quote: Type.String({ description: 'Verbatim words of the source that state the figure.' }),
    byteStart: Type.Integer({ description: 'Offset of the quote\'s first byte in the source text (UTF-8, from 0).' }),
    byteEnd: Type.Integer({ description: 'Offset just past the quote\'s last byte.' }),
    textUrl: Type.String({ description: 'The source text.' }),
  },
  { description: 'The citation of the cell\'s observation.' },
)

export const JsonStatDataset = Type.Object(
  {
    version: Type.Literal('2.0', { description: 'JSON-stat version.' }),
    class: Type.Literal('dataset', { description: 'JSON-stat class.' }),
    label: Type.String({ description: 'What the dataset is.' }),
    source: Type.Optional(Type.String({ description: 'Titles of the reports the figures are cited from; absent when the selection is empty.' })),
    updated: Type.Optional(Type.String({ description: 'When the latest revision in the dataset was recorded (RFC 3339); absent when the selection is empty.' })),
    note: Type.Array(Type.String(), { description: 'How to read the dataset: the value digits, conversion rounding (with unit=), qualifiers, citations.' }),
    id: Type.Array(Type.String({ enum: ['indicator', 'area', 'period', 'kind'] }), { minItems: 4, maxItems: 4, description: 'The dimensions in cell order, the last varying fastest: always indicator, area, period, kind.' }),
    size: Type.Array(Type.Integer({ minimum: 0 }), { minItems: 4, maxItems: 4, description: 'How many categories each dimension has, in `id` order.' }),
    role: Type.Object(
      {
        metric: Type.Array(Type.String(), { description: 'The dimension whose categories carry units: indicator.' }),
        geo: Type.Array(Type.String(), { description: 'The geographic dimension: area.' }),
        time: Type.Array(Type.String(), { description: 'The time dimension: period.' }),
      },
      { description: 'What the dimensions stand for.' },
    ),
    dimension: Type.Object(
      {
        indicator: Dimension('indicator', Category('indicator', { unit: Type.Optional(Type.Record(Type.String(), Unit, { description: 'The unit of each indicator\'s values (unit= converts them).' })) })),
        area: Dimension('area', Category('area')),
        period: Dimension('reporting period', Category('reporting period')),
        kind: Dimension('kind', Category('kind')),
      },
      { description: 'The dimensions by id.' },
    ),
    link: Type.Object(
      {
        alternate: Type.Array(Link, { description: 'The same selection as the JSON list and as CSV.' }),
        related: Type.Array(Link, { description: 'The sources the figures are cited from.' }),
      },
      { description: 'Related resources (JSON-stat link relations).' },
    ),
    extension: Type.Object(
      {
        value: CellMap(DecimalString, 'Each filled cell\'s value as the decimal string the API serves (its `value`), by cell index: the stored value, or with unit= the converted one (see `exact`).'),
        exact: CellMap(Type.Boolean(), 'Whether each filled cell\'s value is exact, by cell index: always true without unit=; with unit=, false where the quotient does not terminate and the value is rounded half to even at 12 decimal places (status `rounded`).'),
        observation: CellMap(Type.Integer({ minimum: 1 }), 'Each filled cell\'s observation id (GET /v1/observations/{id}), by cell index.'),
        qualifier: CellMap(Type.String(), 'How each value bounds the truth (eq, gt, gte, lt, lte, approx), by cell index.'),
        citation: CellMap(CellCitation, 'Where each figure is stated, by cell index.'),
        statusLabel: Type.Record(Type.String(), Type.String(), { description: 'The meaning of each `status` used, in the language asked for (a status of several words: their meanings joined by "; ").' }),
      },
      { description: 'What JSON-stat has no place for, per cell (keys are cell indexes, as in `value` objects).' },
    ),
    status: Type.Optional(
      CellMap(
        Type.String({ pattern: `^${STATUS_WORD}( ${STATUS_WORD})*$` }),
        'Cells whose value is not an exact, current figure, as words joined by a space: withdrawn, else a qualifier other than eq (gt, gte, lt, lte, approx); then `rounded` when unit= rounded the value (e.g. `gt rounded`). extension.statusLabel names each status used.',
      ),
    ),
    value: Type.Union(
      [
        Type.Array(Type.Union([Type.Number(), Type.Null()]), { description: 'Every cell in order, null where no observation is.' }),
        CellMap(Type.Number(), 'The filled cells only, by cell index.'),
      ],
      {
        description:
          'The values as JSON numbers written with the digits the API serves (stored, or converted by unit=): a dense array when at least half the cells are filled, else an object by cell index. ' +
          'A client that parses numbers to IEEE doubles may round beyond 15 to 17 significant digits; extension.value has the decimal strings.',
      },
    ),
  },
  { $id: 'JsonStatDataset', description: 'A JSON-stat 2.0 dataset (format=jsonstat): the observations of the selection in a cube indicator × area × period × kind.' },
)
