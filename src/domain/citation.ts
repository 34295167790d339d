// Locating a verbatim quote in a stored source by UTF-8 byte offsets, so that
// anyone can check it with `curl .../text | tail -c +$((start+1)) | head -c $((end-start))`.

export type QuoteLocation =
  | { kind: 'found'; byteStart: number; byteEnd: number }
  | { kind: 'absent' }
  | { kind: 'ambiguous'; byteStarts: number[] }

export function locateQuote(sourceText: Buffer, quote: string): QuoteLocation {
  const needle = Buffer.from(quote, 'utf8')
  if (needle.length === 0) return { kind: 'absent' }
  const first = sourceText.indexOf(needle)
  if (first < 0) return { kind: 'absent' }
  const starts = [first]
  for (let at = sourceText.indexOf(needle, first + 1); at >= 0; at = sourceText.indexOf(needle, at + 1)) {
    starts.push(at)
  }
  if (starts.length > 1) return { kind: 'ambiguous', byteStarts: starts }
  return { kind: 'found', byteStart: first, byteEnd: first + needle.length }
}
