// A write transaction's view of the chain: reads the head once, computes each
// entry's hash as it is appended, and hands the entries to the store in one
// batch before commit (writes/write-unit.ts flushes it). Also the transaction's
// clock: timestamps never go backwards, so seq order and time order agree (asOf relies on it).
import { canonicalJson } from '../../domain/canonical-json.js'
import type { StoredAuditRow, WriteTx } from '../../storage/ports.js'
import { auditHashOfCanonical, GENESIS_HASH, type AuditChange } from '../../domain/audit-chain.js'

export type { AuditChange }

export interface AuditAppender {
  readonly recordedAt: string
  append(change: AuditChange): { seq: number; hash: string }
  /** Writes the entries appended since the last flush. */
  flush(): Promise<void>
}

export async function openAuditAppender(tx: WriteTx): Promise<AuditAppender> {
  const last = await tx.auditHead()
  let seq = last?.seq ?? 0
  let prevHash = last?.hash ?? GENESIS_HASH
  const nowIso = new Date().toISOString()
  const recordedAt = last && last.recordedAt > nowIso ? last.recordedAt : nowIso
  let pending: StoredAuditRow[] = []
  return {
    recordedAt,
    append(change) {
      seq += 1
      // Each side is canonicalized once, for both the stored text and the hash.
      const before = change.before === null ? null : canonicalJson(change.before)
      const after = change.after === null ? null : canonicalJson(change.after)
      const hash = auditHashOfCanonical({ seq, recordedAt, actor: change.actor, action: change.action, entityType: change.entityType, entityId: change.entityId, prevHash }, before, after)
      pending.push({ seq, recordedAt, actor: change.actor, action: change.action, entityType: change.entityType, entityId: change.entityId, before, after, prevHash, hash })
      prevHash = hash
      return { seq, hash }
    },
    async flush() {
      if (pending.length === 0) return
      const entries = pending
      pending = []
      await tx.appendAudit(entries)
    },
  }
}
