// The rules every observation obeys, whether it comes from the seed or an
// import: the number is where the citation says, in the unit it says.
import { chineseNumeralValue } from '../../domain/chinese-numerals.js'
import type { QuoteIndex } from '../../domain/citation.js'
import { isDecimal, multiplyDecimal, normalizeDecimal } from '../../domain/decimal.js'
import { parsePeriod } from '../../domain/periods.js'
import { findStatedNumber } from '../../domain/quote-numbers.js'
import { reportedUnit } from '../../domain/units.js'

export { KINDS, QUALIFIERS, type CheckedObservation, type Kind, type ObservationDraft, type Qualifier } from '../../domain/observation.js'
import { KINDS, QUALIFIERS, type CheckedObservation, type ObservationDraft } from '../../domain/observation.js'

export interface RuleContext {
  indicatorUnit(code: string): string | undefined
  areaExists(code: string): boolean
  periodExists(code: string): boolean
  /** The quote index of a source's text (built once per source and reused), or undefined for an unknown source. */
  source(id: string): QuoteIndex | undefined
}

export type RuleResult = { ok: true; observation: CheckedObservation } | { ok: false; problems: string[] }

export function checkObservation(draft: ObservationDraft, ctx: RuleContext): RuleResult {
  const problems: string[] = []
  if (!(KINDS as readonly string[]).includes(draft.kind)) problems.push(`kind "${draft.kind}" is not one of ${KINDS.join(', ')}`)
  if (!(QUALIFIERS as readonly string[]).includes(draft.qualifier)) problems.push(`qualifier "${draft.qualifier}" is not one of ${QUALIFIERS.join(', ')}`)
  const unit = ctx.indicatorUnit(draft.indicator)
  if (unit === undefined) problems.push(`unknown indicator "${draft.indicator}"`)
  if (!ctx.areaExists(draft.area)) problems.push(`unknown area "${draft.area}"`)
  const period = parsePeriod(draft.period)
  if (!period) problems.push(`"${draft.period}" is not a reporting period`)
  else if (!ctx.periodExists(period.code)) problems.push(`unknown reporting period "${period.code}"`)
  for (const code of draft.involvedAreas ?? []) if (!ctx.areaExists(code)) problems.push(`unknown involved area "${code}"`)
  if (new Set(draft.involvedAreas ?? []).size !== (draft.involvedAreas ?? []).length) problems.push('involvedAreas lists an area twice')

  const valueOk = isDecimal(draft.value)
  if (!valueOk) problems.push(`value "${draft.value}" is not a decimal number`)
  const reportedOk = isDecimal(draft.reported.value)
  if (!reportedOk) problems.push(`reported value "${draft.reported.value}" is not a decimal number`)
  const ru = reportedUnit(draft.reported.unit)
  if (!ru) problems.push(`reported unit "${draft.reported.unit}" is not a known unit`)
  else {
    if (unit !== undefined && ru.base !== unit) {
      problems.push(`reported unit "${draft.reported.unit}" converts to ${ru.base}, but indicator "${draft.indicator}" is in ${unit}`)
    }
    if (valueOk && reportedOk) {
      const expected = multiplyDecimal(draft.reported.value, ru.multiplier)
      if (expected !== normalizeDecimal(draft.value)) {
        problems.push(`value ${draft.value} is not reported value ${draft.reported.value} × ${ru.multiplier} (${draft.reported.unit}) = ${expected}`)
      }
    }
  }
  if (draft.reported.text !== undefined) {
    const n = chineseNumeralValue(draft.reported.text)
    if (n === null) problems.push(`reported text "${draft.reported.text}" is not a Chinese numeral`)
    else if (reportedOk && n !== normalizeDecimal(draft.reported.value)) {
      problems.push(`reported text "${draft.reported.text}" is ${n}, not ${draft.reported.value}`)
    }
  }

  let span: { byteStart: number; byteEnd: number } | null = null
  const source = ctx.source(draft.citation.sourceId)
  if (!source) problems.push(`unknown source "${draft.citation.sourceId}"`)
  else {
    const found = source.locate(draft.citation.quote)
    if (found.kind === 'absent') problems.push(`quote not found in source "${draft.citation.sourceId}": ${JSON.stringify(draft.citation.quote)}`)
    else if (found.kind === 'ambiguous') {
      problems.push(`quote occurs ${found.byteStarts.length} times in source "${draft.citation.sourceId}" (at bytes ${found.byteStarts.join(', ')}); extend it until it is unique`)
    } else span = { byteStart: found.byteStart, byteEnd: found.byteEnd }
    if (reportedOk) {
      const stated = findStatedNumber(draft.citation.quote, normalizeDecimal(draft.reported.value), draft.reported.unit, draft.reported.text)
      if (!stated.ok) problems.push(stated.problem)
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
    },
  }
}
