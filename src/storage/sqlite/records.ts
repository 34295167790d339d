// Catalog, audit, key and idempotency reads as SQLite statements: plain records out,
// in the ports' shapes. Used by the store and, on the same connection, inside transactions.
import { parseSynonyms, rankIndicators } from '../search.js'
import type { ApiKeyRecord, AreaRecord, AuditReads, CatalogReads, IdempotencyReads, IdempotencyRecord, IndicatorRecord, KeyReads, PeriodRecord, RelationRecord, SourceMetadata, StoredAuditRow, TopicRecord, UnitRecord } from '../ports.js'
import type { Statements } from './statements.js'

export const AREA_COLUMNS = 'code, name_zh AS nameZh, name_en AS nameEn, level, parent_code AS parentCode, division_code AS divisionCode'
export const PERIOD_COLUMNS = 'code, type, start_date AS startDate, end_date AS endDate'
export const INDICATOR_COLUMNS = 'code, name_zh AS nameZh, name_en AS nameEn, description, category, unit, additive, synonyms'
export const TOPIC_COLUMNS = 'code, name_zh AS nameZh, name_en AS nameEn, description_zh AS descriptionZh, description_en AS descriptionEn, synonyms, position'
export const UNIT_COLUMNS = 'code, name_zh AS nameZh, name_en AS nameEn, base, multiplier, description'
export const SOURCE_METADATA_COLUMNS =
  'id, title, title_en AS titleEn, document_number AS documentNumber, issuer, recipient, issued_on AS issuedOn, media_type AS mediaType, byte_length AS byteLength, sha256, recorded_at AS recordedAt'
export const KEY_COLUMNS = 'id, name, scopes, secret_hash AS secretHash, created_at AS createdAt, revoked_at AS revokedAt'
export const IDEMPOTENCY_COLUMNS = 'actor, key, request_hash AS requestHash, status_code AS statusCode, response_body AS responseBody, created_at AS createdAt, expires_at AS expiresAt'
export const RELATION_SQL = 'SELECT code, type, definition, description FROM indicator_relation ORDER BY code'
export const AUDIT_COLUMNS = 'seq, recorded_at AS recordedAt, actor, action, entity_type AS entityType, entity_id AS entityId, before, after, prev_hash AS prevHash, hash'

type StoredIndicator = Omit<IndicatorRecord, 'additive' | 'synonyms'> & { additive: number; synonyms: string }
/** The stored 0/1 as the boolean it means, the synonyms' JSON text as its array. */
export const toIndicator = (row: StoredIndicator): IndicatorRecord => ({ ...row, additive: row.additive === 1, synonyms: parseSynonyms(row.synonyms) })

type StoredTopic = Omit<TopicRecord, 'synonyms' | 'indicators'> & { synonyms: string }
/** Topics with their members (sorted), in position order. */
export function readTopics(s: Statements, code?: string): TopicRecord[] {
  const rows = (code === undefined ? s(`SELECT ${TOPIC_COLUMNS} FROM topic ORDER BY position, code`).all() : s(`SELECT ${TOPIC_COLUMNS} FROM topic WHERE code = ?`).all(code)) as StoredTopic[]
  const members = (code === undefined
    ? s('SELECT topic_code AS topic, indicator_code AS indicator FROM topic_indicator ORDER BY indicator_code').all()
    : s('SELECT topic_code AS topic, indicator_code AS indicator FROM topic_indicator WHERE topic_code = ? ORDER BY indicator_code').all(code)) as Array<{ topic: string; indicator: string }>
  return rows.map((t) => ({ ...t, synonyms: parseSynonyms(t.synonyms), indicators: members.filter((m) => m.topic === t.code).map((m) => m.indicator) }))
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ')

export function catalogReads(s: Statements): CatalogReads {
  return {
    async indicators(filter = {}) {
      const where: string[] = []
      const params: string[] = []
      if (filter.categories?.length) {
        where.push(`category IN (${placeholders(filter.categories.length)})`)
        params.push(...filter.categories)
      }
      if (filter.topics?.length) {
        where.push(`code IN (SELECT indicator_code FROM topic_indicator WHERE topic_code IN (${placeholders(filter.topics.length)}))`)
        params.push(...filter.topics)
      }
      const rows = (s(`SELECT ${INDICATOR_COLUMNS} FROM indicator${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY code`).all(...params) as StoredIndicator[]).map(toIndicator)
      if (filter.q === undefined || filter.q.trim() === '') return rows
      // The words of each indicator's topics; matching and ranking are shared with PostgreSQL (storage/search.ts).
      const terms = new Map<string, string[]>()
      for (const t of readTopics(s)) for (const code of t.indicators) terms.set(code, [...(terms.get(code) ?? []), t.nameZh, t.nameEn, ...t.synonyms])
      return rankIndicators(filter.q, rows.map((indicator) => ({ indicator, topicTerms: terms.get(indicator.code) ?? [] })))
    },
    async topics() {
      return readTopics(s)
    },
    async topic(code) {
      return readTopics(s, code)[0] ?? null
    },
    async indicator(code) {
      const row = s(`SELECT ${INDICATOR_COLUMNS} FROM indicator WHERE code = ?`).get(code) as StoredIndicator | undefined
      return row ? toIndicator(row) : null
    },
    async relations() {
      return s(RELATION_SQL).all() as RelationRecord[]
    },
    async categories() {
      return s('SELECT DISTINCT category FROM indicator ORDER BY category').pluck().all() as string[]
    },
    async areas(filter = {}) {
      const where: string[] = []
      const params: string[] = []
      if (filter.level?.length) {
        where.push(`level IN (${placeholders(filter.level.length)})`)
        params.push(...filter.level)
      }
      if (filter.parent !== undefined) {
        where.push('parent_code = ?')
        params.push(filter.parent)
      }
      return s(`SELECT ${AREA_COLUMNS} FROM area${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY code`).all(...params) as AreaRecord[]
    },
    async area(code) {
      return (s(`SELECT ${AREA_COLUMNS} FROM area WHERE code = ?`).get(code) as AreaRecord | undefined) ?? null
    },
    async areaChildren(code) {
      return s(`SELECT ${AREA_COLUMNS} FROM area WHERE parent_code = ? ORDER BY code`).all(code) as AreaRecord[]
    },
    async periods(filter = {}) {
      const types = filter.type ?? []
      const where = types.length ? ` WHERE type IN (${placeholders(types.length)})` : ''
      // 2023 before 2023-H1 before 2023-Q1 before 2023-01: the containing period first (code breaks ties, as on PostgreSQL).
      return s(`SELECT ${PERIOD_COLUMNS} FROM reporting_period${where} ORDER BY start_date, end_date DESC, code`).all(...types) as PeriodRecord[]
    },
    async period(code) {
      return (s(`SELECT ${PERIOD_COLUMNS} FROM reporting_period WHERE code = ?`).get(code) as PeriodRecord | undefined) ?? null
    },
    async sources() {
      return s(`SELECT ${SOURCE_METADATA_COLUMNS} FROM source ORDER BY id`).all() as SourceMetadata[]
    },
    async source(id) {
      return (s(`SELECT ${SOURCE_METADATA_COLUMNS} FROM source WHERE id = ?`).get(id) as SourceMetadata | undefined) ?? null
    },
    async units(filter = {}) {
      const bases = filter.base ?? []
      const where = bases.length ? ` WHERE base IN (${placeholders(bases.length)})` : ''
      return s(`SELECT ${UNIT_COLUMNS} FROM unit${where} ORDER BY code`).all(...bases) as UnitRecord[]
    },
    async unit(code) {
      return (s(`SELECT ${UNIT_COLUMNS} FROM unit WHERE code = ?`).get(code) as UnitRecord | undefined) ?? null
    },
    async sourceContent(id) {
      return (s('SELECT content, sha256, media_type AS mediaType FROM source WHERE id = ?').get(id) as { content: Buffer; sha256: string; mediaType: string } | undefined) ?? null
    },
  }
}

export function auditReads(s: Statements): AuditReads {
  return {
    async head() {
      return (s('SELECT seq, hash, recorded_at AS recordedAt FROM audit_entry ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string; recordedAt: string } | undefined) ?? null
    },
    async page(afterSeq, limit) {
      return s(`SELECT ${AUDIT_COLUMNS} FROM audit_entry WHERE seq > ? ORDER BY seq LIMIT CAST(? AS INTEGER)`).all(afterSeq, limit) as StoredAuditRow[]
    },
    async entry(seq) {
      return (s(`SELECT ${AUDIT_COLUMNS} FROM audit_entry WHERE seq = ?`).get(seq) as StoredAuditRow | undefined) ?? null
    },
  }
}

export function keyReads(s: Statements): KeyReads {
  return {
    async byId(id) {
      return (s(`SELECT ${KEY_COLUMNS} FROM api_key WHERE id = ?`).get(id) as ApiKeyRecord | undefined) ?? null
    },
    async byName(name) {
      return (s(`SELECT ${KEY_COLUMNS} FROM api_key WHERE name = ?`).get(name) as ApiKeyRecord | undefined) ?? null
    },
    async list() {
      return s(`SELECT ${KEY_COLUMNS} FROM api_key ORDER BY name`).all() as ApiKeyRecord[]
    },
  }
}

export function idempotencyReads(s: Statements): IdempotencyReads {
  return {
    /** A completed record (in-progress rows are never answered from). */
    async find(actor, key) {
      return (s(`SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_key WHERE actor = ? AND key = ? AND state = 'done'`).get(actor, key) as IdempotencyRecord | undefined) ?? null
    },
  }
}
