// Idempotency-Key for imports: a retry with the same key and request replays
// the first answer; the same key with another request is 422. Keys are scoped
// per API key and kept for IDEMPOTENCY_TTL_HOURS.
//
// A key's record is written only in the transaction that commits the batch
// (or, for a rejected batch, with its 422 answer): nothing is stored while the
// import runs, so a crash leaves no claim behind and the retry runs the import.
// A duplicate sent while the first is running is told so (409) by the process
// running it (an in-memory claim that dies with the process); a duplicate run
// by another process sharing the database meets the first one's record when it
// commits, rolls back and replays that answer: the batch is applied once.
import { createHash } from 'node:crypto'
import { and, eq, lt } from 'drizzle-orm'
import { canonicalJson, type JsonValue } from '../../domain/canonical-json.js'
import type { Queryable, Tx } from '../../storage/sqlite/client.js'
import { idempotencyKeys } from '../../storage/sqlite/schema.js'
import { auditIdempotencyCompletion } from '../audit/audit.repository.js'

export const IDEMPOTENCY_TTL_HOURS = 24

export type Answer = { kind: 'replay'; statusCode: number; body: string } | { kind: 'mismatch' }

/**
 * SHA-256 of the request as parsed, in canonical JSON (keys sorted, no
 * whitespace): key order in the body or the query does not change it.
 */
export function requestFingerprint(request: { [key: string]: JsonValue }): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex')
}

function find(q: Queryable, actor: string, key: string, now: Date) {
  const [row] = q
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)))
    .all()
  // Rows left `in_progress` by an earlier version (which stored claims before the batch) are abandoned claims.
  if (!row || row.state !== 'done' || row.expiresAt < now.toISOString()) return null
  return row
}

/** The answer already recorded under this key, if any. */
export function recordedAnswer(q: Queryable, actor: string, key: string, requestHash: string, now = new Date()): Answer | null {
  const row = find(q, actor, key, now)
  if (!row) return null
  if (row.requestHash !== requestHash) return { kind: 'mismatch' }
  return { kind: 'replay', statusCode: row.statusCode as number, body: row.responseBody as string }
}

/**
 * Records an answer inside the caller's write transaction. When another
 * request got there first, records nothing and returns its answer: the caller
 * must then roll back.
 */
export function recordAnswer(tx: Tx, actor: string, key: string, requestHash: string, statusCode: number, body: string): Answer | null {
  const now = new Date()
  const earlier = recordedAnswer(tx, actor, key, requestHash, now)
  if (earlier) return earlier
  tx.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now.toISOString())).run()
  tx.delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.actor, actor), eq(idempotencyKeys.key, key)))
    .run()
  tx.insert(idempotencyKeys)
    .values({
      actor,
      key,
      requestHash,
      state: 'done',
      statusCode,
      responseBody: body,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_HOURS * 3600_000).toISOString(),
    })
    .run()
  // The log holds a digest of the record, so a direct edit of a stored answer is caught.
  auditIdempotencyCompletion(tx, actor, key)
  return null
}
