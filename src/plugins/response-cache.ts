// Cached GET responses, valid until the data changes. Dashboards and sync
// jobs ask the same questions over and over; between two writes the answer is
// the same bytes. A cached answer is checked against the data's version on
// every request: SQLite's data_version (bumped by any other connection's
// commit: the writer thread, another process) plus the writer's own count
// (for :memory:, where writes share the connection). Every cached answer gets
// a strong ETag, so If-None-Match is answered 304 without a query.
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Storage } from '../storage/ports.js'
import type { Writer } from '../writes/writer.js'
import { ifNoneMatchMatches } from '../http/conditional.js'

/** Answers larger than this are not cached (exports and big pages stream or recompute). */
export const MAX_CACHED_BODY = 1024 * 1024
const KEPT_HEADERS = ['content-type', 'content-location', 'cache-control', 'etag'] as const

interface Entry {
  version: string
  /** Bytes, not a string: a hit then sends them as they are instead of encoding ~500 KB of UTF-8 again. */
  body: Buffer
  etag: string
  headers: Record<string, string>
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
  if (req.method !== 'GET' || !req.url.startsWith('/v1/')) return false
  if (req.url.startsWith('/v1/audit/verify') || req.url.includes('/text')) return false
  // CSV is streamed, never cached.
  if (/[?&]format=csv/.test(req.url) || (req.headers.accept ?? '').includes('text/csv')) return false
  return true
}

const NO_CACHE = /(?:^|,)\s*no-cache\s*(?:,|$)/i
function wantsFresh(req: FastifyRequest): boolean {
  const control = req.headers['cache-control']
  return (typeof control === 'string' && NO_CACHE.test(control)) || (control === undefined && req.headers.pragma === 'no-cache')
}

export default fp(
  async function responseCache(app: FastifyInstance, { storage, writer, maxBytes }: ResponseCacheOptions) {
    app.decorateRequest('cacheVersion', null)
    if (maxBytes <= 0) return
    const entries = new Map<string, Entry>()
    let bytes = 0
    // The store's version sees other processes' and this one's commits; the writer's count, its thread's.
    const version = () => `${storage.dataVersion()}:${writer.finished}`

    function store(key: string, entry: Entry) {
      const old = entries.get(key)
      if (old) {
        bytes -= old.body.byteLength
        entries.delete(key)
      }
      entries.set(key, entry)
      bytes += entry.body.byteLength
      // Least recently used first out.
      for (const [k, e] of entries) {
        if (bytes <= maxBytes) break
        entries.delete(k)
        bytes -= e.body.byteLength
      }
    }

    // preValidation, not onRequest: the rate limit (a route-level onRequest hook) comes first.
    // Before validation, though: an entry exists only for a URL that was validated and answered
    // 200 before, and validating it again measured 5 % of a cache hit.
    app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
      if (!cacheable(req)) return
      // Captured before any read: an answer computed from older data is never stored as newer.
      req.cacheVersion = version()
      // Cache-Control: no-cache (or the older Pragma) asks for an answer from the database: computed anew, then stored.
      if (wantsFresh(req)) return
      const hit = entries.get(req.url)
      if (!hit || hit.version !== req.cacheVersion) return
      entries.delete(req.url)
      entries.set(req.url, hit)
      reply.headers(hit.headers).header('x-cache', 'hit')
      if (ifNoneMatchMatches(req.headers['if-none-match'], hit.etag)) return reply.code(304).send()
      return reply.send(hit.body)
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
      store(req.url, { version: req.cacheVersion, body, etag, headers })
      reply.header('x-cache', 'miss')
      if (ifNoneMatchMatches(req.headers['if-none-match'], etag)) {
        reply.code(304)
        return ''
      }
      return body
    })
  },
  { name: 'response-cache' },
)
