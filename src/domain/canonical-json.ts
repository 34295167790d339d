// The canonical JSON that audit hashes are computed over. It must be simple
// enough to reproduce in any language (README, "Verifying the audit chain"):
// object keys sorted by UTF-16 code units, no insignificant whitespace,
// strings escaped as JSON.stringify does, only integers as numbers.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds integers only, got ${value}`)
    return String(value)
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys
    .filter((k) => value[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`)
    .join(',')}}`
}
