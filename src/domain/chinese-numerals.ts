// Small Chinese numerals as the report writes counts (四个合作社, 十一个片区).
// Only what a township report uses: 零 to 九千九百九十九, with 两 for 二.

const DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 }
const MULTIPLIERS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 }

/** The integer a Chinese numeral writes, or null when the text is not one. */
export function parseChineseNumeral(text: string): number | null {
  if (text.length === 0) return null
  let total = 0
  let pending: number | null = null
  for (const ch of text) {
    // 零 only marks a skipped place (一百零五 = 105).
    if ((ch === '零' || ch === '〇') && text.length > 1) continue
    if (Object.hasOwn(DIGITS, ch)) {
      if (pending !== null) return null
      pending = DIGITS[ch] as number
    } else if (Object.hasOwn(MULTIPLIERS, ch)) {
      // 十一 means 11: a bare multiplier stands for one of it.
      total += (pending ?? 1) * (MULTIPLIERS[ch] as number)
      pending = null
    } else {
      return null
    }
  }
  return total + (pending ?? 0)
}
