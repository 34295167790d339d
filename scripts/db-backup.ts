// Online backup: `npm run db:backup -- FILE` copies the live database at
// DATABASE_URL page by page while the service keeps writing (SQLite's backup
// API gives a consistent snapshot), then checks the copy: integrity_check and
// the audit chain. Exit 1 when the copy does not verify; every error is one line.
import { existsSync, rmSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { databaseKind, loadConfig } from '../src/config.js'
import { checkDatabaseFile } from '../src/modules/audit/file-check.js'
import { CliError, runCli } from './cli.js'

async function main(): Promise<number> {
  const target = process.argv[2]
  if (!target) throw new CliError('usage: npm run db:backup -- FILE', 2)
  if (existsSync(target)) throw new CliError(`${target} exists; choose a new file`, 2)
  const folder = dirname(target)
  if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new CliError(`folder ${folder} does not exist; create it first`, 2)
  const source = loadConfig().databaseUrl
  if (databaseKind(source) === 'postgres') throw new CliError('DATABASE_URL names PostgreSQL: back it up with pg_dump -Fc (docs/postgres.md, "Backup and restore")', 2)
  if (!existsSync(source)) throw new CliError(`no database at ${source} (DATABASE_URL)`, 2)
  const live = new Database(source, { readonly: true, fileMustExist: true })
  const started = Date.now()
  try {
    // A reader needs no write lock in WAL mode; the backup steps retry by themselves when SQLite reports busy.
    await live.backup(target)
  } catch (err) {
    rmSync(target, { force: true })
    throw err
  } finally {
    live.close()
  }
  const check = (await checkDatabaseFile(target))
  process.stdout.write(`backup of ${source} to ${target} in ${Date.now() - started} ms: ${check.summary}\n`)
  return check.ok ? 0 : 1
}

runCli('db:backup', main)
