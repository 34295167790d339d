// Checks a database file end to end: SQLite's integrity_check, then the audit
// chain with the revisions it records. Used by backup, restore and the crash tests.
import { verifyAuditChain } from '../../modules/audit/integrity.js'
import { createSqliteStorage, sqliteConnection } from './index.js'

export interface FileCheck {
  ok: boolean
  integrity: string
  auditEntries: number
  observations: number
  summary: string
}

/** Opens the file, runs the checks and closes it. */
export async function checkDatabaseFile(file: string): Promise<FileCheck> {
  const storage = createSqliteStorage(file)
  try {
    const client = sqliteConnection(storage).$client
    const integrity = (client.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
    const chain = await verifyAuditChain(storage)
    const { n } = client.prepare('SELECT count(*) AS n FROM observation').get() as { n: number }
    const ok = integrity === 'ok' && chain.ok
    const summary = `integrity_check ${integrity}; audit chain ${chain.ok ? `OK (${chain.entries} entries, head ${chain.headSeq})` : `BROKEN at seq ${chain.brokenSeq}: ${chain.reason}`}; ${n} observations`
    return { ok, integrity, auditEntries: chain.entries, observations: n, summary }
  } finally {
    await storage.close()
  }
}
