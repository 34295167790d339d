// Reading observations: filters made canonical, keyset pages, streamed exports.
import { parseInstant, parseTimeBound } from '../../domain/time.js'
import { decodeCursor, encodeCursor, filterDigest } from '../../http/cursor.js'
import { splitCodes } from '../../http/schemas.js'
import { Errors } from '../../errors.js'
import { parsePeriod } from '../../domain/periods.js'
import { canonicalPeriod } from '../../http/period-param.js'
import type { Kind } from './observation-rules.js'
import type { CatalogReads, ObservationFilter, ObservationReads, ObservationRow, UnitRecord, Vintage } from '../../storage/ports.js'
import { CSV_HEADER, csvLine } from './observations.csv.js'
import { LABEL_COLUMNS, labelCellsFor, type LabelLanguage } from './observation-labels.js'
import { convertRow, incompatible, targetUnit, type ConvertedRow } from './unit-conversion.js'

export interface ObservationQuery {
  indicator?: string[] | undefined
  area?: string[] | undefined
  period?: string[] | undefined
  periodFrom?: string | undefined
  periodTo?: string | undefined
  kind?: Kind[] | undefined
  category?: string[] | undefined
  topic?: string[] | undefined
  asOf?: string | undefined
  knownAt?: string | undefined
  updatedSince?: string | undefined
  includeWithdrawn?: boolean | undefined
}

/** Export batches: short read snapshots, so a long export never pins the WAL. */
export const EXPORT_BATCH = 1000

export function createObservationService(repo: ObservationReads, catalog: Pick<CatalogReads, 'unit' | 'units' | 'indicator' | 'indicators' | 'areas' | 'sources'>) {
  function toFilter(q: ObservationQuery): ObservationFilter {
    const periods = splitCodes(q.period)?.map((p) => canonicalPeriod(p, 'period'))
    const from = q.periodFrom === undefined ? undefined : parsePeriod(canonicalPeriod(q.periodFrom, 'periodFrom'))
    const to = q.periodTo === undefined ? undefined : parsePeriod(canonicalPeriod(q.periodTo, 'periodTo'))
    if (from && to && from.startDate > to.endDate) {
      throw Errors.validation('periodFrom starts after periodTo ends.', { errors: [{ in: 'query', name: 'periodFrom', message: 'is after periodTo' }] })
    }
    return {
      indicators: splitCodes(q.indicator)?.sort(),
      areas: splitCodes(q.area)?.sort(),
      periods: periods?.sort(),
      periodFrom: from?.startDate,
      periodTo: to?.endDate,
      kinds: q.kind ? [...new Set(q.kind)].sort() : undefined,
      categories: splitCodes(q.category)?.sort(),
      topics: splitCodes(q.topic)?.sort(),
      asOf: q.asOf === undefined ? undefined : parseTimeBound(q.asOf, 'asOf'),
      knownAt: q.knownAt === undefined ? undefined : parseTimeBound(q.knownAt, 'knownAt'),
      updatedSince: q.updatedSince === undefined ? undefined : parseInstant(q.updatedSince, 'updatedSince'),
      includeWithdrawn: q.includeWithdrawn ?? false,
    }
  }

  function digestOf(filter: ObservationFilter): string {
    return filterDigest(JSON.parse(JSON.stringify(filter)))
  }

  /** One keyset page after `cursor` as `read` answers it, and the next cursor (bound to the filter). */
  async function keysetPage<T>(
    q: ObservationQuery,
    cursor: string | undefined,
    limit: number,
    read: (filter: ObservationFilter, afterId: number, limit: number) => Promise<T[]>,
    idOf: (item: T) => number,
  ): Promise<{ items: T[]; nextCursor: string | null }> {
    const filter = toFilter(q)
    // The digest binds cursors to filters; hashing is only needed when a cursor comes in or goes out.
    const after = cursor === undefined ? 0 : decodeCursor(cursor, digestOf(filter))
    const items = await read(filter, after, limit + 1)
    const more = items.length > limit
    if (more) items.pop()
    const last = items[items.length - 1]
    return { items, nextCursor: more && last !== undefined ? encodeCursor(idOf(last), digestOf(filter)) : null }
  }

  /** The CSV export: a header, then every matching row, `batch` by batch as the client reads. */
  async function exportBatches(
    q: ObservationQuery,
    cursor: string | undefined,
    limit: number | undefined,
    batch: (filter: ObservationFilter, afterId: number, limit: number) => Promise<{ text: string; count: number; lastId: number }>,
    header = CSV_HEADER,
  ): Promise<AsyncGenerator<string>> {
    const filter = toFilter(q)
    let after = decodeCursor(cursor, digestOf(filter))
    return (async function* () {
      yield header
      let remaining = limit ?? Number.POSITIVE_INFINITY
      while (remaining > 0) {
        const next = await batch(filter, after, Math.min(EXPORT_BATCH, remaining))
        if (next.count === 0) return
        yield next.text
        // A socket that always has room would keep this loop on microtasks alone and starve
        // every other request for the whole export: give the event loop a turn per batch.
        await new Promise((resolve) => setImmediate(resolve))
        remaining -= next.count
        after = next.lastId
        if (next.count < EXPORT_BATCH) return
      }
    })()
  }

  /** The header and the label cells of an export with `labels`: the catalogue is read once, before the first row. */
  async function labelling(language: LabelLanguage): Promise<{ header: string; cells: ReturnType<typeof labelCellsFor> }> {
    const [indicators, areas, units, sources] = await Promise.all([catalog.indicators(), catalog.areas(), catalog.units(), catalog.sources()])
    return { header: CSV_HEADER.slice(0, -2) + ',' + LABEL_COLUMNS.join(',') + '\r\n', cells: labelCellsFor({ indicators, areas, units, sources }, language) }
  }

  /** An export line built in JavaScript from a row, with its label cells when the export has labels. */
  const lineOf = (labels: Awaited<ReturnType<typeof labelling>> | undefined) =>
    labels === undefined ? (r: ConvertedRow) => csvLine(r) : (r: ConvertedRow) => csvLine(r).slice(0, -2) + labels.cells(r) + '\r\n'

  return {
    /**
     * The unit `unit=` asks for, checked against the list's indicators before any row is read: they must be
     * named (indicator=) and every one stored in the unit's base, so that every page of the list converts alike.
     */
    async listTarget(q: ObservationQuery, code: string): Promise<UnitRecord> {
      const named = [...new Set(splitCodes(q.indicator) ?? [])].sort()
      const indicators = await Promise.all(named.map((c) => catalog.indicator(c)))
      const target = await targetUnit(catalog, code, indicators.flatMap((i) => (i ? [i.unit] : [])))
      if (!named.length) {
        throw Errors.validation(`unit=${code} converts values of indicators in ${target.base}: name them with indicator=.`, {
          errors: [{ in: 'query', name: 'unit', message: 'needs indicator= naming the indicators to convert (all in the same base unit)' }],
        })
      }
      const wrong: string[] = []
      let base: string | undefined
      for (const [i, code] of named.entries()) {
        const indicator = indicators[i]
        if (!indicator) wrong.push(`${code} (unknown)`)
        else if (indicator.unit !== target.base) {
          wrong.push(`${code} (${indicator.unit})`)
          base ??= indicator.unit
        }
      }
      if (wrong.length === 0) return target
      if (base !== undefined && wrong.length === 1) return incompatible(catalog, target, base, `Indicator ${wrong[0]?.split(' ')[0]}`)
      throw Errors.validation(`unit=${code} converts to ${target.base}; these indicators are not in ${target.base}: ${wrong.join(', ')}.`, {
        errors: [{ in: 'query', name: 'unit', message: `not compatible with indicators ${wrong.join(', ')}` }],
      })
    },

    /** The unit `unit=` asks for one observation's answers, given the indicator's base unit. */
    async rowTarget(code: string, base: string, what: string): Promise<UnitRecord> {
      const target = await targetUnit(catalog, code, [base])
      return target.base === base ? target : incompatible(catalog, target, base, what)
    },

    /** One keyset page with values converted to `target` (checked with listTarget). */
    async pageConverted(q: ObservationQuery, cursor: string | undefined, limit: number, target: UnitRecord): Promise<{ data: ConvertedRow[]; nextCursor: string | null }> {
      const page = await keysetPage(q, cursor, limit, (f, a, n) => repo.page(f, a, n), (r) => r.id)
      return { data: page.items.map((r) => convertRow(r, target)), nextCursor: page.nextCursor }
    },

    /** The CSV export with values converted to `target`: the value and unit columns in it. */
    async csvConverted(q: ObservationQuery, cursor: string | undefined, limit: number | undefined, target: UnitRecord, language?: LabelLanguage): Promise<AsyncGenerator<string>> {
      const labels = language === undefined ? undefined : await labelling(language)
      const line = lineOf(labels)
      return exportBatches(
        q,
        cursor,
        limit,
        async (filter, after, n) => {
          const rows = await repo.page(filter, after, n)
          return { text: rows.map((r) => line(convertRow(r, target))).join(''), count: rows.length, lastId: rows[rows.length - 1]?.id ?? after }
        },
        labels?.header,
      )
    },

    /**
     * A whole selection, for answers that are one document (JSON-stat, a web page): at most `max` rows in id order, converted to
     * `target` when given, and whether more match (the caller refuses rather than cut a dataset short).
     */
    async selection(q: ObservationQuery, max: number, target: UnitRecord | null): Promise<{ rows: ConvertedRow[]; more: boolean }> {
      const rows = await repo.page(toFilter(q), 0, max + 1)
      const more = rows.length > max
      if (more) rows.pop()
      return { rows: target ? rows.map((r) => convertRow(r, target)) : rows, more }
    },

    /** One keyset page, each observation already JSON (the Observation schema), joined by commas. */
    async pageJson(q: ObservationQuery, cursor: string | undefined, limit: number): Promise<{ data: string; nextCursor: string | null }> {
      const page = await keysetPage(q, cursor, limit, (f, a, n) => repo.pageJson(f, a, n), (r) => r[0])
      return { data: page.items.map((r) => r[1]).join(','), nextCursor: page.nextCursor }
    },

    /** The CSV export: a header, then every matching row, fetched batch by batch as the client reads. */
    async csv(q: ObservationQuery, cursor: string | undefined, limit: number | undefined, language?: LabelLanguage): Promise<AsyncGenerator<string>> {
      if (language === undefined) return exportBatches(q, cursor, limit, (f, a, n) => repo.pageCsv(f, a, n))
      // Labels are added per row in JavaScript from catalogue maps, on both backends: the SQL-built lines stay the unlabelled export's.
      const labels = await labelling(language)
      const line = lineOf(labels)
      return exportBatches(
        q,
        cursor,
        limit,
        async (filter, after, n) => {
          const rows = await repo.page(filter, after, n)
          return { text: rows.map(line).join(''), count: rows.length, lastId: rows[rows.length - 1]?.id ?? after }
        },
        labels.header,
      )
    },

    async byId(id: number, asOf?: string, knownAt?: string): Promise<ObservationRow> {
      const published = asOf === undefined ? undefined : parseTimeBound(asOf, 'asOf')
      const known = knownAt === undefined ? undefined : parseTimeBound(knownAt, 'knownAt')
      const row = await repo.byId(id, published, known)
      if (row) return row
      if ((published !== undefined || known !== undefined) && (await repo.exists(id))) {
        const when = [asOf === undefined ? '' : `published by ${asOf}`, knownAt === undefined ? '' : `recorded by ${knownAt}`].filter(Boolean).join(' and ')
        throw Errors.notFound(`Observation ${id} had no revision ${when}.`)
      }
      throw Errors.notFound(`No observation ${id}.`)
    },

    /** Publication dates of the matching observations' revisions. */
    async vintages(q: { indicator?: string[] | undefined; area?: string[] | undefined }): Promise<Vintage[]> {
      return repo.vintages({ indicators: splitCodes(q.indicator)?.sort(), areas: splitCodes(q.area)?.sort() })
    },

    async revisions(id: number): Promise<ObservationRow[]> {
      const rows = await repo.revisions(id)
      if (rows.length === 0) throw Errors.notFound(`No observation ${id}.`)
      return rows
    },
  }
}

export type ObservationService = ReturnType<typeof createObservationService>
