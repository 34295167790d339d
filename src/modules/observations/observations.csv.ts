// The CSV export's columns, declared once: name, whether cells are numbers or text,
// the SQL that reads it (o: observation, r: revision, i: indicator) and the row field.
// The SQL line and the JavaScript line below are both made from this table.
import { csvCell, csvCellSql, holdsQuotedSql, type CsvCellKind } from '../../http/csv-export.js'
import type { ObservationRow } from './observations.repository.js'

interface CsvColumn {
  name: string
  kind: CsvCellKind
  /** The cell in SQL, given the rule to apply to a column expression. */
  sql(cell: (x: string) => string): string
  /** The plain column, when the cell is that column under the rule: checked once per row for characters to quote. */
  plain?: string
  value(row: ObservationRow): string | number | null
}

const column = (name: string, kind: CsvCellKind, sqlColumn: string, value: CsvColumn['value']): CsvColumn => ({
  name,
  kind,
  sql: (cell) => cell(sqlColumn),
  plain: sqlColumn,
  value,
})

export const CSV_COLUMN_TABLE: readonly CsvColumn[] = [
  column('id', 'number', 'o.id', (r) => r.id),
  column('indicator', 'text', 'o.indicator_code', (r) => r.indicator),
  column('area', 'text', 'o.area_code', (r) => r.area),
  column('period', 'text', 'o.period_code', (r) => r.period),
  column('kind', 'text', 'o.kind', (r) => r.kind),
  column('value', 'number', 'r.value', (r) => r.value),
  column('unit', 'text', 'i.unit', (r) => r.unit),
  column('qualifier', 'text', 'r.qualifier', (r) => r.qualifier),
  column('reported_value', 'number', 'r.reported_value', (r) => r.reportedValue),
  column('reported_unit', 'text', 'r.reported_unit', (r) => r.reportedUnit),
  column('reported_text', 'text', 'r.reported_text', (r) => r.reportedText),
  column('source_id', 'text', 'r.source_id', (r) => r.sourceId),
  column('quote', 'text', 'r.quote', (r) => r.quote),
  column('byte_start', 'number', 'r.byte_start', (r) => r.byteStart),
  column('byte_end', 'number', 'r.byte_end', (r) => r.byteEnd),
  {
    name: 'involved_areas',
    kind: 'text',
    // The codes joined by ';', built once in a subquery that the rule then reads as a column.
    sql: (cell) =>
      `CASE WHEN r.involved_areas = '[]' THEN '' ELSE (SELECT ${cell('v')} FROM (SELECT group_concat(value, ';' ORDER BY key) AS v FROM json_each(r.involved_areas))) END`,
    value: (r) => (JSON.parse(r.involvedAreas) as string[]).join(';'),
  },
  column('status', 'text', 'r.status', (r) => r.status),
  column('revision', 'number', 'r.revision', (r) => r.revision),
  column('recorded_at', 'text', 'r.recorded_at', (r) => r.recordedAt),
]

export const CSV_COLUMNS = CSV_COLUMN_TABLE.map((c) => c.name)

/** Which columns hold text (neutralized) and which numbers (never prefixed), for the docs and tests. */
export const CSV_TEXT_COLUMNS = CSV_COLUMN_TABLE.filter((c) => c.kind === 'text').map((c) => c.name)
export const CSV_NUMBER_COLUMNS = CSV_COLUMN_TABLE.filter((c) => c.kind === 'number').map((c) => c.name)

/** The header line. */
export const CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n'

const cells = (clean: boolean) =>
  CSV_COLUMN_TABLE.map((c) => c.sql((x) => csvCellSql(c.kind, x, clean && c.plain !== undefined))).join(` || ',' || `)
const PLAIN = CSV_COLUMN_TABLE.flatMap((c) => (c.plain === undefined ? [] : [c.plain]))

/**
 * One observation as a CSV line, CRLF-terminated, built by SQLite: the export then hands the
 * client one string per batch instead of a JavaScript value per cell, most of its time and heap.
 * Most rows hold nothing to quote: their plain columns, joined, are checked once (a handful of
 * calls instead of several per cell), and only a row that fails it takes the per-cell rule.
 */
export const CSV_LINE_SQL = `(SELECT CASE WHEN ${holdsQuotedSql('s')} THEN ${cells(false)} ELSE ${cells(true)} END FROM (SELECT concat(${PLAIN.join(', ')}) AS s)) || char(13, 10)`

/** The same line in JavaScript: the rule the SQL is held to, byte for byte. */
export function csvLine(row: ObservationRow): string {
  return CSV_COLUMN_TABLE.map((c) => csvCell(c.kind, c.value(row))).join(',') + '\r\n'
}
