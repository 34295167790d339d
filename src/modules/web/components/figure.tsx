// One figure in words for people: value, unit, qualifier and period, from an observation row.
import { normalizeDecimal } from '../../../domain/decimal.js'
import type { ObservationRow, UnitRecord } from '../../../storage/ports.js'
import { named, type Lang } from '../i18n.js'
import { periodWords, qualified } from './numbers.js'

/** Unit names by code, in the page's language (the code itself when the catalogue lacks it). */
export function unitNamer(units: UnitRecord[], lang: Lang): (code: string) => string {
  const byCode = new Map(units.map((u) => [u.code, u]))
  return (code) => {
    const u = byCode.get(code)
    // The base CNY's Chinese name carries a gloss; the plain 元 reads better inside a figure.
    if (code === 'CNY' && lang === 'zh') return '元'
    return u ? named(lang, u.nameZh, u.nameEn) : code
  }
}

/** `more than 13 500 mu, 2023 H1` / `13 500余亩，2023年上半年`, in the base unit; the reported figure beside it when its number differs (484.752万元). */
export function FigureInWords({ lang, row, unitName }: { lang: Lang; row: ObservationRow; unitName: (code: string) => string }) {
  return (
    <span class="figure">
      <span class="value">{qualified(lang, row.qualifier, row.value, unitName(row.unit))}</span>
      {normalizeDecimal(row.reportedValue) === row.value ? null : (
        <span class="reported" lang="zh-Hans">
          {` (${row.reportedText ?? row.reportedValue}${row.reportedUnit})`}
        </span>
      )}
      <span class="muted">
        {lang === 'zh' ? '，' : ', '}
        {periodWords(lang, row.period)}
      </span>
    </span>
  )
}
