// The CSV export's columns and its JavaScript line, derived from the field table
// (storage/fields.ts); the adapters build the same line in SQL.
import { csvCell } from '../../http/csv-export.js'
import { CSV_FIELDS, csvValueOf } from '../../storage/fields.js'
import type { ObservationRow } from '../../storage/ports.js'

export const CSV_COLUMNS = CSV_FIELDS.map((c) => c.name)

/** Which columns hold text (neutralized) and which numbers (never prefixed), for the docs and tests. */
export const CSV_TEXT_COLUMNS = CSV_FIELDS.filter((c) => c.kind === 'text').map((c) => c.name)
export const CSV_NUMBER_COLUMNS = CSV_FIELDS.filter((c) => c.kind === 'number').map((c) => c.name)

/** The header line. */
export const CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n'

/** One observation as a CSV line in JavaScript: the rule the adapters' SQL is held to, byte for byte. */
export function csvLine(row: ObservationRow): string {
  return CSV_FIELDS.map((c) => csvCell(c.kind, csvValueOf(c.field, row))).join(',') + '\r\n'
}
