// Audit entries: appended inside the caller's write transaction, read in pages.
import { asc, desc, gt } from 'drizzle-orm'
import type { Db, Queryable } from '../../db/client.js'
import { auditEntries } from '../../db/schema.js'
import { canonicalJson } from '../../domain/canonical-json.js'
import { canonicalAuditSnapshot, rowToChecked } from '../observations/observation-writes.js'
import { clientOf, openObservationStore } from '../observations/observations.repository.js'
import { auditHashOfCanonical, createChainVerifier, GENESIS_HASH, type AuditChange, type ChainCheck, type StoredAuditRow } from './audit-chain.js'

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

export function createAuditRepository(db: Db) {
  return {
    async head(): Promise<AuditHead> {
      const [last] = db.select().from(auditEntries).orderBy(desc(auditEntries.seq)).limit(1).all()
      return last ? { seq: last.seq, hash: last.hash, recordedAt: last.recordedAt } : { seq: 0, hash: GENESIS_HASH, recordedAt: null }
    },
    async page(after: number, limit: number): Promise<StoredAuditRow[]> {
      return db.select().from(auditEntries).where(gt(auditEntries.seq, after)).orderBy(asc(auditEntries.seq)).limit(limit).all()
    },
    /** The full verification, yielding to the event loop between batches so requests keep flowing. */
    async verify(): Promise<ChainCheck> {
      const steps = verificationSteps(db)
      for (;;) {
        const step = steps.next()
        if (step.done) return step.value
        await new Promise((resolve) => setImmediate(resolve))
      }
    },
  }
}

/** The full verification in one go (CLI, backups). */
export function verifyAuditChain(db: Db): ChainCheck {
  const steps = verificationSteps(db)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

const BATCH = 2000

/**
 * Recomputes the hash chain and checks that the observation tables agree with
 * it: each revision is exactly what its audit entry recorded, no revision
 * lacks an entry, and each observation points at its latest revision. So a
 * direct edit of either table is caught, not only an edit of the log.
 * Reads in bounded batches (short read snapshots); yields after each.
 */
function* verificationSteps(db: Db): Generator<void, ChainCheck> {
  const verifier = createChainVerifier()
  const store = openObservationStore(db)
  let observationEntries = 0
  let after = 0
  for (;;) {
    const rows = db.select().from(auditEntries).where(gt(auditEntries.seq, after)).orderBy(asc(auditEntries.seq)).limit(BATCH).all()
    for (const row of rows) {
      if (!verifier.push(row)) return verifier.result()
      if (row.entityType !== 'observation') continue
      observationEntries++
      const recorded = JSON.parse(row.after as string) as { id: number; revision: number }
      const stored = store.findRevision(recorded.id, recorded.revision)
      if (!stored) return { ok: false, entries: verifier.result().entries, brokenSeq: row.seq, reason: `revision ${recorded.revision} of observation ${recorded.id} is missing` }
      const snapshot = canonicalAuditSnapshot(stored.id, stored.revision, stored.status, rowToChecked(stored), stored.reason)
      if (snapshot.text !== row.after) {
        return { ok: false, entries: verifier.result().entries, brokenSeq: row.seq, reason: `revision ${recorded.revision} of observation ${recorded.id} differs from what this entry recorded` }
      }
    }
    if (rows.length < BATCH) break
    after = (rows[rows.length - 1] as StoredAuditRow).seq
    yield
  }
  const result = verifier.result()
  if (!result.ok) return result
  const { n } = db.$client.prepare('SELECT count(*) AS n FROM observation_revision').get() as { n: number }
  if (n !== observationEntries) return { ok: false, entries: result.entries, brokenSeq: result.headSeq, reason: `${n} revisions are stored but the log records ${observationEntries}` }
  const stray = db.$client
    .prepare('SELECT o.id FROM observation o WHERE o.current_seq IS NOT (SELECT max(seq) FROM observation_revision r WHERE r.observation_id = o.id) LIMIT 1')
    .get() as { id: number } | undefined
  if (stray) return { ok: false, entries: result.entries, brokenSeq: result.headSeq, reason: `observation ${stray.id} does not point at its latest revision` }
  return result
}
