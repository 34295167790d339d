// RFC 4180 CSV writing for exports, with spreadsheet formula neutralization
// (OWASP "CSV injection"). One rule, in two forms that tests hold equal byte for
// byte: JavaScript (csvCell) and an SQLite expression (csvCellSql), since the
// observation export builds its lines in SQL.

/** A column's cells are numbers (emitted as they are) or text (neutralized when they could start a formula). */
export type CsvCellKind = 'number' | 'text'

/**
 * The first characters that make a text cell neutralized, as inclusive code-point ranges:
 * - every character whose NFKC form starts with = + - @ or ' (the formula triggers, their
 *   full-width ＝＋－＠＇, small ﹦﹢﹣﹫, super/subscript ⁺⁼₊₌ and ⩵ ⩶ forms; ' so that the
 *   prefix can always be taken off again);
 * - every control character (Cc: NUL, tab, LF, CR, …, DEL, C1), space or separator (Z), and
 *   invisible format character (Cf: soft hyphen, zero-width and bidi marks, BOM, tags):
 *   some spreadsheets skip leading whitespace before reading a formula, so a cell that
 *   begins with one is neutralized whatever follows.
 * Tests check it against the Unicode data of the running Node.
 */
export const NEUTRALIZED_LEADS: ReadonlyArray<readonly [number, number]> = [
  [0x00, 0x20], // Cc C0 controls (NUL, tab, LF, CR, …) and space
  [0x27, 0x27], // '
  [0x2b, 0x2b], // +
  [0x2d, 0x2d], // -
  [0x3d, 0x3d], // =
  [0x40, 0x40], // @
  [0x7f, 0xa0], // DEL, C1 controls, no-break space
  [0xad, 0xad], // soft hyphen
  [0x600, 0x605],
  [0x61c, 0x61c],
  [0x6dd, 0x6dd],
  [0x70f, 0x70f],
  [0x890, 0x891],
  [0x8e2, 0x8e2],
  [0x1680, 0x1680],
  [0x180e, 0x180e],
  [0x2000, 0x200f], // spaces, zero-width and direction marks
  [0x2028, 0x202f], // line and paragraph separators, bidi embeddings, narrow no-break space
  [0x205f, 0x2064],
  [0x2066, 0x206f],
  [0x207a, 0x207a], // ⁺
  [0x207c, 0x207c], // ⁼
  [0x208a, 0x208a], // ₊
  [0x208c, 0x208c], // ₌
  [0x2a75, 0x2a76], // ⩵ ⩶
  [0x3000, 0x3000], // ideographic space
  [0xfb29, 0xfb29], // Hebrew alternative plus sign
  [0xfe62, 0xfe63], // ﹢ ﹣
  [0xfe66, 0xfe66], // ﹦
  [0xfe6b, 0xfe6b], // ﹫
  [0xfeff, 0xfeff], // BOM / zero-width no-break space
  [0xff07, 0xff07], // ＇
  [0xff0b, 0xff0b], // ＋
  [0xff0d, 0xff0d], // －
  [0xff1d, 0xff1d], // ＝
  [0xff20, 0xff20], // ＠
  [0xfff9, 0xfffb],
  [0x110bd, 0x110bd],
  [0x110cd, 0x110cd],
  [0x13430, 0x1343f],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
]

/**
 * Characters that make any field quoted (RFC 4180 TEXTDATA excludes them): comma, double quote,
 * every control character (C0 with NUL, CR and LF; DEL; C1), the Unicode line and paragraph
 * separators some readers break lines at, and backslash, which some CSV dialects read as an
 * escape. Other non-ASCII UTF-8 is written as it is.
 */
const QUOTED_CHARS = /[",\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/

export function isNeutralizedLead(codePoint: number): boolean {
  for (const [from, to] of NEUTRALIZED_LEADS) if (codePoint >= from && codePoint <= to) return true
  return false
}

const quote = (v: string) => `"${v.replace(/"/g, '""')}"`

/**
 * One CSV field. A text cell that begins with a NEUTRALIZED_LEADS character is written as `'`
 * plus the text, quoted; any field holding a QUOTED_CHARS character is quoted (quotes doubled);
 * everything else is written byte for byte. Null is the empty field. Numbers are never prefixed.
 */
export function csvCell(kind: CsvCellKind, v: string | number | null): string {
  if (v === null) return ''
  const s = String(v)
  if (kind === 'text' && s !== '' && isNeutralizedLead(s.codePointAt(0) as number)) return `"'${s.replace(/"/g, '""')}"`
  return QUOTED_CHARS.test(s) ? quote(s) : s
}

/** What a reader does to get a text cell's original value back: drop one leading `'`. */
export function unneutralize(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell
}

// The same rule in SQL. A first character is tested by comparing the cell with one-character
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
