// What keeps the service answering for everyone: security headers, CORS for
// public reads only, a rate limit per API key and per client address,
// overload shedding, and a bound on URI length.
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Errors } from '../errors.js'

export const MAX_URI_LENGTH = 4096
/** Event-loop delay beyond which requests are shed with 503 (ms). */
export const MAX_EVENT_LOOP_DELAY_MS = 1000

/**
 * The security headers of API responses (JSON, CSV, plain text), computed once:
 * the OWASP REST set. Nothing here is a document a browser renders, so the
 * policy forbids every kind of content and framing. The HTML-only headers
 * (script sources, DNS prefetch, XSS filter...) go to the interactive docs
 * alone: on a 304 they were most of the bytes sent.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'cross-origin',
})

/** The headers of the HTML pages under /docs: a policy that lets the docs' own scripts and styles run. */
export const DOCUMENT_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...SECURITY_HEADERS,
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
})

export interface ProtectionOptions {
  rateLimitPerMinute: number
}

/** The API key's public id when one is presented, so that limits follow the client, not its address. */
function rateLimitKey(req: FastifyRequest): string {
  const m = /^Bearer\s+bti_([a-z0-9]{12})_/i.exec(req.headers.authorization ?? '')
  return m ? `key:${m[1]}` : `ip:${req.ip}`
}

export default fp(
  async function protection(app: FastifyInstance, options: ProtectionOptions) {
    app.addHook('onRequest', async (req, reply) => {
      reply.headers(req.url.startsWith('/docs') ? DOCUMENT_SECURITY_HEADERS : SECURITY_HEADERS)
      if (req.url.length > MAX_URI_LENGTH) throw Errors.uriTooLong(`The request URI has ${req.url.length} characters; at most ${MAX_URI_LENGTH} are accepted.`)
    })

    // Anyone may read from a browser; writes are for servers holding a key, so no CORS for them.
    await app.register(cors, {
      origin: '*',
      methods: ['GET', 'HEAD'],
      exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After', 'Content-Location', 'Content-Range', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
      maxAge: 86400,
    })

    await app.register(rateLimit, {
      max: options.rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: rateLimitKey,
      // The IETF RateLimit-* names (what CORS exposes), not the older X-RateLimit-*.
      enableDraftSpec: true,
      allowList: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics',
      errorResponseBuilder: (_req, context) =>
        Errors.rateLimited(`More than ${context.max} requests in a minute from this client; retry in ${Math.ceil(context.ttl / 1000)} s.`, {}, { 'retry-after': String(Math.ceil(context.ttl / 1000)) }),
    })

    await app.register(underPressure, {
      maxEventLoopDelay: MAX_EVENT_LOOP_DELAY_MS,
      retryAfter: 5,
      pressureHandler: (_req, _reply, type) => Promise.reject(Errors.unavailable(`The service is overloaded (${type}); retry shortly.`, {}, { 'retry-after': '5' })),
    })
  },
  { name: 'protection' },
)
