// The CSV export's columns and its JavaScript line, derived from the field table
// (storage/fields.ts); the adapters build the same line in SQL.
import { CSV_FIELDS } from '../../storage/fields.js'

export { csvLine } from '../../storage/fields.js'

export const CSV_COLUMNS = CSV_FIELDS.map((c) => c.name)

/** Which columns hold text (neutralized) and which numbers (never prefixed), for the docs and tests. */
export const CSV_TEXT_COLUMNS = CSV_FIELDS.filter((c) => c.kind === 'text').map((c) => c.name)
export const CSV_NUMBER_COLUMNS = CSV_FIELDS.filter((c) => c.kind === 'number').map((c) => c.name)

/** The header line. */
export const CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n'
