// Reading observations: filters made canonical, keyset pages, streamed exports.
import { parseInstant, parseTimeBound } from '../../domain/time.js'
import { decodeCursor, encodeCursor, filterDigest } from '../../http/cursor.js'
import { splitCodes } from '../../http/schemas.js'
import { Errors } from '../../errors.js'
import { laterPeriod, parsePeriod } from '../../domain/periods.js'
import { canonicalPeriod, periodBound } from '../../http/period-param.js'
import type { Kind } from './observation-rules.js'
import type { CatalogReads, ObservationFilter, ObservationReads, ObservationRow, UnitRecord, Vintage } from '../../storage/ports.js'
import { conversionCells, CSV_HEADER, csvHeader, csvLine } from './observations.csv.js'
import { LABEL_COLUMNS, labelCellsFor, type LabelLanguage } from './observation-labels.js'
import { convertRow, incompatible, targetUnit, type ConvertedRow } from './unit-conversion.js'
import { observationJson } from '../../storage/fields.js'

export interface ObservationQuery {
  indicator?: string[] | undefined
  area?: string[] | undefined
  period?: string[] | undefined
  periodFrom?: string | undefined
  periodTo?: string | undefined
  kind?: Kind[] | undefined
  category?: string[] | undefined
  topic?: string[] | undefined
  source?: string[] | undefined
  asOf?: string | undefined
  knownAt?: string | undefined
  updatedSince?: string | undefined
  includeWithdrawn?: boolean | undefined
  /** SDMX aliases: the same filters under SDMX REST's names (both spellings at once must agree). */
  startPeriod?: string | undefined
  endPeriod?: string | undefined
  updatedAfter?: string | undefined
  /** SDMX: keep only the last N periods of each series (indicator, area, kind, frequency) among the matching observations. */
  lastNObservations?: number | undefined
}

/** Each SDMX alias and the parameter it stands for. */
const ALIASES = [
  ['startPeriod', 'periodFrom'],
  ['endPeriod', 'periodTo'],
  ['updatedAfter', 'updatedSince'],
] as const

/** A text export's lines, and the cursor of the rest when `limit` cut it (null when nothing is left or nothing cut it). */
export interface TextExport {
  lines: AsyncGenerator<string>
  nextCursor: string | null
}

/** Export batches: short read snapshots, so a long export never pins the WAL. */
export const EXPORT_BATCH = 1000

export function createObservationService(repo: ObservationReads, catalog: Pick<CatalogReads, 'unit' | 'units' | 'indicator' | 'indicators' | 'areas' | 'sources'>) {
  /** The query with each SDMX alias folded into the parameter it stands for; both given and different is 400 naming both. */
  function unaliased(q: ObservationQuery): ObservationQuery {
    const out: ObservationQuery = { ...q }
    for (const [alias, name] of ALIASES) {
      const a = q[alias]
      const b = q[name]
      if (a === undefined) continue
      delete out[alias]
      if (b === undefined) {
        // Checked under the name the client used, so a refusal names the parameter it sent.
        if (name === 'updatedSince') parseInstant(a, alias)
        else periodBound(a, alias)
        out[name] = a
        continue
      }
      const bound = name === 'periodFrom' ? 'startDate' : 'endDate'
      const same = name === 'updatedSince' ? parseInstant(a, alias) === parseInstant(b, name) : periodBound(a, alias)[bound] === periodBound(b, name)[bound]
      if (!same) {
        throw Errors.validation(`${alias} is SDMX's name for ${name}; they were given different values (${alias}=${a}, ${name}=${b}). Give one of them.`, {
          errors: [
            { in: 'query', name: alias, message: `differs from ${name}` },
            { in: 'query', name, message: `differs from ${alias}` },
          ],
        })
      }
    }
    return out
  }

  function toFilter(query: ObservationQuery): ObservationFilter {
    const q = unaliased(query)
    const periods = splitCodes(q.period)?.map((p) => canonicalPeriod(p, 'period'))
    const from = q.periodFrom === undefined ? undefined : periodBound(q.periodFrom, 'periodFrom')
    const to = q.periodTo === undefined ? undefined : periodBound(q.periodTo, 'periodTo')
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
      sources: splitCodes(q.source)?.sort(),
      asOf: q.asOf === undefined ? undefined : parseTimeBound(q.asOf, 'asOf'),
      knownAt: q.knownAt === undefined ? undefined : parseTimeBound(q.knownAt, 'knownAt'),
      updatedSince: q.updatedSince === undefined ? undefined : parseInstant(q.updatedSince, 'updatedSince'),
      includeWithdrawn: q.includeWithdrawn ?? false,
    }
  }

  /** The cursor's binding: the filter, and lastNObservations when given (so a cursor of another selection is refused). */
  function digestOf(filter: ObservationFilter, q: ObservationQuery): string {
    return filterDigest(JSON.parse(JSON.stringify(q.lastNObservations === undefined ? filter : { ...filter, lastNObservations: q.lastNObservations })))
  }

  /**
   * The matching rows, keeping the last `n` periods of each series (indicator, area, kind and frequency, SDMX's key), in id order.
   * Reads every match batch by batch and holds at most n rows per series: bounded by the series, not the history.
   */
  async function lastPeriods(filter: ObservationFilter, n: number): Promise<ObservationRow[]> {
    const series = new Map<string, ObservationRow[]>()
    let after = 0
    for (;;) {
      const rows = await repo.page(filter, after, EXPORT_BATCH)
      for (const row of rows) {
        const key = `${row.indicator}\u0000${row.area}\u0000${row.kind}\u0000${parsePeriod(row.period)?.type}`
        const kept = series.get(key) ?? []
        kept.push(row)
        kept.sort((a, b) => (laterPeriod(a.period, b.period) ? -1 : laterPeriod(b.period, a.period) ? 1 : 0))
        if (kept.length > n) kept.pop()
        series.set(key, kept)
      }
      if (rows.length < EXPORT_BATCH) break
      after = (rows[rows.length - 1] as ObservationRow).id
    }
    return [...series.values()].flat().sort((a, b) => a.id - b.id)
  }

  /** Rows of a keyset page (after `afterId`, at most `limit`): the store's, or with lastNObservations those it keeps. */
  function rowReader(q: ObservationQuery): (filter: ObservationFilter, afterId: number, limit: number) => Promise<ObservationRow[]> {
    const n = q.lastNObservations
    if (n === undefined) return (f, a, l) => repo.page(f, a, l)
    let selected: Promise<ObservationRow[]> | undefined
    return async (f, a, l) => {
      selected ??= lastPeriods(f, n)
      const rows = await selected
      const from = rows.findIndex((r) => r.id > a)
      return from < 0 ? [] : rows.slice(from, from + l)
    }
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
    const after = cursor === undefined ? 0 : decodeCursor(cursor, digestOf(filter, q))
    const items = await read(filter, after, limit + 1)
    const more = items.length > limit
    if (more) items.pop()
    const last = items[items.length - 1]
    return { items, nextCursor: more && last !== undefined ? encodeCursor(idOf(last), digestOf(filter, q)) : null }
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
    let after = decodeCursor(cursor, digestOf(filter, q))
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

  /** The label cells of an export with `labels`: the catalogue is read once, before the first row. */
  async function labelling(language: LabelLanguage): Promise<ReturnType<typeof labelCellsFor>> {
    const [indicators, areas, units, sources] = await Promise.all([catalog.indicators(), catalog.areas(), catalog.units(), catalog.sources()])
    return labelCellsFor({ indicators, areas, units, sources }, language)
  }

  /** An export line built in JavaScript from a row: its conversion cells when converted, then its label cells when labelled. */
  const lineOf = (labels: Awaited<ReturnType<typeof labelling>> | undefined) => (r: ConvertedRow) => {
    const line = csvLine(r)
    if (r.conversion === undefined && labels === undefined) return line
    return line.slice(0, -2) + (r.conversion === undefined ? '' : conversionCells(r.conversion)) + (labels === undefined ? '' : labels(r)) + '\r\n'
  }

  /**
   * A text export: `header`, then `line` of every matching row. Without `limit` it streams batch by batch as
   * the client reads; with one (at most a page) it is one keyset read, which also gives the cursor of the rest.
   */
  async function lines(q: ObservationQuery, cursor: string | undefined, limit: number | undefined, header: string, line: (row: ObservationRow) => string): Promise<TextExport> {
    const read = rowReader(q)
    if (limit !== undefined) {
      const page = await keysetPage(q, cursor, limit, read, (r) => r.id)
      const text = page.items.map(line).join('')
      return { lines: (async function* () { yield header; if (text) yield text })(), nextCursor: page.nextCursor }
    }
    const stream = await exportBatches(q, cursor, undefined, async (filter, after, n) => {
      const rows = await read(filter, after, n)
      return { text: rows.map(line).join(''), count: rows.length, lastId: rows[rows.length - 1]?.id ?? after }
    }, header)
    return { lines: stream, nextCursor: null }
  }

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
      const page = await keysetPage(q, cursor, limit, rowReader(q), (r) => r.id)
      return { data: page.items.map((r) => convertRow(r, target)), nextCursor: page.nextCursor }
    },

    /** The CSV export with values converted to `target`: the value and unit columns in it, and whether each value is exact (value_exact). */
    async csvConverted(q: ObservationQuery, cursor: string | undefined, limit: number | undefined, target: UnitRecord, language?: LabelLanguage): Promise<TextExport> {
      const labels = language === undefined ? undefined : await labelling(language)
      const line = lineOf(labels)
      return lines(q, cursor, limit, csvHeader({ converted: true, labels: labels ? LABEL_COLUMNS : [] }), (r) => line(convertRow(r, target)))
    },

    /**
     * A whole selection, for answers that are one document (JSON-stat, a web page): at most `max` rows in id order, converted to
     * `target` when given, and whether more match (the caller refuses rather than cut a dataset short).
     */
    async selection(q: ObservationQuery, max: number, target: UnitRecord | null): Promise<{ rows: ConvertedRow[]; more: boolean }> {
      const rows = await rowReader(q)(toFilter(q), 0, max + 1)
      const more = rows.length > max
      if (more) rows.pop()
      return { rows: target ? rows.map((r) => convertRow(r, target)) : rows, more }
    },

    /** One keyset page of rows (lastNObservations applied), for the representations built from rows. */
    async rowPage(q: ObservationQuery, cursor: string | undefined, limit: number): Promise<{ items: ObservationRow[]; nextCursor: string | null }> {
      return keysetPage(q, cursor, limit, rowReader(q), (r) => r.id)
    },

    /** A text export: `header`, then `line` of every matching row, and with `limit` the cursor of the rest. */
    lines,

    /** One keyset page, each observation already JSON (the Observation schema), joined by commas. */
    async pageJson(q: ObservationQuery, cursor: string | undefined, limit: number): Promise<{ data: string; nextCursor: string | null }> {
      const read: (f: ObservationFilter, a: number, n: number) => Promise<Array<[number, string]>> =
        q.lastNObservations === undefined ? (f, a, n) => repo.pageJson(f, a, n) : async (f, a, n) => (await reader(f, a, n)).map((r) => [r.id, observationJson(r)])
      const reader = rowReader(q)
      const page = await keysetPage(q, cursor, limit, read, (r) => r[0])
      return { data: page.items.map((r) => r[1]).join(','), nextCursor: page.nextCursor }
    },

    /** The CSV export: a header, then every matching row, fetched batch by batch as the client reads. */
    async csv(q: ObservationQuery, cursor: string | undefined, limit: number | undefined, language?: LabelLanguage): Promise<TextExport> {
      // The whole export streams the SQL-built lines; one cut by limit is one page of rows (its lines equal those).
      if (language === undefined && q.lastNObservations === undefined && limit === undefined) return { lines: await exportBatches(q, cursor, undefined, (f, a, n) => repo.pageCsv(f, a, n)), nextCursor: null }
      // Labels (and lastNObservations) are applied per row in JavaScript, on both backends: the SQL-built lines stay the plain export's.
      const labels = language === undefined ? undefined : await labelling(language)
      return lines(q, cursor, limit, csvHeader({ converted: false, labels: labels ? LABEL_COLUMNS : [] }), lineOf(labels))
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
