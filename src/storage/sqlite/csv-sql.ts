// The CSV cell rule of http/csv-export.ts as SQLite expressions, and the observation's
// CSV line built from the field table: exports hand the client one string per row.
import { NEUTRALIZED_LEADS, type CsvCellKind } from '../../http/csv-export.js'
import { CSV_FIELDS } from '../fields.js'

// A first character is tested by comparing the cell with one-character
// strings (UTF-8 sorts as code points): far cheaper than a GLOB class.
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`
const sqlChar = (c: number) => sqlString(String.fromCodePoint(c))

/** The code-point ranges between the NEUTRALIZED_LEADS: a text cell starting in one is written as it is. */
function safeLeadRanges(): Array<[number, number | null]> {
  const gaps: Array<[number, number | null]> = []
  let next = 0
  for (const [from, to] of NEUTRALIZED_LEADS) {
    if (from > next) gaps.push([next, from - 1])
    next = to + 1
  }
  gaps.push([next, null])
  // Most cells start with an ASCII letter or digit or a CJK character: test those gaps first.
  const weight = ([from]: [number, number | null]) => (from === 0x41 ? 0 : from === 0x3001 ? 1 : from === 0x2e ? 2 : 3)
  return gaps.sort((a, b) => weight(a) - weight(b))
}
const safeLeadSql = (x: string) =>
  '(' +
  safeLeadRanges()
    .map(([from, to]) => (to === null ? `${x} >= ${sqlChar(from)}` : `(${x} >= ${sqlChar(from)} AND ${x} < ${sqlChar(to + 1)})`))
    .join(' OR ') +
  ` OR ${x} = '')`
/**
 * SQL that is true when the text x holds a QUOTED_CHARS character. json_quote escapes exactly
 * ", \ and C0 (NUL included) in one pass; instr finds the rest (C1 by its UTF-8 lead byte C2
 * first). Both read every byte, where GLOB stops at a NUL and costs far more per character.
 */
export const holdsQuotedSql = (x: string) =>
  `(octet_length(json_quote(${x})) <> octet_length(${x}) + 2 OR instr(${x}, ',') > 0 OR instr(${x}, char(127)) > 0 OR ` +
  `instr(${x}, char(8232)) > 0 OR instr(${x}, char(8233)) > 0 OR (instr(${x}, CAST(x'C2' AS TEXT)) > 0 AND ${x} GLOB ${sqlString('*[\u0080-\u009f]*')}))`

/**
 * csvCell as an SQLite expression over the SQL expression x (which it evaluates several times: pass
 * a column). With `clean`, the caller has already checked that x holds no QUOTED_CHARS character.
 */
export function csvCellSql(kind: CsvCellKind, x: string, clean = false): string {
  const quoted = `'"' || replace(${x}, '"', '""') || '"'`
  if (kind === 'number') {
    // Stored integers and reals hold nothing to quote (json_quote would write them unquoted).
    if (clean) return `CASE WHEN ${x} IS NULL THEN '' ELSE ${x} END`
    return `CASE WHEN ${x} IS NULL THEN '' WHEN typeof(${x}) IN ('integer', 'real') THEN ${x} WHEN ${holdsQuotedSql(x)} THEN ${quoted} ELSE ${x} END`
  }
  const asIs = clean ? x : `CASE WHEN ${holdsQuotedSql(x)} THEN ${quoted} ELSE ${x} END`
  return `CASE WHEN ${x} IS NULL THEN '' WHEN ${safeLeadSql(x)} THEN ${asIs} ELSE '"''' || replace(${x}, '"', '""') || '"' END`
}

const cells = (clean: boolean) =>
  CSV_FIELDS.map(({ kind, field }) =>
    field.type === 'jsonArray'
      ? // The codes joined by ';', built once in a subquery that the rule then reads as a column.
        `CASE WHEN ${field.column} = '[]' THEN '' ELSE (SELECT ${csvCellSql(kind, 'v')} FROM (SELECT group_concat(value, ';' ORDER BY key) AS v FROM json_each(${field.column}))) END`
      : csvCellSql(kind, field.column, clean),
  ).join(` || ',' || `)
const PLAIN = CSV_FIELDS.flatMap(({ field }) => (field.type === 'jsonArray' ? [] : [field.column]))

/**
 * One observation as a CSV line, CRLF-terminated, built by SQLite: the export then hands the
 * client one string per batch instead of a JavaScript value per cell, most of its time and heap.
 * Most rows hold nothing to quote: their plain columns, joined, are checked once (a handful of
 * calls instead of several per cell), and only a row that fails it takes the per-cell rule.
 */
export const CSV_LINE_SQL = `(SELECT CASE WHEN ${holdsQuotedSql('s')} THEN ${cells(false)} ELSE ${cells(true)} END FROM (SELECT concat(${PLAIN.join(', ')}) AS s)) || char(13, 10)`
