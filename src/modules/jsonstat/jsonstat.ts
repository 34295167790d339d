// JSON-stat 2.0 (format=jsonstat): a filtered selection of observations as one dataset,
// indicator × area × period × kind, labels in one language, values as exact JSON number tokens.
import { normalizeDecimal } from '../../domain/decimal.js'
import { parsePeriod } from '../../domain/periods.js'
import { Errors } from '../../errors.js'
import { sourceTextUrl } from '../../storage/fields.js'
import type { CatalogReads } from '../../storage/ports.js'
import { KINDS, type Kind, type Qualifier } from '../../domain/observation.js'
import { capitalized, KIND_NAMES, periodName, QUALIFIER_NAMES } from '../../domain/vocabulary.js'
import type { ObservationQuery, ObservationService } from '../observations/observations.service.js'
import type { ConvertedRow } from '../observations/unit-conversion.js'
import type { StatusCode } from './jsonstat.schemas.js'

export type Lang = 'zh' | 'en'
/** The labels' language when `labels=` is not given: the reports' own. */
export const DEFAULT_LANG: Lang = 'zh'
/** The most observations one dataset holds; a larger selection is refused (400), never cut short. */
export const MAX_JSONSTAT_OBSERVATIONS = 10_000

export const DIMENSIONS = ['indicator', 'area', 'period', 'kind'] as const

const WORDS = {
  dataset: { zh: '巴彦塔拉镇指标：观测值', en: 'Bayantala indicators: observations' },
  indicator: { zh: '指标', en: 'Indicator' },
  area: { zh: '地区', en: 'Area' },
  period: { zh: '报告期', en: 'Reporting period' },
  kind: { zh: '类型', en: 'Kind' },
  withdrawn: { zh: '已撤回', en: 'withdrawn' },
  rounded: { zh: '换算后舍入', en: 'rounded in conversion' },
  noteExact: {
    zh: '数值按所给的小数写成 JSON 数字；解析为双精度浮点数的客户端可能在 15–17 位有效数字后舍入，extension.value 另给出与 API 相同的小数字符串。',
    en: 'Values are JSON numbers written with the digits the API serves; a client parsing them to IEEE doubles may round beyond 15 to 17 significant digits, so extension.value also gives each as the decimal string the API serves.',
  },
  noteConversion: {
    zh: '按 unit= 换算的数值在商有限时是精确的，否则按银行家舍入保留 12 位小数：这些单元格的状态含 rounded，extension.exact 为 false。',
    en: 'Values converted by unit= are exact when the quotient terminates, else rounded half to even at 12 decimal places: such cells have status rounded and extension.exact false.',
  },
  noteCells: {
    zh: '每个单元格的限定词、引文和观测编号在 extension 中，按单元格序号给出。',
    en: 'Each cell\'s qualifier, citation and observation id are in extension, keyed by cell index.',
  },
} as const satisfies Record<string, Record<Lang, string>>

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/
/** The decimal as a JSON number token with its digits (only leading zeros, which JSON forbids, are dropped). */
export const numberToken = (decimal: string): string => (JSON_NUMBER.test(decimal) ? decimal : normalizeDecimal(decimal))
const decimalsOf = (decimal: string): number => (decimal.includes('.') ? decimal.length - decimal.indexOf('.') - 1 : 0)


/** A cell's status words: withdrawn, else a qualifier other than eq; then rounded when unit= rounded the value. */
export function statusCodes(r: Pick<ConvertedRow, 'status' | 'qualifier' | 'conversion'>): StatusCode[] {
  const codes: StatusCode[] = []
  if (r.status === 'withdrawn') codes.push('withdrawn')
  else if (r.qualifier !== 'eq') codes.push(r.qualifier)
  if (r.conversion?.exact === false) codes.push('rounded')
  return codes
}

const statusName = (code: StatusCode, lang: Lang): string => (code === 'withdrawn' || code === 'rounded' ? WORDS[code][lang] : QUALIFIER_NAMES[code as Qualifier][lang])

/** Positions along one dimension, in the given order of its codes. */
function indexOf(codes: readonly string[]): Map<string, number> {
  return new Map(codes.map((c, i) => [c, i]))
}

export interface JsonStatOptions {
  lang: Lang
  /** `unit=`: convert values (checked like the list's). */
  unit?: string | undefined
  /** The list's query string, for the alternate links. */
  search: string
}

export function createJsonStatService(observations: ObservationService, catalog: Pick<CatalogReads, 'indicators' | 'areas' | 'units' | 'sources'>) {
  return {
    /** The selection as JSON-stat text; 400 when it holds more than MAX_JSONSTAT_OBSERVATIONS. */
    async dataset(q: ObservationQuery, options: JsonStatOptions): Promise<string> {
      const target = options.unit === undefined ? null : await observations.listTarget(q, options.unit)
      const { rows, more } = await observations.selection(q, MAX_JSONSTAT_OBSERVATIONS, target)
      if (more) {
        throw Errors.validation(`The selection holds more than ${MAX_JSONSTAT_OBSERVATIONS} observations, the most one JSON-stat dataset holds: narrow it with indicator, area, period or kind.`, {
          errors: [{ in: 'query', name: 'format', message: `jsonstat holds at most ${MAX_JSONSTAT_OBSERVATIONS} observations; add filters` }],
        })
      }
      const [indicators, areas, units, sources] = await Promise.all([catalog.indicators(), catalog.areas(), catalog.units(), catalog.sources()])
      return datasetText(rows, options, {
        indicators: new Map(indicators.map((i) => [i.code, i])),
        areas: new Map(areas.map((a) => [a.code, a])),
        units: new Map(units.map((u) => [u.code, u])),
        sources: new Map(sources.map((s) => [s.id, s])),
      })
    },
  }
}

export type JsonStatService = ReturnType<typeof createJsonStatService>

export type Catalogue = {
  indicators: Map<string, { nameZh: string; nameEn: string }>
  areas: Map<string, { nameZh: string; nameEn: string }>
  units: Map<string, { nameZh: string; nameEn: string }>
  sources: Map<string, { title: string; titleEn: string | null }>
}

export function datasetText(rows: ConvertedRow[], { lang, search }: JsonStatOptions, cat: Catalogue): string {
  const name = (r: { nameZh: string; nameEn: string } | undefined, code: string) => (r ? (lang === 'en' && r.nameEn ? r.nameEn : r.nameZh) : code)
  const sorted = (values: Iterable<string>) => [...new Set(values)].sort()
  const periodOrder = (a: string, b: string) => {
    const pa = parsePeriod(a)
    const pb = parsePeriod(b)
    // A containing period first (start ascending, end descending), as GET /v1/periods lists them.
    return (pa?.startDate ?? a).localeCompare(pb?.startDate ?? b) || (pb?.endDate ?? b).localeCompare(pa?.endDate ?? a) || a.localeCompare(b)
  }
  const codes = {
    indicator: sorted(rows.map((r) => r.indicator)),
    area: sorted(rows.map((r) => r.area)),
    period: [...new Set(rows.map((r) => r.period))].sort(periodOrder),
    kind: KINDS.filter((k) => rows.some((r) => r.kind === k)) as string[],
  }
  const index = { indicator: indexOf(codes.indicator), area: indexOf(codes.area), period: indexOf(codes.period), kind: indexOf(codes.kind) }
  const size = DIMENSIONS.map((d) => codes[d].length)
  const cells = size.reduce((a, b) => a * b, 1)

  const values = new Map<number, string>()
  const ext = { value: {} as Record<string, string>, exact: {} as Record<string, boolean>, observation: {} as Record<string, number>, qualifier: {} as Record<string, string>, citation: {} as Record<string, unknown> }
  const status: Record<string, string> = {}
  const decimals = new Map<string, number>()
  const unitOf = new Map<string, string>()
  for (const r of rows) {
    let cell = 0
    for (const d of DIMENSIONS) cell = cell * (codes[d].length) + (index[d].get(r[d]) as number)
    // The natural key (indicator, area, period, kind) is unique: a second row for a cell means the store is broken.
    if (values.has(cell)) throw Errors.internal(`Two observations for ${r.indicator} ${r.area} ${r.period} ${r.kind}.`)
    const token = numberToken(r.value)
    values.set(cell, token)
    const key = String(cell)
    ext.value[key] = r.value
    // A stored value is exact; a converted one is when its quotient terminates.
    ext.exact[key] = r.conversion?.exact ?? true
    ext.observation[key] = r.id
    ext.qualifier[key] = r.qualifier
    ext.citation[key] = { sourceId: r.sourceId, quote: r.quote, byteStart: r.byteStart, byteEnd: r.byteEnd, textUrl: sourceTextUrl(r.sourceId) }
    const words = statusCodes(r)
    if (words.length) status[key] = words.join(' ')
    decimals.set(r.indicator, Math.max(decimals.get(r.indicator) ?? 0, decimalsOf(token)))
    unitOf.set(r.indicator, r.unit)
  }

  const category = (d: (typeof DIMENSIONS)[number], label: (code: string) => string) => ({
    index: Object.fromEntries(codes[d].map((c, i) => [c, i])),
    label: Object.fromEntries(codes[d].map((c) => [c, label(c)])),
  })
  const sourceIds = sorted(rows.map((r) => r.sourceId))
  const sourceTitle = (id: string) => {
    const s = cat.sources.get(id)
    return s ? (lang === 'en' && s.titleEn ? s.titleEn : s.title) : id
  }
  const updated = rows.reduce<string | undefined>((max, r) => (max === undefined || r.recordedAt > max ? r.recordedAt : max), undefined)
  const params = new URLSearchParams(search)
  params.delete('format')
  params.delete('labels')
  const list = `/v1/observations${params.size ? `?${params}` : ''}`
  params.set('format', 'csv')
  const usedStatus = sorted(Object.values(status))

  const dataset = {
    version: '2.0',
    class: 'dataset',
    label: WORDS.dataset[lang],
    ...(sourceIds.length ? { source: sourceIds.map(sourceTitle).join('; ') } : {}),
    ...(updated === undefined ? {} : { updated }),
    note: [WORDS.noteExact[lang], ...(rows.some((r) => r.conversion) ? [WORDS.noteConversion[lang]] : []), WORDS.noteCells[lang]],
    id: DIMENSIONS,
    size,
    role: { metric: ['indicator'], geo: ['area'], time: ['period'] },
    dimension: {
      indicator: {
        label: WORDS.indicator[lang],
        category: {
          ...category('indicator', (c) => name(cat.indicators.get(c), c)),
          unit: Object.fromEntries(
            codes.indicator.map((c) => {
              const unit = unitOf.get(c) as string
              return [c, { label: name(cat.units.get(unit), unit), symbol: unit, position: 'end', decimals: decimals.get(c) ?? 0 }]
            }),
          ),
        },
      },
      area: { label: WORDS.area[lang], category: category('area', (c) => name(cat.areas.get(c), c)) },
      period: { label: WORDS.period[lang], category: category('period', (c) => periodName(lang, c)) },
      kind: { label: WORDS.kind[lang], category: category('kind', (c) => capitalized(KIND_NAMES[c as Kind][lang])) },
    },
    link: {
      alternate: [
        { type: 'application/json', href: list },
        { type: 'text/csv', href: `/v1/observations?${params}` },
      ],
      related: sourceIds.map((id) => ({ href: `/v1/sources/${id}`, label: sourceTitle(id) })),
    },
    extension: { ...ext, statusLabel: Object.fromEntries(usedStatus.map((s) => [s, s.split(' ').map((code) => statusName(code as StatusCode, lang)).join('; ')])) },
    ...(usedStatus.length ? { status } : {}),
  }
  // Values go in as number tokens with the stored digits: JSON.stringify would pass them through a double.
  const dense = cells <= 2 * values.size
  const value = dense
    ? `[${Array.from({ length: cells }, (_, i) => values.get(i) ?? 'null').join(',')}]`
    : `{${[...values].sort((a, b) => a[0] - b[0]).map(([i, v]) => `"${i}":${v}`).join(',')}}`
  const text = JSON.stringify(dataset)
  return `${text.slice(0, -1)},"value":${value}}`
}
