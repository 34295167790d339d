// API key administration: `npm run keys -- create --name NAME --scope write`,
// `list`, `revoke --name NAME`. The secret is printed once, at creation.
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.js'
import { migrateDatabase, openDatabase } from '../src/db/client.js'
import { createKey, KeyError, listKeys, revokeKey, SCOPES, type Scope } from '../src/modules/keys/keys.js'
import { runCli, withWriteLock } from './cli.js'

const usage = `usage:
  npm run keys -- create --name NAME --scope write [--scope admin]
  npm run keys -- list
  npm run keys -- revoke --name NAME
scopes: ${SCOPES.join(', ')} (write: observations and imports; admin: sources, indicators, areas, periods)`

function main(): number {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, scope: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  })
  const [command] = positionals
  const db = openDatabase(loadConfig().databaseUrl)
  try {
    // Writes wait their turn behind the server's (a long import): bounded, and said on stderr.
    withWriteLock(db.$client, () => migrateDatabase(db))
    if (command === 'create') {
      if (!values.name) throw new KeyError('--name is required')
      const scopes = (values.scope ?? ['write']).flatMap((s) => s.split(',')) as Scope[]
      const { key, secret } = withWriteLock(db.$client, () => createKey(db, values.name as string, scopes))
      if (values.json) process.stdout.write(`${JSON.stringify({ ...key, secret })}\n`)
      else process.stdout.write(`created key "${key.name}" (id ${key.id}, scopes ${key.scopes.join(',')})\nsecret (shown once, store it now):\n${secret}\n`)
      return 0
    }
    if (command === 'list') {
      const keys = listKeys(db)
      if (values.json) process.stdout.write(`${JSON.stringify(keys)}\n`)
      else for (const k of keys) process.stdout.write(`${k.name}\t${k.id}\t${k.scopes.join(',')}\tcreated ${k.createdAt}${k.revokedAt ? `\trevoked ${k.revokedAt}` : ''}\n`)
      return 0
    }
    if (command === 'revoke') {
      if (!values.name) throw new KeyError('--name is required')
      const key = withWriteLock(db.$client, () => revokeKey(db, values.name as string))
      process.stdout.write(`revoked key "${key.name}" at ${key.revokedAt}\n`)
      return 0
    }
    process.stderr.write(`${usage}\n`)
    return 2
  } catch (err) {
    if (err instanceof KeyError) {
      process.stderr.write(`keys: ${err.message}\n`)
      return 1
    }
    throw err
  } finally {
    db.$client.close()
  }
}

runCli('keys', main)
