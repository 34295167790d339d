// What the integrity checks read: every table that changes an answer or an authority.
import type { ApiKeyRecord, AreaRecord, IdempotencyRecord, IndicatorRecord, IntegrityReads, PeriodRecord, RelationRecord, SourceMetadata, UnitRecord } from '../ports.js'
import { storedSynonyms } from '../search.js'
import { AREA_COLUMNS, IDEMPOTENCY_COLUMNS, INDICATOR_COLUMNS, KEY_COLUMNS, PERIOD_COLUMNS, readTopics, RELATION_SQL, UNIT_COLUMNS } from './records.js'
import type { Statements } from './statements.js'

export function integrityReads(s: Statements): IntegrityReads {
  return {
    async apiKeys() {
      return s(`SELECT ${KEY_COLUMNS} FROM api_key`).all() as ApiKeyRecord[]
    },
    async sourcesMetadata(withRecordedAt) {
      // recorded_at is stored after the bytes: reading it walks every source's overflow pages, so only full passes do.
      return s(
        `SELECT id, title, title_en AS titleEn, document_number AS documentNumber, issuer, recipient, issued_on AS issuedOn, media_type AS mediaType, byte_length AS byteLength, sha256${withRecordedAt ? ', recorded_at AS recordedAt' : ''} FROM source`,
      ).all() as Array<Omit<SourceMetadata, 'recordedAt'> & { recordedAt?: string }>
    },
    async *sourceContents() {
      // One source's bytes at a time.
      const ids = s('SELECT id FROM source ORDER BY id').pluck().all() as string[]
      for (const id of ids) {
        const row = s('SELECT id, content, sha256, byte_length AS byteLength FROM source WHERE id = ?').get(id) as { id: string; content: Buffer; sha256: string; byteLength: number } | undefined
        if (row) yield row
      }
    },
    async areas() {
      return s(`SELECT ${AREA_COLUMNS} FROM area`).all() as AreaRecord[]
    },
    async periods() {
      return s(`SELECT ${PERIOD_COLUMNS} FROM reporting_period`).all() as PeriodRecord[]
    },
    async indicators() {
      // 0 and 1 are the booleans the log records; any other stored value stays as stored.
      return (s(`SELECT ${INDICATOR_COLUMNS} FROM indicator`).all() as Array<Omit<IndicatorRecord, 'additive' | 'synonyms'> & { additive: unknown; synonyms: string }>).map((r) => ({
        ...r,
        additive: r.additive === 1 ? true : r.additive === 0 ? false : (r.additive ?? null),
        synonyms: storedSynonyms(r.synonyms),
      }))
    },
    async topics() {
      return readTopics(s)
    },
    async units() {
      return s(`SELECT ${UNIT_COLUMNS} FROM unit`).all() as UnitRecord[]
    },
    async relations() {
      return s(RELATION_SQL).all() as RelationRecord[]
    },
    async idempotencyRecords() {
      return s(`SELECT ${IDEMPOTENCY_COLUMNS} FROM idempotency_key WHERE state = 'done'`).all() as IdempotencyRecord[]
    },
    async revisionCount(lowSeq, highSeq) {
      return (highSeq === undefined
        ? s('SELECT count(*) FROM observation_revision WHERE seq > ?').pluck().get(lowSeq)
        : s('SELECT count(*) FROM observation_revision WHERE seq > ? AND seq <= ?').pluck().get(lowSeq, highSeq)) as number
    },
    async maxObservationId() {
      return (s('SELECT coalesce(max(id), 0) FROM observation').pluck().get() as number) ?? 0
    },
    async strayPointer(lowId, highId) {
      const row = s(
        'SELECT o.id FROM observation o WHERE o.id > ? AND o.id <= ? AND o.current_seq IS NOT (SELECT max(seq) FROM observation_revision r WHERE r.observation_id = o.id) LIMIT 1',
      ).get(lowId, highId) as { id: number } | undefined
      return row?.id ?? null
    },
    async strayPointerAmong(ids) {
      const row = s(
        'SELECT o.id FROM observation o WHERE o.id IN (SELECT value FROM json_each(?)) AND o.current_seq IS NOT (SELECT max(seq) FROM observation_revision r WHERE r.observation_id = o.id) LIMIT 1',
      ).get(JSON.stringify(ids)) as { id: number } | undefined
      return row?.id ?? null
    },
  }
}
