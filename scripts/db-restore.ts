// Restore: `npm run db:restore -- FILE` checks the backup (integrity_check and
// the audit chain), then replaces the database at DATABASE_URL with it
// atomically (copy beside it, then rename). Stop the service first.
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { checkDatabaseFile } from '../src/db/verify-file.js'

const backup = process.argv[2]
if (!backup || !existsSync(backup)) {
  process.stderr.write('usage: npm run db:restore -- FILE (an existing backup made with db:backup)\n')
  process.exit(2)
}
const before = checkDatabaseFile(openDatabase(backup))
if (!before.ok) {
  process.stderr.write(`db:restore: the backup does not verify, nothing restored: ${before.summary}\n`)
  process.exit(1)
}
const target = loadConfig().databaseUrl
const staging = `${target}.restoring`
copyFileSync(backup, staging)
// The old WAL belongs to the old file: it must not be replayed onto the restored one.
for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true })
renameSync(staging, target)
const after = checkDatabaseFile(openDatabase(target))
process.stdout.write(`restored ${backup} to ${target}: ${after.summary}\n`)
process.exitCode = after.ok ? 0 : 1
