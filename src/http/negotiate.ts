// Picks a response media type from ?format or the Accept header.
import { Errors } from '../errors.js'

interface Choice {
  type: string
  q: number
}

function parseAccept(header: string): Choice[] {
  return header.split(',').map((part) => {
    const [type = '', ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = q ? Number(q.slice(2)) : 1
    return { type: type.trim().toLowerCase(), q: Number.isFinite(value) ? value : 0 }
  })
}

/** Returns the offered type that best matches; `offers[0]` is the default. Throws 406 when none does. */
export function negotiate<T extends string>(accept: string | undefined, offers: Record<T, string>, format?: T): T {
  const keys = Object.keys(offers) as T[]
  if (format !== undefined) return format
  if (!accept || accept.trim() === '') return keys[0] as T
  let best: { key: T; q: number; specificity: number } | null = null
  for (const choice of parseAccept(accept)) {
    if (choice.q <= 0) continue
    for (const key of keys) {
      const offered = offers[key]
      const [major] = offered.split('/')
      const specificity = choice.type === offered ? 2 : choice.type === `${major}/*` ? 1 : choice.type === '*/*' ? 0 : -1
      if (specificity < 0) continue
      if (!best || choice.q > best.q || (choice.q === best.q && specificity > best.specificity)) best = { key, q: choice.q, specificity }
    }
  }
  if (!best) throw Errors.notAcceptable(`This resource is available as ${Object.values(offers).join(' or ')}; the Accept header allows neither.`)
  return best.key
}

/**
 * Accept-Encoding (RFC 9110 §12.5.3): the offered coding with the highest q (ties go to the
 * earlier offer), or null for identity. `*` stands for every coding the header does not name;
 * q=0 refuses. Identity is always acceptable here, so the answer is never a 406.
 */
export function negotiateEncoding<T extends string>(header: string | undefined, offers: readonly T[]): T | null {
  if (!header || header.trim() === '') return null
  const choices = parseAccept(header)
  const wildcard = choices.find((c) => c.type === '*')
  let best: { coding: T; q: number } | null = null
  for (const coding of offers) {
    const named = choices.find((c) => c.type === coding || (coding === 'gzip' && c.type === 'x-gzip'))
    const q = named ? named.q : (wildcard?.q ?? 0)
    if (q > 0 && (!best || q > best.q)) best = { coding, q }
  }
  return best?.coding ?? null
}
