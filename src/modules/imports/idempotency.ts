// Idempotency-Key for imports: a retry with the same key and body replays the
// first answer; the same key with another body is 422; a duplicate that
// arrives while the first is still running is 409. Keys are scoped per API key
// and kept for IDEMPOTENCY_TTL_HOURS.
import { createHash } from 'node:crypto'
import { and, eq, lt } from 'drizzle-orm'
import { writeTransaction, type Db, type Tx } from '../../db/client.js'
import { idempotencyKeys } from '../../db/schema.js'
import { auditIdempotencyCompletion } from '../audit/audit.repository.js'

export const IDEMPOTENCY_TTL_HOURS = 24

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; statusCode: number; body: string }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' }

export function requestFingerprint(parts: Array<string | undefined>): string {
  const h = createHash('sha256')
  for (const p of parts) h.update(p ?? '').update('\u0000')
  return h.digest('hex')
}

export function createIdempotencyStore(db: Db) {
  return {
    claim(actor: string, key: string, requestHash: string): Claim {
      return writeTransaction(db, (tx) => {
        const now = new Date()
        tx.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now.toISOString())).run()
        const [existing] = tx
          .select()
          .from(idempotencyKeys)
          .where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)))
          .all()
        if (existing) {
          if (existing.requestHash !== requestHash) return { kind: 'mismatch' }
          if (existing.state === 'in_progress') return { kind: 'in-progress' }
          return { kind: 'replay', statusCode: existing.statusCode as number, body: existing.responseBody as string }
        }
        tx.insert(idempotencyKeys)
          .values({
            actor,
            key,
            requestHash,
            state: 'in_progress',
            createdAt: now.toISOString(),
            expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_HOURS * 3600_000).toISOString(),
          })
          .run()
        return { kind: 'claimed' }
      })
    },

    /** Records the answer; pass the import's transaction so both commit together. */
    complete(actor: string, key: string, statusCode: number, body: string, tx?: Tx): void {
      const record = (t: Tx) => {
        t.update(idempotencyKeys)
          .set({ state: 'done', statusCode, responseBody: body })
          .where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)))
          .run()
        auditIdempotencyCompletion(t, actor, key)
      }
      if (tx) record(tx)
      else writeTransaction(db, record)
    },

    /** Forgets a claim whose request failed unexpectedly, so a retry can run. */
    release(actor: string, key: string): void {
      db.delete(idempotencyKeys)
        .where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)))
        .run()
    },
  }
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>
