// One unit of work: a write transaction that first re-checks the authority the
// command runs for, and flushes its audit entries before commit, so that no
// command can forget either.
import { AsyncLocalStorage } from 'node:async_hooks'
import { openAuditAppender, type AuditAppender } from '../modules/audit/audit-appender.js'
import { assertAuthority, type WriteAuthority } from '../modules/keys/keys.js'
import type { Storage, WriteTx } from '../storage/ports.js'

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
