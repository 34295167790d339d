// The observation as clients see it, in JSON and in CSV.
import { MAX_DECIMAL_CHARS } from '../../domain/decimal.js'
import { Type, type Static } from '@sinclair/typebox'
import { AreaCode, DecimalString, IndicatorCode, Nullable, SourceId, StringEnum } from '../../http/schemas.js'
import { KINDS, QUALIFIERS } from './observation-rules.js'
import { TEMPORALITIES } from '../../domain/observation.js'
import type { ObservationRow } from '../../storage/ports.js'
import { observationObject } from '../../storage/fields.js'

export const Kind = StringEnum(KINDS, {
  description: '`actual` (a figure achieved), `target` (a plan) or `forecast` (an expectation, 预计).',
})
export const Qualifier = StringEnum(QUALIFIERS, {
  description: 'How the value bounds the truth: `eq` exact; `gt` more than (余, 超过); `gte` at least (以上); `lt`, `lte`; `approx` about.',
})
export const Temporality = StringEnum(TEMPORALITIES, {
  description: '`flow`: accumulated over the period (paid, planted, held in H1); `stock`: a level at `referenceDate` (目前, 已: head held now).',
})
export const ReferenceDate = Type.String({ format: 'date', description: 'The date a stock is measured at (YYYY-MM-DD); null for a flow.' })
/** The time fields a write may state (docs/time.md); their rules (a stock needs a date, a flow has none, no future publication) answer 422 with a pointer. */
export const WrittenTime = {
  temporality: Type.Optional(Temporality),
  referenceDate: Type.Optional(
    Nullable(Type.String({ maxLength: 10, description: 'The date a stock is measured at (YYYY-MM-DD): required for a stock, absent or null for a flow.' }), {
      description: 'The date a stock is measured at (YYYY-MM-DD): required for a stock, absent or null for a flow.',
    }),
  ),
  publishedAt: Type.Optional(
    Type.String({
      maxLength: 40,
      description: 'When the authority published the figure (RFC 3339); `asOf` reads by it. Omitted: when the service records it. More than 5 minutes ahead of the server\'s clock is 422.',
    }),
  ),
}
export const RuleState = StringEnum(['pass', 'fail', 'incomplete'], {
  description: '`pass` or `fail` as the rule evaluates; `incomplete` when one of its sides has no figure.',
})
export const RuleChange = Type.Object(
  {
    rule: Type.String({ description: 'The validation rule\'s code (GET /v1/validation).' }),
    area: AreaCode,
    period: Type.String({ description: 'The reporting period the rule was evaluated for.' }),
    kind: Kind,
    before: RuleState,
    after: RuleState,
  },
  { additionalProperties: false, description: 'A validation rule whose result this revision changed.' },
)
/** Valid time: what the authority had published by then (docs/time.md). */
export const AsOf = Type.String({
  maxLength: 40,
  description:
    'A date YYYY-MM-DD (through the end of that UTC day) or an RFC 3339 time: answer, per observation, with the latest revision published by then (`publishedAt`), like a vintage of ALFRED; observations not yet published are absent. Else 400.',
})
/** Transaction time: what this service had recorded by then (docs/time.md). */
export const KnownAt = Type.String({
  maxLength: 40,
  description:
    'A date YYYY-MM-DD (through the end of that UTC day) or an RFC 3339 time: answer with the latest revision this service had recorded by then (`recordedAt`). With `asOf`, both bounds hold. Else 400.',
})

export const Status = StringEnum(['active', 'withdrawn'], {
  description: '`withdrawn` when the latest revision retracts the observation.',
})

export const Reported = Type.Object(
  {
    value: Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: MAX_DECIMAL_CHARS, description: 'The number as the source writes it, in digits, e.g. `484.752`.' }),
    unit: Type.String({ minLength: 1, maxLength: 10, description: 'The unit as the source writes it, e.g. `万元`, `亩`, `人`.' }),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: 20, description: 'The number as written when not in digits (四, 十一).' })),
  },
  { additionalProperties: false, description: 'The figure as reported.' },
)

export const Citation = Type.Object(
  {
    sourceId: SourceId,
    quote: Type.String({ minLength: 1, maxLength: 2000, description: 'Verbatim words of the stored source that state the figure; must occur exactly once in it and write the reported value as a whole number followed by the reported unit (484.752万元 is 484.752 in 万元, not in 元).' }),
  },
  { additionalProperties: false, description: 'Where the figure is stated.' },
)

export const UnitConversion = Type.Object(
  {
    from: Type.String({ description: 'The base unit the value is stored in (the indicator\'s unit).' }),
    to: Type.String({ description: 'The unit served (`unit=`): `value` and `unit` are in it.' }),
    divisor: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)?$', description: 'The target unit\'s multiplier: served value = stored value ÷ divisor.' }),
    exact: Type.Boolean({ description: 'True when the quotient terminates and is served exactly; false when it was rounded half to even at 12 decimal places.' }),
  },
  // Inline, not a named component: consumers that resolve Observation alone (the fast-path checks) need no other schema.
  { description: 'The conversion applied to `value` on request (`unit=`); absent when the value is served in its base unit as stored.' },
)

export const Observation = Type.Object(
  {
    id: Type.Integer({ description: 'Stable id of the observation (its identity, not a revision).' }),
    indicator: IndicatorCode,
    area: AreaCode,
    period: Type.String({ description: 'Canonical reporting period code.' }),
    kind: Kind,
    value: DecimalString,
    unit: Type.String({ description: 'Unit of `value`: the indicator\'s base unit (e.g. `CNY`, `mu`, `person`), or the unit asked for with `unit=` (then `conversion` says how).' }),
    conversion: Type.Optional(UnitConversion),
    qualifier: Qualifier,
    temporality: Temporality,
    referenceDate: Nullable(ReferenceDate, { description: "The date a stock is measured at (YYYY-MM-DD); null for a flow." }),
    reported: Type.Object(
      {
        value: Type.String({ description: 'The number as the source writes it, e.g. `484.752`.' }),
        unit: Type.String({ description: 'The unit as the source writes it, e.g. `万元`.' }),
        text: Nullable(Type.String(), { description: 'The number as written when not in digits (四, 十一); null otherwise.' }),
      },
      { description: 'The figure as reported, before conversion to the base unit.' },
    ),
    source: Type.Object(
      {
        id: SourceId,
        quote: Type.String({ description: 'Verbatim words of the source that state the figure.' }),
        byteStart: Type.Integer({ description: 'Offset of the quote\'s first byte in the source text (UTF-8, from 0).' }),
        byteEnd: Type.Integer({ description: 'Offset just past the quote\'s last byte: the span is [byteStart, byteEnd).' }),
        textUrl: Type.String({ description: 'The source text; `curl -r byteStart-(byteEnd-1)` on it returns the quote.' }),
      },
      { description: 'The citation.' },
    ),
    involvedAreas: Type.Array(AreaCode, { description: 'Areas the source names as involved (villages), when it names them.' }),
    status: Status,
    note: Nullable(Type.String(), { description: 'Reviewer\'s note on the extraction, if any.' }),
    revision: Type.Integer({ description: 'Revision number of this observation (1 for the first record).' }),
    publishedAt: Type.String({
      format: 'date-time',
      description: 'When the authority published this revision (valid time: `asOf` reads by it): the source\'s issue date for extracted figures, the declared time for writes that give one, else the recording time.',
    }),
    recordedAt: Type.String({ format: 'date-time', description: 'When this revision was recorded by the service (transaction time: `knownAt` reads by it).' }),
  },
  { $id: 'Observation', description: 'One figure: indicator × area × reporting period × kind, with its citation.' },
)
export type ObservationT = Static<typeof Observation>

export const ObservationRevision = Type.Composite(
  [
    Observation,
    Type.Object({
      seq: Type.Integer({ description: 'Position of this revision in the change feed.' }),
      reason: Type.String({ description: 'Why the revision was made.' }),
      actor: Type.String({ description: 'Who made it: the API key\'s name, or `seed`.' }),
      ruleChanges: Type.Array(RuleChange, { description: 'Validation rules whose result this revision changed (empty for most).' }),
    }),
  ],
  { $id: 'Revision', description: 'One revision of an observation: an entry of its history and of the change feed.' },
)

/** The served form of a row, from the one field table (storage/fields.ts) the SQL-built JSON is derived from too. */
export function toObservation(row: ObservationRow): ObservationT {
  return observationObject(row) as ObservationT
}

export function toObservationRevision(row: ObservationRow): Static<typeof ObservationRevision> {
  return observationObject(row, true) as Static<typeof ObservationRevision>
}

/** The CSV export's column names, in order (the table with their kinds is observations.csv.ts). */
export { CSV_COLUMNS } from './observations.csv.js'
