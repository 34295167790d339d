// API key administration: `npm run keys -- create --name NAME --scope write`,
// `list`, `revoke --id ID` or `revoke --name NAME`. The secret is printed once, at creation.
import { parseArgs } from 'node:util'
import { loadConfig } from '../src/config.js'
import { openStorage } from '../src/storage/open.js'
import { isReservedActorName } from '../src/modules/audit/actors.js'
import { createKey, KeyError, listKeys, revokeKey, SCOPES, type Scope } from '../src/modules/keys/keys.js'
import { runCli } from './cli.js'

const usage = `usage:
  npm run keys -- create --name NAME --scope write [--scope admin]
  npm run keys -- list
  npm run keys -- revoke --id ID | --name NAME
scopes: ${SCOPES.join(', ')} (write: observations and imports; admin: sources, indicators, areas, periods)`

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, id: { type: 'string' }, scope: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  })
  const [command] = positionals
  const config = loadConfig()
  // Writes wait their turn behind the server's (a long import): bounded, and said on stderr.
  const storage = await openStorage(config.databaseUrl, { lockWaitSeconds: config.lockWaitSeconds, notice: (message) => process.stderr.write(`${message}\n`) })
  try {
    await storage.migrate()
    if (command === 'create') {
      if (!values.name) throw new KeyError('--name is required')
      const scopes = (values.scope ?? ['write']).flatMap((s) => s.split(',')) as Scope[]
      const { key, secret } = await createKey(storage, values.name as string, scopes)
      if (values.json) process.stdout.write(`${JSON.stringify({ ...key, secret })}\n`)
      else process.stdout.write(`created key "${key.name}" (id ${key.id}, scopes ${key.scopes.join(',')})\nsecret (shown once, store it now):\n${secret}\n`)
      return 0
    }
    if (command === 'list') {
      const keys = await listKeys(storage.keys)
      if (values.json) process.stdout.write(`${JSON.stringify(keys)}\n`)
      else {
        for (const k of keys) process.stdout.write(`${k.name}\t${k.id}\t${k.scopes.join(',')}\tcreated ${k.createdAt}${k.revokedAt ? `\trevoked ${k.revokedAt}` : ''}${isReservedActorName(k.name) ? '\tRESERVED NAME: its writes read like an internal actor\'s; revoke it' : ''}\n`)
      }
      return 0
    }
    if (command === 'revoke') {
      // Exactly one of --id and --name: a key may be named like another key's id.
      if ((values.id === undefined) === (values.name === undefined)) throw new KeyError('revoke takes exactly one of --id ID or --name NAME')
      if (positionals.length > 1) throw new KeyError(`unexpected argument "${positionals[1]}": say --id or --name`)
      const key = await revokeKey(storage, values.id !== undefined ? { id: values.id } : { name: values.name as string })
      process.stdout.write(`revoked key "${key.name}" (id ${key.id}) at ${key.revokedAt}
`)
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
    await storage.close()
  }
}

runCli('keys', main)
