// What a write transaction reads and appends on PostgreSQL. Runs on the one client that holds
// the transaction (and, for writes, the advisory lock), so ids and seqs taken as max+1 are
// gap-free and in commit order. Bulk appends are one statement over unnest()ed arrays: an
// import's rows cost a few round trips, not a few per row.
import type { ApiKeyRecord, AreaRecord, IdempotencyRecord, IndicatorRecord, NaturalKey, NewRevision, ObservationRow, PeriodRecord, RelationRecord, SourceMetadata, StoredAuditRow, UnitRecord, WriteTx } from '../ports.js'
import { run, type Queryable } from './client.js'
import { REVISION_BY_NUMBER, ROW_SQL } from './observations.js'
import { AREA_SQL, auditReads, IDEMPOTENCY_SQL, INDICATOR_SQL, integrityReads, KEY_SQL, PERIOD_SQL, readTopics, RELATION_SQL, SOURCE_SQL, toIndicator, UNIT_SQL } from './reads.js'

const CURRENT_FROM = 'FROM observation o JOIN observation_revision r ON r.seq = o.current_seq JOIN indicator i ON i.code = o.indicator_code'
const first = <T>(rows: unknown[]): T | null => (rows[0] as T | undefined) ?? null

export function openWriteTx(q: Queryable): WriteTx {
  const keyAt = async (where: string, value: string) => first<ApiKeyRecord>(await run(q, `${KEY_SQL} WHERE ${where} = $1`, [value]))
  return {
    audit: auditReads(q),
    integrity: integrityReads(q),

    async revision(observationId, revision) {
      return first<ObservationRow>(await run(q, REVISION_BY_NUMBER, [observationId, revision]))
    },

    async currentByKeys(keys) {
      if (keys.length === 0) return []
      const rows = await run<ObservationRow & { n: number }>(
        q,
        `SELECT k.n, ${ROW_SQL} FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS k(indicator, area, period, kind, n)
          JOIN observation o ON o.indicator_code = k.indicator AND o.area_code = k.area AND o.period_code = k.period AND o.kind = k.kind
          JOIN observation_revision r ON r.seq = o.current_seq JOIN indicator i ON i.code = o.indicator_code`,
        [keys.map((k) => k.indicator), keys.map((k) => k.area), keys.map((k) => k.period), keys.map((k) => k.kind)],
        'current_by_keys',
      )
      const found: Array<ObservationRow | null> = keys.map(() => null)
      for (const { n, ...row } of rows) found[n - 1] = row as ObservationRow
      return found
    },

    async currentById(id) {
      return first<ObservationRow>(await run(q, `SELECT ${ROW_SQL} ${CURRENT_FROM} WHERE o.id = $1`, [id], 'current_by_id'))
    },

    async insertIdentities(keys: NaturalKey[]) {
      if (keys.length === 0) return []
      // Under the write lock nobody else inserts: max+1 onwards, in the keys' order, as SQLite's AUTOINCREMENT gives.
      const rows = await run<{ id: number }>(
        q,
        `INSERT INTO observation (id, indicator_code, area_code, period_code, kind, current_seq)
          SELECT (SELECT coalesce(max(id), 0) FROM observation) + k.n, k.indicator, k.area, k.period, k.kind, 0
          FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS k(indicator, area, period, kind, n)
          ORDER BY k.n RETURNING id`,
        [keys.map((k) => k.indicator), keys.map((k) => k.area), keys.map((k) => k.period), keys.map((k) => k.kind)],
        'insert_identities',
      )
      return rows.map((r) => r.id).sort((a, b) => a - b)
    },

    async appendRevisions(revisions: NewRevision[]) {
      if (revisions.length === 0) return []
      const col = <T>(f: (r: NewRevision) => T) => revisions.map(f)
      const rows = await run<{ seq: number }>(
        q,
        `WITH base AS (SELECT coalesce(max(seq), 0) AS seq FROM observation_revision),
          added AS (
            INSERT INTO observation_revision (seq, observation_id, revision, status, value, qualifier, reported_value, reported_unit, reported_text,
              source_id, quote, byte_start, byte_end, involved_areas, note, reason, actor, recorded_at, temporality, reference_date, published_at, rule_changes)
            SELECT base.seq + v.n, v.observation_id, v.revision, v.status, v.value, v.qualifier, v.reported_value, v.reported_unit, v.reported_text,
              v.source_id, v.quote, v.byte_start, v.byte_end, v.involved_areas, v.note, v.reason, v.actor, v.recorded_at,
              v.temporality, v.reference_date, v.published_at, v.rule_changes
            FROM base, unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
              $9::text[], $10::text[], $11::int[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
              $18::text[], $19::text[], $20::text[], $21::text[])
              WITH ORDINALITY AS v(observation_id, revision, status, value, qualifier, reported_value, reported_unit, reported_text,
                source_id, quote, byte_start, byte_end, involved_areas, note, reason, actor, recorded_at,
                temporality, reference_date, published_at, rule_changes, n)
            ORDER BY v.n
            RETURNING seq, observation_id
          ),
          pointed AS (
            UPDATE observation o SET current_seq = latest.seq FROM (SELECT observation_id, max(seq) AS seq FROM added GROUP BY observation_id) latest
            WHERE o.id = latest.observation_id
          )
        SELECT seq FROM added ORDER BY seq`,
        [
          col((r) => r.observationId),
          col((r) => r.revision),
          col((r) => r.status),
          col((r) => r.observation.value),
          col((r) => r.observation.qualifier),
          col((r) => r.observation.reported.value),
          col((r) => r.observation.reported.unit),
          col((r) => r.observation.reported.text),
          col((r) => r.observation.citation.sourceId),
          col((r) => r.observation.citation.quote),
          col((r) => r.observation.citation.byteStart),
          col((r) => r.observation.citation.byteEnd),
          col((r) => JSON.stringify(r.observation.involvedAreas)),
          col((r) => r.observation.note),
          col((r) => r.reason),
          col((r) => r.actor),
          col((r) => r.recordedAt),
          col((r) => r.observation.temporality),
          col((r) => r.observation.referenceDate),
          col((r) => r.publishedAt ?? r.recordedAt),
          col((r) => r.ruleChanges ?? '[]'),
        ],
        'append_revisions',
      )
      return rows.map((r) => r.seq)
    },

    async nextObservationId() {
      return ((await run<{ n: number }>(q, 'SELECT coalesce(max(id), 0) + 1 AS n FROM observation'))[0] as { n: number }).n
    },

    async auditHead() {
      return first<{ seq: number; hash: string; recordedAt: string }>(await run(q, 'SELECT seq, hash, recorded_at AS "recordedAt" FROM audit_entry ORDER BY seq DESC LIMIT 1'))
    },

    async appendAudit(entries: StoredAuditRow[]) {
      if (entries.length === 0) return
      const col = <T>(f: (e: StoredAuditRow) => T) => entries.map(f)
      await run(
        q,
        `INSERT INTO audit_entry (seq, recorded_at, actor, action, entity_type, entity_id, before, after, prev_hash, hash)
          SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])`,
        [col((e) => e.seq), col((e) => e.recordedAt), col((e) => e.actor), col((e) => e.action), col((e) => e.entityType), col((e) => e.entityId), col((e) => e.before), col((e) => e.after), col((e) => e.prevHash), col((e) => e.hash)],
        'append_audit',
      )
    },

    async indicatorUnits(codes) {
      const rows = await run<{ code: string; unit: string }>(q, 'SELECT code, unit FROM indicator WHERE code = ANY($1::text[])', [codes])
      return new Map(rows.map((r) => [r.code, r.unit]))
    },
    async existingAreas(codes) {
      return new Set((await run<{ code: string }>(q, 'SELECT code FROM area WHERE code = ANY($1::text[])', [codes])).map((r) => r.code))
    },
    async existingPeriods(codes) {
      return new Set((await run<{ code: string }>(q, 'SELECT code FROM reporting_period WHERE code = ANY($1::text[])', [codes])).map((r) => r.code))
    },
    async sourceHashes(ids) {
      const rows = await run<{ id: string; sha256: string }>(q, 'SELECT id, sha256 FROM source WHERE id = ANY($1::text[])', [ids])
      return new Map(rows.map((r) => [r.id, r.sha256]))
    },
    async sourceIssueDates(ids) {
      const rows = await run<{ id: string; issued_on: string }>(q, 'SELECT id, issued_on FROM source WHERE id = ANY($1::text[])', [ids])
      return new Map(rows.map((r) => [r.id, r.issued_on]))
    },
    async sourceContent(id) {
      return first<{ content: Buffer }>(await run(q, 'SELECT content FROM source WHERE id = $1', [id]))?.content ?? null
    },
    async area(code) {
      return first<AreaRecord>(await run(q, `${AREA_SQL} WHERE code = $1`, [code]))
    },
    async areaChildren(code) {
      return run<AreaRecord & Record<string, unknown>>(q, `${AREA_SQL} WHERE parent_code = $1 ORDER BY code`, [code])
    },
    async areasWithDivisionCode(divisionCode, exceptCode) {
      return run<AreaRecord & Record<string, unknown>>(q, `${AREA_SQL} WHERE division_code = $1 AND code <> $2 ORDER BY code`, [divisionCode, exceptCode])
    },
    async indicator(code) {
      const row = first<Record<string, unknown>>(await run(q, `${INDICATOR_SQL} WHERE code = $1`, [code]))
      return row ? toIndicator(row) : null
    },
    async indicatorInUse(code) {
      return (await run(q, 'SELECT 1 FROM observation WHERE indicator_code = $1 LIMIT 1', [code])).length > 0
    },
    async period(code) {
      return first<PeriodRecord>(await run(q, `${PERIOD_SQL} WHERE code = $1`, [code]))
    },
    async source(id) {
      return first<SourceMetadata>(await run(q, `${SOURCE_SQL} WHERE id = $1`, [id]))
    },
    async units() {
      return run<UnitRecord & Record<string, unknown>>(q, `${UNIT_SQL} ORDER BY code COLLATE "C"`)
    },
    async unit(code) {
      return first<UnitRecord>(await run(q, `${UNIT_SQL} WHERE code = $1`, [code]))
    },
    async unitUse(code) {
      const [row] = await run<{ observations: boolean; indicators: boolean; units: boolean }>(
        q,
        `SELECT EXISTS (SELECT 1 FROM observation_revision WHERE reported_unit = $1) AS observations,
                EXISTS (SELECT 1 FROM indicator WHERE unit = $1) AS indicators,
                EXISTS (SELECT 1 FROM unit WHERE base = $1 AND code <> $1) AS units`,
        [code],
      )
      return row as { observations: boolean; indicators: boolean; units: boolean }
    },
    async insertUnit(r) {
      await run(q, 'INSERT INTO unit (code, name_zh, name_en, base, multiplier, description) VALUES ($1, $2, $3, $4, $5, $6)', [r.code, r.nameZh, r.nameEn, r.base, r.multiplier, r.description])
    },
    async updateUnit(r) {
      await run(q, 'UPDATE unit SET name_zh = $2, name_en = $3, base = $4, multiplier = $5, description = $6 WHERE code = $1', [r.code, r.nameZh, r.nameEn, r.base, r.multiplier, r.description])
    },
    async insertArea(a) {
      await run(q, 'INSERT INTO area (code, name_zh, name_en, level, parent_code, division_code) VALUES ($1, $2, $3, $4, $5, $6)', [a.code, a.nameZh, a.nameEn, a.level, a.parentCode, a.divisionCode])
    },
    async updateArea(a) {
      await run(q, 'UPDATE area SET name_zh = $2, name_en = $3, level = $4, parent_code = $5, division_code = $6 WHERE code = $1', [a.code, a.nameZh, a.nameEn, a.level, a.parentCode, a.divisionCode])
    },
    async insertIndicator(r) {
      await run(q, 'INSERT INTO indicator (code, name_zh, name_en, description, category, unit, additive, synonyms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [r.code, r.nameZh, r.nameEn, r.description, r.category, r.unit, r.additive, JSON.stringify(r.synonyms ?? [])])
    },
    async updateIndicator(r) {
      await run(q, 'UPDATE indicator SET name_zh = $2, name_en = $3, description = $4, category = $5, unit = $6, additive = $7, synonyms = $8 WHERE code = $1', [r.code, r.nameZh, r.nameEn, r.description, r.category, r.unit, r.additive, JSON.stringify(r.synonyms ?? [])])
    },
    async topic(code) {
      return (await readTopics(q, code))[0] ?? null
    },
    async topics() {
      return readTopics(q)
    },
    async insertTopic(r) {
      await run(q, 'INSERT INTO topic (code, name_zh, name_en, description_zh, description_en, synonyms, position) VALUES ($1, $2, $3, $4, $5, $6, $7)', [r.code, r.nameZh, r.nameEn, r.descriptionZh, r.descriptionEn, JSON.stringify(r.synonyms), r.position])
    },
    async updateTopic(r) {
      await run(q, 'UPDATE topic SET name_zh = $2, name_en = $3, description_zh = $4, description_en = $5, synonyms = $6, position = $7 WHERE code = $1', [r.code, r.nameZh, r.nameEn, r.descriptionZh, r.descriptionEn, JSON.stringify(r.synonyms), r.position])
    },
    async addTopicMembers(topicCode, indicatorCodes) {
      if (indicatorCodes.length === 0) return
      await run(q, 'INSERT INTO topic_indicator (topic_code, indicator_code) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [topicCode, indicatorCodes])
    },
    async removeTopicMembers(topicCode, indicatorCodes) {
      if (indicatorCodes.length === 0) return
      await run(q, 'DELETE FROM topic_indicator WHERE topic_code = $1 AND indicator_code = ANY($2::text[])', [topicCode, indicatorCodes])
    },
    async insertPeriod(p) {
      await run(q, 'INSERT INTO reporting_period (code, type, start_date, end_date) VALUES ($1, $2, $3, $4)', [p.code, p.type, p.startDate, p.endDate])
    },
    async seedCorrectionApplied(id) {
      return (await run(q, 'SELECT 1 FROM seed_correction WHERE id = $1', [id])).length > 0
    },
    async recordSeedCorrection(r) {
      await run(q, 'INSERT INTO seed_correction (id, source_id, applied_at) VALUES ($1, $2, $3)', [r.id, r.sourceId, r.appliedAt])
    },
    async relations() {
      return run<RelationRecord & Record<string, unknown>>(q, RELATION_SQL)
    },
    async insertRelation(r) {
      await run(q, 'INSERT INTO indicator_relation (code, type, definition, description) VALUES ($1, $2, $3, $4)', [r.code, r.type, r.definition, r.description])
    },
    async updateRelation(r) {
      await run(q, 'UPDATE indicator_relation SET type = $2, definition = $3, description = $4 WHERE code = $1', [r.code, r.type, r.definition, r.description])
    },
    async insertSource(s) {
      await run(
        q,
        `INSERT INTO source (id, title, title_en, document_number, issuer, recipient, issued_on, media_type, byte_length, sha256, content, recorded_at)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [s.id, s.title, s.titleEn, s.documentNumber, s.issuer, s.recipient, s.issuedOn, s.mediaType, s.byteLength, s.sha256, s.content, s.recordedAt],
      )
    },

    keyById: (id) => keyAt('id', id),
    keyByName: (name) => keyAt('name', name),
    async insertKey(k) {
      await run(q, 'INSERT INTO api_key (id, name, scopes, secret_hash, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)', [k.id, k.name, k.scopes, k.secretHash, k.createdAt, k.revokedAt])
    },
    async revokeKey(id, at) {
      await run(q, 'UPDATE api_key SET revoked_at = $2 WHERE id = $1', [id, at])
    },

    async idempotencyRecord(actor, key) {
      return first<IdempotencyRecord>(await run(q, `${IDEMPOTENCY_SQL} WHERE actor = $1 AND key = $2 AND state = 'done'`, [actor, key]))
    },
    async deleteExpiredIdempotency(now) {
      await run(q, 'DELETE FROM idempotency_key WHERE expires_at < $1', [now])
    },
    async deleteIdempotency(actor, key) {
      await run(q, 'DELETE FROM idempotency_key WHERE actor = $1 AND key = $2', [actor, key])
    },
    async insertIdempotency(r) {
      await run(
        q,
        `INSERT INTO idempotency_key (actor, key, request_hash, state, status_code, response_body, created_at, expires_at) VALUES ($1, $2, $3, 'done', $4, $5, $6, $7)`,
        [r.actor, r.key, r.requestHash, r.statusCode, r.responseBody, r.createdAt, r.expiresAt],
      )
    },
  }
}
