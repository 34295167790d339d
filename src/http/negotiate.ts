// Picks a response media type from ?format or the Accept header.
import { Errors } from '../errors.js'

interface Choice {
  type: string
  q: number
  /** The range's `version` parameter (SDMX media types are versioned by it), when given. */
  version?: string
}

// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110 §12.4.2)
const QVALUE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/

/** The ranges of an Accept or Accept-Encoding field; a range with an invalid weight refuses (q 0), as `q=abc` always did. */
function parseAccept(header: string): Choice[] {
  return header.split(',').map((part) => {
    const [type = '', ...params] = part.trim().split(';')
    const q = params.map((p) => p.trim()).find((p) => /^q=/i.test(p))
    const weight = q === undefined ? '1' : q.slice(2).trim()
    const version = params.map((p) => p.trim()).find((p) => /^version=/i.test(p))
    const choice: Choice = { type: type.trim().toLowerCase(), q: QVALUE.test(weight) ? Number(weight) : 0 }
    if (version !== undefined) choice.version = version.slice(8).trim().replace(/^"(.*)"$/, '$1')
    return choice
  })
}

/**
 * Whether a range's `version` allows an offer's (`type;version=2.0.0`): a range or offer without one allows any;
 * otherwise equal numbers, missing trailing parts read as 0 (2, 2.0 and 2.0.0 are one version).
 */
function versionAllows(range: string | undefined, offer: string | undefined): boolean {
  if (range === undefined || offer === undefined) return true
  const parts = (v: string) => v.split('.').map((n) => (/^\d+$/.test(n) ? Number(n) : NaN))
  const a = parts(range)
  const b = parts(offer)
  return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => (a[i] ?? 0) === (b[i] ?? 0)).every(Boolean)
}

/** An offer split into its media type and its `version` parameter, if it names one. */
function offerOf(offer: string): { type: string; version?: string } {
  const [type = '', ...params] = offer.split(';')
  const version = params.map((p) => p.trim()).find((p) => /^version=/i.test(p))
  return version === undefined ? { type: type.trim() } : { type: type.trim(), version: version.slice(8) }
}

/** How closely a media range names a type: exact 2, `major/*` 1, `*\/*` 0, otherwise -1. */
function specificity(range: string, type: string): number {
  const [major] = type.split('/')
  return range === type ? 2 : range === `${major}/*` ? 1 : range === '*/*' ? 0 : -1
}

/** Returns the offered type that best matches; `offers[0]` is the default. Throws 406 when none does. */
export function negotiate<T extends string>(accept: string | undefined, offers: Record<T, string>, format?: T): T {
  const keys = Object.keys(offers) as T[]
  if (format !== undefined) return format
  if (!accept || accept.trim() === '') return keys[0] as T
  const ranges = parseAccept(accept)
  // Each offer takes the weight of the most specific range that matches it (RFC 9110 §12.5.1): `application/json;q=0, */*` refuses JSON.
  let best: { key: T; q: number; specificity: number } | null = null
  for (const key of keys) {
    let match: { q: number; specificity: number } | null = null
    const offer = offerOf(offers[key])
    for (const range of ranges) {
      const s = versionAllows(range.version, offer.version) ? specificity(range.type, offer.type) : -1
      if (s >= 0 && (!match || s > match.specificity || (s === match.specificity && range.q > match.q))) match = { q: range.q, specificity: s }
    }
    if (!match || match.q <= 0) continue
    if (!best || match.q > best.q || (match.q === best.q && match.specificity > best.specificity)) best = { key, ...match }
  }
  if (!best) {
    const types = [...new Set((Object.values(offers) as string[]).map((o) => offerOf(o).type))]
    throw Errors.notAcceptable(`This resource is available as ${types.length > 2 ? `${types.slice(0, -1).join(', ')} or ${types.at(-1)}` : types.join(' or ')}; the Accept header allows none of them.`)
  }
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
