// The SDMX mapping of an observation (docs/sdmx.md): one dataflow, its dimensions, measure and
// attributes, and the two data formats built from rows: SDMX-CSV 2.0 lines and an SDMX-JSON 2.0 message.
import { randomUUID } from 'node:crypto'
import { parsePeriod, type PeriodType } from '../../domain/periods.js'
import { KINDS, QUALIFIERS } from '../../domain/observation.js'
import { capitalized, FREQUENCY_NAMES, KIND_NAMES, QUALIFIER_NAMES, type Names } from '../../domain/vocabulary.js'
import { csvCell } from '../../http/csv-export.js'
import type { AreaRecord, IndicatorRecord, ObservationRow } from '../../storage/ports.js'

export const AGENCY = 'BAYANTALA'
export const DATAFLOW_ID = 'DF_TOWN_INDICATORS'
export const DSD_ID = 'DSD_TOWN_INDICATORS'
export const VERSION = '1.0'
/** The dataflow as SDMX-CSV's STRUCTURE_ID writes it. */
export const DATAFLOW_REF = `${AGENCY}:${DATAFLOW_ID}(${VERSION})`
export const DATAFLOW_URN = `urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow=${DATAFLOW_REF}`
export const DSD_URN = `urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=${AGENCY}:${DSD_ID}(${VERSION})`
export const DATA_SCHEMA_URL = 'https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/data-message/tools/schemas/2.0.0/sdmx-json-data-schema.json'
export const STRUCTURE_SCHEMA_URL = 'https://raw.githubusercontent.com/sdmx-twg/sdmx-json/master/structure-message/tools/schemas/2.0.0/sdmx-json-structure-schema.json'

export const SDMX_CSV_TYPE = 'application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8'
export const SDMX_JSON_TYPE = 'application/vnd.sdmx.data+json; version=2.0.0; charset=utf-8'
export const SDMX_STRUCTURE_TYPE = 'application/vnd.sdmx.structure+json; version=2.0.0; charset=utf-8'

export type Lang = 'zh' | 'en'

/** The key's dimensions in key order, each with its value of a row: FREQ first and TIME_PERIOD last, as SDMX keys write them. */
export const DIMENSIONS: ReadonlyArray<{ id: string; names: Names; of: (row: ObservationRow) => string }> = [
  { id: 'FREQ', names: { en: 'Frequency', zh: '频率' }, of: (row) => sdmxFrequency(row.period) },
  { id: 'INDICATOR', names: { en: 'Indicator', zh: '指标' }, of: (row) => row.indicator },
  { id: 'REF_AREA', names: { en: 'Reference area', zh: '地区' }, of: (row) => row.area },
  { id: 'KIND', names: { en: 'Kind of value', zh: '数值类型' }, of: (row) => row.kind },
  { id: 'TIME_PERIOD', names: { en: 'Time period', zh: '时期' }, of: (row) => sdmxPeriod(row.period) },
]

/** The dimensions of a series key (all but TIME_PERIOD), in key order. */
export const SERIES_DIMENSIONS = DIMENSIONS.filter((d) => d.id !== 'TIME_PERIOD')

export const MEASURE = { id: 'OBS_VALUE', names: { en: 'Observation value', zh: '观测值' } }

/** Observation-level attributes, in SDMX-CSV column order. */
export const ATTRIBUTES: ReadonlyArray<{ id: string; names: Names; mandatory: boolean }> = [
  { id: 'UNIT_MEASURE', names: { en: 'Unit of measure', zh: '计量单位' }, mandatory: true },
  { id: 'UNIT_MULT', names: { en: 'Unit multiplier (power of ten)', zh: '单位倍数（10的幂）' }, mandatory: true },
  { id: 'OBS_STATUS', names: { en: 'Observation status', zh: '观测状态' }, mandatory: true },
  { id: 'OBS_QUALIFIER', names: { en: 'Qualifier of the value as reported', zh: '数值限定' }, mandatory: true },
  { id: 'CITATION_SOURCE', names: { en: 'Cited source id', zh: '引用来源' }, mandatory: true },
  { id: 'CITATION_QUOTE', names: { en: 'Cited quote', zh: '引文' }, mandatory: true },
  { id: 'CITATION_SPAN', names: { en: 'Byte span of the quote in the source text (start-end, end exclusive)', zh: '引文在来源文本中的字节范围' }, mandatory: true },
]

/** The codes of SDMX's cross-domain CL_FREQ for each kind of reporting period. */
const FREQ_OF: Readonly<Record<PeriodType, string>> = { year: 'A', half: 'S', quarter: 'Q', month: 'M' }

/** CL_FREQ codes the service can produce, longest period first. */
export const FREQ_CODES: ReadonlyArray<{ id: string; names: Names }> = (Object.keys(FREQ_OF) as PeriodType[]).map((type) => ({
  id: FREQ_OF[type],
  names: { en: capitalized(FREQUENCY_NAMES[type].en), zh: FREQUENCY_NAMES[type].zh },
}))

export const KIND_CODES: ReadonlyArray<{ id: string; names: Names }> = KINDS.map((id) => ({ id, names: { en: capitalized(KIND_NAMES[id].en), zh: KIND_NAMES[id].zh } }))

/** CL_OBS_STATUS codes used (SDMX cross-domain code list). */
export const OBS_STATUS_CODES: ReadonlyArray<{ id: string; names: Names }> = [
  { id: 'A', names: { en: 'Normal value', zh: '正常值' } },
  { id: 'E', names: { en: 'Estimated value', zh: '估计值' } },
  { id: 'F', names: { en: 'Forecast value', zh: '预测值' } },
]

export const QUALIFIER_CODES: ReadonlyArray<{ id: string; names: Names }> = QUALIFIERS.map((id) => ({ id, names: { en: capitalized(QUALIFIER_NAMES[id].en), zh: QUALIFIER_NAMES[id].zh } }))

/** Values are in the indicator's base unit, so the multiplier is always 10^0. */
export const UNIT_MULT = '0'

/** SDMX time period code: 2023 (year), 2023-S1, 2023-Q3, 2023-M07. */
export function sdmxPeriod(code: string): string {
  const p = parsePeriod(code)
  if (!p) return code
  const [year, part = ''] = p.code.split('-')
  return p.type === 'year' ? `${year}` : p.type === 'half' ? `${year}-S${part.slice(1)}` : p.type === 'quarter' ? `${year}-${part}` : `${year}-M${part}`
}

/** The SDMX frequency of a period code (2023 → A, 2023-H1 → S, 2023-Q3 → Q, 2023-07 → M). */
export function sdmxFrequency(code: string): string {
  const p = parsePeriod(code)
  // Unreachable: the observation rules store only periods parsePeriod reads.
  if (!p) throw new Error(`Not a reporting period: ${code}`)
  return FREQ_OF[p.type]
}

/** A forecast is F, an approximate figure E, every other A (targets included: KIND says what they are). */
export function obsStatus(row: Pick<ObservationRow, 'kind' | 'qualifier'>): string {
  return row.kind === 'forecast' ? 'F' : row.qualifier === 'approx' ? 'E' : 'A'
}

/** The attribute values of a row, in ATTRIBUTES order. */
function attributeValues(row: ObservationRow): string[] {
  return [row.unit, UNIT_MULT, obsStatus(row), row.qualifier, row.sourceId, row.quote, `${row.byteStart}-${row.byteEnd}`]
}

// ---------------------------------------------------------------- SDMX-CSV 2.0

export const SDMX_CSV_COLUMNS = ['STRUCTURE', 'STRUCTURE_ID', 'ACTION', ...DIMENSIONS.map((d) => d.id), MEASURE.id, ...ATTRIBUTES.map((a) => a.id)]
export const SDMX_CSV_HEADER = SDMX_CSV_COLUMNS.join(',') + '\r\n'

/** One row as an SDMX-CSV line: ACTION D for a withdrawn observation (a deletion), I otherwise; cells by the export's CSV rule. */
export function sdmxCsvLine(row: ObservationRow): string {
  const text = (v: string) => csvCell('text', v)
  return (
    [
      'dataflow',
      DATAFLOW_REF,
      row.status === 'withdrawn' ? 'D' : 'I',
      ...DIMENSIONS.map((d) => text(d.of(row))),
      csvCell('number', row.value),
      ...attributeValues(row).map((v, i) => (ATTRIBUTES[i]?.id === 'UNIT_MULT' ? csvCell('number', v) : text(v))),
    ].join(',') + '\r\n'
  )
}

// ---------------------------------------------------------------- SDMX-JSON 2.0

export interface Labels {
  indicators: Map<string, IndicatorRecord>
  areas: Map<string, AreaRecord>
}

const named = (id: string, names: Names, lang: Lang) => ({ id, name: names[lang], names: { en: names.en, zh: names.zh } })

/** Distinct values in order of first appearance, each with its index. */
function indexer<T>(): { index(v: T): number; values: T[] } {
  const at = new Map<T, number>()
  const values: T[] = []
  return {
    index(v) {
      let i = at.get(v)
      if (i === undefined) {
        i = values.length
        at.set(v, i)
        values.push(v)
      }
      return i
    },
    values,
  }
}

/**
 * An SDMX-JSON 2.0 data message for these rows: series keyed FREQ:INDICATOR:REF_AREA:KIND, observations keyed
 * by TIME_PERIOD, OBS_VALUE as the exact decimal string, then each attribute's value index. Withdrawn rows
 * go into a second data set whose action is Delete. No rows: no structure and no data set.
 */
export function sdmxDataMessage(rows: ObservationRow[], labels: Labels, lang: Lang, next: string | null): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    schema: DATA_SCHEMA_URL,
    id: `IREF-${randomUUID()}`,
    test: false,
    prepared: new Date().toISOString(),
    contentLanguages: lang === 'en' ? ['en', 'zh'] : ['zh', 'en'],
    sender: { id: AGENCY, name: lang === 'en' ? 'Bayantala Town open data' : '巴彦塔拉镇开放数据' },
  }
  if (next !== null) meta.links = [{ rel: 'next', href: next, type: 'application/vnd.sdmx.data+json; version=2.0.0' }]
  if (rows.length === 0) return { meta, data: { structures: [], dataSets: [] } }

  const seriesValues = SERIES_DIMENSIONS.map(() => indexer<string>())
  const periods = indexer<string>()
  const attrs = ATTRIBUTES.map(() => indexer<string>())
  const sets = new Map<'Information' | 'Delete', Map<string, Record<string, unknown[]>>>()
  for (const row of rows) {
    const key = SERIES_DIMENSIONS.map((d, i) => (seriesValues[i] as ReturnType<typeof indexer<string>>).index(d.of(row))).join(':')
    const time = periods.index(sdmxPeriod(row.period))
    const action = row.status === 'withdrawn' ? 'Delete' : 'Information'
    const series = sets.get(action) ?? new Map<string, Record<string, unknown[]>>()
    sets.set(action, series)
    const observations = series.get(key) ?? {}
    series.set(key, observations)
    observations[String(time)] = [row.value, ...attributeValues(row).map((v, i) => (attrs[i] as ReturnType<typeof indexer<string>>).index(v))]
  }

  const codeNames = (codes: ReadonlyArray<{ id: string; names: Names }>) => {
    const byId = new Map(codes.map((c) => [c.id, c.names]))
    return (c: string) => byId.get(c) ?? { en: c, zh: c }
  }
  const namesOf: Record<string, (code: string) => Names> = {
    FREQ: codeNames(FREQ_CODES),
    INDICATOR: (c) => ({ en: labels.indicators.get(c)?.nameEn ?? c, zh: labels.indicators.get(c)?.nameZh ?? c }),
    REF_AREA: (c) => ({ en: labels.areas.get(c)?.nameEn ?? c, zh: labels.areas.get(c)?.nameZh ?? c }),
    KIND: codeNames(KIND_CODES),
  }
  const dimension = (d: (typeof DIMENSIONS)[number], values: unknown[]) =>
    ({ id: d.id, name: d.names[lang], names: d.names, keyPosition: DIMENSIONS.indexOf(d), ...(d.id === 'TIME_PERIOD' ? { roles: ['TIME_PERIOD'] } : {}), values })
  const timeDimension = DIMENSIONS.find((d) => d.id === 'TIME_PERIOD') as (typeof DIMENSIONS)[number]
  const attributeCodes: Record<string, ReadonlyArray<{ id: string; names: Names }>> = { OBS_STATUS: OBS_STATUS_CODES, OBS_QUALIFIER: QUALIFIER_CODES }
  const structure = {
    name: lang === 'en' ? 'Town indicators' : '镇级指标',
    names: { en: 'Town indicators', zh: '镇级指标' },
    links: [
      { rel: 'dataflow', urn: DATAFLOW_URN },
      { rel: 'datastructure', urn: DSD_URN },
    ],
    dataSets: [...sets.keys()].map((_, i) => i),
    dimensions: {
      dataSet: [],
      series: SERIES_DIMENSIONS.map((d, i) => {
        const names = namesOf[d.id] ?? ((c: string) => ({ en: c, zh: c }))
        return dimension(d, (seriesValues[i] as ReturnType<typeof indexer<string>>).values.map((c) => named(c, names(c), lang)))
      }),
      observation: [
        dimension(
          timeDimension,
          periods.values.map((id) => {
            const p = parsePeriod(id)
            return { id, name: id, ...(p ? { start: `${p.startDate}T00:00:00Z`, end: `${p.endDate}T23:59:59Z` } : {}) }
          }),
        ),
      ],
    },
    measures: { observation: [{ id: MEASURE.id, name: MEASURE.names[lang], names: MEASURE.names, isMandatory: true, format: { dataType: 'Decimal' } }] },
    attributes: {
      dataSet: [],
      series: [],
      observation: ATTRIBUTES.map((a, i) => {
        const codes = attributeCodes[a.id]
        const values = (attrs[i] as ReturnType<typeof indexer<string>>).values.map((v) => {
          const code = codes?.find((c) => c.id === v)
          return code ? named(code.id, code.names, lang) : { value: v }
        })
        return { id: a.id, name: a.names[lang], names: a.names, isMandatory: a.mandatory, relationship: { observation: {} }, values }
      }),
    },
  }
  const dataSets = [...sets].map(([action, series]) => ({
    structure: 0,
    action,
    links: [{ rel: 'dataflow', urn: DATAFLOW_URN }],
    series: Object.fromEntries([...series].map(([key, observations]) => [key, { attributes: [], observations }])),
  }))
  return { meta, data: { structures: [structure], dataSets } }
}
