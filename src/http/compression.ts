// Content coding of answers (RFC 9110 §8.4): the codings offered, the size below
// which coding is not worth it, and which media types are worth coding. Shared by
// @fastify/compress (every route) and the response cache (which codes its bodies
// once and keeps the coded bytes).
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import type { ContentCoding } from './conditional.js'
import { negotiateEncoding } from './negotiate.js'

/** Preferred first when a client weighs them equally: brotli is smaller at the same cost. */
export const CODINGS: readonly ContentCoding[] = ['br', 'gzip']

/** Bodies below this many bytes go uncoded: the header bytes and CPU outweigh the saving. */
export const COMPRESSION_THRESHOLD = 1024

/**
 * Brotli's quality: 11 (zlib's default) codes a CSV export some hundred times slower than 4,
 * which already beats gzip's ratio at gzip's speed; a 256 KiB window (lgwin 18, not 4 MiB)
 * costs nothing on these bodies and keeps each coder small (measured in docs/performance.md).
 */
export const BROTLI_QUALITY = 4
export const BROTLI_OPTIONS = { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_LGWIN]: 18 } }

/** JSON, problem+json, CSV, YAML and plain text: the media types this service codes. */
export const COMPRESSIBLE_TYPE = /^(?:application\/(?:[a-z0-9.+-]*\+)?json|text\/csv|application\/yaml|text\/plain|text\/html|application\/javascript|text\/javascript|text\/css)\b/i

/**
 * The coding the request asks for among ours, or null for identity (RFC 9110 §12.5.3: `*` is every
 * coding the field does not name, q=0 refuses). The compression plugin negotiates once per request
 * and leaves only the answer in the header, so @fastify/compress (which reads `*` as gzip, even
 * beside `gzip;q=0`) and the response cache cannot choose differently.
 */
export function codingFor(acceptEncoding: string | undefined): ContentCoding | null {
  return negotiateEncoding(acceptEncoding?.toLowerCase(), CODINGS)
}

/** The body coded as `coding`, synchronously: for bodies already in memory (the cache's). */
export function encodeBody(body: Buffer, coding: ContentCoding): Buffer {
  return coding === 'br' ? brotliCompressSync(body, BROTLI_OPTIONS) : gzipSync(body)
}
