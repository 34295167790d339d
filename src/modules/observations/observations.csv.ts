// The CSV export's columns and its JavaScript line, derived from the field table
// (storage/fields.ts); the adapters build the same line in SQL.
import { CSV_FIELDS } from '../../storage/fields.js'

export { csvLine } from '../../storage/fields.js'

export const CSV_COLUMNS = CSV_FIELDS.map((c) => c.name)

/** Which columns hold text (neutralized) and which numbers (never prefixed), for the docs and tests. */
export const CSV_TEXT_COLUMNS = CSV_FIELDS.filter((c) => c.kind === 'text').map((c) => c.name)
export const CSV_NUMBER_COLUMNS = CSV_FIELDS.filter((c) => c.kind === 'number').map((c) => c.name)

/**
 * The columns a converted export (`unit=`) adds after the export columns and before any label columns (labels stay
 * last): whether each converted value is exact (`true`) or rounded half to even at 12 places (`false`).
 */
export const CONVERSION_COLUMNS = ['value_exact'] as const

/** A converted line's conversion cells (`,`-led, without the line end). */
export const conversionCells = (conversion: { exact: boolean }): string => `,${conversion.exact}`

/** The header of an export: the export columns, then the conversion columns when converted, then the label columns when labelled. */
export const csvHeader = (extra: { converted: boolean; labels: readonly string[] }): string =>
  [...CSV_COLUMNS, ...(extra.converted ? CONVERSION_COLUMNS : []), ...extra.labels].join(',') + '\r\n'

/** The header line of the plain export. */
export const CSV_HEADER = csvHeader({ converted: false, labels: [] })
