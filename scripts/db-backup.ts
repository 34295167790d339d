// Online backup: `npm run db:backup -- FILE` copies the live database at
// DATABASE_URL page by page while the service keeps writing (SQLite's backup
// API gives a consistent snapshot), then checks the copy: integrity_check and
// the audit chain. Exit 1 when the copy does not verify.
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { checkDatabaseFile } from '../src/db/verify-file.js'

const target = process.argv[2]
if (!target) {
  process.stderr.write('usage: npm run db:backup -- FILE\n')
  process.exit(2)
}
if (existsSync(target)) {
  process.stderr.write(`db:backup: ${target} exists; choose a new file\n`)
  process.exit(2)
}
const source = loadConfig().databaseUrl
const live = new Database(source, { readonly: true, fileMustExist: true })
const started = Date.now()
await live.backup(target)
live.close()
const check = checkDatabaseFile(openDatabase(target))
process.stdout.write(`backup of ${source} to ${target} in ${Date.now() - started} ms: ${check.summary}\n`)
process.exitCode = check.ok ? 0 : 1
