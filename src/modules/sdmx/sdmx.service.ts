// SDMX answers built on the observation service: the data formats of the observation list and
// the structure (dataflow, data structure definition and code lists) they refer to.
import { createHash } from 'node:crypto'
import { Errors } from '../../errors.js'
import type { CatalogReads } from '../../storage/ports.js'
import type { ObservationQuery, ObservationService } from '../observations/observations.service.js'
import {
  AGENCY,
  ATTRIBUTES,
  DATAFLOW_ID,
  DATAFLOW_URN,
  DIMENSIONS,
  DSD_ID,
  DSD_URN,
  FREQ_CODES,
  KIND_CODES,
  MEASURE,
  OBS_STATUS_CODES,
  QUALIFIER_CODES,
  SDMX_CSV_HEADER,
  SERIES_DIMENSIONS,
  STRUCTURE_SCHEMA_URL,
  UNIT_MULT,
  VERSION,
  sdmxCsvLine,
  sdmxDataMessage,
  type Labels,
  type Lang,
} from './sdmx.js'
import { withBom } from '../../http/csv-export.js'

/** The most observations one SDMX-JSON message holds; more are linked from meta.links (rel next). */
export const SDMX_JSON_MAX = 1000

const WILDCARDS = new Set(['*', 'all'])
const LATEST = new Set(['latest', '~', '+', '*', 'all'])

export function createSdmxService(catalog: Pick<CatalogReads, 'indicators' | 'areas' | 'units'>, observations: ObservationService) {
  async function labels(): Promise<Labels> {
    const [indicators, areas] = await Promise.all([catalog.indicators(), catalog.areas()])
    return { indicators: new Map(indicators.map((i) => [i.code, i])), areas: new Map(areas.map((a) => [a.code, a])) }
  }

  return {
    /** An SDMX-JSON 2.0 data message of one keyset page (at most `limit`, default and cap SDMX_JSON_MAX); `nextUrl` links the next. */
    async dataJson(
      q: ObservationQuery,
      cursor: string | undefined,
      limit: number | undefined,
      lang: Lang,
      nextUrl: (cursor: string) => string,
    ): Promise<{ message: Record<string, unknown>; nextCursor: string | null }> {
      const page = await observations.rowPage(q, cursor, Math.min(limit ?? SDMX_JSON_MAX, SDMX_JSON_MAX))
      return { message: sdmxDataMessage(page.items, await labels(), lang, page.nextCursor === null ? null : nextUrl(page.nextCursor)), nextCursor: page.nextCursor }
    },

    /** SDMX-CSV 2.0, streamed batch by batch like the CSV export; with `limit`, the cursor of the rest (null when none is left). */
    async dataCsv(q: ObservationQuery, cursor: string | undefined, limit: number | undefined, bom: boolean | undefined): Promise<{ lines: AsyncGenerator<string>; nextCursor: string | null }> {
      const { lines, nextCursor } = await observations.lines(q, cursor, limit, SDMX_CSV_HEADER, sdmxCsvLine)
      return { lines: withBom(lines, bom), nextCursor }
    },

    /**
     * The SDMX-JSON 2.0 structure message for the dataflow or its data structure definition (with the
     * concepts and code lists they use). Agency, id and version take SDMX REST's wildcards (`*`, `all`,
     * and `latest`, `~`, `+` for the version); anything else than ours is 404.
     */
    async structure(artefact: 'dataflow' | 'datastructure', agency: string, id: string, version: string): Promise<Record<string, unknown>> {
      const ownId = artefact === 'dataflow' ? DATAFLOW_ID : DSD_ID
      if (!(agency === AGENCY || WILDCARDS.has(agency)) || !(id === ownId || WILDCARDS.has(id)) || !(version === VERSION || LATEST.has(version))) {
        throw Errors.notFound(`No ${artefact} ${agency}:${id}(${version}); this service has ${AGENCY}:${ownId}(${VERSION}).`)
      }
      const [indicators, areas, units] = await Promise.all([catalog.indicators(), catalog.areas(), catalog.units()])
      const base = { agencyID: AGENCY, version: VERSION, isFinal: false }
      const code = (id: string, en: string, zh: string) => ({ id, name: en, names: { en, zh } })
      const codelist = (id: string, en: string, zh: string, codes: unknown[]) => ({ id, ...base, name: en, names: { en, zh }, codes })
      const codelistUrn = (id: string) => `urn:sdmx:org.sdmx.infomodel.codelist.Codelist=${AGENCY}:${id}(${VERSION})`
      const conceptUrn = (id: string) => `urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=${AGENCY}:CS_TOWN_INDICATORS(${VERSION}).${id}`
      const enumerated: Record<string, string> = {
        FREQ: 'CL_FREQ',
        INDICATOR: 'CL_INDICATOR',
        REF_AREA: 'CL_AREA',
        KIND: 'CL_KIND',
        UNIT_MEASURE: 'CL_UNIT',
        UNIT_MULT: 'CL_UNIT_MULT',
        OBS_STATUS: 'CL_OBS_STATUS',
        OBS_QUALIFIER: 'CL_OBS_QUALIFIER',
      }
      const representation = (id: string, dataType: string) => (enumerated[id] ? { enumeration: codelistUrn(enumerated[id] as string) } : { format: { dataType } })
      const dsd = {
        id: DSD_ID,
        ...base,
        name: 'Town indicators',
        names: { en: 'Town indicators', zh: '镇级指标' },
        dataStructureComponents: {
          dimensionList: {
            id: 'DimensionDescriptor',
            dimensions: SERIES_DIMENSIONS.map((d, position) => ({ id: d.id, position, conceptIdentity: conceptUrn(d.id), localRepresentation: representation(d.id, 'String') })),
            timeDimensions: [{ id: 'TIME_PERIOD', position: DIMENSIONS.length - 1, conceptIdentity: conceptUrn('TIME_PERIOD'), localRepresentation: { format: { dataType: 'ObservationalTimePeriod' } } }],
          },
          attributeList: {
            id: 'AttributeDescriptor',
            attributes: ATTRIBUTES.map((a) => ({ id: a.id, usage: a.mandatory ? 'mandatory' : 'optional', attributeRelationship: { observation: {} }, conceptIdentity: conceptUrn(a.id), localRepresentation: representation(a.id, 'String') })),
          },
          measureList: { id: 'MeasureDescriptor', measures: [{ id: MEASURE.id, usage: 'mandatory', conceptIdentity: conceptUrn(MEASURE.id), localRepresentation: { format: { dataType: 'Decimal' } } }] },
        },
      }
      const dataflow = { id: DATAFLOW_ID, ...base, name: 'Town indicators', names: { en: 'Town indicators', zh: '镇级指标' }, structure: DSD_URN, links: [{ rel: 'self', urn: DATAFLOW_URN }] }
      const concepts = [...DIMENSIONS, MEASURE, ...ATTRIBUTES].map((c) => code(c.id, c.names.en, c.names.zh))
      const codelists = [
        codelist('CL_FREQ', 'Frequency', '频率', FREQ_CODES.map((k) => code(k.id, k.names.en, k.names.zh))),
        codelist('CL_INDICATOR', 'Indicators', '指标', indicators.map((i) => code(i.code, i.nameEn, i.nameZh))),
        codelist('CL_AREA', 'Areas', '地区', areas.map((a) => ({ ...code(a.code, a.nameEn, a.nameZh), ...(a.parentCode ? { parent: a.parentCode } : {}) }))),
        codelist('CL_KIND', 'Kinds of value', '数值类型', KIND_CODES.map((k) => code(k.id, k.names.en, k.names.zh))),
        codelist('CL_UNIT', 'Units (the indicators\' base units)', '计量单位', units.filter((u) => u.base === u.code).map((u) => code(u.code, u.nameEn, u.nameZh))),
        codelist('CL_UNIT_MULT', 'Unit multipliers', '单位倍数', [code(UNIT_MULT, 'Units (10^0)', '个（10^0）')]),
        codelist('CL_OBS_STATUS', 'Observation status', '观测状态', OBS_STATUS_CODES.map((k) => code(k.id, k.names.en, k.names.zh))),
        codelist('CL_OBS_QUALIFIER', 'Qualifiers', '数值限定', QUALIFIER_CODES.map((k) => code(k.id, k.names.en, k.names.zh))),
      ]
      const data = {
        dataflows: [dataflow],
        dataStructures: [dsd],
        conceptSchemes: [{ id: 'CS_TOWN_INDICATORS', ...base, name: 'Concepts of the town indicators', names: { en: 'Concepts of the town indicators', zh: '镇级指标概念' }, concepts }],
        codelists,
      }
      // Named by its content and dated by the day, so that the same structure is the same answer (ETag, 304) all day.
      const messageId = `DSD-${createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16)}`
      const prepared = `${new Date().toISOString().slice(0, 10)}T00:00:00Z`
      return { meta: { schema: STRUCTURE_SCHEMA_URL, id: messageId, test: false, prepared, contentLanguages: ['en', 'zh'], sender: { id: AGENCY } }, data }
    },
  }
}

export type SdmxService = ReturnType<typeof createSdmxService>
