// API keys: created and revoked from the CLI, stored only as a hash, and
// checked on every write. Creation and revocation are audited.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ApiKeyRecord, KeyReads, Storage, WriteTx } from '../../storage/ports.js'
import { INTERNAL_ACTORS, isReservedActorName, RESERVED_ACTOR_NAMES } from '../audit/actors.js'
import { secretDigest } from '../audit/integrity.js'
import { writeUnit } from '../../writes/write-unit.js'

export const SCOPES = ['write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

export interface ApiKeyInfo {
  id: string
  name: string
  scopes: Scope[]
  createdAt: string
  revokedAt: string | null
}

const SECRET = /^bti_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

function toInfo(row: ApiKeyRecord): ApiKeyInfo {
  return { id: row.id, name: row.name, scopes: row.scopes.split(',') as Scope[], createdAt: row.createdAt, revokedAt: row.revokedAt }
}

export class KeyError extends Error {}

export async function createKey(storage: Storage, name: string, scopes: Scope[], actor: string = INTERNAL_ACTORS.cli): Promise<{ key: ApiKeyInfo; secret: string }> {
  if (!KEY_NAME.test(name)) throw new KeyError('a key name is 1-64 letters, digits, ".", "_" or "-"')
  // A key's name is the actor of its writes in the audit log: it must not read as the seed's or the CLI's.
  if (isReservedActorName(name)) throw new KeyError(`"${name}" reads like an internal actor of the audit log; reserved (ignoring case, ".", "_", "-"): ${RESERVED_ACTOR_NAMES.join(', ')}`)
  if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s))) throw new KeyError(`scopes must be among: ${SCOPES.join(', ')}`)
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12)
  const secret = `bti_${id}_${randomBytes(32).toString('base64url')}`
  return writeUnit(storage, async (tx, audit) => {
    if (await tx.keyByName(name)) throw new KeyError(`a key named "${name}" exists`)
    const row = { id, name, scopes: [...new Set(scopes)].sort().join(','), secretHash: hashSecret(secret), createdAt: audit.recordedAt, revokedAt: null }
    await tx.insertKey(row)
    // The audit entry records the key and a digest of its stored hash (so an edit of the hash is caught), never the secret.
    audit.append({ actor, action: 'api_key.create', entityType: 'api_key', entityId: id, before: null, after: { id, name, scopes: row.scopes.split(','), createdAt: row.createdAt, revokedAt: null, secretDigest: secretDigest(row.secretHash) } })
    return { key: toInfo(row), secret }
  })
}

/** Which key to revoke: by its id or by its name, never "whichever matches". */
export type KeySelector = { id: string } | { name: string }

function describe(row: ApiKeyRecord): string {
  return `"${row.name}" (id ${row.id})`
}

async function selectKey(tx: WriteTx, selector: KeySelector | string): Promise<ApiKeyRecord> {
  if (typeof selector !== 'string') {
    const row = 'id' in selector ? await tx.keyById(selector.id) : await tx.keyByName(selector.name)
    if (!row) throw new KeyError('id' in selector ? `no key with id "${selector.id}"` : `no key named "${selector.name}"`)
    return row
  }
  // A bare string may be a name or an id; a key may be named like another key's id, so refuse to guess.
  const byName = await tx.keyByName(selector)
  const byId = await tx.keyById(selector)
  if (byName && byId && byName.id !== byId.id) {
    throw new KeyError(`"${selector}" is ambiguous: the name of key ${describe(byName)} and the id of key ${describe(byId)}; use --id or --name`)
  }
  const row = byName ?? byId
  if (!row) throw new KeyError(`no key named or with id "${selector}"`)
  return row
}

/** Revokes one key; `selector` a `{ id }` or `{ name }`, or a bare string that must not match two different keys. */
export async function revokeKey(storage: Storage, selector: KeySelector | string, actor: string = INTERNAL_ACTORS.cli): Promise<ApiKeyInfo> {
  return writeUnit(storage, async (tx, audit) => {
    const row = await selectKey(tx, selector)
    if (row.revokedAt) return toInfo(row)
    await tx.revokeKey(row.id, audit.recordedAt)
    const before = { id: row.id, name: row.name, scopes: row.scopes.split(','), createdAt: row.createdAt, revokedAt: null, secretDigest: secretDigest(row.secretHash) }
    audit.append({ actor, action: 'api_key.revoke', entityType: 'api_key', entityId: row.id, before, after: { ...before, revokedAt: audit.recordedAt } })
    return toInfo({ ...row, revokedAt: audit.recordedAt })
  })
}

export async function listKeys(keys: KeyReads): Promise<ApiKeyInfo[]> {
  return (await keys.list()).map(toInfo)
}

export type Authentication = { ok: true; key: ApiKeyInfo } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' }

/** Checks a presented secret in constant time against the stored hash. */
export async function authenticate(keys: KeyReads, secret: string): Promise<Authentication> {
  const m = SECRET.exec(secret)
  if (!m) return { ok: false, reason: 'malformed' }
  const row = await keys.byId(m[1] as string)
  const presented = Buffer.from(hashSecret(secret), 'hex')
  const stored = Buffer.from(row?.secretHash ?? '0'.repeat(64), 'hex')
  if (!row || !timingSafeEqual(presented, stored)) return { ok: false, reason: 'unknown' }
  if (row.revokedAt) return { ok: false, reason: 'revoked' }
  return { ok: true, key: toInfo(row) }
}

/** Checks a whole Authorization header: only `Bearer <key>` can succeed. */
export async function authenticateHeader(keys: KeyReads, header: string): Promise<Authentication> {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return m ? authenticate(keys, m[1] as string) : { ok: false, reason: 'malformed' }
}

export { INVALID_TOKEN_CHALLENGE, assertAuthority, type WriteAuthority } from '../../writes/write-unit.js'
