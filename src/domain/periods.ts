// Reporting periods: one canonical code per period, several accepted spellings.
// Canonical: 2023, 2023-H1, 2023-Q3, 2023-07. Also accepted: SDMX (2023-A1,
// 2023-S1, 2023-Q3, 2023-M07) and DHIS2 (2023S1, 2023Q3, 202307).

export type PeriodType = 'year' | 'half' | 'quarter' | 'month'

export interface ReportingPeriod {
  code: string
  type: PeriodType
  /** First day, ISO 8601 date. */
  startDate: string
  /** Last day (inclusive), ISO 8601 date. */
  endDate: string
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

function build(type: PeriodType, year: number, index: number): ReportingPeriod {
  const months = { year: 12, half: 6, quarter: 3, month: 1 }[type]
  const firstMonth = (index - 1) * months + 1
  const lastMonth = firstMonth + months - 1
  const code =
    type === 'year' ? `${year}` : type === 'half' ? `${year}-H${index}` : type === 'quarter' ? `${year}-Q${index}` : `${year}-${pad(index)}`
  return {
    code,
    type,
    startDate: `${pad(year, 4)}-${pad(firstMonth)}-01`,
    endDate: `${pad(year, 4)}-${pad(lastMonth)}-${pad(lastDayOfMonth(year, lastMonth))}`,
  }
}

const PATTERNS: Array<[RegExp, PeriodType]> = [
  [/^(\d{4})(?:-A1)?$/, 'year'],
  [/^(\d{4})-?[HS]([12])$/, 'half'],
  [/^(\d{4})-?Q([1-4])$/, 'quarter'],
  [/^(\d{4})-M?(0[1-9]|1[0-2])$/, 'month'],
  [/^(\d{4})(0[1-9]|1[0-2])$/, 'month'],
]

/** Parses any accepted spelling; null when the text names no period. */
export function parsePeriod(text: string): ReportingPeriod | null {
  const upper = text.trim().toUpperCase()
  for (const [pattern, type] of PATTERNS) {
    const m = pattern.exec(upper)
    if (!m) continue
    const year = Number(m[1])
    if (year < 1900 || year > 2199) return null
    return build(type, year, type === 'year' ? 1 : Number(m[2]))
  }
  return null
}

/** Every period of a year at every granularity: year, halves, quarters, months. */
export function periodsOfYear(year: number): ReportingPeriod[] {
  return [
    build('year', year, 1),
    ...[1, 2].map((i) => build('half', year, i)),
    ...[1, 2, 3, 4].map((i) => build('quarter', year, i)),
    ...Array.from({ length: 12 }, (_, i) => build('month', year, i + 1)),
  ]
}

/** Orders periods by start date, then the longer first (the year before its halves). */
export function comparePeriods(a: string, b: string): number {
  const x = parsePeriod(a)
  const y = parsePeriod(b)
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0
  return x.startDate < y.startDate ? -1 : x.startDate > y.startDate ? 1 : x.endDate > y.endDate ? -1 : x.endDate < y.endDate ? 1 : 0
}

/** The later-ending period (then the shorter, the more recent news): what "latest" means on the home page and for lastNObservations. */
export function laterPeriod(a: string, b: string): boolean {
  const x = parsePeriod(a)
  const y = parsePeriod(b)
  if (!x || !y) return a > b
  return x.endDate > y.endDate || (x.endDate === y.endDate && x.startDate > y.startDate)
}
