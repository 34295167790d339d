// Writes openapi.yaml from the route schemas, or with --check fails when the
// committed file differs from what the server serves.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { createSqliteStorage } from '../src/storage/sqlite/index.js'
import { projectRoot } from '../src/paths.js'

const file = join(projectRoot, 'openapi.yaml')
const storage = createSqliteStorage(':memory:')
await storage.migrate()
const app = await buildApp({ storage, logger: false, config: { databaseUrl: ':memory:' } })
await app.ready()
const served = app.swagger({ yaml: true })
await app.close()
await storage.close()

if (process.argv.includes('--check')) {
  let committed = ''
  try {
    committed = readFileSync(file, 'utf8')
  } catch {
    // A missing file is a difference like any other.
  }
  if (committed !== served) {
    process.stderr.write('openapi.yaml differs from the served document: run `npm run openapi` and commit the result.\n')
    process.exit(1)
  }
  process.stdout.write('openapi.yaml matches the served document.\n')
} else {
  writeFileSync(file, served)
  process.stdout.write(`wrote ${file}\n`)
}
