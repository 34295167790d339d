// RFC 4180 CSV writing for exports, with spreadsheet formula neutralization
// (OWASP "CSV injection"). This is the rule's JavaScript form; each storage adapter
// builds the same cells in SQL, and tests hold the two equal byte for byte.

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

/** U+FEFF: spreadsheets on Windows read a CSV as UTF-8 only when it begins with it. */
export const UTF8_BOM = '\ufeff'

/** A CSV body's chunks, led by the byte-order mark when `bom` asks for one: every CSV export's `bom=true`. */
export async function* withBom(chunks: AsyncIterable<string>, bom: boolean | undefined): AsyncGenerator<string> {
  let first = bom === true
  for await (const chunk of chunks) {
    yield first ? UTF8_BOM + chunk : chunk
    first = false
  }
  if (first) yield UTF8_BOM
}
