// Citation geometry in the web's own terms: a byte span of the stored UTF-8 text as a W3C
// TextQuoteSelector, a TextPositionSelector in code points, and a text-fragment link.
import { isContinuationByte } from './citation.js'

/** How many code points of context a TextQuoteSelector carries on each side. */
export const CONTEXT_CODE_POINTS = 32

export interface TextQuoteSelector {
  type: 'TextQuoteSelector'
  exact: string
  prefix: string
  suffix: string
}

export interface TextPositionSelector {
  type: 'TextPositionSelector'
  /** Code points before the quote. */
  start: number
  /** Code points before the end of the quote. */
  end: number
}

export interface DataPositionSelector {
  type: 'DataPositionSelector'
  /** Bytes of the stored UTF-8 text before the quote. */
  start: number
  /** Bytes before the end of the quote: the span is [start, end). */
  end: number
}

export interface CitationGeometry {
  quote: TextQuoteSelector
  position: TextPositionSelector
  bytes: DataPositionSelector
  /** The fragment directive, `:~:text=…` (without the `#`). */
  textFragment: string
}


/** Code points in `bytes[0, byteOffset)`: every byte that starts a UTF-8 character counts one. */
export function codePointOffset(bytes: Uint8Array, byteOffset: number): number {
  let n = 0
  for (let i = 0; i < byteOffset; i++) if (!isContinuationByte(bytes[i] as number)) n++
  return n
}

/** The byte offset of code point `index` (inverse of codePointOffset). */
export function byteOffsetOf(bytes: Uint8Array, index: number): number {
  let n = 0
  for (let i = 0; i < bytes.length; i++) {
    if (isContinuationByte(bytes[i] as number)) continue
    if (n === index) return i
    n++
  }
  return bytes.length
}

/** The byte offset `count` code points before `at` (or 0). */
function backByCodePoints(bytes: Uint8Array, at: number, count: number): number {
  let i = at
  for (let n = 0; n < count && i > 0; n++) {
    i--
    while (i > 0 && isContinuationByte(bytes[i] as number)) i--
  }
  return i
}

/** The byte offset `count` code points after `at` (or the end). */
function forwardByCodePoints(bytes: Uint8Array, at: number, count: number): number {
  let i = at
  for (let n = 0; n < count && i < bytes.length; n++) {
    i++
    while (i < bytes.length && isContinuationByte(bytes[i] as number)) i++
  }
  return i
}

/** Characters a text-fragment prefix may start after, or a suffix end before, in any browser's word segmentation: spaces and punctuation. */
const BOUNDARY = /[\s\p{P}\p{S}]/u

/**
 * Context for the fragment, cut on a word boundary as the text-fragment spec requires: ICU's segmentation of the
 * context with the text around it (`lead`, `trail`), preferring a boundary beside a space or punctuation (the
 * nearest to the quote: such cuts hold in any browser's segmentation), else the farthest one; none without any.
 */
function trimToBoundary(context: string[], side: 'prefix' | 'suffix', lead: string, trail: string): string[] {
  const joined = context.join('')
  const bounds = [...wordBoundaries(lead + joined + trail)].map((b) => b - lead.length).filter((b) => b >= 0 && b <= joined.length)
  const keep = (units: number) => Array.from(joined.slice(0, units)).length
  if (side === 'prefix') {
    const robust = bounds.filter((b) => b > 0 && BOUNDARY.test(joined[b - 1] as string))
    return context.slice(keep(robust.length ? Math.max(...robust) : Math.min(joined.length, ...bounds)))
  }
  const robust = bounds.filter((b) => b < joined.length && BOUNDARY.test(joined[b] as string))
  return context.slice(0, keep(robust.length ? Math.min(...robust) : Math.max(0, ...bounds)))
}

/** Percent-encodes a text-fragment term: encodeURIComponent leaves `-` alone, which the directive's syntax uses. */
export function encodeFragmentTerm(term: string): string {
  return encodeURIComponent(term).replace(/-/g, '%2D')
}

/**
 * The selectors and text-fragment directive of the quote at bytes [byteStart, byteEnd) of `text`.
 * Positions count code points (a character outside the BMP counts one); context never splits one.
 */
export function citationGeometry(text: Buffer, byteStart: number, byteEnd: number): CitationGeometry {
  if (byteStart < 0 || byteEnd > text.length || byteStart > byteEnd) throw new RangeError(`Span [${byteStart}, ${byteEnd}) lies outside the ${text.length} bytes of the text.`)
  const exact = text.subarray(byteStart, byteEnd).toString('utf8')
  const prefix = Array.from(text.subarray(backByCodePoints(text, byteStart, CONTEXT_CODE_POINTS), byteStart).toString('utf8'))
  const suffix = Array.from(text.subarray(byteEnd, forwardByCodePoints(text, byteEnd, CONTEXT_CODE_POINTS)).toString('utf8'))
  const start = codePointOffset(text, byteStart)
  const farBefore = text.subarray(backByCodePoints(text, byteStart, 2 * CONTEXT_CODE_POINTS), byteStart).toString('utf8')
  const farAfter = text.subarray(byteEnd, forwardByCodePoints(text, byteEnd, 2 * CONTEXT_CODE_POINTS)).toString('utf8')
  const lead = farBefore.slice(0, farBefore.length - prefix.join('').length)
  const trail = farAfter.slice(suffix.join('').length)
  const fragmentPrefix = trimToBoundary(prefix, 'prefix', lead, exact + trail).join('')
  const fragmentSuffix = trimToBoundary(suffix, 'suffix', lead + exact, trail).join('')
  const terms = [fragmentPrefix ? `${encodeFragmentTerm(fragmentPrefix)}-` : '', encodeFragmentTerm(exact), fragmentSuffix ? `-${encodeFragmentTerm(fragmentSuffix)}` : '']
  return {
    quote: { type: 'TextQuoteSelector', exact, prefix: prefix.join(''), suffix: suffix.join('') },
    position: { type: 'TextPositionSelector', start, end: start + Array.from(exact).length },
    bytes: { type: 'DataPositionSelector', start: byteStart, end: byteEnd },
    textFragment: `:~:text=${terms.filter(Boolean).join(',')}`,
  }
}

/** Every place (code-point start) where prefix + exact + suffix occur in `text`. */
export function quoteSelectorMatches(text: string, selector: Pick<TextQuoteSelector, 'exact' | 'prefix' | 'suffix'>): number[] {
  const cps = Array.from(text)
  const whole = selector.prefix + selector.exact + selector.suffix
  const starts: number[] = []
  let cpIndex = 0
  let unitIndex = 0
  for (let at = text.indexOf(whole); at >= 0; at = text.indexOf(whole, at + 1)) {
    // Convert the UTF-16 index to code points, walking forward only.
    while (unitIndex < at) unitIndex += (cps[cpIndex++] as string).length
    if (unitIndex === at) starts.push(cpIndex + Array.from(selector.prefix).length)
  }
  return starts
}

export interface TextDirective {
  prefix: string | null
  start: string
  end: string | null
  suffix: string | null
}

/** Parses `:~:text=[prefix-,]start[,end][,-suffix]` (the first text directive), decoding each term. */
export function parseTextDirective(fragment: string): TextDirective | null {
  const m = /:~:(?:.*&)?text=([^&]*)/.exec(fragment)
  if (!m) return null
  const parts = (m[1] as string).split(',')
  const prefix = parts[0]?.endsWith('-') ? decodeURIComponent((parts.shift() as string).slice(0, -1)) : null
  const suffix = parts.length > 1 && parts[parts.length - 1]?.startsWith('-') ? decodeURIComponent((parts.pop() as string).slice(1)) : null
  if (parts.length < 1 || parts.length > 2 || parts[0] === '') return null
  return { prefix, start: decodeURIComponent(parts[0] as string), end: parts[1] === undefined ? null : decodeURIComponent(parts[1]), suffix }
}

/** Word-boundary positions (UTF-16 indexes) of `text` as ICU segments it: the segmentation browsers match text fragments by. */
const segmenters = new Map<string, Intl.Segmenter>()

export function wordBoundaries(text: string, locale = 'zh'): Set<number> {
  const bounds = new Set<number>([0, text.length])
  // Making a segmenter loads ICU's dictionaries: one per locale, kept.
  let segmenter = segmenters.get(locale)
  if (!segmenter) segmenters.set(locale, (segmenter = new Intl.Segmenter(locale, { granularity: 'word' })))
  for (const s of segmenter.segment(text)) bounds.add(s.index)
  return bounds
}

/**
 * Where a text directive matches `text` (UTF-16 [start, end) of the start..end range) by the spec's rules for one
 * block of text: prefix begins on a word boundary, the match ends on one when no suffix follows it, the suffix ends
 * on one, whitespace may separate the terms. The reference the links are held to where a browser cannot be asked.
 */
export function textDirectiveMatches(text: string, d: TextDirective, bounds = wordBoundaries(text)): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = []
  const skipSpace = (i: number) => {
    while (i < text.length && /\s/.test(text[i] as string)) i++
    return i
  }
  for (let from = 0; from <= text.length; from++) {
    let at = from
    if (d.prefix !== null) {
      if (!text.startsWith(d.prefix, at) || !bounds.has(at)) continue
      at = skipSpace(at + d.prefix.length)
    }
    if (!text.startsWith(d.start, at)) continue
    if (d.prefix === null && !bounds.has(at)) continue
    const matchStart = at
    let matchEnd = at + d.start.length
    if (d.end !== null) {
      const e = text.indexOf(d.end, matchEnd)
      if (e < 0) continue
      matchEnd = e + d.end.length
    }
    if (d.suffix === null) {
      if (!bounds.has(matchEnd)) continue
    } else {
      const s = skipSpace(matchEnd)
      if (!text.startsWith(d.suffix, s) || !bounds.has(s + d.suffix.length)) continue
    }
    out.push({ start: matchStart, end: matchEnd })
  }
  return out
}
