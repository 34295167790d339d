// Relations, progress, validation results and derived values as clients see them.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { KINDS } from '../../domain/observation.js'
import { RELATION_TYPES, RULE_OPERATORS, type Relation } from '../../domain/relations.js'
import { AreaCode, DecimalString, IndicatorCode, Nullable, refTo, StringEnum } from '../../http/schemas.js'
import type { RelationRecord } from '../../storage/ports.js'
import { Kind, Qualifier, RuleState } from '../observations/observations.schemas.js'

// Definitions are checked with TypeBox's Value (seed files): plain unions of literals, which it can check.
const KindLiteral = Type.Union(KINDS.map((k) => Type.Literal(k)), { description: 'A kind: actual, target or forecast.' })
const Kinds = Type.Array(KindLiteral, { minItems: 1, uniqueItems: true, description: 'The kinds the rule is checked for.' })

export const ComponentsTotalDefinition = Type.Object(
  {
    total: IndicatorCode,
    components: Type.Array(IndicatorCode, { minItems: 1, uniqueItems: true, description: 'Measured components: their sum is the total.' }),
    unmeasuredComponents: Type.Array(IndicatorCode, { uniqueItems: true, description: 'Components the source names without a figure in the total\'s unit (not summed).' }),
    kinds: Kinds,
  },
  { additionalProperties: false, description: '`components_total`: total = sum(components), per area, period and kind.' },
)
export const TargetActualDefinition = Type.Object(
  {
    target: Type.Object({ indicator: IndicatorCode, kind: KindLiteral }, { additionalProperties: false, description: 'The target side: its indicator and kind.' }),
    actual: Type.Object({ indicator: IndicatorCode, kind: KindLiteral }, { additionalProperties: false, description: 'The actual side: its indicator and kind.' }),
    pairing: Type.Literal('actual_period_within_target_period', { description: 'An actual pairs with a target of the same area whose period contains the actual\'s period.' }),
  },
  { additionalProperties: false, description: '`target_actual`: progress = actual / target.' },
)
export const AmountRecipientsDefinition = Type.Object(
  {
    amount: IndicatorCode,
    recipients: IndicatorCode,
    derived: Type.Object(
      {
        code: IndicatorCode,
        nameZh: Type.String({ minLength: 1, description: 'Name in Chinese.' }),
        nameEn: Type.String({ minLength: 1, description: 'Name in English.' }),
        unit: Type.String({ minLength: 1, description: 'Unit of the derived value, e.g. `CNY/person`.' }),
        scale: Type.Integer({ minimum: 0, maximum: 12, description: 'Decimal places the quotient is rounded to (half to even).' }),
      },
      { additionalProperties: false, description: 'The derived per-recipient value.' },
    ),
  },
  { additionalProperties: false, description: '`amount_recipients`: an amount paid and the persons it was paid to; derives amount / recipients.' },
)
export const SameScopeDefinition = Type.Object(
  {
    indicators: Type.Array(IndicatorCode, { minItems: 2, maxItems: 2, uniqueItems: true, description: 'Two indicators that describe the same scope: equal, never summed.' }),
    kinds: Kinds,
  },
  { additionalProperties: false, description: '`same_scope`: the two describe the same thing (e.g. the same land).' },
)

const DEFINITIONS = {
  components_total: ComponentsTotalDefinition,
  target_actual: TargetActualDefinition,
  amount_recipients: AmountRecipientsDefinition,
  same_scope: SameScopeDefinition,
} as const

/** Problems of a relation's definition against its type's schema (empty: valid). */
export function definitionProblems(type: string, definition: unknown): string[] {
  const schema = (DEFINITIONS as Record<string, (typeof DEFINITIONS)[keyof typeof DEFINITIONS]>)[type]
  if (!schema) return [`unknown relation type "${type}" (one of ${RELATION_TYPES.join(', ')})`]
  return [...Value.Errors(schema, definition)].map((e) => `definition${e.path}: ${e.message}`)
}

/** A stored relation as the domain's typed relation (stored definitions were checked when written). */
export function toRelation(r: RelationRecord): Relation {
  return { code: r.code, type: r.type, definition: JSON.parse(r.definition), description: r.description } as Relation
}

export const RelationSchema = Type.Object(
  {
    code: Type.String({ description: 'The relation\'s code; a validation rule it implies has the same code.' }),
    type: StringEnum(RELATION_TYPES, { description: '`components_total`, `target_actual`, `amount_recipients` or `same_scope`.' }),
    definition: Type.Union([ComponentsTotalDefinition, TargetActualDefinition, AmountRecipientsDefinition, SameScopeDefinition], { description: 'The members, by type.' }),
    description: Type.String({ description: 'What the relation says, in words.' }),
    indicators: Type.Array(IndicatorCode, { description: 'Every indicator the relation names.' }),
    rules: Type.Array(Type.String(), { description: 'Codes of the validation rules it implies (GET /v1/validation?rule=…).' }),
  },
  { $id: 'Relation', description: 'A declared relation between indicators.' },
)
export const RelationList = Type.Object({ data: Type.Array(refTo(RelationSchema), { description: 'Relations, by code.' }) }, { $id: 'RelationList', description: 'Declared relations.' })

export const CitedFigure = Type.Object(
  {
    id: Type.Integer({ description: 'Observation id.' }),
    revision: Type.Integer({ description: 'The revision used.' }),
    indicator: IndicatorCode,
    period: Type.String({ description: 'Its reporting period.' }),
    kind: Kind,
    value: DecimalString,
    unit: Type.String({ description: 'Base unit of the value.' }),
    qualifier: Qualifier,
    quote: Type.String({ description: 'Verbatim words of the source that state it.' }),
    textUrl: Type.String({ description: 'The source text; bytes [byteStart, byteEnd) are the quote.' }),
    byteStart: Type.Integer({ description: 'Offset of the quote\'s first byte in the source text (UTF-8, from 0).' }),
    byteEnd: Type.Integer({ description: 'Offset just past the quote\'s last byte.' }),
  },
  { $id: 'CitedFigure', description: 'An observation used in a computation, with its citation.' },
)

export const Progress = Type.Object(
  {
    relation: Type.String({ description: 'The target_actual relation.' }),
    area: AreaCode,
    target: refTo(CitedFigure),
    actual: refTo(CitedFigure),
    ratio: DecimalString,
    percent: DecimalString,
    rounding: Type.String({ description: 'The rounding rule: the ratio actual / target half to even at 6 decimal places; percent = ratio × 100 (4 places).' }),
    exact: Type.Boolean({ description: 'True when the quotient terminated within 6 places and both figures are exact (eq).' }),
  },
  { $id: 'Progress', description: 'An actual against its target: the ratio as an exact decimal.' },
)
export const ProgressList = Type.Object({ data: Type.Array(refTo(Progress), { description: 'Target/actual pairs, by relation, area, target period, actual period.' }) }, { $id: 'ProgressList', description: 'Progress of actuals against targets.' })

const RuleSide = Type.Object(
  {
    expression: Type.String({ description: 'Indicator codes summed, e.g. `a + b`.' }),
    value: Nullable(DecimalString, { description: 'Sum of the stated values; null when a figure is missing.' }),
    observations: Type.Array(refTo(CitedFigure), { description: 'The observations on this side.' }),
  },
  { description: 'One side of the rule.' },
)
export const ValidationResult = Type.Object(
  {
    rule: Type.String({ description: 'The rule\'s code (that of its relation).' }),
    description: Type.String({ description: 'What the rule checks, in words.' }),
    area: AreaCode,
    period: Type.String({ description: 'The reporting period evaluated.' }),
    kind: Kind,
    left: RuleSide,
    operator: StringEnum(RULE_OPERATORS, { description: 'How the left side compares with the right.' }),
    right: RuleSide,
    result: RuleState,
    exact: Type.Boolean({ description: 'True when every figure is exact (eq); a pass over inexact figures means the qualifiers\' bounds allow the rule to hold.' }),
  },
  { $id: 'ValidationResult', description: 'A rule evaluated for one area, period and kind (DHIS2-style).' },
)
export const ValidationList = Type.Object(
  {
    data: Type.Array(refTo(ValidationResult), { description: 'Results by rule, area, period, kind.' }),
    summary: Type.Object(
      { pass: Type.Integer({ description: 'Results that pass.' }), fail: Type.Integer({ description: 'Results that fail.' }), incomplete: Type.Integer({ description: 'Results with a figure missing.' }) },
      { description: 'Counts by result.' },
    ),
  },
  { $id: 'ValidationList', description: 'Validation rule results.' },
)

const InputStatus = StringEnum(['active', 'withdrawn'], { description: 'Withdrawn: the input was retracted (the derived value is then null).' })
const DerivedInput = Type.Composite([CitedFigure, Type.Object({ role: StringEnum(['amount', 'recipients'], { description: 'Numerator (amount) or denominator (recipients).' }), status: InputStatus })], {
  description: 'An input observation.',
})
export const Derived = Type.Object(
  {
    code: Type.String({ description: '`<derived indicator>.<area>.<period>.<kind>`.' }),
    indicator: IndicatorCode,
    relation: Type.String({ description: 'The amount_recipients relation it comes from.' }),
    nameZh: Type.String({ description: 'Name in Chinese.' }),
    nameEn: Type.String({ description: 'Name in English.' }),
    area: AreaCode,
    period: Type.String({ description: 'The reporting period of its inputs.' }),
    kind: Kind,
    value: Nullable(DecimalString, { description: 'The quotient, rounded as `rounding` says; null when an input is withdrawn or recipients are 0.' }),
    unit: Type.String({ description: 'e.g. `CNY/person`.' }),
    qualifier: StringEnum(['eq', 'approx'], { description: '`eq` when the quotient terminated within the scale and both inputs are `eq`; otherwise `approx`.' }),
    formula: Type.String({ description: 'e.g. `dibao_paid / dibao_beneficiaries`.' }),
    rounding: Type.String({ description: 'e.g. half to even at 2 decimal places (0.01 CNY).' }),
    exact: Type.Boolean({ description: 'True when the quotient terminated within the scale (no rounding happened).' }),
    derived: Type.Literal(true, { description: 'Always true: computed by this service, not reported.' }),
    revision: Type.Integer({ description: 'Its revision at the time asked (asOf/knownAt, else now): the number of entries its revision trail has then.' }),
    inputs: Type.Array(DerivedInput, { description: 'The input observations in force at the time asked.' }),
    revisionsUrl: Type.String({ description: 'Its revision trail.' }),
  },
  { $id: 'Derived', description: 'A value derived from reported figures (never a reported fact), with its formula and cited inputs.' },
)
export const DerivedList = Type.Object({ data: Type.Array(refTo(Derived), { description: 'Derived values, by code.' }) }, { $id: 'DerivedList', description: 'Derived values.' })

export const DerivedRevision = Type.Object(
  {
    revision: Type.Integer({ description: '1 for the first computable value, then one per input revision.' }),
    seq: Type.Integer({ description: 'Change-feed seq of the input revision that caused this entry.' }),
    publishedAt: Type.String({ format: 'date-time', description: 'When this value became public: the latest publishedAt of the input revisions it uses (what asOf compares).' }),
    recordedAt: Type.String({ format: 'date-time', description: 'When this value became known here: the latest recordedAt of the input revisions it uses (what knownAt compares).' }),
    value: Nullable(DecimalString, { description: 'The value then; null when an input was withdrawn or recipients were 0.' }),
    qualifier: StringEnum(['eq', 'approx'], { description: '`eq` when the quotient terminated and both inputs are `eq`; otherwise `approx`.' }),
    exact: Type.Boolean({ description: 'True when the quotient terminated within the scale.' }),
    inputs: Type.Array(
      Type.Object({ role: StringEnum(['amount', 'recipients'], { description: 'Numerator or denominator.' }), id: Type.Integer({ description: 'Observation id.' }), revision: Type.Integer({ description: 'The revision used.' }), value: DecimalString, qualifier: Qualifier, status: StringEnum(['active', 'withdrawn'], { description: 'Withdrawn: the input was retracted.' }) }),
      { description: 'The input revisions used.' },
    ),
  },
  { $id: 'DerivedRevision', description: 'One entry of a derived value\'s revision trail.' },
)
export const DerivedRevisionList = Type.Object({ data: Type.Array(refTo(DerivedRevision), { description: 'Oldest first.' }) }, { $id: 'DerivedRevisionList', description: 'A derived value\'s revision trail.' })

export type RelationT = Static<typeof RelationSchema>
export type CitedFigureT = Static<typeof CitedFigure>
export type ProgressT = Static<typeof Progress>
export type ValidationResultT = Static<typeof ValidationResult>
export type DerivedT = Static<typeof Derived>
export type DerivedRevisionT = Static<typeof DerivedRevision>
