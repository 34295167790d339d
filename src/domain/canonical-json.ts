// The canonical JSON that audit hashes are computed over. It must be simple
// enough to reproduce in any language (README, "Verifying the audit chain"):
// object keys sorted by UTF-16 code units, no insignificant whitespace,
// strings escaped as JSON.stringify does, only integers as numbers.

/** Text already in canonical form, from a builder specialized for one shape; passed through as it is. */
export class CanonicalText {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | number | string | CanonicalText | JsonValue[] | { [key: string]: JsonValue }

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds integers only, got ${value}`)
    return String(value)
  }
  if (value instanceof CanonicalText) return value.text
  // Loops rather than map/filter/join: one audit entry per imported row goes through here.
  let out: string
  if (Array.isArray(value)) {
    out = '['
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i] as JsonValue)
    return `${out}]`
  }
  const keys = Object.keys(value).sort()
  out = '{'
  let first = true
  for (const k of keys) {
    const v = value[k]
    if (v === undefined) continue
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`
    first = false
  }
  return `${out}}`
}
