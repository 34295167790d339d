// API keys: created and revoked from the CLI, stored only as a hash, and
// checked on every write. Creation and revocation are audited.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { asc, eq } from 'drizzle-orm'
import { writeTransaction, type Db } from '../../db/client.js'
import { apiKeys } from '../../db/schema.js'
import { openAuditAppender } from '../audit/audit.repository.js'
import { secretDigest } from '../audit/integrity.js'

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

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

function toInfo(row: typeof apiKeys.$inferSelect): ApiKeyInfo {
  return { id: row.id, name: row.name, scopes: row.scopes.split(',') as Scope[], createdAt: row.createdAt, revokedAt: row.revokedAt }
}

export class KeyError extends Error {}

export function createKey(db: Db, name: string, scopes: Scope[], actor = 'cli'): { key: ApiKeyInfo; secret: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) throw new KeyError('a key name is 1-64 letters, digits, ".", "_" or "-"')
  if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s))) throw new KeyError(`scopes must be among: ${SCOPES.join(', ')}`)
  const id = randomBytes(9).toString('base64url').toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 12)
  const secret = `bti_${id}_${randomBytes(32).toString('base64url')}`
  return writeTransaction(db, (tx) => {
    if (tx.select().from(apiKeys).where(eq(apiKeys.name, name)).all().length > 0) throw new KeyError(`a key named "${name}" exists`)
    const audit = openAuditAppender(tx)
    const row = { id, name, scopes: [...new Set(scopes)].sort().join(','), secretHash: hashSecret(secret), createdAt: audit.recordedAt, revokedAt: null }
    tx.insert(apiKeys).values(row).run()
    // The audit entry records the key and a digest of its stored hash (so an edit of the hash is caught), never the secret.
    audit.append({ actor, action: 'api_key.create', entityType: 'api_key', entityId: id, before: null, after: { id, name, scopes: row.scopes.split(','), createdAt: row.createdAt, revokedAt: null, secretDigest: secretDigest(row.secretHash) } })
    return { key: toInfo(row), secret }
  })
}

export function revokeKey(db: Db, nameOrId: string, actor = 'cli'): ApiKeyInfo {
  return writeTransaction(db, (tx) => {
    const [row] = tx.select().from(apiKeys).where(eq(apiKeys.name, nameOrId)).all().concat(tx.select().from(apiKeys).where(eq(apiKeys.id, nameOrId)).all())
    if (!row) throw new KeyError(`no key named "${nameOrId}"`)
    if (row.revokedAt) return toInfo(row)
    const audit = openAuditAppender(tx)
    tx.update(apiKeys).set({ revokedAt: audit.recordedAt }).where(eq(apiKeys.id, row.id)).run()
    const before = { id: row.id, name: row.name, scopes: row.scopes.split(','), createdAt: row.createdAt, revokedAt: null, secretDigest: secretDigest(row.secretHash) }
    audit.append({ actor, action: 'api_key.revoke', entityType: 'api_key', entityId: row.id, before, after: { ...before, revokedAt: audit.recordedAt } })
    return toInfo({ ...row, revokedAt: audit.recordedAt })
  })
}

export function listKeys(db: Db): ApiKeyInfo[] {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.name)).all().map(toInfo)
}

export type Authentication = { ok: true; key: ApiKeyInfo } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' }

/** Checks a presented secret in constant time against the stored hash. */
export function authenticate(db: Db, secret: string): Authentication {
  const m = SECRET.exec(secret)
  if (!m) return { ok: false, reason: 'malformed' }
  const [row] = db.select().from(apiKeys).where(eq(apiKeys.id, m[1] as string)).limit(1).all()
  const presented = Buffer.from(hashSecret(secret), 'hex')
  const stored = Buffer.from(row?.secretHash ?? '0'.repeat(64), 'hex')
  if (!row || !timingSafeEqual(presented, stored)) return { ok: false, reason: 'unknown' }
  if (row.revokedAt) return { ok: false, reason: 'revoked' }
  return { ok: true, key: toInfo(row) }
}
