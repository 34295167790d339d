// The rules every observation obeys, whether it comes from the seed or an
// import: the number is where the citation says, in the unit it says.
import { chineseNumeralValue } from '../../domain/chinese-numerals.js'
import type { QuoteIndex } from '../../domain/citation.js'
import { isDecimal, multiplyDecimal, normalizeDecimal } from '../../domain/decimal.js'
import { parsePeriod } from '../../domain/periods.js'
import { findStatedNumber } from '../../domain/quote-numbers.js'
import type { BodyProblem } from '../../errors.js'

export { KINDS, QUALIFIERS, type CheckedObservation, type Kind, type ObservationDraft, type Qualifier } from '../../domain/observation.js'
import { KINDS, QUALIFIERS, TEMPORALITIES, type CheckedObservation, type ObservationDraft } from '../../domain/observation.js'
import { isCalendarDate, parseInstantOrNull } from '../../domain/time.js'

export interface RuleContext {
  indicatorUnit(code: string): string | undefined
  areaExists(code: string): boolean
  periodExists(code: string): boolean
  /** From the unit catalogue: the base a unit converts to and its exact multiplier (undefined for an unknown unit). */
  unitBase(code: string): string | undefined
  unitMultiplier(code: string): string | undefined
  /** Every unit code of the catalogue: the words a quote may write after a number. */
  unitWords(): readonly string[]
  /** The quote index of a source's text (built once per source and reused), or undefined for an unknown source. */
  source(id: string): QuoteIndex | undefined
}

export type RuleResult = { ok: true; observation: CheckedObservation } | { ok: false; problems: BodyProblem[] }

export function checkObservation(draft: ObservationDraft, ctx: RuleContext): RuleResult {
  const problems: BodyProblem[] = []
  const at = (pointer: string, message: string) => problems.push({ pointer, message })
  if (!(KINDS as readonly string[]).includes(draft.kind)) at('/kind', `kind "${draft.kind}" is not one of ${KINDS.join(', ')}`)
  if (!(QUALIFIERS as readonly string[]).includes(draft.qualifier)) at('/qualifier', `qualifier "${draft.qualifier}" is not one of ${QUALIFIERS.join(', ')}`)
  const unit = ctx.indicatorUnit(draft.indicator)
  if (unit === undefined) at('/indicator', `unknown indicator "${draft.indicator}"`)
  if (!ctx.areaExists(draft.area)) at('/area', `unknown area "${draft.area}"`)
  const period = parsePeriod(draft.period)
  if (!period) at('/period', `"${draft.period}" is not a reporting period`)
  else if (!ctx.periodExists(period.code)) at('/period', `unknown reporting period "${period.code}"`)
  for (const code of draft.involvedAreas ?? []) if (!ctx.areaExists(code)) at('/involvedAreas', `unknown involved area "${code}"`)
  if (new Set(draft.involvedAreas ?? []).size !== (draft.involvedAreas ?? []).length) at('/involvedAreas', 'involvedAreas lists an area twice')

  const temporality = draft.temporality ?? 'flow'
  const referenceDate = draft.referenceDate ?? null
  if (!(TEMPORALITIES as readonly string[]).includes(temporality)) at('/temporality', `temporality "${temporality}" is not one of ${TEMPORALITIES.join(', ')}`)
  else if (temporality === 'stock' && referenceDate === null) at('/referenceDate', 'a stock is measured at a date: referenceDate is required')
  else if (temporality === 'flow' && referenceDate !== null) at('/referenceDate', 'a flow runs over its period: referenceDate is only for a stock')
  if (referenceDate !== null && !isCalendarDate(referenceDate)) at('/referenceDate', `referenceDate "${referenceDate}" is not a calendar date (YYYY-MM-DD)`)
  // A stock is measured within the period it is reported for (YYYY-MM-DD compare as text).
  else if (referenceDate !== null && temporality === 'stock' && period && (referenceDate < period.startDate || referenceDate > period.endDate)) {
    at('/referenceDate', `referenceDate ${referenceDate} is outside period ${period.code} (${period.startDate} to ${period.endDate})`)
  }
  let publishedAt: string | null = null
  if (draft.publishedAt !== undefined && draft.publishedAt !== null) {
    publishedAt = parseInstantOrNull(draft.publishedAt)
    if (publishedAt === null) at('/publishedAt', `publishedAt "${draft.publishedAt}" is not an RFC 3339 time such as 2023-06-25T00:00:00+08:00`)
  }

  const valueOk = isDecimal(draft.value)
  if (!valueOk) at('/value', `value "${draft.value}" is not a decimal number`)
  const reportedOk = isDecimal(draft.reported.value)
  if (!reportedOk) at('/reported/value', `reported value "${draft.reported.value}" is not a decimal number`)
  const ruBase = ctx.unitBase(draft.reported.unit)
  const ru = ruBase === undefined ? undefined : { base: ruBase, multiplier: ctx.unitMultiplier(draft.reported.unit) as string }
  if (!ru) at('/reported/unit', `reported unit "${draft.reported.unit}" is not in the unit catalogue (GET /v1/units; an admin adds one with PUT /v1/units/{code})`)
  else {
    if (unit !== undefined && ru.base !== unit) {
      at('/reported/unit', `reported unit "${draft.reported.unit}" converts to ${ru.base}, but indicator "${draft.indicator}" is in ${unit}`)
    }
    if (valueOk && reportedOk) {
      const expected = multiplyDecimal(draft.reported.value, ru.multiplier)
      if (expected !== normalizeDecimal(draft.value)) {
        at('/value', `value ${draft.value} is not reported value ${draft.reported.value} × ${ru.multiplier} (${draft.reported.unit}) = ${expected}`)
      }
    }
  }
  if (draft.reported.text !== undefined) {
    const n = chineseNumeralValue(draft.reported.text)
    if (n === null) at('/reported/text', `reported text "${draft.reported.text}" is not a Chinese numeral`)
    else if (reportedOk && n !== normalizeDecimal(draft.reported.value)) {
      at('/reported/text', `reported text "${draft.reported.text}" is ${n}, not ${draft.reported.value}`)
    }
  }

  let span: { byteStart: number; byteEnd: number } | null = null
  const source = ctx.source(draft.citation.sourceId)
  if (!source) at('/citation/sourceId', `unknown source "${draft.citation.sourceId}"`)
  else {
    const found = source.locate(draft.citation.quote)
    if (found.kind === 'absent') at('/citation/quote', `quote not found in source "${draft.citation.sourceId}": ${JSON.stringify(draft.citation.quote)}`)
    else if (found.kind === 'ambiguous') {
      at('/citation/quote', `quote occurs ${found.byteStarts.length} times in source "${draft.citation.sourceId}" (at bytes ${found.byteStarts.join(', ')}); extend it until it is unique`)
    } else span = { byteStart: found.byteStart, byteEnd: found.byteEnd }
    if (reportedOk) {
      const stated = findStatedNumber(draft.citation.quote, normalizeDecimal(draft.reported.value), draft.reported.unit, draft.reported.text, ctx.unitWords())
      if (!stated.ok) at('/citation/quote', stated.problem)
    }
  }

  if (problems.length > 0 || !period || !span) return { ok: false, problems }
  return {
    ok: true,
    observation: {
      indicator: draft.indicator,
      area: draft.area,
      period: period.code,
      kind: draft.kind,
      value: normalizeDecimal(draft.value),
      qualifier: draft.qualifier,
      reported: { value: draft.reported.value, unit: draft.reported.unit, text: draft.reported.text ?? null },
      citation: { sourceId: draft.citation.sourceId, quote: draft.citation.quote, ...span },
      involvedAreas: [...(draft.involvedAreas ?? [])],
      note: draft.note ?? null,
      temporality,
      referenceDate,
      publishedAt,
    },
  }
}
