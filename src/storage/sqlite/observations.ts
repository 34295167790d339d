// Observation reads (the page planner, JSON and CSV built by SQLite) and the write
// primitives a write transaction runs. These are the hot paths, so they are raw SQL
// on prepared statements, compiled once and reused: per-call query building
// measured several times SQLite's own work.
import type Database from 'better-sqlite3'
import type { Db, Queryable } from './client.js'
import type { NaturalKey, ObservationFilter, ObservationRow, Vintage, VintageFilter } from '../ports.js'
import type { CheckedObservation } from '../../domain/observation.js'
import { ROW_COLUMNS, jsonTree, sourceTextUrl, type JsonNode } from '../fields.js'
// CSV pages are built by SQLite: one string per row instead of a JavaScript value per cell.
import { CSV_LINE_SQL } from './csv-sql.js'

export type { NaturalKey, ObservationFilter, ObservationRow }

/** The columns of ObservationRow (o: observation, r: revision, i: indicator), from the field table. */
const ROW_SQL = ROW_COLUMNS.map((c) => `${c.column} AS ${c.row}`).join(', ')

const [TEXT_URL_BEFORE, TEXT_URL_AFTER] = sourceTextUrl('\u0000').split('\u0000') as [string, string]
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`

/** The JSON tree of the field table as nested json_object calls. */
function jsonObjectSql(nodes: JsonNode[]): string {
  const members = nodes.map((n) => {
    if ('members' in n) return `${sqlString(n.key)}, ${jsonObjectSql(n.members)}`
    const column = n.field.column
    const value =
      n.field.type === 'jsonArray' ? `json(${column})` : n.field.type === 'sourceTextUrl' ? `${sqlString(TEXT_URL_BEFORE)} || ${column} || ${sqlString(TEXT_URL_AFTER)}` : column
    return `${sqlString(n.key)}, ${value}`
  })
  return `json_object(${members.join(', ')})`
}

/**
 * An observation as the JSON of the Observation schema (same fields, same
 * order), built by SQLite itself: a page is up to a thousand of these, and
 * building, then serializing, an object per row measured more than half of the
 * cost of a large page. Tests hold these equal, byte for byte, to the schema
 * serializer's output.
 */
export const OBSERVATION_JSON_SQL = jsonObjectSql(jsonTree(false))
/** The same with the ObservationRevision fields: the change feed's items. */
export const REVISION_JSON_SQL = jsonObjectSql(jsonTree(true))

/**
 * Which revision a read sees: the current one, or the last one (by seq) published by @asOf
 * and/or recorded by @knownAt. Rows written before migration 0006 have no published_at: they
 * were published when recorded.
 */
function revisionJoin(asOf: boolean, knownAt = false): string {
  return `JOIN observation_revision r ON r.seq = ${inForceSeq(asOf, knownAt)}`
}

/** The seq of the revision a read sees of observation o (see revisionJoin). */
function inForceSeq(asOf: boolean, knownAt: boolean): string {
  if (!asOf && !knownAt) return 'o.current_seq'
  const bounds = [asOf ? 'coalesce(r2.published_at, r2.recorded_at) <= @asOf' : '', knownAt ? 'r2.recorded_at <= @knownAt' : ''].filter(Boolean)
  return `(SELECT max(r2.seq) FROM observation_revision r2 WHERE r2.observation_id = o.id AND ${bounds.join(' AND ')})`
}

/**
 * A bound LIMIT, wrapped in an expression. SQLite (3.53, as bundled) re-prepares a
 * statement whose LIMIT is a bare parameter whenever it is bound again: measured
 * 10 µs on every page query, where the whole query takes 1 µs.
 */
const BOUND_LIMIT = (parameter: string) => `CAST(${parameter} AS INTEGER)`

/** Revisions since updatedSince up to 1/SPARSE_SHARE of the log are read from the log, not by walking observations. */
const SPARSE_SHARE = 8

const placeholders = (name: string, n: number) => Array.from({ length: n }, (_, i) => `@${name}${i}`).join(', ')

/** Which set filters hold few enough codes (under SPARSE_DENSITY of their kind) to read through their index. */
export interface SparseSets {
  indicators?: boolean
  areas?: boolean
  periods?: boolean
  categories?: boolean
  topics?: boolean
  periodRange?: boolean
}

/**
 * Below this share of its codes a set is read through its index and sorted; above it, walked in
 * id order. The walk costs a page size / density rows, the sorted read density × table rows:
 * they cross near sqrt(page / rows), 1–3 % at a million observations.
 */
const SPARSE_DENSITY = 0.02

/**
 * Where updatedSince starts in the revision log, and how to reach what follows. Revision times
 * never go backwards in seq order (the audit appender's clock), so "recorded at or after T" is
 * "seq at or after the first seq recorded at or after T". A few revisions since T (the usual
 * sync) are reached from the log; many are dense enough that walking observations in id order
 * fills a page at once. Either way no page scans the whole table, which a recent T (no match in
 * a million rows) did: 0.2 s warm, 2.7 s cold, on the event loop.
 */
export interface SinceStart {
  seq: number
  fromLog: boolean
}

/** What the plan of a page depends on beyond the filter's shape, read from the store only when it matters. */
export interface PlanInputs {
  /** For updatedSince (without asOf). */
  since?: SinceStart | undefined
  /** Asked only when set filters lead the page (no natural key, no single code). */
  sparseSets: () => SparseSets
}

/**
 * The SQL of a filtered page, and its parameters. The text depends only on the
 * filter's shape (which filters, how many values each) and the plan choices, so
 * it is compiled once per shape and reused; the values are bound.
 */
export function pageQuery(
  filter: ObservationFilter,
  afterId: number,
  limit: number,
  columns: string,
  plan: PlanInputs,
): { shape: string; text: () => string; params: Record<string, unknown> } {
  const where: string[] = []
  const params: Record<string, unknown> = { afterId, limit }
  // With both an indicator and an area, the natural key reaches exactly their rows; without
  // statistics (the store is never ANALYZEd: sampled statistics misled the planner, full ones cost
  // a second per million rows) SQLite would walk every row of the indicator in id order instead,
  // 11x slower at a million observations.
  const naturalKey = Boolean(filter.indicators?.length && filter.areas?.length)
  // One indicator, area or period: its (column, id) index yields the page in id order.
  const single = [filter.indicators, filter.areas, filter.periods].some((values) => values?.length === 1)
  // Sources, nothing narrower: each source's range of the revision index, read in observation
  // order keeping the revisions in force, the ranges merged. A source's figures may lie anywhere
  // among the ids (a correction cites its own source), so walking observations could cross them all.
  const sources = filter.sources?.length ? [...new Set(filter.sources)] : undefined
  const sourceLed = sources !== undefined && !naturalKey && !single
  const hasSets =
    [filter.indicators, filter.areas, filter.periods].some((values) => (values?.length ?? 0) > 1) ||
    Boolean(filter.categories?.length) ||
    Boolean(filter.topics?.length) ||
    filter.periodFrom !== undefined ||
    filter.periodTo !== undefined
  const sparse = hasSets && !naturalKey && !single && !sourceLed ? plan.sparseSets() : {}
  const since = plan.since
  const shape = [
    filter.indicators?.length ?? 0,
    filter.areas?.length ?? 0,
    filter.periods?.length ?? 0,
    filter.kinds?.length ?? 0,
    filter.categories?.length ?? 0,
    filter.topics?.length ?? 0,
    `${sources?.length ?? 0}${sourceLed ? 's' : ''}`,
    filter.periodFrom === undefined ? '' : 'f',
    filter.periodTo === undefined ? '' : 't',
    filter.updatedSince === undefined ? '' : since === undefined ? 'u' : since.fromLog ? 'ul' : 'us',
    filter.includeWithdrawn || filter.updatedSince !== undefined ? 'w' : '',
    filter.asOf === undefined ? '' : 'a',
    filter.knownAt === undefined ? '' : 'k',
    Object.entries(sparse)
      .filter(([, v]) => v)
      .map(([k]) => k)
      .join('+'),
  ].join(',')
  // A set of codes (several values, a category, a period range) on an indexed column. Left to
  // itself SQLite reads every row of every code and sorts them for each page: 50–120 ms a page
  // for a category or a year at a million rows, whatever the page size. Instead the page walks
  // the table in id order from the first id any of the codes has after the cursor (one index
  // seek per code), checking membership: sub-millisecond, and nothing at all when no code has
  // rows left.
  const sets: Array<{ column: string; codes: string }> = []
  // A sparse set (a few codes out of many) is still best read through its index and sorted:
  // that reads only its own few rows, where the walk would cross long runs of others.
  const setFilter = (key: keyof SparseSets, column: string, codes: string) => {
    if (naturalKey || sparse[key]) where.push(`o.${column} IN (${codes})`)
    else sets.push({ column, codes })
  }
  const anySparse = Object.values(sparse).some(Boolean)
  const list = (key: keyof SparseSets, column: string, name: string, values: string[] | undefined) => {
    if (!values?.length) return
    values.forEach((v, i) => (params[`${name}${i}`] = v))
    if (values.length === 1) where.push(`o.${column} = @${name}0`)
    else setFilter(key, column, `SELECT column1 AS code FROM (VALUES ${values.map((_, i) => `(@${name}${i})`).join(', ')})`)
  }
  list('indicators', 'indicator_code', 'indicator', filter.indicators)
  list('areas', 'area_code', 'area', filter.areas)
  list('periods', 'period_code', 'period', filter.periods)
  if (filter.kinds?.length) {
    where.push(`o.kind IN (${placeholders('kind', filter.kinds.length)})`)
    filter.kinds.forEach((v, i) => (params[`kind${i}`] = v))
  }
  if (filter.categories?.length) {
    setFilter('categories', 'indicator_code', `SELECT code FROM indicator WHERE category IN (${placeholders('category', filter.categories.length)})`)
    filter.categories.forEach((v, i) => (params[`category${i}`] = v))
  }
  if (filter.topics?.length) {
    setFilter('topics', 'indicator_code', `SELECT indicator_code AS code FROM topic_indicator WHERE topic_code IN (${placeholders('topic', filter.topics.length)})`)
    filter.topics.forEach((v, i) => (params[`topic${i}`] = v))
  }
  if (filter.periodFrom !== undefined || filter.periodTo !== undefined) {
    const within = []
    if (filter.periodFrom !== undefined) {
      within.push('start_date >= @periodFrom')
      params.periodFrom = filter.periodFrom
    }
    if (filter.periodTo !== undefined) {
      within.push('end_date <= @periodTo')
      params.periodTo = filter.periodTo
    }
    setFilter('periodRange', 'period_code', `SELECT code FROM reporting_period WHERE ${within.join(' AND ')}`)
  }
  // Unary + keeps a set's column index out of the plan: the walk (or the single code's index) leads.
  for (const set of sets) where.push(`+o.${set.column} IN (${set.codes})`)
  // Sources are the revision's: the one in force must cite one of them (led by them, each branch
  // its own; else a check, its index kept out of the plan like a set's).
  sources?.forEach((v, i) => (params[`source${i}`] = v))
  if (sources !== undefined && !sourceLed) where.push(`+r.source_id IN (${placeholders('source', sources.length)})`)
  // Where the page starts: after the cursor, or, when sets lead, just before the first id any of
  // their codes has after the cursor (every such start is past the cursor).
  let seek = sourceLed ? 'r.observation_id > @afterId' : 'o.id > @afterId'
  if (sets.length && !single && !anySparse && !sourceLed) {
    const starts = sets.map(
      (set) =>
        `coalesce((SELECT min((SELECT o2.id FROM observation o2 WHERE o2.${set.column} = c.code AND o2.id > @afterId ORDER BY o2.id LIMIT 1)) FROM (${set.codes}) c) - 1, ${Number.MAX_SAFE_INTEGER})`,
    )
    seek = `o.id > ${starts.length === 1 ? starts[0] : `max(${starts.join(', ')})`}`
  }
  where.unshift(seek)
  if (filter.updatedSince !== undefined && since !== undefined) {
    // An observation changed since T exactly when its revision in force is at or after the start.
    where.push(since.fromLog ? 'o.id IN (SELECT observation_id FROM observation_revision WHERE seq >= @sinceSeq)' : 'o.current_seq >= @sinceSeq')
    params.sinceSeq = since.seq
  } else if (filter.updatedSince !== undefined) {
    where.push('r.recorded_at >= @updatedSince')
    params.updatedSince = filter.updatedSince
  }
  if (!filter.includeWithdrawn && filter.updatedSince === undefined) where.push("r.status != 'withdrawn'")
  if (filter.asOf !== undefined) params.asOf = filter.asOf
  if (filter.knownAt !== undefined) params.knownAt = filter.knownAt
  const asOf = filter.asOf !== undefined
  const knownAt = filter.knownAt !== undefined
  if (sourceLed) {
    // CROSS JOIN keeps the revision index as the outer loop; its order is the branch's. An
    // observation's revision in force cites one source, so the branches never share a row.
    const branch = (i: number) => `SELECT ${columns} FROM observation_revision r INDEXED BY observation_revision_source_idx CROSS JOIN observation o ON o.id = r.observation_id
      JOIN indicator i ON i.code = o.indicator_code
      WHERE r.source_id = @source${i} AND r.seq = ${inForceSeq(asOf, knownAt)} AND ${where.join(' AND ')} ORDER BY r.observation_id LIMIT ${BOUND_LIMIT('@limit')}`
    const text = () =>
      sources.length === 1 ? branch(0) : `${sources.map((_, i) => `SELECT * FROM (${branch(i)})`).join(' UNION ALL ')} ORDER BY 1 LIMIT ${BOUND_LIMIT('@limit')}`
    return { shape, text, params }
  }
  const access = naturalKey ? ' INDEXED BY observation_natural_key' : ''
  const text = () => `SELECT ${columns} FROM observation o${access} ${revisionJoin(asOf, knownAt)} JOIN indicator i ON i.code = o.indicator_code
    WHERE ${where.join(' AND ')} ORDER BY o.id LIMIT ${BOUND_LIMIT('@limit')}`
  return { shape, text, params }
}

/** Compiled statements by filter shape, bounded (least recently used out): shapes are few, but clients choose them. */
function statementCache(client: Database.Database, capacity = 256) {
  const cache = new Map<string, Database.Statement>()
  return (shape: string, text: () => string, raw = false): Database.Statement => {
    let stmt = cache.get(shape)
    if (stmt) {
      cache.delete(shape)
    } else {
      stmt = client.prepare(text())
      if (raw) stmt.raw(true)
      if (cache.size >= capacity) cache.delete(cache.keys().next().value as string)
    }
    cache.set(shape, stmt)
    return stmt
  }
}

export function createObservationRepository(db: Db) {
  const client = db.$client
  const prepared = statementCache(client)
  const byIdCurrent = client.prepare(`SELECT ${ROW_SQL} FROM observation o ${revisionJoin(false)} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = ?`)
  const byIdAt = {
    asOf: client.prepare(`SELECT ${ROW_SQL} FROM observation o ${revisionJoin(true)} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = @id`),
    knownAt: client.prepare(`SELECT ${ROW_SQL} FROM observation o ${revisionJoin(false, true)} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = @id`),
    both: client.prepare(`SELECT ${ROW_SQL} FROM observation o ${revisionJoin(true, true)} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = @id`),
  }
  const vintageQuery = statementCache(client, 64)
  const exists = client.prepare('SELECT 1 FROM observation WHERE id = ?')
  const changes = client.prepare(
    `SELECT ${ROW_SQL} FROM observation_revision r JOIN observation o ON o.id = r.observation_id JOIN indicator i ON i.code = o.indicator_code WHERE r.seq > ? ORDER BY r.seq LIMIT ${BOUND_LIMIT('?')}`,
  )
  const changesJson = client
    .prepare(
      `SELECT r.seq, ${REVISION_JSON_SQL} FROM observation_revision r JOIN observation o ON o.id = r.observation_id JOIN indicator i ON i.code = o.indicator_code WHERE r.seq > ? ORDER BY r.seq LIMIT ${BOUND_LIMIT('?')}`,
    )
    .raw(true)
  const revisions = client.prepare(
    `SELECT ${ROW_SQL} FROM observation_revision r JOIN observation o ON o.id = r.observation_id JOIN indicator i ON i.code = o.indicator_code WHERE r.observation_id = ? ORDER BY r.revision`,
  )
  const firstRevisionFrom = client.prepare('SELECT seq, recorded_at FROM observation_revision WHERE seq >= ? ORDER BY seq LIMIT 1').raw(true)
  const lastRevision = client.prepare('SELECT max(seq) FROM observation_revision').pluck()

  /** The first seq recorded at or after `instant` (a binary search over seq: ~20 point reads at a million). */
  function sinceStart(instant: string): SinceStart {
    const last = (lastRevision.get() as number | null) ?? 0
    let lo = 1
    let hi = last + 1
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2)
      const row = firstRevisionFrom.get(mid) as [number, string] | undefined
      if (!row || row[1] >= instant) hi = mid
      else lo = row[0] + 1
    }
    // Up to one revision in SPARSE_SHARE of the log since then: reach them from the log.
    return { seq: lo, fromLog: (last + 1 - lo) * SPARSE_SHARE <= last }
  }
  const catalogSizes = client.prepare('SELECT (SELECT count(*) FROM indicator), (SELECT count(*) FROM area), (SELECT count(*) FROM reporting_period)').raw(true)
  const indicatorsIn = client.prepare('SELECT count(*) FROM indicator WHERE category IN (SELECT value FROM json_each(?))').pluck()
  const indicatorsOfTopics = client.prepare('SELECT count(DISTINCT indicator_code) FROM topic_indicator WHERE topic_code IN (SELECT value FROM json_each(?))').pluck()
  const periodsWithin = client.prepare('SELECT count(*) FROM reporting_period WHERE (@from IS NULL OR start_date >= @from) AND (@to IS NULL OR end_date <= @to)').pluck()

  /** The share of its kind each set filter's codes make up (a handful of small-table counts). */
  function sparseSets(filter: ObservationFilter): SparseSets {
    const [indicators, areas, periods] = catalogSizes.get() as [number, number, number]
    const few = (n: number, of: number) => n >= 1 && n < of * SPARSE_DENSITY
    const sparse: SparseSets = {}
    if ((filter.indicators?.length ?? 0) > 1) sparse.indicators = few(filter.indicators?.length ?? 0, indicators)
    if ((filter.areas?.length ?? 0) > 1) sparse.areas = few(filter.areas?.length ?? 0, areas)
    if ((filter.periods?.length ?? 0) > 1) sparse.periods = few(filter.periods?.length ?? 0, periods)
    if (filter.categories?.length) sparse.categories = few(indicatorsIn.get(JSON.stringify(filter.categories)) as number, indicators)
    if (filter.topics?.length) sparse.topics = few(indicatorsOfTopics.get(JSON.stringify(filter.topics)) as number, indicators)
    if (filter.periodFrom !== undefined || filter.periodTo !== undefined) {
      sparse.periodRange = few(periodsWithin.get({ from: filter.periodFrom ?? null, to: filter.periodTo ?? null }) as number, periods)
    }
    return sparse
  }

  /** One page's rows in the given form; array rows (raw) unless they are row objects. */
  function pageOf<T>(form: 'rows' | 'json' | 'csv', filter: ObservationFilter, afterId: number, limit: number): T[] {
    const columns = form === 'rows' ? ROW_SQL : `o.id, ${form === 'json' ? OBSERVATION_JSON_SQL : CSV_LINE_SQL}`
    const q = pageQuery(filter, afterId, limit, columns, {
      since: filter.updatedSince !== undefined && filter.asOf === undefined && filter.knownAt === undefined ? sinceStart(filter.updatedSince) : undefined,
      sparseSets: () => sparseSets(filter),
    })
    return prepared(`${form}|${q.shape}`, q.text, form !== 'rows').all(q.params) as T[]
  }

  return {
    /**
     * One keyset page in id order as row objects: rows after `afterId`, at most `limit`. The
     * routes send pageJson; this is the field-by-field form the JSON builders are tested against.
     */
    async page(filter: ObservationFilter, afterId: number, limit: number): Promise<ObservationRow[]> {
      return pageOf<ObservationRow>('rows', filter, afterId, limit)
    },

    /** The same page as [id, observation JSON] pairs, for pages sent as they are. */
    async pageJson(filter: ObservationFilter, afterId: number, limit: number): Promise<Array<[number, string]>> {
      return pageOf<[number, string]>('json', filter, afterId, limit)
    },

    /** The same page as CSV text (no header): its lines, how many, and the last id for the next batch. */
    async pageCsv(filter: ObservationFilter, afterId: number, limit: number): Promise<{ text: string; count: number; lastId: number }> {
      // Lines joined here rather than by group_concat(... ORDER BY id): that sorts again, 20 % slower.
      const rows = pageOf<[number, string]>('csv', filter, afterId, limit)
      let text = ''
      for (const row of rows) text += row[1]
      return { text, count: rows.length, lastId: rows.length ? (rows[rows.length - 1] as [number, string])[0] : afterId }
    },

    async byId(id: number, asOf?: string, knownAt?: string): Promise<ObservationRow | null> {
      const row =
        asOf === undefined && knownAt === undefined
          ? byIdCurrent.get(id)
          : asOf === undefined
            ? byIdAt.knownAt.get({ id, knownAt })
            : knownAt === undefined
              ? byIdAt.asOf.get({ id, asOf })
              : byIdAt.both.get({ id, asOf, knownAt })
      return (row as ObservationRow | undefined) ?? null
    },

    async vintages(filter: VintageFilter): Promise<Vintage[]> {
      const params: Record<string, string> = {}
      const where: string[] = []
      const codes = (column: string, name: string, values: string[] | undefined) => {
        if (!values?.length) return
        values.forEach((v, i) => (params[`${name}${i}`] = v))
        where.push(`o.${column} IN (${placeholders(name, values.length)})`)
      }
      codes('indicator_code', 'indicator', filter.indicators)
      codes('area_code', 'area', filter.areas)
      // Unfiltered, the log alone answers (one pass, no join); the response cache keeps the answer until the next write.
      const from = where.length ? `observation o JOIN observation_revision r ON r.observation_id = o.id WHERE ${where.join(' AND ')}` : 'observation_revision r'
      const shape = `${filter.indicators?.length ?? 0},${filter.areas?.length ?? 0}`
      const text = () =>
        `SELECT substr(coalesce(r.published_at, r.recorded_at), 1, 10) AS date, count(*) AS revisions, count(DISTINCT r.observation_id) AS observations FROM ${from} GROUP BY 1 ORDER BY 1`
      return vintageQuery(shape, text).all(params) as Vintage[]
    },

    async exists(id: number): Promise<boolean> {
      return exists.get(id) !== undefined
    },

    /** Revisions in commit order after `afterSeq` as row objects (the reference for changesJson). */
    async changes(afterSeq: number, limit: number): Promise<ObservationRow[]> {
      return changes.all(afterSeq, limit) as ObservationRow[]
    },

    /** The change feed as [seq, revision JSON] pairs, for pages sent as they are. */
    async changesJson(afterSeq: number, limit: number): Promise<Array<[number, string]>> {
      return changesJson.all(afterSeq, limit) as Array<[number, string]>
    },

    /** Every revision of one observation, oldest first. */
    async revisions(id: number): Promise<ObservationRow[]> {
      return revisions.all(id) as ObservationRow[]
    },
  }
}

export type ObservationRepository = ReturnType<typeof createObservationRepository>

// --- write primitives: prepared once per transaction, reused for every row ---


export interface RevisionContent {
  status: 'active' | 'withdrawn'
  observation: CheckedObservation
}

export interface RevisionMeta {
  reason: string
  actor: string
  recordedAt: string
  publishedAt: string
  ruleChanges: string
}

export function clientOf(tx: Queryable): Database.Database {
  // A drizzle transaction runs on the same better-sqlite3 connection as its database.
  return ((tx as { $client?: Database.Database }).$client ?? (tx as unknown as { session: { client: Database.Database } }).session.client) as Database.Database
}

/**
 * The statements a write transaction runs per row, compiled once and executed
 * directly on the connection: a 10 000-row import then costs a few statement
 * executions per row, without per-call query building or result mapping
 * (which measured three times the cost of SQLite's own work).
 */
export function openObservationStore(tx: Queryable) {
  const client = clientOf(tx)
  const current = (where: string) =>
    client.prepare(`SELECT ${ROW_SQL} FROM observation o JOIN observation_revision r ON r.seq = o.current_seq JOIN indicator i ON i.code = o.indicator_code WHERE ${where} LIMIT 1`)
  const byKey = current('o.indicator_code = ? AND o.area_code = ? AND o.period_code = ? AND o.kind = ?')
  const byId = current('o.id = ?')
  const byRevision = client.prepare(
    `SELECT ${ROW_SQL} FROM observation_revision r JOIN observation o ON o.id = r.observation_id JOIN indicator i ON i.code = o.indicator_code WHERE r.observation_id = ? AND r.revision = ? LIMIT 1`,
  )
  const insertIdentity = client.prepare('INSERT INTO observation (indicator_code, area_code, period_code, kind, current_seq) VALUES (?, ?, ?, ?, 0)')
  const insertRevision = client.prepare(
    `INSERT INTO observation_revision (observation_id, revision, status, value, qualifier, reported_value, reported_unit, reported_text,
      source_id, quote, byte_start, byte_end, involved_areas, note, reason, actor, recorded_at, temporality, reference_date, published_at, rule_changes)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const pointAt = client.prepare('UPDATE observation SET current_seq = ? WHERE id = ?')

  return {
    findByNaturalKey(key: NaturalKey): ObservationRow | null {
      return (byKey.get(key.indicator, key.area, key.period, key.kind) as ObservationRow | undefined) ?? null
    },
    findCurrentById(id: number): ObservationRow | null {
      return (byId.get(id) as ObservationRow | undefined) ?? null
    },
    findRevision(id: number, revision: number): ObservationRow | null {
      return (byRevision.get(id, revision) as ObservationRow | undefined) ?? null
    },
    /** Creates the observation identity; its first revision follows at once. */
    insertIdentity(key: NaturalKey): number {
      return Number(insertIdentity.run(key.indicator, key.area, key.period, key.kind).lastInsertRowid)
    },
    /** Appends a revision and points the observation at it; returns its seq. */
    appendRevision(observationId: number, revision: number, content: RevisionContent, meta: RevisionMeta): number {
      const o = content.observation
      const seq = Number(
        insertRevision.run(
          observationId,
          revision,
          content.status,
          o.value,
          o.qualifier,
          o.reported.value,
          o.reported.unit,
          o.reported.text,
          o.citation.sourceId,
          o.citation.quote,
          o.citation.byteStart,
          o.citation.byteEnd,
          JSON.stringify(o.involvedAreas),
          o.note,
          meta.reason,
          meta.actor,
          meta.recordedAt,
          o.temporality,
          o.referenceDate,
          meta.publishedAt,
          meta.ruleChanges,
        ).lastInsertRowid,
      )
      pointAt.run(seq, observationId)
      return seq
    },
  }
}

export type ObservationStore = ReturnType<typeof openObservationStore>
