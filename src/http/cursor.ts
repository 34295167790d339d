// Opaque keyset cursors. A cursor remembers the last id seen and a digest of
// the filters it was issued for, so it cannot be replayed against other filters.
import { createHash } from 'node:crypto'
import { canonicalJson, type JsonValue } from '../domain/canonical-json.js'
import { Errors } from '../errors.js'

export function filterDigest(filter: JsonValue): string {
  return createHash('sha256').update(canonicalJson(filter)).digest('base64url').slice(0, 16)
}

export function encodeCursor(after: number, digest: string): string {
  return Buffer.from(JSON.stringify({ a: after, f: digest }), 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | undefined, digest: string): number {
  if (cursor === undefined) return 0
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    parsed = null
  }
  const p = parsed as { a?: unknown; f?: unknown } | null
  if (!p || typeof p.a !== 'number' || !Number.isSafeInteger(p.a) || p.a < 0 || typeof p.f !== 'string') {
    throw Errors.badCursor('The cursor is not one this service issued.', { errors: [{ in: 'query', name: 'cursor', message: 'is malformed' }] })
  }
  if (p.f !== digest) {
    throw Errors.badCursor('The cursor was issued for other filters; repeat the filters of the request that returned it.', {
      errors: [{ in: 'query', name: 'cursor', message: 'belongs to other filters' }],
    })
  }
  return p.a
}
