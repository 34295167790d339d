// The CSV export's label columns (`labels=zh|en`): names for the code columns, read from
// catalogue maps built once per export, so each row costs lookups and no query.
import { csvCell } from '../../http/csv-export.js'
import { parsePeriod } from '../../domain/periods.js'
import type { AreaRecord, IndicatorRecord, SourceMetadata, UnitRecord } from '../../storage/ports.js'

export type LabelLanguage = 'zh' | 'en'

/** After every export column, so that a script reading the code columns by position reads the same file with or without labels. */
export const LABEL_COLUMNS = ['indicator_name', 'area_name', 'unit_name', 'period_start', 'period_end', 'source_title'] as const

/** What the label cells are read from: the catalogue's records by code. */
export interface LabelCatalog {
  indicators: ReadonlyArray<Pick<IndicatorRecord, 'code' | 'nameZh' | 'nameEn'>>
  areas: ReadonlyArray<Pick<AreaRecord, 'code' | 'nameZh' | 'nameEn'>>
  units: ReadonlyArray<Pick<UnitRecord, 'code' | 'nameZh' | 'nameEn'>>
  sources: ReadonlyArray<Pick<SourceMetadata, 'id' | 'title' | 'titleEn'>>
}

/** The codes a line's labels name. */
export interface Labelled {
  indicator: string
  area: string
  unit: string
  period: string
  sourceId: string
}

/** The name in `language`, else the other one (an empty name counts as missing), else null. */
const named = (language: LabelLanguage, zh: string | null | undefined, en: string | null | undefined): string | null =>
  (language === 'zh' ? zh || en : en || zh) || null

/** One line's label cells (`,`-led, without the line end) for rows in `language`. */
export function labelCellsFor(catalog: LabelCatalog, language: LabelLanguage): (row: Labelled) => string {
  const names = <T extends { nameZh: string; nameEn: string }>(records: ReadonlyArray<T & { code: string }>) =>
    new Map(records.map((r) => [r.code, named(language, r.nameZh, r.nameEn)]))
  const indicators = names(catalog.indicators)
  const areas = names(catalog.areas)
  const units = names(catalog.units)
  const sources = new Map(catalog.sources.map((s) => [s.id, named(language, s.title, s.titleEn)]))
  const periods = new Map<string, string>()
  const periodCells = (code: string): string => {
    let cells = periods.get(code)
    if (cells === undefined) {
      const p = parsePeriod(code)
      cells = `${csvCell('text', p?.startDate ?? null)},${csvCell('text', p?.endDate ?? null)}`
      periods.set(code, cells)
    }
    return cells
  }
  return (row) =>
    ',' +
    [
      csvCell('text', indicators.get(row.indicator) ?? null),
      csvCell('text', areas.get(row.area) ?? null),
      csvCell('text', units.get(row.unit) ?? null),
      periodCells(row.period),
      csvCell('text', sources.get(row.sourceId) ?? null),
    ].join(',')
}
