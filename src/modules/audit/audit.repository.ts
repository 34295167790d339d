// Audit entries: appended inside the caller's write transaction, read in pages.
import { asc, desc, gt } from 'drizzle-orm'
import type { Db, Queryable } from '../../db/client.js'
import { auditEntries } from '../../db/schema.js'
import { canonicalJson, type JsonValue } from '../../domain/canonical-json.js'
import { auditHash, createChainVerifier, GENESIS_HASH, type ChainCheck, type StoredAuditRow } from './audit-chain.js'

export interface AuditHead {
  seq: number
  hash: string
  recordedAt: string | null
}

export interface AuditChange {
  actor: string
  action: string
  entityType: string
  entityId: string
  before: JsonValue
  after: JsonValue
}

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
  return {
    recordedAt,
    append(change: AuditChange): { seq: number; hash: string } {
      seq += 1
      const body = { seq, recordedAt, prevHash, ...change }
      const hash = auditHash(body)
      tx.insert(auditEntries)
        .values({
          seq,
          recordedAt,
          actor: change.actor,
          action: change.action,
          entityType: change.entityType,
          entityId: change.entityId,
          before: change.before === null ? null : canonicalJson(change.before),
          after: change.after === null ? null : canonicalJson(change.after),
          prevHash,
          hash,
        })
        .run()
      prevHash = hash
      return { seq, hash }
    },
  }
}

export type AuditAppender = ReturnType<typeof openAuditAppender>

export function createAuditRepository(db: Db) {
  return {
    async head(): Promise<AuditHead> {
      const [last] = db.select().from(auditEntries).orderBy(desc(auditEntries.seq)).limit(1).all()
      return last ? { seq: last.seq, hash: last.hash, recordedAt: last.recordedAt } : { seq: 0, hash: GENESIS_HASH, recordedAt: null }
    },
    async page(after: number, limit: number): Promise<StoredAuditRow[]> {
      return db.select().from(auditEntries).where(gt(auditEntries.seq, after)).orderBy(asc(auditEntries.seq)).limit(limit).all()
    },
    /** Recomputes the whole chain in bounded batches, yielding between them so requests keep flowing. */
    async verify(batchSize = 2000): Promise<ChainCheck> {
      const verifier = createChainVerifier()
      let after = 0
      for (;;) {
        const rows = db.select().from(auditEntries).where(gt(auditEntries.seq, after)).orderBy(asc(auditEntries.seq)).limit(batchSize).all()
        for (const row of rows) if (!verifier.push(row)) return verifier.result()
        if (rows.length < batchSize) return verifier.result()
        after = (rows[rows.length - 1] as StoredAuditRow).seq
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
  }
}

export function verifyAuditChain(db: Db, batchSize = 5000): ChainCheck {
  const verifier = createChainVerifier()
  let after = 0
  for (;;) {
    const rows = db.select().from(auditEntries).where(gt(auditEntries.seq, after)).orderBy(asc(auditEntries.seq)).limit(batchSize).all()
    for (const row of rows) if (!verifier.push(row)) return verifier.result()
    if (rows.length < batchSize) return verifier.result()
    after = (rows[rows.length - 1] as StoredAuditRow).seq
  }
}
