// The numbers a quote states, as whole tokens in the form they are written, and
// the unit written with each. A citation holds a figure only if one of these
// tokens equals it exactly and carries its unit (see docs/citation-rules.md).
import { CHINESE_NUMERAL_CHARS, chineseNumeralValue } from './chinese-numerals.js'

export interface NumberToken {
  /** The token exactly as the quote writes it. */
  written: string
  /** Its value as canonical decimal text; null when the token is not a well-formed number (a date, a code, 1e3, 1,23). */
  value: string | null
  script: 'arabic' | 'chinese'
  /** UTF-16 offsets in the quote. */
  start: number
  end: number
  /** Why a token that looks numeric states no quantity, if it does not. */
  notAQuantity?: 'ordinal' | 'indefinite' | 'word' | 'fraction' | 'mixed'
}

const FULL_WIDTH_ZERO = 0xff10
const isAsciiDigit = (c: number) => c >= 48 && c <= 57
const isDigit = (c: number) => isAsciiDigit(c) || (c >= FULL_WIDTH_ZERO && c <= FULL_WIDTH_ZERO + 9)
const isLatinLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)

// Characters that glue to digits into one written token: separators, signs, and what makes a code or date of it.
const GLUE = new Set(['.', ',', '+', '-', '/', ':', '_', '．', '，', '−', '－', '＋'])
const isArabicPart = (c: number) => isDigit(c) || isLatinLetter(c) || GLUE.has(String.fromCharCode(c))
// Punctuation that may end (or, for commas, begin) a token without being part of it: "达到5。" "共5,".
const TRAILING = new Set(['.', ',', '．', '，', ':', '/', '_'])
const LEADING = new Set([',', '，', ':', '/', '_'])

const NORMALIZE: Record<string, string> = { '．': '.', '−': '-', '－': '-', '＋': '+' }
// Sign, then either plain digits or groups of three after a first group of 1-3, then a fraction; no leading zeros.
const ARABIC_NUMBER = /^([+-]?)(0|[1-9]\d*|[1-9]\d{0,2}(?:,\d{3})+)(?:\.(\d+))?$/

/** Canonical decimal text of an Arabic token, or null if it is not a well-formed number. */
export function arabicValue(written: string): string | null {
  let plain = ''
  for (const ch of written) {
    const c = ch.charCodeAt(0)
    plain += c >= FULL_WIDTH_ZERO && c <= FULL_WIDTH_ZERO + 9 ? String.fromCharCode(c - FULL_WIDTH_ZERO + 48) : (NORMALIZE[ch] ?? ch)
  }
  const m = ARABIC_NUMBER.exec(plain)
  if (!m) return null
  const intPart = (m[2] as string).replace(/,/g, '')
  const fracPart = (m[3] ?? '').replace(/0+$/, '')
  const magnitude = fracPart === '' ? intPart : `${intPart}.${fracPart}`
  return m[1] === '-' && magnitude !== '0' ? `-${magnitude}` : magnitude
}

/**
 * Words in which a numeral character is part of a word, not a count (进一步 "further", 一般 "usually",
 * 统一 "unified", 二十大 "the 20th Congress"). A Chinese numeral run that overlaps one states nothing.
 */
export const NON_NUMERIC_WORDS = [
  '进一步', '一些', '一般', '一起', '一直', '一定', '一切', '一律', '一旦', '一致', '一样', '一体', '一同', '一道', '一再', '一向', '一贯',
  '一度', '一边', '一面', '一时', '一下', '一番', '一次性', '一站式', '一把手', '一线', '一流', '一带一路', '统一', '唯一', '同一', '逐一',
  '之一', '万一', '单一', '专一', '不一', '一一', '两委', '三农', '三资', '二十大', '十四五', '百姓', '千方百计', '千家万户',
] as const

const isChineseNumeralChar = (ch: string) => ch.length === 1 && CHINESE_NUMERAL_CHARS.includes(ch)

function chineseToken(quote: string, start: number, end: number, words: Array<[number, number]>): NumberToken {
  const written = quote.slice(start, end)
  const token: NumberToken = { written, value: chineseNumeralValue(written), script: 'chinese', start, end }
  const before = quote[start - 1]
  const after = quote[end]
  if (before === '第') token.notAQuantity = 'ordinal'
  // 几十, 数百, 十几: "some tens", "several hundred", "ten-odd" are no figure.
  else if (before === '几' || after === '几' || (before === '数' && /^[十百千万亿]/.test(written))) token.notAQuantity = 'indefinite'
  // A word reaching outside the run (进一步) uses the numeral; one inside it (万一 in 十万一千) is the numeral's own text.
  else if (words.some(([ws, we]) => ws < end && we > start && (ws < start || we > end))) token.notAQuantity = 'word'
  // 三点五, 三分之一: the digits after 点 or 分之 are part of a fraction.
  else if ((before === '点' && isChineseNumeralChar(quote[start - 2] ?? '')) || quote.endsWith('分之', start)) token.notAQuantity = 'fraction'
  return token
}

function arabicToken(quote: string, start: number, end: number, units: readonly string[]): NumberToken | null {
  while (start < end && LEADING.has(quote[start] as string)) start++
  while (end > start && TRAILING.has(quote[end - 1] as string)) end--
  if (start === end) return null
  // A Latin unit of the catalogue written right after the digits (8.5km, 100ha) is the unit, not part of the number.
  let letter = start
  while (letter < end && !isLatinLetter(quote.charCodeAt(letter))) letter++
  const unitHere = (u: string) => isLatinLetter(u.charCodeAt(0)) && quote.startsWith(u, letter) && letter + u.length >= end
  if (letter > start && letter < end && arabicValue(quote.slice(start, letter)) !== null && units.some(unitHere)) end = letter
  const written = quote.slice(start, end)
  const token: NumberToken = { written, value: arabicValue(written), script: 'arabic', start, end }
  if (quote[start - 1] === '第') token.notAQuantity = 'ordinal'
  return token
}

/**
 * Every numeric token of the quote, left to right: maximal runs of Arabic digits with their glue, and maximal Chinese numeral runs.
 * `units` (catalogue unit codes) lets a run that is a number followed by a Latin unit code (8.5km) end before the unit.
 */
export function numberTokens(quote: string, units: readonly string[] = []): NumberToken[] {
  const words: Array<[number, number]> = []
  for (const word of NON_NUMERIC_WORDS) {
    for (let at = quote.indexOf(word); at !== -1; at = quote.indexOf(word, at + 1)) words.push([at, at + word.length])
  }
  const tokens: NumberToken[] = []
  let i = 0
  while (i < quote.length) {
    const c = quote.charCodeAt(i)
    if (isArabicPart(c)) {
      let j = i
      let digits = false
      while (j < quote.length && isArabicPart(quote.charCodeAt(j))) digits = isDigit(quote.charCodeAt(j++)) || digits
      let k = j
      while (k > i && TRAILING.has(quote[k - 1] as string)) k--
      // A Latin unit with a digit (km2, m3) written after a Chinese numeral (三km2) is the unit, no number.
      const isUnit = isLatinLetter(c) && units.some((u) => quote.startsWith(u, i) && i + u.length >= k)
      const token = digits && !isUnit ? arabicToken(quote, i, j, units) : null
      if (token) tokens.push(token)
      i = j
    } else if (isChineseNumeralChar(quote[i] as string)) {
      let j = i
      while (j < quote.length && isChineseNumeralChar(quote[j] as string)) j++
      tokens.push(chineseToken(quote, i, j, words))
      i = j
    } else i++
  }
  // Digits written against numeral characters (一5, 5十, 3二) make one mixed token that is no number;
  // only 千, 万 and 亿 may follow Arabic digits, as the start of a unit (5万元, 3.2千米, 800千瓦时).
  for (let k = 1; k < tokens.length; k++) {
    const a = tokens[k - 1] as NumberToken
    const b = tokens[k] as NumberToken
    if (a.end !== b.start || a.script === b.script) continue
    if (a.script === 'arabic' && /^[千万亿]/.test(b.written)) continue
    a.notAQuantity ??= 'mixed'
    b.notAQuantity ??= 'mixed'
  }
  return tokens
}

/**
 * Words a quote may write after a number that are not the catalogue units they begin with: 人次 is not 人,
 * 个百分点 is no 个, and 方面/台账/期间 are words, not 方/台/期 (units that are also ordinary characters).
 */
export const NOT_THE_UNIT_WORDS = [
  '人次', '户次', '万人次', '个百分点', '方面', '方案', '方式', '方向', '方法', '方位', '台账', '台阶', '期间', '期末', '期内', '条件', '条例',
  '只有', '只是', '只要', '度过', '家庭', '家中', '家门口', '处理', '处置', '所有', '所在', '件事', '起步', '宗旨', '场所', '场地',
  '次要', '项目', '口径', '间隔', '年度', '年龄',
] as const
// Between a number and its unit the report writes nothing, 余 or 多 ("more than": 1210余人), or a space.
const APPROXIMATE = new Set(['余', '多'])
const SPACE = new Set([' ', '\u3000'])

/** The candidates for the unit word after a number: the catalogue's, the guards, longest first. */
function unitWords(catalogue: readonly string[]): string[] {
  return [...new Set([...catalogue, ...NOT_THE_UNIT_WORDS])].sort((a, b) => b.length - a.length)
}

/**
 * The unit word written right after quote[end], longest first (6个月 is 个月, 484.752万元 is 万元); null if none.
 * `catalogue` is every unit code of the unit catalogue.
 */
export function unitAfter(quote: string, end: number, catalogue: readonly string[]): string | null {
  let at = end
  let multiplier = ''
  // 4.5万余亩, 3万多元: "more than" may stand between the multiplier and the rest of the unit.
  if (MULTIPLIERS.has(quote[at] as string) && APPROXIMATE.has(quote[at + 1] as string)) {
    multiplier = quote[at] as string
    at += 2
  } else if (APPROXIMATE.has(quote[at] as string)) at++
  if (SPACE.has(quote[at] as string)) at++
  const rest = multiplier + quote.slice(at)
  return unitWords(catalogue).find((word) => rest.startsWith(word)) ?? null
}
const MULTIPLIERS = new Set(['千', '万', '亿'])

// Why a token equal to the value states nothing, as the refusal says it.
const NO_QUANTITY: Record<NonNullable<NumberToken['notAQuantity']>, string> = {
  ordinal: 'as an ordinal (after 第)',
  indefinite: 'in an indefinite count (几, 数)',
  word: 'inside a word (进一步, 统一…)',
  fraction: 'inside a fraction (点, 分之)',
  mixed: 'against numeral characters of the other script (一5, 二8.5)',
}

export type StatedNumber = { ok: true; token: NumberToken } | { ok: false; problem: string }

/**
 * Whether the quote states `value` (canonical decimal text) in `unit`: a whole token that is a quantity,
 * equal to the value (and written exactly as `text` when a Chinese spelling is given), followed by the unit:
 * the longest catalogue unit (or guard word) written after the number must be `unit` itself.
 */
export function findStatedNumber(quote: string, value: string, unit: string, text?: string, catalogue: readonly string[] = [unit]): StatedNumber {
  const words = catalogue.includes(unit) ? catalogue : [...catalogue, unit]
  const tokens = numberTokens(quote, words).filter((t) => t.value === value && (text === undefined || t.written === text))
  const equal = tokens.filter((t) => t.notAQuantity === undefined)
  const shown = text ?? value
  const unstated = tokens.find((t) => t.notAQuantity !== undefined)
  if (equal.length === 0 && unstated?.notAQuantity) return { ok: false, problem: `quote writes "${unstated.written}" ${NO_QUANTITY[unstated.notAQuantity]}, which states no quantity` }
  if (equal.length === 0) return { ok: false, problem: `quote does not state the number "${shown}" as a whole number` }
  const withUnit = equal.find((t) => unitAfter(quote, t.end, words) === unit)
  if (withUnit) return { ok: true, token: withUnit }
  const written = equal.map((t) => `"${t.written}${unitAfter(quote, t.end, words) ?? ''}"`).join(', ')
  return { ok: false, problem: `quote writes ${written}: the number "${shown}" is not followed by the reported unit "${unit}"` }
}
