// Checks a database file end to end: SQLite's integrity_check, then the audit
// chain with the revisions it records. Used by backup, restore and the crash tests.
import { verifyAuditChain } from '../../modules/audit/audit.repository.js'
import type { Db } from './client.js'

export interface FileCheck {
  ok: boolean
  integrity: string
  auditEntries: number
  observations: number
  summary: string
}

/** Runs the checks and closes the database. */
export function checkDatabaseFile(db: Db): FileCheck {
  try {
    const integrity = (db.$client.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
    const chain = verifyAuditChain(db)
    const { n } = db.$client.prepare('SELECT count(*) AS n FROM observation').get() as { n: number }
    const ok = integrity === 'ok' && chain.ok
    const summary = `integrity_check ${integrity}; audit chain ${chain.ok ? `OK (${chain.entries} entries, head ${chain.headSeq})` : `BROKEN at seq ${chain.brokenSeq}: ${chain.reason}`}; ${n} observations`
    return { ok, integrity, auditEntries: chain.entries, observations: n, summary }
  } finally {
    db.$client.close()
  }
}
