// Chinese numerals as a report writes counts (四个合作社, 十一个片区, 一百零五, 两万三千).
// Strict: a text is a numeral only when it is the standard spelling of its value
// (〇 for 零 and 两 for a leading 二 before 百/千/万/亿 also accepted), so 十十,
// 四五, 一百零零五 and a bare 千 are not numerals.

const DIGITS: Record<string, bigint> = { 零: 0n, 〇: 0n, 一: 1n, 二: 2n, 两: 2n, 三: 3n, 四: 4n, 五: 5n, 六: 6n, 七: 7n, 八: 8n, 九: 9n }
const PLACES: Record<string, bigint> = { 十: 10n, 百: 100n, 千: 1000n }
const DIGIT_CHARS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'] as const

/** Every character a Chinese numeral is written with. */
export const CHINESE_NUMERAL_CHARS = '零〇一二两三四五六七八九十百千万亿'

/** The value a run of numeral characters would have if it were well formed; null if it cannot be read at all. */
function looseValue(text: string): bigint | null {
  let total = 0n
  let section = 0n
  let pending: bigint | null = null
  for (const ch of text) {
    if (ch === '零' || ch === '〇') continue
    if (Object.hasOwn(DIGITS, ch)) {
      if (pending !== null) return null
      pending = DIGITS[ch] as bigint
    } else if (Object.hasOwn(PLACES, ch)) {
      section += (pending ?? 1n) * (PLACES[ch] as bigint)
      pending = null
    } else if (ch === '万') {
      total += (section + (pending ?? 0n)) * 10_000n
      section = 0n
      pending = null
    } else if (ch === '亿') {
      total = (total + section + (pending ?? 0n)) * 100_000_000n
      section = 0n
      pending = null
    } else return null
  }
  return total + section + (pending ?? 0n)
}

/** Below 10 000: 千百十个 places, one 零 for each run of skipped places before a written digit. */
function writeSection(n: bigint): string {
  let out = ''
  let skipped = false
  for (const [place, name] of [
    [1000n, '千'],
    [100n, '百'],
    [10n, '十'],
    [1n, ''],
  ] as const) {
    const d = Number((n / place) % 10n)
    if (d === 0) skipped = out !== ''
    else {
      out += (skipped ? '零' : '') + DIGIT_CHARS[d] + name
      skipped = false
    }
  }
  return out
}

/** The standard spelling of a non-negative integer (一万零五, 十一, 一亿二千万). */
export function writeChineseNumeral(n: bigint): string {
  if (n === 0n) return '零'
  const yi = n / 100_000_000n
  const wan = (n / 10_000n) % 10_000n
  const rest = n % 10_000n
  let out = yi > 0n ? `${writeChineseNumeral(yi)}亿` : ''
  if (wan > 0n) out += (out !== '' && wan < 1000n ? '零' : '') + writeSection(wan) + '万'
  if (rest > 0n) out += (out !== '' && (rest < 1000n || wan === 0n) ? '零' : '') + writeSection(rest)
  // 10 to 19 lead with a bare 十 (十一, 十万), never 一十.
  return out.startsWith('一十') ? out.slice(1) : out
}

/** The integer a Chinese numeral writes (as decimal text), or null when the text is not a well-formed numeral. */
export function chineseNumeralValue(text: string): string | null {
  if (text.length === 0) return null
  const n = looseValue(text)
  if (n === null) return null
  // 两 stands for 二 only alone or before 百, 千, 万, 亿 (两百, 两万; never 两十 or 十两).
  const spelled = text.replace(/〇/g, '零').replace(/两(?=[百千万亿])|^两$/g, '二')
  return !spelled.includes('两') && spelled === writeChineseNumeral(n) ? n.toString() : null
}

/** As chineseNumeralValue, as a number (the reported counts are far below 2^53). */
export function parseChineseNumeral(text: string): number | null {
  const value = chineseNumeralValue(text)
  return value === null ? null : Number(value)
}
