// Figures in words for people: exact decimals grouped for reading, periods and qualifiers in words.
// Every function works on the decimal text; nothing here parses a value to a float.
import type { Kind, Qualifier, Temporality } from '../../../domain/observation.js'
import { parsePeriod } from '../../../domain/periods.js'
import { KIND_NAMES, periodName, QUALIFIER_NAMES } from '../../../domain/vocabulary.js'
import type { Lang } from '../i18n.js'

/** The narrow no-break space (SI's thin space that never breaks a number across lines). */
export const THIN = '\u202f'

/** `1234567.891` → `1 234 567.891` (thin spaces in the integer part; every fractional digit kept as stored). */
export function formatDecimal(value: string): string {
  const negative = value.startsWith('-')
  const [int = '', frac] = (negative ? value.slice(1) : value).split('.')
  // Four-digit integers stay whole (SI allows it, and years read better so).
  const grouped = int.length <= 4 ? int : int.replace(/\B(?=(\d{3})+$)/g, THIN)
  return `${negative ? '−' : ''}${grouped}${frac === undefined ? '' : `.${frac}`}`
}

/** A figure with its qualifier in words: `more than 10 000 mu` / `10 000余亩`. */
export function qualified(lang: Lang, qualifier: Qualifier, value: string, unit: string): string {
  const n = formatDecimal(value)
  if (lang === 'zh') {
    switch (qualifier) {
      case 'gt': return `${n}余${unit}`
      case 'gte': return `${n}${unit}以上`
      case 'lt': return `不足${n}${unit}`
      case 'lte': return `不超过${n}${unit}`
      case 'approx': return `约${n}${unit}`
      default: return `${n}${unit}`
    }
  }
  const plain = `${n} ${unit}`
  switch (qualifier) {
    case 'gt': return `more than ${plain}`
    case 'gte': return `at least ${plain}`
    case 'lt': return `less than ${plain}`
    case 'lte': return `at most ${plain}`
    case 'approx': return `about ${plain}`
    default: return plain
  }
}

export function qualifierWord(lang: Lang, qualifier: Qualifier): string {
  return QUALIFIER_NAMES[qualifier][lang]
}

export function kindWord(lang: Lang, kind: Kind): string {
  return KIND_NAMES[kind][lang]
}

/** A reporting period in words: `2023 H1` / `2023年上半年`; an unknown code as it is. */
export const periodWords = periodName

/** Flow over the period, or stock at its date, in words. */
export function temporalityWords(lang: Lang, temporality: Temporality, referenceDate: string | null): string {
  if (temporality === 'stock') return lang === 'zh' ? `存量（截至${referenceDate ?? '—'}）` : `stock at ${referenceDate ?? '—'}`
  return lang === 'zh' ? '流量（期内累计）' : 'flow over the period'
}

