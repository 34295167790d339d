// One unit of work: a write transaction that first re-checks the authority the
// command runs for, and flushes its audit entries before commit, so that no
// command can forget either.
import { AsyncLocalStorage } from 'node:async_hooks'
import { Errors } from '../errors.js'
import { openAuditAppender, type AuditAppender } from '../modules/audit/audit-appender.js'
import type { Storage, WriteTx } from '../storage/ports.js'

/** Who a write runs for: the key that authenticated its request and the scope its route requires. */
export interface WriteAuthority {
  keyId: string
  scope: string
}

export const INVALID_TOKEN_CHALLENGE = { 'www-authenticate': 'Bearer realm="bayantala-indicators", error="invalid_token"' }

/**
 * Re-reads the key inside the write's own transaction: a key revoked (or
 * narrowed) after its request started must not commit anything.
 */
export async function assertAuthority(tx: WriteTx, authority: WriteAuthority): Promise<void> {
  const row = await tx.keyById(authority.keyId)
  if (!row) throw Errors.unauthorized('Unknown API key.', {}, INVALID_TOKEN_CHALLENGE)
  if (row.revokedAt) throw Errors.unauthorized('This API key has been revoked.', {}, INVALID_TOKEN_CHALLENGE)
  if (!row.scopes.split(',').includes(authority.scope)) throw Errors.forbidden(`This API key lacks the "${authority.scope}" scope.`)
}

const authorities = new AsyncLocalStorage<WriteAuthority>()

/** Runs `body` so that every write unit it opens re-authorizes `authority` where it commits. */
export function asAuthority<T>(authority: WriteAuthority, body: () => Promise<T>): Promise<T> {
  return authorities.run(authority, body)
}

export async function writeUnit<T>(storage: Storage, body: (tx: WriteTx, audit: AuditAppender) => Promise<T>): Promise<T> {
  const authority = authorities.getStore()
  return storage.transaction('write', async (tx) => {
    // The write lock is held from here to commit, so what the check reads still holds then.
    if (authority) await assertAuthority(tx, authority)
    const audit = await openAuditAppender(tx)
    const result = await body(tx, audit)
    await audit.flush()
    return result
  })
}
