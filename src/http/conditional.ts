// Conditional requests (RFC 9110 §13): the one parser of entity tags and the
// comparisons every route uses. If-None-Match compares weakly (proxies weaken
// tags), If-Match and If-Range strongly.
//
// A content-coded answer (gzip, br) is another representation, so it carries its
// own strong tag (RFC 9110 §8.8.3): the identity tag with `+gzip` or `+br` inside
// the quotes. Weakening the tag instead would make every If-Match sent back by a
// client that asked for gzip a 412. If-Match compares the tags with the coding
// taken off: the variants hold the same data, so a change is made against it
// whichever variant the client read. If-None-Match compares the whole tag: a 304
// names the variant the request selects, and a cache may only reuse the variant
// it holds. If-Range stays exact: ranges are never coded.

export interface EntityTag {
  weak: boolean
  /** The opaque tag with its quotes, e.g. `"obs-1-r2"`. */
  opaque: string
}

/** `*`, a list of entity tags, or null when the field is not valid (RFC 9110 §8.8.3, §13.1.1). */
export type TagList = { any: true } | { any: false; tags: EntityTag[] }

const OWS = /[ \t]/

function isEtagc(c: number): boolean {
  // etagc = %x21 / %x23-7E / obs-text: a comma is allowed inside the quotes.
  return c === 0x21 || (c >= 0x23 && c <= 0x7e) || (c >= 0x80 && c <= 0xff)
}

/** Reads one entity tag at `i`; returns it and the index after it, or null. */
function readTag(text: string, i: number): { tag: EntityTag; next: number } | null {
  let weak = false
  if (text.startsWith('W/', i)) {
    weak = true
    i += 2
  }
  if (text.charCodeAt(i) !== 0x22) return null
  let j = i + 1
  while (j < text.length && isEtagc(text.charCodeAt(j))) j++
  if (text.charCodeAt(j) !== 0x22) return null
  return { tag: { weak, opaque: text.slice(i, j + 1) }, next: j + 1 }
}

/** Parses an If-Match or If-None-Match field value; null when it is malformed. */
export function parseTagList(header: string | undefined): TagList | null {
  if (header === undefined) return null
  const text = header.trim()
  if (text === '*') return { any: true }
  const tags: EntityTag[] = []
  let i = 0
  for (;;) {
    while (i < text.length && (OWS.test(text[i]!) || text[i] === ',')) i++
    if (i >= text.length) break
    const read = readTag(text, i)
    if (!read) return null
    tags.push(read.tag)
    i = read.next
    while (i < text.length && OWS.test(text[i]!)) i++
    if (i < text.length && text[i] !== ',') return null
  }
  return tags.length > 0 ? { any: false, tags } : null
}

/** Parses one entity tag (an ETag or If-Range value); null when it is not exactly one. */
export function parseEntityTag(text: string): EntityTag | null {
  const t = text.trim()
  const read = readTag(t, 0)
  return read && read.next === t.length ? read.tag : null
}

/** The content codings whose variants carry a suffixed tag. */
export type ContentCoding = 'gzip' | 'br'
const CODED_TAG = /\+(?:gzip|br)"$/

/** The tag of the `coding` variant of the representation tagged `etag` (idempotent). */
export function codedEtag(etag: string, coding: ContentCoding): string {
  return CODED_TAG.test(etag) ? etag : `${etag.slice(0, -1)}+${coding}"`
}

/** The tag with any content-coding suffix taken off: what the variants of one representation share. */
function uncoded(tag: EntityTag): EntityTag {
  return CODED_TAG.test(tag.opaque) ? { weak: tag.weak, opaque: tag.opaque.replace(CODED_TAG, '"') } : tag
}

/** Strong comparison: neither is weak and the opaque tags are equal. */
export function strongEquals(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque
}

/** Weak comparison: the opaque tags are equal, weak or not. */
export function weakEquals(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque
}

/**
 * If-None-Match (RFC 9110 §13.1.2): true when the representation with `etag`
 * matches, so a GET or HEAD is answered 304. `*` matches any current
 * representation; a malformed field matches nothing (the full answer is sent).
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  const list = parseTagList(header)
  const parsed = parseEntityTag(etag)
  if (!list || !parsed) return false
  return list.any || list.tags.some((t) => weakEquals(t, parsed))
}

export type IfMatchVerdict = 'absent' | 'any' | 'malformed' | 'match' | 'mismatch'

/** If-Match (RFC 9110 §13.1.1) with strong comparison; the caller decides what `*` and absence mean. */
export function ifMatchVerdict(header: string | undefined, etag: string): IfMatchVerdict {
  if (header === undefined || header.trim() === '') return 'absent'
  const list = parseTagList(header)
  if (!list) return 'malformed'
  if (list.any) return 'any'
  const parsed = parseEntityTag(etag)
  const current = parsed && uncoded(parsed)
  return current && list.tags.some((t) => strongEquals(uncoded(t), current)) ? 'match' : 'mismatch'
}

/**
 * If-Range (RFC 9110 §13.1.5): true when the Range may be applied. An entity
 * tag must match strongly; an HTTP-date must equal Last-Modified exactly, and
 * when the answer has no Last-Modified no date can. Otherwise the whole
 * representation is sent with 200.
 */
export function ifRangeAllows(header: string | undefined, etag: string, lastModified?: string): boolean {
  if (header === undefined) return true
  const given = header.trim()
  if (given.startsWith('"') || given.startsWith('W/')) {
    const tag = parseEntityTag(given)
    const current = parseEntityTag(etag)
    return tag !== null && current !== null && strongEquals(tag, current)
  }
  return lastModified !== undefined && given === lastModified
}
