// Single byte ranges (RFC 9110 §14): enough for auditors to fetch a quote's
// bytes with `curl -r`. Multiple ranges are answered with the whole body, as
// the RFC allows.

export type ByteRange = { kind: 'none' } | { kind: 'range'; start: number; end: number } | { kind: 'unsatisfiable' }

export function parseByteRange(header: string | undefined, length: number): ByteRange {
  if (!header) return { kind: 'none' }
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'none' }
  let start: number
  let end: number
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return { kind: 'unsatisfiable' }
    start = Math.max(0, length - suffix)
    end = length - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1)
    if (m[2] !== '' && Number(m[2]) < start) return { kind: 'none' }
  }
  if (start >= length) return { kind: 'unsatisfiable' }
  return { kind: 'range', start, end }
}
