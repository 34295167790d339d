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
