// Observation reads on PostgreSQL: keyset pages under filters, asOf, the change feed, as row
// objects, as JSON text built by the server and as CSV lines. The JSON and the row SELECT list
// are derived from the field table (storage/fields.ts), whose JavaScript forms they must equal.
import { createHash } from 'node:crypto'
import { csvLine, jsonTree, ROW_COLUMNS, sourceTextUrl, type JsonNode, type ObservationField } from '../fields.js'
import type { ObservationFilter, ObservationReads, ObservationRow, Vintage } from '../ports.js'
import { run, runArrays, type Queryable } from './client.js'

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`

/** ObservationRow's columns (o: observation, r: revision, i: indicator), aliased to its properties. */
export const ROW_SQL = ROW_COLUMNS.map(({ row, column }) => `${column} AS "${row}"`).join(', ')

/** A field's value as JSON text. to_json(text)::text escapes exactly as JSON.stringify does for text PostgreSQL can hold. */
function jsonValueSql(field: ObservationField): string {
  switch (field.type) {
    case 'integer':
      return `(${field.column})::text`
    case 'text':
      return `to_json(${field.column})::text`
    case 'nullableText':
      return `coalesce(to_json(${field.column})::text, 'null')`
    case 'jsonArray':
      // Stored as the JSON text its writer made (JSON.stringify): inlined as it is.
      return field.column
    case 'sourceTextUrl': {
      const [prefix, suffix] = sourceTextUrl('\u0000').split('\u0000') as [string, string]
      return `to_json(${literal(prefix)} || ${field.column} || ${literal(suffix)})::text`
    }
  }
}

/** The Observation (or ObservationRevision) JSON as one concatenation; json_build_object's text output has spaces. */
function jsonSql(revision: boolean): string {
  const write = (nodes: JsonNode[]): string[] => {
    const parts: string[] = []
    nodes.forEach((n, i) => {
      parts.push(literal(`${i === 0 ? '{' : ','}${JSON.stringify(n.key)}:`))
      if ('members' in n) parts.push(...write(n.members))
      else parts.push(jsonValueSql(n.field))
    })
    parts.push(literal('}'))
    return parts
  }
  return write(jsonTree(revision)).join(' || ')
}
export const OBSERVATION_JSON_SQL = jsonSql(false)
export const REVISION_JSON_SQL = jsonSql(true)

/**
 * Which revision a read sees: the current one, or the last one (by seq) published by asOf and/or
 * recorded by knownAt (their parameters). Rows written before migration 0003 have no
 * published_at: they were published when recorded.
 */
function revisionJoin(asOfParam: string | null, knownAtParam: string | null = null): string {
  if (asOfParam === null && knownAtParam === null) return 'JOIN observation_revision r ON r.seq = o.current_seq'
  return `JOIN LATERAL (SELECT * FROM observation_revision r2 WHERE r2.observation_id = o.id AND ${revisionBounds(asOfParam, knownAtParam)} ORDER BY r2.seq DESC LIMIT 1) r ON true`
}

/** The conditions on r2 that make it visible at asOf and/or knownAt. */
function revisionBounds(asOfParam: string | null, knownAtParam: string | null): string {
  return [asOfParam === null ? '' : `coalesce(r2.published_at, r2.recorded_at) <= ${asOfParam}`, knownAtParam === null ? '' : `r2.recorded_at <= ${knownAtParam}`].filter(Boolean).join(' AND ')
}

/** The seq of the revision a read sees of observation o, as revisionJoin picks it. */
function inForceSeq(asOfParam: string | null, knownAtParam: string | null): string {
  if (asOfParam === null && knownAtParam === null) return 'o.current_seq'
  return `(SELECT r2.seq FROM observation_revision r2 WHERE r2.observation_id = o.id AND ${revisionBounds(asOfParam, knownAtParam)} ORDER BY r2.seq DESC LIMIT 1)`
}

/** Past every id: where a page starts when none of its codes has rows left. */
const MAX_ID = '9223372036854775807'

/** A prepared statement's name from its text: one per query shape, the same on every connection. */
const statementName = (text: string) => 'b' + createHash('sha1').update(text).digest('hex').slice(0, 24)

/**
 * The SQL of a filtered page and its values. The text depends only on which filters are set
 * (sets travel as arrays), so each shape is prepared once per connection.
 */
export function pageQuery(filter: ObservationFilter, afterId: number, limit: number, columns: string, since?: SinceStart): { text: string; values: unknown[] } {
  const values: unknown[] = [afterId, limit]
  const p = (v: unknown) => {
    values.push(v)
    return `$${values.length}`
  }
  // Sources, nothing narrower: each source's range of the revision index in observation order,
  // keeping the revisions in force, the ranges merged. A source's figures may lie anywhere among
  // the ids (a correction cites its own source), so walking observations could cross them all.
  const sources = filter.sources?.length ? [...new Set(filter.sources)] : undefined
  const sourceLed = sources !== undefined && ![filter.indicators, filter.areas, filter.periods].some((codes) => codes?.length === 1)
  const where = [sourceLed ? 'r.observation_id > $1' : 'o.id > $1']
  const asOf = filter.asOf === undefined ? null : p(filter.asOf)
  const knownAt = filter.knownAt === undefined ? null : p(filter.knownAt)
  // Sets of codes on an indexed column: several values, a category, a period range.
  const sets: Array<{ column: string; codes: string }> = []
  // One value: equality, so the (column, id) index yields the page in id order; a LIMIT does not
  // tempt the planner into walking every observation for a rare or absent code.
  const list = (column: string, codes: string[] | undefined) => {
    if (!codes?.length) return
    if (codes.length === 1) where.push(`o.${column} = ${p(codes[0])}`)
    else sets.push({ column, codes: `SELECT unnest(${p(codes)}::text[]) AS code` })
  }
  list('indicator_code', filter.indicators)
  list('area_code', filter.areas)
  list('period_code', filter.periods)
  // Kinds are codes too, with their (kind, id) index: one is an equality, several a set.
  list('kind', filter.kinds)
  if (filter.categories?.length) sets.push({ column: 'indicator_code', codes: `SELECT code FROM indicator WHERE category = ANY(${p(filter.categories)}::text[])` })
  if (filter.topics?.length) sets.push({ column: 'indicator_code', codes: `SELECT indicator_code AS code FROM topic_indicator WHERE topic_code = ANY(${p(filter.topics)}::text[])` })
  if (filter.periodFrom !== undefined || filter.periodTo !== undefined) {
    const within: string[] = []
    if (filter.periodFrom !== undefined) within.push(`start_date >= ${p(filter.periodFrom)}`)
    if (filter.periodTo !== undefined) within.push(`end_date <= ${p(filter.periodTo)}`)
    sets.push({ column: 'period_code', codes: `SELECT code FROM reporting_period WHERE ${within.join(' AND ')}` })
  }
  for (const set of sets) where.push(`o.${set.column} IN (${set.codes})`)
  // Sources are the revision's: the one in force must cite one of them (led by them, each branch its own).
  const leads = sourceLed ? sources.map((source) => `r.source_id = ${p(source)}`) : []
  if (sources !== undefined && !sourceLed) where.push(`r.source_id = ANY(${p(sources)}::text[])`)
  // A page under sets starts at the first id any of their codes has after the cursor (one index
  // probe per code), so codes with few rows, or none left, never make the page walk the table.
  if (sets.length && !sourceLed) {
    const starts = sets.map(
      (set) => `coalesce((SELECT min((SELECT o2.id FROM observation o2 WHERE o2.${set.column} = c.code AND o2.id > $1 ORDER BY o2.id LIMIT 1)) FROM (${set.codes}) c) - 1, ${MAX_ID})`,
    )
    where.push(`o.id > ${starts.length === 1 ? starts[0] : `greatest(${starts.join(', ')})`}`)
  }
  let split: { seq: string; firstCreated: string } | undefined
  if (filter.updatedSince !== undefined) {
    where.push(`r.recorded_at >= ${p(filter.updatedSince)}`)
    // Where the log reaches T: a few revisions since are found from the log (as an array, so the
    // observations are read by key, not scanned to meet a hashed set), many by walking observations.
    if (since !== undefined) {
      const seq = p(since.seq)
      if (since.fromLog) where.push(`o.id = ANY(ARRAY(SELECT observation_id FROM observation_revision WHERE seq >= ${seq} AND observation_id > $1))`)
      else where.push(`o.current_seq >= ${seq}`)
      if (since.firstCreated !== undefined) split = { seq, firstCreated: p(since.firstCreated) }
    }
  }
  if (!filter.includeWithdrawn && filter.updatedSince === undefined) where.push("r.status <> 'withdrawn'")
  if (sourceLed) where.push(`r.seq = ${inForceSeq(asOf, knownAt)}`)
  const from = sourceLed
    ? 'FROM observation_revision r JOIN observation o ON o.id = r.observation_id JOIN indicator i ON i.code = o.indicator_code'
    : `FROM observation o ${revisionJoin(asOf, knownAt)} JOIN indicator i ON i.code = o.indicator_code`
  // Led by a source, the page is in the order of its revision index (the same ids).
  const order = sourceLed ? 'r.observation_id' : 'o.id'
  const conditions = where.join(' AND ')
  // Many changed since T, but only a few older observations among them (corrections, through
  // their partial index); the rest were created since T, so they lie from firstCreated on. Two
  // short walks, where one would cross every older observation to reach them.
  const parts =
    split === undefined
      ? []
      : [
          `o.id = ANY(ARRAY(SELECT observation_id FROM observation_revision WHERE revision > 1 AND seq >= ${split.seq} AND observation_id > $1 AND observation_id < ${split.firstCreated}))`,
          `o.id >= ${split.firstCreated}`,
        ]
  // Each (source, part) is a short read in id order; an observation's revision in force cites one
  // source and falls in one part, so the branches never share a row and the page merges them.
  const branches = (leads.length ? leads : ['']).flatMap((lead) => (parts.length ? parts : ['']).map((part) => [conditions, lead, part].filter(Boolean).join(' AND ')))
  if (branches.length === 1) {
    const text = `SELECT ${columns} ${from}
    WHERE ${branches[0]} ORDER BY ${order} LIMIT $2`
    return { text, values }
  }
  const text = `SELECT * FROM (${branches.map((b) => `(SELECT ${columns} ${from} WHERE ${b} ORDER BY ${order} LIMIT $2)`).join(' UNION ALL ')}) page ORDER BY 1 LIMIT $2`
  return { text, values }
}

/**
 * Where updatedSince starts in the log. Revision times never go backwards in seq order (the audit
 * appender's clock, under the write lock), so "recorded at or after T" is "seq at or after the
 * first seq recorded at or after T": a binary search over the seq key, in one statement, where a
 * search by time would need an index on it that every write pays for.
 */
export interface SinceStart {
  seq: number
  fromLog: boolean
  /** When set: the first observation created at or after seq; the ones before it changed since are corrections. */
  firstCreated?: number | undefined
}
const SINCE_START = `WITH RECURSIVE search(lo, hi) AS (
    SELECT 1::bigint, (SELECT coalesce(max(seq), 0) + 1 FROM observation_revision)
    UNION ALL
    SELECT CASE WHEN p.at IS NULL OR p.at >= $1 THEN s.lo ELSE p.seq + 1 END, CASE WHEN p.at IS NULL OR p.at >= $1 THEN (s.lo + s.hi) / 2 ELSE s.hi END
    FROM search s LEFT JOIN LATERAL (SELECT seq, recorded_at AS at FROM observation_revision WHERE seq >= (s.lo + s.hi) / 2 ORDER BY seq LIMIT 1) p ON true
    WHERE s.lo < s.hi)
  SELECT (SELECT lo FROM search WHERE lo >= hi) AS start, (SELECT coalesce(max(seq), 0) FROM observation_revision) AS last`
/**
 * The first observation created at or after a seq: a binary search over ids, as over seqs above.
 * Ids and first revisions are assigned in the same order under the write lock, so an observation's
 * first revision is at or after the seq exactly from some id on.
 */
const FIRST_CREATED = `WITH RECURSIVE search(lo, hi) AS (
    SELECT 1::bigint, (SELECT coalesce(max(id), 0) + 1 FROM observation)
    UNION ALL
    SELECT CASE WHEN p.first IS NULL OR p.first >= $1 THEN s.lo ELSE p.id + 1 END, CASE WHEN p.first IS NULL OR p.first >= $1 THEN (s.lo + s.hi) / 2 ELSE s.hi END
    FROM search s LEFT JOIN LATERAL (SELECT o.id, r.seq AS first FROM observation o JOIN observation_revision r ON r.observation_id = o.id AND r.revision = 1
      WHERE o.id >= (s.lo + s.hi) / 2 ORDER BY o.id LIMIT 1) p ON true
    WHERE s.lo < s.hi)
  SELECT (SELECT lo FROM search WHERE lo >= hi) AS first, (SELECT coalesce(max(id), 0) FROM observation) AS last`
/** Up to one revision in SPARSE_SHARE of the log since T: reached from the log rather than by the walk. */
const SPARSE_SHARE = 8
/** Up to this many revisions since T are read from the log outright; more are split when few are corrections. */
const LOG_READ_MAX = 5_000

const REVISION_FROM = 'FROM observation_revision r JOIN observation o ON o.id = r.observation_id JOIN indicator i ON i.code = o.indicator_code'
const BY_ID_CURRENT = `SELECT ${ROW_SQL} FROM observation o ${revisionJoin(null)} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = $1`
const BY_ID_AS_OF = `SELECT ${ROW_SQL} FROM observation o ${revisionJoin('$2')} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = $1`
const BY_ID_KNOWN_AT = `SELECT ${ROW_SQL} FROM observation o ${revisionJoin(null, '$2')} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = $1`
const BY_ID_BITEMPORAL = `SELECT ${ROW_SQL} FROM observation o ${revisionJoin('$2', '$3')} JOIN indicator i ON i.code = o.indicator_code WHERE o.id = $1`
const CHANGES = `SELECT ${ROW_SQL} ${REVISION_FROM} WHERE r.seq > $1 ORDER BY r.seq LIMIT $2`
const CHANGES_JSON = `SELECT r.seq, ${REVISION_JSON_SQL} ${REVISION_FROM} WHERE r.seq > $1 ORDER BY r.seq LIMIT $2`
const REVISIONS = `SELECT ${ROW_SQL} ${REVISION_FROM} WHERE r.observation_id = $1 ORDER BY r.revision`
export const REVISION_BY_NUMBER = `SELECT ${ROW_SQL} ${REVISION_FROM} WHERE r.observation_id = $1 AND r.revision = $2`

/** How updatedSince chooses its plan; tests force each plan on small data. */
export interface SincePlanning {
  sparseShare: number
  logReadMax: number
}

export function observationReads(q: Queryable, planning: SincePlanning = { sparseShare: SPARSE_SHARE, logReadMax: LOG_READ_MAX }): ObservationReads {
  const sinceStart = async (filter: ObservationFilter): Promise<SinceStart | undefined> => {
    // With asOf the revision in force is not the current one: only its time can say.
    if (filter.updatedSince === undefined || filter.asOf !== undefined || filter.knownAt !== undefined) return undefined
    const [row] = await run<{ start: number; last: number }>(q, SINCE_START, [filter.updatedSince], 'since_start')
    const { start, last } = row as { start: number; last: number }
    const since = last + 1 - start
    const sparse = since * planning.sparseShare <= last
    if (sparse && since <= planning.logReadMax) return { seq: start, fromLog: true }
    // More since T: split them into the ones created since (by id) and the corrections (by their index) when these are few.
    const [created] = await run<{ first: number; last: number }>(q, FIRST_CREATED, [start], 'first_created')
    const { first, last: lastId } = created as { first: number; last: number }
    const corrections = since - Math.max(0, lastId + 1 - first)
    if (corrections * planning.sparseShare <= last) return { seq: start, fromLog: false, firstCreated: first }
    return { seq: start, fromLog: sparse }
  }
  const query = async (filter: ObservationFilter, afterId: number, limit: number, columns: string) => {
    const { text, values } = pageQuery(filter, afterId, limit, columns, await sinceStart(filter))
    return { text, values, name: statementName(text) }
  }
  const page = async (filter: ObservationFilter, afterId: number, limit: number) => {
    const { text, values, name } = await query(filter, afterId, limit, ROW_SQL)
    return run<ObservationRow & Record<string, unknown>>(q, text, values, name) as Promise<ObservationRow[]>
  }
  return {
    page,
    async pageJson(filter, afterId, limit) {
      const { text, values, name } = await query(filter, afterId, limit, `o.id, ${OBSERVATION_JSON_SQL}`)
      return runArrays<[number, string]>(q, text, values, name)
    },
    async pageCsv(filter, afterId, limit) {
      // Built here from rows by csvCell itself: one rule, no second form to hold equal.
      const rows = await page(filter, afterId, limit)
      let text = ''
      for (const row of rows) text += csvLine(row)
      return { text, count: rows.length, lastId: rows.length ? (rows[rows.length - 1] as ObservationRow).id : afterId }
    },
    async byId(id, asOf, knownAt) {
      const [text, values] =
        asOf === undefined && knownAt === undefined
          ? [BY_ID_CURRENT, [id]]
          : asOf === undefined
            ? [BY_ID_KNOWN_AT, [id, knownAt]]
            : knownAt === undefined
              ? [BY_ID_AS_OF, [id, asOf]]
              : [BY_ID_BITEMPORAL, [id, asOf, knownAt]]
      const rows = await run(q, text, values, statementName(text))
      return (rows[0] as ObservationRow | undefined) ?? null
    },
    async vintages(filter) {
      const values: unknown[] = []
      const where: string[] = []
      if (filter.indicators?.length) {
        values.push(filter.indicators)
        where.push(`o.indicator_code = ANY($${values.length}::text[])`)
      }
      if (filter.areas?.length) {
        values.push(filter.areas)
        where.push(`o.area_code = ANY($${values.length}::text[])`)
      }
      // Unfiltered, the log alone answers (one pass, no join); the response cache keeps the answer until the next write.
      const from = where.length ? `observation o JOIN observation_revision r ON r.observation_id = o.id WHERE ${where.join(' AND ')}` : 'observation_revision r'
      const text = `SELECT substr(coalesce(r.published_at, r.recorded_at), 1, 10) AS date, count(*)::int AS revisions, count(DISTINCT r.observation_id)::int AS observations FROM ${from} GROUP BY 1 ORDER BY 1`
      return run<Vintage & Record<string, unknown>>(q, text, values, statementName(text)) as Promise<Vintage[]>
    },
    async exists(id) {
      return (await run(q, 'SELECT 1 FROM observation WHERE id = $1', [id])).length > 0
    },
    async changes(afterSeq, limit) {
      return (await run(q, CHANGES, [afterSeq, limit], statementName(CHANGES))) as unknown as ObservationRow[]
    },
    async changesJson(afterSeq, limit) {
      return runArrays<[number, string]>(q, CHANGES_JSON, [afterSeq, limit], statementName(CHANGES_JSON))
    },
    async revisions(id) {
      return (await run(q, REVISIONS, [id], statementName(REVISIONS))) as unknown as ObservationRow[]
    },
  }
}
