// Locating a verbatim quote in a stored source by UTF-8 byte offsets, so that
// anyone can check it with `curl .../text | tail -c +$((start+1)) | head -c $((end-start))`.

export type QuoteLocation =
  | { kind: 'found'; byteStart: number; byteEnd: number }
  | { kind: 'absent' }
  | { kind: 'ambiguous'; byteStarts: number[] }

function located(starts: number[], length: number): QuoteLocation {
  if (starts.length === 0) return { kind: 'absent' }
  if (starts.length > 1) return { kind: 'ambiguous', byteStarts: starts }
  return { kind: 'found', byteStart: starts[0] as number, byteEnd: (starts[0] as number) + length }
}

/** Byte offsets of every occurrence of `quote` in the text (overlapping ones too). */
export function locateAll(sourceText: Buffer, quote: string): number[] {
  const needle = Buffer.from(quote, 'utf8')
  const starts: number[] = []
  if (needle.length === 0) return starts
  for (let at = sourceText.indexOf(needle); at >= 0; at = sourceText.indexOf(needle, at + 1)) starts.push(at)
  return starts
}

/** The plain scan of the whole text: the reference the index must agree with. */
export function locateQuote(sourceText: Buffer, quote: string): QuoteLocation {
  return located(locateAll(sourceText, quote), Buffer.byteLength(quote, 'utf8'))
}

export interface QuoteIndex {
  locate(quote: string): QuoteLocation
  /** Memory held: the text and the index arrays. */
  readonly bytes: number
}

/** Quotes shorter than this many bytes (two Chinese characters) are found by the plain scan. */
export const QUOTE_KEY_BYTES = 8

/** A UTF-8 continuation byte (10xxxxxx): not the first byte of a character. */
export const isContinuationByte = (b: number) => (b & 0xc0) === 0x80

function keyHash(bytes: Uint8Array, at: number, shift: number): number {
  const lo = (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16) | ((bytes[at + 3] as number) << 24)
  const hi = (bytes[at + 4] as number) | ((bytes[at + 5] as number) << 8) | ((bytes[at + 6] as number) << 16) | ((bytes[at + 7] as number) << 24)
  return Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> shift
}

/**
 * Every position where a quote can start (a byte that begins a UTF-8 character, as the first byte of
 * any encoded string does), bucketed by a hash of the QUOTE_KEY_BYTES bytes there. A lookup verifies
 * the candidates of one bucket (that of the quote's rarest window) by comparing bytes, so absent and
 * ambiguous stay exact.
 */
export function buildQuoteIndex(text: Buffer): QuoteIndex {
  const last = text.length - QUOTE_KEY_BYTES
  let count = 0
  for (let p = 0; p <= last; p++) if (!isContinuationByte(text[p] as number)) count++
  let bits = 4
  while (1 << bits < count / 2) bits++
  const shift = 32 - bits
  const bucketStart = new Int32Array((1 << bits) + 1)
  for (let p = 0; p <= last; p++) {
    if (isContinuationByte(text[p] as number)) continue
    const b = keyHash(text, p, shift) + 1
    bucketStart[b] = (bucketStart[b] as number) + 1
  }
  for (let b = 1; b < bucketStart.length; b++) bucketStart[b] = (bucketStart[b] as number) + (bucketStart[b - 1] as number)
  const fill = bucketStart.slice(0, -1)
  const positions = new Int32Array(count)
  // Filled in text order, so each bucket lists its positions ascending.
  for (let p = 0; p <= last; p++) {
    if (isContinuationByte(text[p] as number)) continue
    const b = keyHash(text, p, shift)
    const at = fill[b] as number
    fill[b] = at + 1
    positions[at] = p
  }
  return {
    bytes: text.length + bucketStart.byteLength + positions.byteLength,
    locate(quote: string): QuoteLocation {
      const needle = Buffer.from(quote, 'utf8')
      if (needle.length < QUOTE_KEY_BYTES) return locateQuote(text, quote)
      // Look the quote up by its rarest key: the window whose bucket lists the fewest positions.
      let offset = 0
      let bucket = keyHash(needle, 0, shift)
      for (let o = 1; o + QUOTE_KEY_BYTES <= needle.length; o++) {
        if (isContinuationByte(needle[o] as number)) continue
        const b = keyHash(needle, o, shift)
        if ((bucketStart[b + 1] as number) - (bucketStart[b] as number) < (bucketStart[bucket + 1] as number) - (bucketStart[bucket] as number)) {
          offset = o
          bucket = b
        }
      }
      const starts: number[] = []
      for (let i = bucketStart[bucket] as number, end = bucketStart[bucket + 1] as number; i < end; i++) {
        const p = (positions[i] as number) - offset
        if (p >= 0 && p + needle.length <= text.length && text.compare(needle, 0, needle.length, p, p + needle.length) === 0) starts.push(p)
      }
      return located(starts, needle.length)
    },
  }
}
