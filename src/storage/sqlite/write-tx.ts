// WriteTx over one SQLite connection inside an open transaction. Every method does
// its work synchronously on prepared statements and resolves at once; the bulk
// methods just loop (on SQLite a round trip costs nothing).
import type { AreaRecord, IdempotencyRecord, IndicatorRecord, PeriodRecord, RelationRecord, SourceMetadata, UnitRecord, WriteTx } from '../ports.js'
import type { Queryable } from './client.js'
import { openObservationStore, type ObservationStore } from './observations.js'
import { AREA_COLUMNS, auditReads, IDEMPOTENCY_COLUMNS, INDICATOR_COLUMNS, keyReads, PERIOD_COLUMNS, readTopics, RELATION_SQL, SOURCE_METADATA_COLUMNS, toIndicator, UNIT_COLUMNS } from './records.js'
import { integrityReads } from './integrity-reads.js'
import type { Statements } from './statements.js'

/** Thrown by a write method of a snapshot transaction. */
class ReadOnlyTransaction extends Error {
  constructor(method: string) {
    super(`${method} in a snapshot transaction: snapshots are read-only`)
    this.name = 'ReadOnlyTransaction'
  }
}

// The observation statements of a connection, compiled on its first transaction that needs them and reused by every later one.
const stores = new WeakMap<Statements, ObservationStore>()

export function openWriteTx(db: Queryable, s: Statements, writable: boolean): WriteTx {
  let compiled: ObservationStore | undefined
  const storeOf = (): ObservationStore => {
    compiled ??= stores.get(s)
    if (!compiled) stores.set(s, (compiled = openObservationStore(db)))
    return compiled
  }
  const keys = keyReads(s)
  const writing = (method: string) => {
    if (!writable) throw new ReadOnlyTransaction(method)
  }
  // One statement for any number of codes: they arrive as one JSON array.
  const codesIn = (sql: string, codes: string[]) => s(sql.replace('IN ?', 'IN (SELECT value FROM json_each(?))')).all(JSON.stringify(codes))
  return {
    audit: auditReads(s),
    integrity: integrityReads(s),
    async revision(observationId, revision) {
      return storeOf().findRevision(observationId, revision)
    },

    async currentByKeys(keys) {
      return keys.map((k) => storeOf().findByNaturalKey(k))
    },
    async currentById(id) {
      return storeOf().findCurrentById(id)
    },
    async insertIdentities(keys) {
      writing('insertIdentities')
      return keys.map((k) => storeOf().insertIdentity(k))
    },
    async appendRevisions(revisions) {
      writing('appendRevisions')
      return revisions.map((r) => storeOf().appendRevision(r.observationId, r.revision, { status: r.status, observation: r.observation }, { reason: r.reason, actor: r.actor, recordedAt: r.recordedAt, publishedAt: r.publishedAt ?? r.recordedAt, ruleChanges: r.ruleChanges ?? '[]' }))
    },
    async nextObservationId() {
      // AUTOINCREMENT never reuses an id: the next one follows the highest ever given, even if rolled back rows are gone.
      const seq = s("SELECT seq FROM sqlite_sequence WHERE name = 'observation'").pluck().get() as number | undefined
      return (seq ?? 0) + 1
    },

    async auditHead() {
      return (s('SELECT seq, hash, recorded_at AS recordedAt FROM audit_entry ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string; recordedAt: string } | undefined) ?? null
    },
    async appendAudit(entries) {
      writing('appendAudit')
      const insert = s('INSERT INTO audit_entry (seq, recorded_at, actor, action, entity_type, entity_id, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      for (const e of entries) insert.run(e.seq, e.recordedAt, e.actor, e.action, e.entityType, e.entityId, e.before, e.after, e.prevHash, e.hash)
    },

    async indicatorUnits(codes) {
      return new Map((codesIn('SELECT code, unit FROM indicator WHERE code IN ?', codes) as Array<{ code: string; unit: string }>).map((r) => [r.code, r.unit]))
    },
    async existingAreas(codes) {
      return new Set((codesIn('SELECT code FROM area WHERE code IN ?', codes) as Array<{ code: string }>).map((r) => r.code))
    },
    async existingPeriods(codes) {
      return new Set((codesIn('SELECT code FROM reporting_period WHERE code IN ?', codes) as Array<{ code: string }>).map((r) => r.code))
    },
    async sourceHashes(ids) {
      return new Map((codesIn('SELECT id, sha256 FROM source WHERE id IN ?', ids) as Array<{ id: string; sha256: string }>).map((r) => [r.id, r.sha256]))
    },
    async sourceIssueDates(ids) {
      return new Map((codesIn('SELECT id, issued_on FROM source WHERE id IN ?', ids) as Array<{ id: string; issued_on: string }>).map((r) => [r.id, r.issued_on]))
    },
    async sourceContent(id) {
      return (s('SELECT content FROM source WHERE id = ?').pluck().get(id) as Buffer | undefined) ?? null
    },
    async area(code) {
      return (s(`SELECT ${AREA_COLUMNS} FROM area WHERE code = ?`).get(code) as AreaRecord | undefined) ?? null
    },
    async areaChildren(code) {
      return s(`SELECT ${AREA_COLUMNS} FROM area WHERE parent_code = ? ORDER BY code`).all(code) as AreaRecord[]
    },
    async areasWithDivisionCode(divisionCode, exceptCode) {
      return s(`SELECT ${AREA_COLUMNS} FROM area WHERE division_code = ? AND code <> ? ORDER BY code`).all(divisionCode, exceptCode) as AreaRecord[]
    },
    async indicator(code) {
      const row = s(`SELECT ${INDICATOR_COLUMNS} FROM indicator WHERE code = ?`).get(code) as (Omit<IndicatorRecord, 'additive' | 'synonyms'> & { additive: number; synonyms: string }) | undefined
      return row ? toIndicator(row) : null
    },
    async indicatorInUse(code) {
      return s('SELECT 1 FROM observation WHERE indicator_code = ? LIMIT 1').get(code) !== undefined
    },
    async period(code) {
      return (s(`SELECT ${PERIOD_COLUMNS} FROM reporting_period WHERE code = ?`).get(code) as PeriodRecord | undefined) ?? null
    },
    async source(id) {
      return (s(`SELECT ${SOURCE_METADATA_COLUMNS} FROM source WHERE id = ?`).get(id) as SourceMetadata | undefined) ?? null
    },
    async units() {
      return s(`SELECT ${UNIT_COLUMNS} FROM unit ORDER BY code`).all() as UnitRecord[]
    },
    async unit(code) {
      return (s(`SELECT ${UNIT_COLUMNS} FROM unit WHERE code = ?`).get(code) as UnitRecord | undefined) ?? null
    },
    async unitUse(code) {
      return {
        observations: s('SELECT 1 FROM observation_revision WHERE reported_unit = ? LIMIT 1').get(code) !== undefined,
        indicators: s('SELECT 1 FROM indicator WHERE unit = ? LIMIT 1').get(code) !== undefined,
        units: s('SELECT 1 FROM unit WHERE base = ? AND code <> ? LIMIT 1').get(code, code) !== undefined,
      }
    },
    async insertUnit(r) {
      writing('insertUnit')
      s('INSERT INTO unit (code, name_zh, name_en, base, multiplier, description) VALUES (?, ?, ?, ?, ?, ?)').run(r.code, r.nameZh, r.nameEn, r.base, r.multiplier, r.description)
    },
    async updateUnit(r) {
      writing('updateUnit')
      s('UPDATE unit SET name_zh = ?, name_en = ?, base = ?, multiplier = ?, description = ? WHERE code = ?').run(r.nameZh, r.nameEn, r.base, r.multiplier, r.description, r.code)
    },
    async insertArea(r) {
      writing('insertArea')
      s('INSERT INTO area (code, name_zh, name_en, level, parent_code, division_code) VALUES (?, ?, ?, ?, ?, ?)').run(r.code, r.nameZh, r.nameEn, r.level, r.parentCode, r.divisionCode)
    },
    async updateArea(r) {
      writing('updateArea')
      s('UPDATE area SET name_zh = ?, name_en = ?, level = ?, parent_code = ?, division_code = ? WHERE code = ?').run(r.nameZh, r.nameEn, r.level, r.parentCode, r.divisionCode, r.code)
    },
    async insertIndicator(r) {
      writing('insertIndicator')
      s('INSERT INTO indicator (code, name_zh, name_en, description, category, unit, additive, synonyms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(r.code, r.nameZh, r.nameEn, r.description, r.category, r.unit, r.additive ? 1 : 0, JSON.stringify(r.synonyms ?? []))
    },
    async updateIndicator(r) {
      writing('updateIndicator')
      s('UPDATE indicator SET name_zh = ?, name_en = ?, description = ?, category = ?, unit = ?, additive = ?, synonyms = ? WHERE code = ?').run(r.nameZh, r.nameEn, r.description, r.category, r.unit, r.additive ? 1 : 0, JSON.stringify(r.synonyms ?? []), r.code)
    },
    async topic(code) {
      return readTopics(s, code)[0] ?? null
    },
    async topics() {
      return readTopics(s)
    },
    async insertTopic(r) {
      writing('insertTopic')
      s('INSERT INTO topic (code, name_zh, name_en, description_zh, description_en, synonyms, position) VALUES (?, ?, ?, ?, ?, ?, ?)').run(r.code, r.nameZh, r.nameEn, r.descriptionZh, r.descriptionEn, JSON.stringify(r.synonyms), r.position)
    },
    async updateTopic(r) {
      writing('updateTopic')
      s('UPDATE topic SET name_zh = ?, name_en = ?, description_zh = ?, description_en = ?, synonyms = ?, position = ? WHERE code = ?').run(r.nameZh, r.nameEn, r.descriptionZh, r.descriptionEn, JSON.stringify(r.synonyms), r.position, r.code)
    },
    async addTopicMembers(topicCode, indicatorCodes) {
      writing('addTopicMembers')
      for (const code of indicatorCodes) s('INSERT INTO topic_indicator (topic_code, indicator_code) VALUES (?, ?) ON CONFLICT DO NOTHING').run(topicCode, code)
    },
    async removeTopicMembers(topicCode, indicatorCodes) {
      writing('removeTopicMembers')
      for (const code of indicatorCodes) s('DELETE FROM topic_indicator WHERE topic_code = ? AND indicator_code = ?').run(topicCode, code)
    },
    async insertPeriod(r) {
      writing('insertPeriod')
      s('INSERT INTO reporting_period (code, type, start_date, end_date) VALUES (?, ?, ?, ?)').run(r.code, r.type, r.startDate, r.endDate)
    },
    async seedCorrectionApplied(id) {
      return s('SELECT 1 FROM seed_correction WHERE id = ?').get(id) !== undefined
    },
    async recordSeedCorrection(r) {
      writing('recordSeedCorrection')
      s('INSERT INTO seed_correction (id, source_id, applied_at) VALUES (?, ?, ?)').run(r.id, r.sourceId, r.appliedAt)
    },
    async insertSource(r) {
      writing('insertSource')
      s(
        'INSERT INTO source (id, title, title_en, document_number, issuer, recipient, issued_on, media_type, byte_length, sha256, content, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(r.id, r.title, r.titleEn, r.documentNumber, r.issuer, r.recipient, r.issuedOn, r.mediaType, r.byteLength, r.sha256, r.content, r.recordedAt)
    },
    async relations() {
      return s(RELATION_SQL).all() as RelationRecord[]
    },
    async insertRelation(r) {
      writing('insertRelation')
      s('INSERT INTO indicator_relation (code, type, definition, description) VALUES (?, ?, ?, ?)').run(r.code, r.type, r.definition, r.description)
    },
    async updateRelation(r) {
      writing('updateRelation')
      s('UPDATE indicator_relation SET type = ?, definition = ?, description = ? WHERE code = ?').run(r.type, r.definition, r.description, r.code)
    },

    keyById: (id) => keys.byId(id),
    keyByName: (name) => keys.byName(name),
    async insertKey(r) {
      writing('insertKey')
      s('INSERT INTO api_key (id, name, scopes, secret_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)').run(r.id, r.name, r.scopes, r.secretHash, r.createdAt, r.revokedAt)
    },
    async revokeKey(id, at) {
      writing('revokeKey')
      s('UPDATE api_key SET revoked_at = ? WHERE id = ?').run(at, id)
    },

    async idempotencyRecord(actor, key) {
      return (s(`SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_key WHERE actor = ? AND key = ? AND state = 'done'`).get(actor, key) as IdempotencyRecord | undefined) ?? null
    },
    async deleteExpiredIdempotency(now) {
      writing('deleteExpiredIdempotency')
      s('DELETE FROM idempotency_key WHERE expires_at < ?').run(now)
    },
    async deleteIdempotency(actor, key) {
      writing('deleteIdempotency')
      s('DELETE FROM idempotency_key WHERE actor = ? AND key = ?').run(actor, key)
    },
    async insertIdempotency(r) {
      writing('insertIdempotency')
      s(
        "INSERT INTO idempotency_key (actor, key, request_hash, state, status_code, response_body, created_at, expires_at) VALUES (?, ?, ?, 'done', ?, ?, ?, ?)",
      ).run(r.actor, r.key, r.requestHash, r.statusCode, r.responseBody, r.createdAt, r.expiresAt)
    },
  }
}
