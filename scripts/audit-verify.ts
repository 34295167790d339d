// Recomputes the audit chain of the database at DATABASE_URL (or the file
// given as argument) and compares every table that changes an answer or an
// authority with it; then checks the signed high-water mark kept next to the
// database, when there is one, so a cut tail or a rewritten chain is caught.
// Exit 0 when everything verifies, 1 naming the first broken entry otherwise.
import { existsSync } from 'node:fs'
import { loadConfig } from '../src/config.js'
import { verifyAuditChain } from '../src/modules/audit/integrity.js'
import { openStorage, isPostgresUrl } from '../src/storage/open.js'
import { auditFilesFor, loadSigner, readHighWaterMark } from '../src/modules/audit/signing.js'
import { CliError, runCli } from './cli.js'

async function main(): Promise<number> {
  const config = loadConfig()
  const file = process.argv[2] ?? config.databaseUrl
  // Opening a missing path would create an empty database and report it "OK".
  if (file !== ':memory:' && !isPostgresUrl(file) && !existsSync(file)) throw new CliError(`no database at ${file}`)
  const storage = await openStorage(file)
  try {
    const result = await verifyAuditChain(storage)
    if (!result.ok) {
      process.stdout.write(`audit chain BROKEN at seq ${result.brokenSeq}: ${result.reason} (${result.entries} entries read)\n`)
      process.exitCode = 1
    } else {
      process.stdout.write(`audit chain OK: ${result.entries} entries, head seq ${result.headSeq}, hash ${result.headHash}; every table agrees with it\n`)
      const { keyFile, highWaterMarkFile } = auditFilesFor(file, process.argv[2] ? '' : config.auditSigningKeyFile)
      const mark = highWaterMarkFile ? readHighWaterMark(highWaterMarkFile) : null
      if (mark === 'unreadable') {
        process.stdout.write(`signed high-water mark ${highWaterMarkFile} is unreadable\n`)
        process.exitCode = 1
      } else if (mark && keyFile && existsSync(keyFile)) {
        const kept = (await storage.audit.entry(mark.seq))?.hash
        if (!loadSigner(keyFile).verifyHead(mark, mark.signature)) {
          process.stdout.write(`signed high-water mark ${highWaterMarkFile} does not verify with ${keyFile}\n`)
          process.exitCode = 1
        } else if (kept !== mark.hash) {
          process.stdout.write(`audit chain BROKEN at seq ${mark.seq}: the service signed hash ${mark.hash} for it (recorded ${mark.recordedAt}); the chain ${kept === undefined ? 'was truncated before it' : 'was rewritten'}\n`)
          process.exitCode = 1
        } else {
          process.stdout.write(`signed high-water mark seq ${mark.seq} matches\n`)
        }
      }
    }
  } finally {
    await storage.close()
  }
  return process.exitCode === 1 ? 1 : 0
}

runCli('audit:verify', main)
