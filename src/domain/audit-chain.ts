// The audit chain: each entry's hash covers the previous entry's hash, so a
// changed, removed or reordered entry breaks every hash after it.
import { createHash } from 'node:crypto'
import { canonicalJson, type JsonValue } from './canonical-json.js'

export const GENESIS_HASH = '0'.repeat(64)

/** What happened: who did what to which entity, with its state before and after. */
export interface AuditChange {
  actor: string
  action: string
  entityType: string
  entityId: string
  before: JsonValue
  after: JsonValue
}

/** A change as the chain records it: its place, its time and the hash it follows. */
export interface AuditEntryBody extends AuditChange {
  seq: number
  recordedAt: string
  prevHash: string
}

export function auditHash(entry: AuditEntryBody): string {
  return createHash('sha256')
    .update(canonicalJson(entry as unknown as JsonValue), 'utf8')
    .digest('hex')
}

/**
 * The same hash as auditHash, from before/after already in canonical form:
 * the other members are canonicalized and the two texts spliced in at their
 * sorted places (keys: action, actor, after, before, entityId, entityType,
 * prevHash, recordedAt, seq).
 */
export function auditHashOfCanonical(head: Omit<AuditEntryBody, 'before' | 'after'>, before: string | null, after: string | null): string {
  const s = JSON.stringify
  const text =
    `{"action":${s(head.action)},"actor":${s(head.actor)},"after":${after ?? 'null'},"before":${before ?? 'null'},` +
    `"entityId":${s(head.entityId)},"entityType":${s(head.entityType)},"prevHash":${s(head.prevHash)},"recordedAt":${s(head.recordedAt)},"seq":${head.seq}}`
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** A row of audit_entry: before and after as their canonical JSON text, and the entry's own hash. */
export interface StoredAuditRow extends Omit<AuditEntryBody, 'before' | 'after'> {
  before: string | null
  after: string | null
  hash: string
}

export type ChainCheck =
  | { ok: true; entries: number; headSeq: number; headHash: string }
  | { ok: false; entries: number; brokenSeq: number; reason: string }

/** Where a verification resumes: the last entry already verified (seq 0 and GENESIS_HASH for none). */
export interface ChainPoint {
  seq: number
  hash: string
}

/** Walks rows in seq order; feed it every row after `from` (by default from the first). */
export function createChainVerifier(from: ChainPoint = { seq: 0, hash: GENESIS_HASH }) {
  let expectedPrev = from.hash
  let expectedSeq = from.seq + 1
  let entries = 0
  let failure: { brokenSeq: number; reason: string } | null = null
  let lastAfter: JsonValue = null
  return {
    push(row: StoredAuditRow): boolean {
      if (failure) return false
      entries++
      if (row.seq !== expectedSeq) {
        failure = { brokenSeq: row.seq, reason: `sequence gap: expected seq ${expectedSeq}` }
        return false
      }
      if (row.prevHash !== expectedPrev) {
        failure = { brokenSeq: row.seq, reason: 'prevHash does not match the previous entry\'s hash' }
        return false
      }
      let body: AuditEntryBody
      try {
        body = {
          seq: row.seq,
          recordedAt: row.recordedAt,
          actor: row.actor,
          action: row.action,
          entityType: row.entityType,
          entityId: row.entityId,
          before: row.before === null ? null : (JSON.parse(row.before) as JsonValue),
          after: row.after === null ? null : (JSON.parse(row.after) as JsonValue),
          prevHash: row.prevHash,
        }
      } catch {
        failure = { brokenSeq: row.seq, reason: 'before/after is not valid JSON' }
        return false
      }
      if (auditHash(body) !== row.hash) {
        failure = { brokenSeq: row.seq, reason: 'hash does not match the entry\'s content' }
        return false
      }
      expectedPrev = row.hash
      expectedSeq = row.seq + 1
      lastAfter = body.after
      return true
    },
    /** The `after` of the last row accepted, as parsed for its hash (saves a caller parsing it again). */
    lastAfter(): JsonValue {
      return lastAfter
    },
    result(): ChainCheck {
      if (failure) return { ok: false, entries, ...failure }
      return { ok: true, entries, headSeq: expectedSeq - 1, headHash: expectedPrev }
    },
  }
}
