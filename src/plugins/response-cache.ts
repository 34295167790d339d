// Cached GET (and HEAD) responses, valid until the data changes. Dashboards and sync
// jobs ask the same questions over and over; between two writes the answer is
// the same bytes. A cached answer is checked against the data's version on
// every request: SQLite's data_version (bumped by any other connection's
// commit: the writer thread, another process) plus the writer's own count
// (for :memory:, where writes share the connection). Every cached answer gets
// a strong ETag, so If-None-Match is answered 304 without a query.
//
// An entry is one representation of one URL (the key is the representation the
// http-semantics plugin negotiated from Accept, never the raw Accept: a refused
// Accept is a 406 before the cache is asked). It keeps the identity bytes and
// each content-coded variant once coded, so a hit codes nothing.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Storage } from '../storage/ports.js'
import type { Writer } from '../writes/writer.js'
import { codedEtag, ifNoneMatchMatches, type ContentCoding } from '../http/conditional.js'
import { codingFor, COMPRESSIBLE_TYPE, COMPRESSION_THRESHOLD, encodeBody } from '../http/compression.js'
import { addVary } from '../http/vary.js'

/** Answers larger than this are not cached (exports and big pages stream or recompute). */
export const MAX_CACHED_BODY = 1024 * 1024
// The representation's own headers, replayed on a hit: a hit must say what the miss said (a conversion, the next page).
const KEPT_HEADERS = ['content-type', 'content-location', 'content-disposition', 'cache-control', 'etag', 'vary', 'link', 'unit-conversion'] as const

interface Entry {
  version: string
  /** Bytes, not a string: a hit then sends them as they are instead of encoding ~500 KB of UTF-8 again. */
  body: Buffer
  /** The identity representation's tag; a coded variant's is derived from it (codedEtag). */
  etag: string
  headers: Record<string, string>
  /** The body coded, per coding, made on the first request that asked for it. */
  variants: Partial<Record<ContentCoding, Buffer>>
  /** Whether the body is worth coding at all (size and media type). */
  codable: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    cacheVersion: string | null
  }
}

export interface ResponseCacheOptions {
  storage: Storage
  writer: Writer
  maxBytes: number
}

function cacheable(req: FastifyRequest): boolean {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.url.startsWith('/v1/')) return false
  if (req.url.startsWith('/v1/audit/verify') || req.url.includes('/text')) return false
  return true
}

/**
 * One entry per URL and negotiated representation; a HEAD shares its GET's entry. SDMX-JSON alone names
 * the origin in its body (an absolute next link), so its entries are also per origin: a spoofed Host
 * never reaches another client, and the other answers are not stored again for each host alias.
 */
const keyOf = (req: FastifyRequest) => `${req.representation ?? ''} ${req.representation === 'sdmx-json' ? `${req.protocol}://${req.host}` : ''} ${req.url}`

const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/i
function wantsFresh(req: FastifyRequest): boolean {
  const control = req.headers['cache-control']
  return (typeof control === 'string' && NO_CACHE.test(control)) || (control === undefined && req.headers.pragma === 'no-cache')
}

const sizeOf = (e: Entry) => e.body.byteLength + (e.variants.br?.byteLength ?? 0) + (e.variants.gzip?.byteLength ?? 0)

export default fp(
  async function responseCache(app: FastifyInstance, { storage, writer, maxBytes }: ResponseCacheOptions) {
    app.decorateRequest('cacheVersion', null)
    if (maxBytes <= 0) return
    const entries = new Map<string, Entry>()
    let bytes = 0
    // The store's version sees other processes' and this one's commits; the writer's count, its thread's.
    const version = () => `${storage.dataVersion()}:${writer.finished}`

    function evict() {
      // Least recently used first out.
      for (const [k, e] of entries) {
        if (bytes <= maxBytes) break
        entries.delete(k)
        bytes -= sizeOf(e)
      }
    }

    function store(key: string, entry: Entry) {
      const old = entries.get(key)
      if (old) {
        bytes -= sizeOf(old)
        entries.delete(key)
      }
      entries.set(key, entry)
      bytes += sizeOf(entry)
      evict()
    }

    /**
     * Puts the variant of `entry` the request asks for on the reply (coding it once, kept
     * in the entry while it is cached) and returns its bytes and tag.
     */
    function variantFor(req: FastifyRequest, reply: FastifyReply, key: string, entry: Entry): { body: Buffer; etag: string } {
      if (!entry.codable) return { body: entry.body, etag: entry.etag }
      addVary(reply, 'accept-encoding')
      const coding = codingFor(req.headers['accept-encoding'])
      if (!coding) return { body: entry.body, etag: entry.etag }
      let body = entry.variants[coding]
      if (!body) {
        body = entry.variants[coding] = encodeBody(entry.body, coding)
        if (entries.get(key) === entry) {
          bytes += body.byteLength
          evict()
        }
      }
      const etag = codedEtag(entry.etag, coding)
      reply.header('content-encoding', coding).header('etag', etag)
      return { body, etag }
    }

    // preValidation, not onRequest: the rate limit (a route-level onRequest hook) comes first, and
    // the representation is negotiated (http-semantics, registered before) so the key can name it.
    // Before validation, though: an entry exists only for a URL that was validated and answered
    // 200 before, and validating it again measured 5 % of a cache hit.
    app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
      if (!cacheable(req)) return
      // Captured before any read: an answer computed from older data is never stored as newer.
      req.cacheVersion = version()
      // Cache-Control: no-cache (or the older Pragma) asks for an answer from the database: computed anew, then stored.
      if (wantsFresh(req)) return
      const key = keyOf(req)
      const hit = entries.get(key)
      if (!hit || hit.version !== req.cacheVersion) return
      entries.delete(key)
      entries.set(key, hit)
      reply.headers(hit.headers).header('x-cache', 'hit')
      const variant = variantFor(req, reply, key, hit)
      if (ifNoneMatchMatches(req.headers['if-none-match'], variant.etag)) return reply.code(304).send()
      return reply.send(variant.body)
    })

    app.addHook('onSend', async (req, reply, payload) => {
      if (req.cacheVersion === null || reply.statusCode !== 200 || typeof payload !== 'string' || reply.getHeader('x-cache') === 'hit') return payload
      if (payload.length > MAX_CACHED_BODY) return payload
      const body = Buffer.from(payload, 'utf8')
      if (body.byteLength > MAX_CACHED_BODY) return body
      let etag = reply.getHeader('etag') as string | undefined
      if (!etag) {
        etag = `"${createHash('sha1').update(body).digest('base64url')}"`
        reply.header('etag', etag)
      }
      const headers: Record<string, string> = {}
      for (const h of KEPT_HEADERS) {
        const v = reply.getHeader(h)
        if (v !== undefined) headers[h] = String(v)
      }
      const codable = body.byteLength >= COMPRESSION_THRESHOLD && COMPRESSIBLE_TYPE.test(headers['content-type'] ?? '')
      const key = keyOf(req)
      const entry: Entry = { version: req.cacheVersion, body, etag, headers, variants: {}, codable }
      store(key, entry)
      reply.header('x-cache', 'miss')
      const variant = variantFor(req, reply, key, entry)
      if (ifNoneMatchMatches(req.headers['if-none-match'], variant.etag)) {
        reply.code(304)
        // Not null: Fastify's HEAD hook reads the payload; the compression plugin's last word drops it.
        return ''
      }
      return variant.body
    })
  },
  { name: 'response-cache' },
)
