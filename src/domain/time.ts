// Instants on the wire are RFC 3339; in the store they are ISO 8601 UTC with
// milliseconds, so that comparing the text compares the times.
import { Errors } from '../errors.js'

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

export const MIN_YEAR = 1900
export const MAX_YEAR = 9999

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31
}

/**
 * Parses an RFC 3339 instant into the store's form, or throws a 400 naming
 * the parameter. Every field is checked against the calendar (Date.parse
 * rolls 30 February over into March): months 1-12, the month's days (leap
 * years), hours 0-23, minutes and seconds 0-59 (no leap second), offsets up to
 * ±23:59.
 */
export function parseInstant(text: string, parameter: string): string {
  const m = RFC3339.exec(text)
  const [year, month, day, hour, minute, second] = m ? m.slice(1, 7).map(Number) : []
  const offsetHours = m?.[10] === undefined ? 0 : Number(m[10])
  const offsetMinutes = m?.[11] === undefined ? 0 : Number(m[11])
  if (
    !m ||
    year! < MIN_YEAR ||
    year! > MAX_YEAR ||
    month! < 1 ||
    month! > 12 ||
    day! < 1 ||
    day! > daysInMonth(year!, month!) ||
    hour! > 23 ||
    minute! > 59 ||
    second! > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  )
    throw invalid(text, parameter)
  // Sub-millisecond digits are dropped: the store records milliseconds.
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3))
  const sign = m[9] === '-' ? -1 : 1
  const local = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, millis)
  // Date.UTC maps years 0-99 to 1900-1999; MIN_YEAR keeps those out.
  const instant = new Date(local - sign * (offsetHours * 60 + offsetMinutes) * 60_000)
  // An offset can carry 9999-12-31 past the year range, where the text would no longer sort as the time.
  if (instant.getUTCFullYear() < MIN_YEAR || instant.getUTCFullYear() > MAX_YEAR) throw invalid(text, parameter)
  return instant.toISOString()
}

function invalid(text: string, parameter: string) {
  return Errors.validation(`${parameter} must be an RFC 3339 time such as 2023-06-25T00:00:00Z (a real calendar date, hours 00-23, offset within ±23:59, years ${MIN_YEAR}-${MAX_YEAR}), got "${text}".`, {
    errors: [{ in: 'query', name: parameter, message: 'is not an RFC 3339 time' }],
  })
}

/** The store's form of an RFC 3339 instant, or null when the text is not one. */
export function parseInstantOrNull(text: string): string | null {
  try {
    return parseInstant(text, 'time')
  } catch {
    return null
  }
}

/** Whether text is a real calendar date YYYY-MM-DD within the supported years. */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!m) return false
  const [year, month, day] = m.slice(1).map(Number) as [number, number, number]
  return year >= MIN_YEAR && year <= MAX_YEAR && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)
}

/**
 * A bound on a time axis (asOf, knownAt): a calendar date YYYY-MM-DD means the
 * whole of that UTC day (its last millisecond, the store's precision), an RFC
 * 3339 date-time that instant. Returns the store's form, or throws a 400
 * naming the parameter.
 */
export function parseTimeBound(text: string, parameter: string): string {
  if (isCalendarDate(text)) return `${text}T23:59:59.999Z`
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    throw Errors.validation(`${parameter} must be a calendar date YYYY-MM-DD (years ${MIN_YEAR}-${MAX_YEAR}) or an RFC 3339 time, got "${text}".`, {
      errors: [{ in: 'query', name: parameter, message: 'is not a calendar date or an RFC 3339 time' }],
    })
  }
  try {
    return parseInstant(text, parameter)
  } catch {
    throw Errors.validation(
      `${parameter} must be a calendar date such as 2023-06-25 (the end of that UTC day) or an RFC 3339 time such as 2023-06-25T00:00:00Z (a real calendar date, hours 00-23, offset within ±23:59, years ${MIN_YEAR}-${MAX_YEAR}), got "${text}".`,
      { errors: [{ in: 'query', name: parameter, message: 'is not a calendar date or an RFC 3339 time' }] },
    )
  }
}
