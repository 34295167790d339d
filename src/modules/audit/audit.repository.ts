// Audit entries: appended inside the caller's write transaction, read in pages.
import { asc, desc, gt } from 'drizzle-orm'
import type { Db, Queryable } from '../../storage/sqlite/client.js'
import { auditEntries } from '../../storage/sqlite/schema.js'
import { canonicalJson } from '../../domain/canonical-json.js'
import { clientOf } from '../../storage/sqlite/observations.js'
import { auditHashOfCanonical, GENESIS_HASH, type AuditChange, type ChainCheck, type StoredAuditRow } from './audit-chain.js'
import { genesisCheckpoint, idempotencyEntityId, idempotencySnapshot, integritySteps, runToEnd, type IdempotencyRecord } from './integrity.js'

export interface AuditHead {
  seq: number
  hash: string
  recordedAt: string | null
}

export type { AuditChange }

/**
 * A write transaction's view of the chain: reads the head once, then appends
 * entries one after another. Also the transaction's clock: timestamps never go
 * backwards, so seq order and time order agree (asOf relies on it).
 */
export function openAuditAppender(tx: Queryable) {
  const [last] = tx.select().from(auditEntries).orderBy(desc(auditEntries.seq)).limit(1).all()
  let seq = last?.seq ?? 0
  let prevHash = last?.hash ?? GENESIS_HASH
  const nowIso = new Date().toISOString()
  const recordedAt = last && last.recordedAt > nowIso ? last.recordedAt : nowIso
  const insert = clientOf(tx).prepare(
    'INSERT INTO audit_entry (seq, recorded_at, actor, action, entity_type, entity_id, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  )
  return {
    recordedAt,
    append(change: AuditChange): { seq: number; hash: string } {
      seq += 1
      // Each side is canonicalized once, for both the stored text and the hash.
      const before = change.before === null ? null : canonicalJson(change.before)
      const after = change.after === null ? null : canonicalJson(change.after)
      const hash = auditHashOfCanonical({ seq, recordedAt, actor: change.actor, action: change.action, entityType: change.entityType, entityId: change.entityId, prevHash }, before, after)
      insert.run(seq, recordedAt, change.actor, change.action, change.entityType, change.entityId, before, after, prevHash, hash)
      prevHash = hash
      return { seq, hash }
    },
  }
}

export type AuditAppender = ReturnType<typeof openAuditAppender>

/**
 * Inside the transaction that completes an idempotency record: an entry with
 * its expiry and a digest of the whole record (never the client's key or the
 * answer itself), so a forged, edited or deleted record is caught.
 */
export function auditIdempotencyCompletion(tx: Queryable, actor: string, key: string): void {
  const row = clientOf(tx)
    .prepare('SELECT actor, key, request_hash AS requestHash, status_code AS statusCode, response_body AS responseBody, created_at AS createdAt, expires_at AS expiresAt FROM idempotency_key WHERE actor = ? AND key = ?')
    .get(actor, key) as IdempotencyRecord | undefined
  if (!row) return
  openAuditAppender(tx).append({ actor, action: 'idempotency_key.complete', entityType: 'idempotency_key', entityId: idempotencyEntityId(actor, key), before: null, after: idempotencySnapshot(row) })
}

export function createAuditRepository(db: Db) {
  return {
    async head(): Promise<AuditHead> {
      const [last] = db.select().from(auditEntries).orderBy(desc(auditEntries.seq)).limit(1).all()
      return last ? { seq: last.seq, hash: last.hash, recordedAt: last.recordedAt } : { seq: 0, hash: GENESIS_HASH, recordedAt: null }
    },
    async page(after: number, limit: number): Promise<StoredAuditRow[]> {
      return db.select().from(auditEntries).where(gt(auditEntries.seq, after)).orderBy(asc(auditEntries.seq)).limit(limit).all()
    },
  }
}

/**
 * The full verification in one go (CLI, backups): the hash chain from the
 * first entry, and every table that changes an answer or an authority against
 * the log (see integrity.ts).
 */
export function verifyAuditChain(db: Db): ChainCheck {
  const { result } = runToEnd(integritySteps(db, genesisCheckpoint(), true))
  if (result.ok) return { ok: true, entries: result.entries, headSeq: result.headSeq, headHash: result.headHash }
  return { ok: false, entries: result.entries, brokenSeq: result.brokenSeq, reason: result.reason }
}
