// A reporting period named in a path or query parameter, made canonical (2023q3 → 2023-Q3).
import { parsePeriod } from '../domain/periods.js'
import { Errors } from '../errors.js'

/** Canonical code of a period parameter, or a 400 naming it. */
export function canonicalPeriod(text: string, parameter: string): string {
  const p = parsePeriod(text)
  if (!p) {
    throw Errors.badPeriod(`"${text}" is not a reporting period; use 2023, 2023-H1, 2023-Q3 or 2023-07 (SDMX and DHIS2 forms are accepted too).`, {
      errors: [{ in: parameter === 'code' ? 'path' : 'query', name: parameter, message: 'is not a reporting period' }],
    })
  }
  return p.code
}

const ISO_DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/

/**
 * A bound of a period range (periodFrom/periodTo and SDMX's startPeriod/endPeriod): a reporting period, or an
 * ISO 8601 calendar date as SDMX REST allows, which bounds by that day. The dates it bounds by; a 400 naming it.
 */
export function periodBound(text: string, parameter: string): { startDate: string; endDate: string } {
  if (ISO_DATE.test(text)) {
    const day = new Date(`${text}T00:00:00Z`)
    if (!Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text) return { startDate: text, endDate: text }
    throw Errors.badPeriod(`"${text}" is not a calendar date.`, { errors: [{ in: 'query', name: parameter, message: 'is not a calendar date' }] })
  }
  const p = parsePeriod(canonicalPeriod(text, parameter))!
  return { startDate: p.startDate, endDate: p.endDate }
}
