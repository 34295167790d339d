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
import { canonicalJson, type JsonValue } from '../../domain/canonical-json.js'
import type { IdempotencyReads, IdempotencyRecord, WriteTx } from '../../storage/ports.js'
import type { AuditAppender } from '../audit/audit-appender.js'
import { idempotencyEntityId, idempotencySnapshot } from '../audit/integrity.js'

export const IDEMPOTENCY_TTL_HOURS = 24

export type Answer = { kind: 'replay'; statusCode: number; body: string } | { kind: 'mismatch' }

/**
 * SHA-256 of the request as parsed, in canonical JSON (keys sorted, no
 * whitespace): key order in the body or the query does not change it.
 */
export function requestFingerprint(request: { [key: string]: JsonValue }): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex')
}

function answerOf(row: IdempotencyRecord | null, requestHash: string, now: Date): Answer | null {
  if (!row || row.expiresAt < now.toISOString()) return null
  if (row.requestHash !== requestHash) return { kind: 'mismatch' }
  return { kind: 'replay', statusCode: row.statusCode as number, body: row.responseBody as string }
}

/** The answer already recorded under this key, if any. */
export async function recordedAnswer(reads: IdempotencyReads, actor: string, key: string, requestHash: string, now = new Date()): Promise<Answer | null> {
  return answerOf(await reads.find(actor, key), requestHash, now)
}

/**
 * Records an answer inside the caller's write transaction, with an audit entry
 * holding its expiry and a digest of the whole record (never the client's key
 * or the answer itself), so a forged, edited or deleted record is caught. When
 * another request got there first, records nothing and returns its answer: the
 * caller must then roll back.
 */
export async function recordAnswer(tx: WriteTx, audit: AuditAppender, actor: string, key: string, requestHash: string, statusCode: number, body: string): Promise<Answer | null> {
  const now = new Date()
  const earlier = answerOf(await tx.idempotencyRecord(actor, key), requestHash, now)
  if (earlier) return earlier
  await tx.deleteExpiredIdempotency(now.toISOString())
  await tx.deleteIdempotency(actor, key)
  const record: IdempotencyRecord = {
    actor,
    key,
    requestHash,
    statusCode,
    responseBody: body,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_HOURS * 3600_000).toISOString(),
  }
  await tx.insertIdempotency(record)
  audit.append({ actor, action: 'idempotency_key.complete', entityType: 'idempotency_key', entityId: idempotencyEntityId(actor, key), before: null, after: idempotencySnapshot(record) })
  return null
}
