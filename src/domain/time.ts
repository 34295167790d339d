// Instants on the wire are RFC 3339; in the store they are ISO 8601 UTC with
// milliseconds, so that comparing the text compares the times.
import { Errors } from '../errors.js'

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/

/** Parses an RFC 3339 instant into the store's form, or throws a 400 naming the parameter. */
export function parseInstant(text: string, parameter: string): string {
  const m = RFC3339.exec(text)
  const ms = m ? Date.parse(text.replace(/(\.\d{3})\d+/, '$1')) : Number.NaN
  const year = m ? Number(m[1]) : 0
  if (!m || Number.isNaN(ms) || year < 1900 || year > 9999 || Number(m[2]) > 12 || Number(m[3]) > 31 || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) {
    throw Errors.validation(`${parameter} must be an RFC 3339 time such as 2023-06-25T00:00:00Z, got "${text}".`, {
      errors: [{ in: 'query', name: parameter, message: 'is not an RFC 3339 time' }],
    })
  }
  // Sub-millisecond digits are dropped: the store records milliseconds.
  return new Date(ms).toISOString()
}

