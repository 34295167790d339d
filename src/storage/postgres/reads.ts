// Catalog, audit, key, idempotency and integrity reads on PostgreSQL: plain records out, in
// the orders the SQLite adapter answers in (text keys sort in binary, as there).
import { parseSynonyms, rankIndicators, storedSynonyms } from '../search.js'
import type { ApiKeyRecord, AreaRecord, AuditReads, CatalogReads, IdempotencyReads, IdempotencyRecord, IndicatorRecord, IntegrityReads, KeyReads, PeriodRecord, RelationRecord, SourceMetadata, StoredAuditRow, TopicRecord, UnitRecord } from '../ports.js'
import { run, type Queryable } from './client.js'

export const AREA_SQL = 'SELECT code, name_zh AS "nameZh", name_en AS "nameEn", level, parent_code AS "parentCode", division_code AS "divisionCode" FROM area'
export const PERIOD_SQL = 'SELECT code, type, start_date AS "startDate", end_date AS "endDate" FROM reporting_period'
export const INDICATOR_SQL = 'SELECT code, name_zh AS "nameZh", name_en AS "nameEn", description, category, unit, additive, synonyms FROM indicator'
const TOPIC_SQL = 'SELECT code, name_zh AS "nameZh", name_en AS "nameEn", description_zh AS "descriptionZh", description_en AS "descriptionEn", synonyms, position FROM topic'

/** An indicator row with its synonyms' JSON text as the array it holds. */
export const toIndicator = (row: Record<string, unknown>): IndicatorRecord => ({ ...(row as unknown as IndicatorRecord), synonyms: parseSynonyms(row.synonyms) })

/** Topics with their members (sorted), in position order (code breaks ties, in binary order as on SQLite). */
export async function readTopics(q: Queryable, code?: string): Promise<TopicRecord[]> {
  const rows = code === undefined ? await run(q, `${TOPIC_SQL} ORDER BY position, code COLLATE "C"`) : await run(q, `${TOPIC_SQL} WHERE code = $1`, [code])
  const members =
    code === undefined
      ? await run<{ topic: string; indicator: string }>(q, 'SELECT topic_code AS topic, indicator_code AS indicator FROM topic_indicator ORDER BY indicator_code COLLATE "C"')
      : await run<{ topic: string; indicator: string }>(q, 'SELECT topic_code AS topic, indicator_code AS indicator FROM topic_indicator WHERE topic_code = $1 ORDER BY indicator_code COLLATE "C"', [code])
  return rows.map((t) => ({ ...(t as unknown as TopicRecord), synonyms: parseSynonyms(t.synonyms), indicators: members.filter((m) => m.topic === t.code).map((m) => m.indicator) }))
}
export const UNIT_SQL = 'SELECT code, name_zh AS "nameZh", name_en AS "nameEn", base, multiplier, description FROM unit'
const SOURCE_COLUMNS =
  'id, title, title_en AS "titleEn", document_number AS "documentNumber", issuer, recipient, issued_on AS "issuedOn", media_type AS "mediaType", byte_length AS "byteLength", sha256'
export const SOURCE_SQL = `SELECT ${SOURCE_COLUMNS}, recorded_at AS "recordedAt" FROM source`
export const RELATION_SQL = 'SELECT code, type, definition, description FROM indicator_relation ORDER BY code'
export const AUDIT_SQL =
  'SELECT seq, recorded_at AS "recordedAt", actor, action, entity_type AS "entityType", entity_id AS "entityId", before, after, prev_hash AS "prevHash", hash FROM audit_entry'
export const KEY_SQL = 'SELECT id, name, scopes, secret_hash AS "secretHash", created_at AS "createdAt", revoked_at AS "revokedAt" FROM api_key'
/** Records left `in_progress` (the SQLite store's earlier claims) are never answers; this store writes only `done`. */
export const IDEMPOTENCY_SQL =
  'SELECT actor, key, request_hash AS "requestHash", status_code AS "statusCode", response_body AS "responseBody", created_at AS "createdAt", expires_at AS "expiresAt" FROM idempotency_key'

/** Containing period first: start date ascending, then end date descending (code breaks ties, as a stable order). */
const PERIOD_ORDER = 'ORDER BY start_date, end_date DESC, code'

/** SQLite's lower() folds ASCII letters only: the same, whatever the server's locale. */
const lowerAscii = (x: string) => `translate(${x}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`

const first = <T>(rows: unknown[]): T | null => (rows[0] as T | undefined) ?? null

export function catalogReads(q: Queryable): CatalogReads {
  return {
    async indicators(filter = {}) {
      const where: string[] = []
      const values: unknown[] = []
      if (filter.categories?.length) {
        values.push(filter.categories)
        where.push(`category = ANY($${values.length}::text[])`)
      }
      if (filter.topics?.length) {
        values.push(filter.topics)
        where.push(`code IN (SELECT indicator_code FROM topic_indicator WHERE topic_code = ANY($${values.length}::text[]))`)
      }
      const rows = (await run(q, `${INDICATOR_SQL}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY code`, values)).map(toIndicator)
      if (filter.q === undefined || filter.q.trim() === '') return rows
      // The words of each indicator's topics; matching and ranking are shared with SQLite (storage/search.ts).
      const terms = new Map<string, string[]>()
      for (const t of await readTopics(q)) for (const code of t.indicators) terms.set(code, [...(terms.get(code) ?? []), t.nameZh, t.nameEn, ...t.synonyms])
      return rankIndicators(filter.q, rows.map((indicator) => ({ indicator, topicTerms: terms.get(indicator.code) ?? [] })))
    },
    async indicator(code) {
      const row = first<Record<string, unknown>>(await run(q, `${INDICATOR_SQL} WHERE code = $1`, [code]))
      return row ? toIndicator(row) : null
    },
    async topics() {
      return readTopics(q)
    },
    async topic(code) {
      return (await readTopics(q, code))[0] ?? null
    },
    async relations() {
      return run<RelationRecord & Record<string, unknown>>(q, RELATION_SQL)
    },
    async categories() {
      return (await run<{ category: string }>(q, 'SELECT DISTINCT category FROM indicator ORDER BY category')).map((r) => r.category)
    },
    async areas(filter = {}) {
      const where: string[] = []
      const values: unknown[] = []
      if (filter.level?.length) {
        values.push(filter.level)
        where.push(`level = ANY($${values.length}::text[])`)
      }
      if (filter.parent !== undefined) {
        values.push(filter.parent)
        where.push(`parent_code = $${values.length}`)
      }
      return run<AreaRecord & Record<string, unknown>>(q, `${AREA_SQL}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY code`, values)
    },
    async area(code) {
      return first<AreaRecord>(await run(q, `${AREA_SQL} WHERE code = $1`, [code]))
    },
    async areaChildren(code) {
      return run<AreaRecord & Record<string, unknown>>(q, `${AREA_SQL} WHERE parent_code = $1 ORDER BY code`, [code])
    },
    async periods(filter = {}) {
      if (filter.type?.length) return run<PeriodRecord & Record<string, unknown>>(q, `${PERIOD_SQL} WHERE type = ANY($1::text[]) ${PERIOD_ORDER}`, [filter.type])
      return run<PeriodRecord & Record<string, unknown>>(q, `${PERIOD_SQL} ${PERIOD_ORDER}`)
    },
    async period(code) {
      return first<PeriodRecord>(await run(q, `${PERIOD_SQL} WHERE code = $1`, [code]))
    },
    async sources() {
      return run<SourceMetadata & Record<string, unknown>>(q, `${SOURCE_SQL} ORDER BY id`)
    },
    async source(id) {
      return first<SourceMetadata>(await run(q, `${SOURCE_SQL} WHERE id = $1`, [id]))
    },
    async sourceContent(id) {
      return first<{ content: Buffer; sha256: string; mediaType: string }>(await run(q, 'SELECT content, sha256, media_type AS "mediaType" FROM source WHERE id = $1', [id]))
    },
    async units(filter = {}) {
      // COLLATE "C": codes in binary order, as SQLite sorts them.
      if (filter.base?.length) return run<UnitRecord & Record<string, unknown>>(q, `${UNIT_SQL} WHERE base = ANY($1::text[]) ORDER BY code COLLATE "C"`, [filter.base])
      return run<UnitRecord & Record<string, unknown>>(q, `${UNIT_SQL} ORDER BY code COLLATE "C"`)
    },
    async unit(code) {
      return first<UnitRecord>(await run(q, `${UNIT_SQL} WHERE code = $1`, [code]))
    },
  }
}

export function auditReads(q: Queryable): AuditReads {
  return {
    async head() {
      return first<{ seq: number; hash: string; recordedAt: string }>(await run(q, 'SELECT seq, hash, recorded_at AS "recordedAt" FROM audit_entry ORDER BY seq DESC LIMIT 1'))
    },
    async page(afterSeq, limit) {
      return run<StoredAuditRow & Record<string, unknown>>(q, `${AUDIT_SQL} WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit], 'audit_page')
    },
    async entry(seq) {
      return first<StoredAuditRow>(await run(q, `${AUDIT_SQL} WHERE seq = $1`, [seq]))
    },
  }
}

export function keyReads(q: Queryable): KeyReads {
  return {
    async byId(id) {
      return first<ApiKeyRecord>(await run(q, `${KEY_SQL} WHERE id = $1`, [id], 'key_by_id'))
    },
    async byName(name) {
      return first<ApiKeyRecord>(await run(q, `${KEY_SQL} WHERE name = $1`, [name]))
    },
    async list() {
      return run<ApiKeyRecord & Record<string, unknown>>(q, `${KEY_SQL} ORDER BY name`)
    },
  }
}

export function idempotencyReads(q: Queryable): IdempotencyReads {
  return {
    /** The completed record under this key, expired or not (the caller compares expiresAt with its clock). */
    async find(actor, key) {
      return first<IdempotencyRecord>(await run(q, `${IDEMPOTENCY_SQL} WHERE actor = $1 AND key = $2 AND state = 'done'`, [actor, key]))
    },
  }
}

const STRAY = 'SELECT o.id FROM observation o WHERE {range} AND o.current_seq IS DISTINCT FROM (SELECT max(seq) FROM observation_revision r WHERE r.observation_id = o.id) ORDER BY o.id LIMIT 1'

export function integrityReads(q: Queryable): IntegrityReads {
  return {
    async apiKeys() {
      return run<ApiKeyRecord & Record<string, unknown>>(q, `${KEY_SQL} ORDER BY id`)
    },
    async sourcesMetadata(withRecordedAt) {
      return run(q, `SELECT ${SOURCE_COLUMNS}${withRecordedAt ? ', recorded_at AS "recordedAt"' : ''} FROM source ORDER BY id`) as Promise<Array<Omit<SourceMetadata, 'recordedAt'> & { recordedAt?: string }>>
    },
    async *sourceContents() {
      // One source's bytes in memory at a time.
      const ids = (await run<{ id: string }>(q, 'SELECT id FROM source ORDER BY id')).map((r) => r.id)
      for (const id of ids) {
        const row = first<{ id: string; content: Buffer; sha256: string; byteLength: number }>(
          await run(q, 'SELECT id, content, sha256, byte_length AS "byteLength" FROM source WHERE id = $1', [id]),
        )
        if (row) yield row
      }
    },
    async areas() {
      return run<AreaRecord & Record<string, unknown>>(q, `${AREA_SQL} ORDER BY code`)
    },
    async periods() {
      return run<PeriodRecord & Record<string, unknown>>(q, `${PERIOD_SQL} ORDER BY code`)
    },
    async indicators() {
      const rows = await run<Record<string, unknown>>(q, `${INDICATOR_SQL} ORDER BY code`)
      return rows.map((r) => ({ ...r, synonyms: storedSynonyms(r.synonyms) })) as Array<Omit<IndicatorRecord, 'additive' | 'synonyms'> & { additive: unknown; synonyms: unknown }>
    },
    async topics() {
      return readTopics(q)
    },
    async units() {
      return run<UnitRecord & Record<string, unknown>>(q, `${UNIT_SQL} ORDER BY code COLLATE "C"`)
    },
    async relations() {
      return run<RelationRecord & Record<string, unknown>>(q, RELATION_SQL)
    },
    async idempotencyRecords() {
      return run<IdempotencyRecord & Record<string, unknown>>(q, `${IDEMPOTENCY_SQL} WHERE state = 'done' ORDER BY actor, key`)
    },
    async revisionCount(lowSeq, highSeq) {
      const rows =
        highSeq === undefined
          ? await run<{ n: number }>(q, 'SELECT count(*) AS n FROM observation_revision WHERE seq > $1', [lowSeq])
          : await run<{ n: number }>(q, 'SELECT count(*) AS n FROM observation_revision WHERE seq > $1 AND seq <= $2', [lowSeq, highSeq])
      return (rows[0] as { n: number }).n
    },
    async maxObservationId() {
      return ((await run<{ n: number }>(q, 'SELECT coalesce(max(id), 0) AS n FROM observation'))[0] as { n: number }).n
    },
    async strayPointer(lowId, highId) {
      return first<{ id: number }>(await run(q, STRAY.replace('{range}', 'o.id > $1 AND o.id <= $2'), [lowId, highId]))?.id ?? null
    },
    async strayPointerAmong(ids) {
      if (ids.length === 0) return null
      return first<{ id: number }>(await run(q, STRAY.replace('{range}', 'o.id = ANY($1::bigint[])'), [ids]))?.id ?? null
    },
  }
}
