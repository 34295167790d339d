// Checks a SQLite database file end to end: SQLite's integrity_check, then the
// audit chain with the revisions it records. Used by backup, restore and the crash tests.
import { createSqliteStorage, sqliteFileFacts } from '../../storage/sqlite/index.js'
import { verifyAuditChain } from './integrity.js'

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
    const { integrity, observations } = sqliteFileFacts(storage)
    const chain = await verifyAuditChain(storage)
    const ok = integrity === 'ok' && chain.ok
    const summary = `integrity_check ${integrity}; audit chain ${chain.ok ? `OK (${chain.entries} entries, head ${chain.headSeq})` : `BROKEN at seq ${chain.brokenSeq}: ${chain.reason}`}; ${observations} observations`
    return { ok, integrity, auditEntries: chain.entries, observations, summary }
  } finally {
    await storage.close()
  }
}
