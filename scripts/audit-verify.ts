// Recomputes the audit chain of the database at DATABASE_URL (or the file
// given as argument). Exit 0 when every entry verifies, 1 naming the first
// broken entry otherwise.
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { verifyAuditChain } from '../src/modules/audit/audit.repository.js'

const file = process.argv[2] ?? loadConfig().databaseUrl
const db = openDatabase(file)
try {
  const result = verifyAuditChain(db)
  if (result.ok) {
    process.stdout.write(`audit chain OK: ${result.entries} entries, head seq ${result.headSeq}, hash ${result.headHash}\n`)
  } else {
    process.stdout.write(`audit chain BROKEN at seq ${result.brokenSeq}: ${result.reason} (${result.entries} entries read)\n`)
    process.exitCode = 1
  }
} finally {
  db.$client.close()
}
