// Restore: `npm run db:restore -- FILE` checks the backup (integrity_check and
// the audit chain), then replaces the database at DATABASE_URL with it
// atomically (copy beside it, then rename). Refuses while any process has the
// database open (a running server would go on writing to the replaced file).
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs'
import { auditFilesFor } from '../src/modules/audit/signing.js'
import { databaseKind, loadConfig } from '../src/config.js'
import { heldByAnotherConnection, processesHolding, type Holder } from '../src/storage/sqlite/open-by.js'
import { checkDatabaseFile } from '../src/modules/audit/file-check.js'
import { CliError, runCli } from './cli.js'

const describe = (holders: Holder[]): string => holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ')

/** Refuses when another process has `target` open: seen in /proc, or holding a SQLite lock /proc cannot show. */
function ensureNobodyHolds(target: string): void {
  const holders = processesHolding(target)
  if (holders?.length) throw new CliError(`${target} is open in ${describe(holders)}; stop it first, nothing restored`)
  if (heldByAnotherConnection(target)) throw new CliError(`${target} is held open by a SQLite connection of another process (not visible here: another container or host?); stop it first, nothing restored`)
}

async function main(): Promise<number> {
  const backup = process.argv[2]
  if (databaseKind(loadConfig().databaseUrl) === 'postgres') throw new CliError('DATABASE_URL names PostgreSQL: restore it with pg_restore (docs/postgres.md, "Backup and restore")', 2)
  if (!backup || !existsSync(backup)) throw new CliError('usage: npm run db:restore -- FILE (an existing backup made with db:backup)', 2)
  const before = (await checkDatabaseFile(backup))
  if (!before.ok) throw new CliError(`the backup does not verify, nothing restored: ${before.summary}`)
  const config = loadConfig()
  const target = config.databaseUrl
  const staging = `${target}.restoring`
  copyFileSync(backup, staging)
  try {
    ensureNobodyHolds(target)
    // The old WAL belongs to the old file: it must not be replayed onto the restored one.
    for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true })
    renameSync(staging, target)
  } finally {
    rmSync(staging, { force: true })
  }
  // A process that opened the old file in the moment between the check and the rename still has it.
  const late = processesHolding(target, { deleted: true })
  if (late?.length) throw new CliError(`restored ${backup} to ${target}, but ${describe(late)} opened the database meanwhile: restart it`)
  const after = (await checkDatabaseFile(target))
  process.stdout.write(`restored ${backup} to ${target}: ${after.summary}\n`)
  // The signed high-water mark names the replaced chain's head: kept aside as the record of what the
  // restore rolled back, or the next start would rightly report the restored chain as truncated.
  const { highWaterMarkFile } = auditFilesFor(target, config.auditSigningKeyFile)
  if (highWaterMarkFile && existsSync(highWaterMarkFile)) {
    const kept = `${highWaterMarkFile}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`
    renameSync(highWaterMarkFile, kept)
    process.stdout.write(`the signed head of the replaced database is kept in ${kept}\n`)
  }
  return after.ok ? 0 : 1
}

runCli('db:restore', main)
