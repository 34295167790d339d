// The names of the service's own codes in Chinese and English (kinds of value, qualifiers,
// reporting periods and their frequencies): one table that the web view, SDMX code lists and JSON-stat labels share.
import { parsePeriod, type PeriodType } from './periods.js'
import type { Kind, Qualifier } from './observation.js'

export type Language = 'zh' | 'en'
export interface Names {
  zh: string
  en: string
}

export const KIND_NAMES: Readonly<Record<Kind, Names>> = {
  actual: { zh: '实际', en: 'actual' },
  target: { zh: '目标', en: 'target' },
  forecast: { zh: '预计', en: 'forecast' },
}

export const QUALIFIER_NAMES: Readonly<Record<Qualifier, Names>> = {
  eq: { zh: '确数', en: 'exact' },
  gt: { zh: '多于（余、超过）', en: 'more than' },
  gte: { zh: '不少于（以上）', en: 'at least' },
  lt: { zh: '少于（不足）', en: 'less than' },
  lte: { zh: '不多于（以内）', en: 'at most' },
  approx: { zh: '约数', en: 'about' },
}

/** Each kind of reporting period as a frequency, in SDMX's cross-domain CL_FREQ wording. */
export const FREQUENCY_NAMES: Readonly<Record<PeriodType, Names>> = {
  year: { zh: '年度', en: 'annual' },
  half: { zh: '半年度', en: 'half-yearly, semester' },
  quarter: { zh: '季度', en: 'quarterly' },
  month: { zh: '月度', en: 'monthly' },
}

const MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
const QUARTERS_ZH = ['一', '二', '三', '四']

/** A reporting period's name: `2023年上半年` / `2023 H1`, `2023年第三季度` / `2023 Q3`, `2023年7月` / `July 2023`; an unknown code as it is. */
export function periodName(lang: Language, code: string): string {
  const p = parsePeriod(code)
  if (!p) return code
  const year = p.startDate.slice(0, 4)
  const month = Number(p.startDate.slice(5, 7))
  switch (p.type) {
    case 'year': return lang === 'zh' ? `${year}年` : year
    case 'half': return lang === 'zh' ? `${year}年${month === 1 ? '上' : '下'}半年` : `${year} H${month === 1 ? 1 : 2}`
    case 'quarter': return lang === 'zh' ? `${year}年第${QUARTERS_ZH[(month - 1) / 3]}季度` : `${year} Q${(month - 1) / 3 + 1}`
    case 'month': return lang === 'zh' ? `${year}年${month}月` : `${MONTHS_EN[month - 1]} ${year}`
  }
}

/** The English name with its first letter capitalized, for a code list or a table heading. */
export const capitalized = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1)
