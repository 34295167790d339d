// Copies a SQLite database into an empty, migrated PostgreSQL database, verbatim:
// `npm run db:copy -- FILE POSTGRES_URL`. All or nothing; the copy is checked (row counts,
// audit head, the whole chain re-hashed) before it commits. Every error is one line, exit 1.
import { existsSync } from 'node:fs'
import { copySqliteToPostgres } from '../src/storage/postgres/copy-from-sqlite.js'
import { describeUrl } from '../src/storage/postgres/client.js'
import { CliError, runCli } from './cli.js'

async function main(): Promise<number> {
  const [file, url] = process.argv.slice(2)
  if (!file || !url) throw new CliError('usage: npm run db:copy -- SQLITE_FILE POSTGRES_URL', 2)
  if (!existsSync(file)) throw new CliError(`no SQLite database at ${file}`, 2)
  if (!/^postgres(ql)?:\/\//.test(url)) throw new CliError('the target must be a postgres:// URL', 2)
  const started = Date.now()
  let shown = ''
  const report = await copySqliteToPostgres(file, url, {
    onProgress: ({ table, copied, total }) => {
      // One line per table when it completes, so a long copy shows where it is without flooding a log.
      if (copied === total && shown !== table) {
        shown = table
        process.stderr.write(`${table}: ${total} rows\n`)
      }
    },
  })
  const rows = Object.values(report.tables).reduce((a, b) => a + b, 0)
  const head = report.auditHead ? `audit head seq ${report.auditHead.seq} ${report.auditHead.hash}` : 'no audit entries'
  process.stdout.write(`copied ${file} to ${describeUrl(url)}: ${rows} rows in ${Date.now() - started} ms, ${head}, chain verified\n`)
  return 0
}

runCli('db:copy', main)
