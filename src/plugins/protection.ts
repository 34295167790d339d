// What keeps the service answering for everyone: security headers, CORS for
// public reads only, a rate limit per verified API key or else per client
// address, a lockout of addresses that fail to authenticate too often,
// overload shedding, and a bound on URI length.
import cors from '@fastify/cors'
import rateLimit from '@fastify/rate-limit'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { Errors } from '../errors.js'
import type { Authentication } from '../modules/keys/keys.js'

export const MAX_URI_LENGTH = 4096

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

/**
 * The headers of the web view's pages (routes with `config.page`): no script at all, styles,
 * images and forms from this origin only.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  ...SECURITY_HEADERS,
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'same-origin',
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
  /** Event-loop delay beyond which requests are shed with 503 (ms); 0 turns the guard off. */
  overloadDelayMs: number
  /** Failed authentications an address may make per window; the next request carrying credentials is 429 until the window ends. */
  authFailuresPerWindow: number
  authFailureWindowMs: number
  /** Checks the request's Authorization header (memoized on the request, so the key is hashed once); null without one. */
  authenticate(req: FastifyRequest): Promise<Authentication | null>
  /** Counts shared by every instance (rate limits, lockouts); without it each instance counts its own. */
  redis?: Redis | undefined
}

/** Failed authentications per address: in this process, or in Redis for every instance at once. */
export interface FailureCounter {
  /** Milliseconds left of the address's lockout, or 0 when it may try. */
  lockedFor(address: string): Promise<number>
  record(address: string): Promise<void>
}

/** Addresses tracked at most at once: an attacker with many addresses costs bounded memory. */
const MAX_TRACKED_ADDRESSES = 100_000

/** Counts failed authentications per address in fixed windows that start at an address's first failure. */
export function createFailureCounter(max: number, windowMs: number, now: () => number = Date.now): FailureCounter {
  const windows = new Map<string, { failures: number; resetAt: number }>()
  const current = (address: string) => {
    const w = windows.get(address)
    if (w && w.resetAt <= now()) {
      windows.delete(address)
      return undefined
    }
    return w
  }
  const record = (address: string): void => {
    const w = current(address)
    if (w) {
      w.failures++
      return
    }
    if (windows.size >= MAX_TRACKED_ADDRESSES) {
      for (const [k, v] of windows) if (v.resetAt <= now()) windows.delete(k)
      // Still full: forget the oldest window (Map keeps insertion order).
      if (windows.size >= MAX_TRACKED_ADDRESSES) windows.delete(windows.keys().next().value as string)
    }
    windows.set(address, { failures: 1, resetAt: now() + windowMs })
  }
  return {
    async lockedFor(address) {
      const w = current(address)
      return w && w.failures >= max ? w.resetAt - now() : 0
    },
    async record(address) {
      record(address)
    },
  }
}

/**
 * The same fixed windows in Redis, so an address locked out by one instance is locked out by all.
 * When Redis cannot answer, the lockout is skipped (as the shared rate limit is): keys are 256-bit
 * random, so the lockout slows guessing rather than making it possible; the outage is logged.
 */
export function createRedisFailureCounter(redis: Redis, max: number, windowMs: number, onError: (err: unknown) => void): FailureCounter {
  const key = (address: string) => `bti-authfail:${address}`
  return {
    async lockedFor(address) {
      try {
        const [[, count], [, ttl]] = (await redis.multi().get(key(address)).pttl(key(address)).exec()) as [[unknown, string | null], [unknown, number]]
        return Number(count ?? 0) >= max && ttl > 0 ? ttl : 0
      } catch (err) {
        onError(err)
        return 0
      }
    },
    async record(address) {
      try {
        // The window starts at the first failure: the expiry is set only when the counter is created.
        await redis.multi().set(key(address), 0, 'PX', windowMs, 'NX').incr(key(address)).exec()
      } catch (err) {
        onError(err)
      }
    },
  }
}

/** The client an address stands for: an IPv6 address by its /64 (what one subscriber gets), so rotating within it gains nothing. */
export function clientAddress(ip: string): string {
  if (!ip.includes(':') || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip.replace(/^::ffff:/i, '')
  const [head = '', tail = ''] = ip.toLowerCase().split('%')[0]!.split('::')
  const left = head ? head.split(':') : []
  const right = ip.includes('::') && tail ? tail.split(':') : []
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}

/** Probes and metrics: never rate limited nor locked out (the OpenAPI document leaves their limit headers out). */
export const RATE_LIMIT_EXEMPT_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics']
const isAllowListed = (req: FastifyRequest) => RATE_LIMIT_EXEMPT_PATHS.includes(req.url)

export default fp(
  async function protection(app: FastifyInstance, options: ProtectionOptions) {
    if (!app.hasRequestDecorator('authentication')) app.decorateRequest('authentication', null)
    let lastOutageLog = 0
    const onRedisError = (err: unknown) => {
      // One line a minute while Redis is away, not one per request.
      if (Date.now() - lastOutageLog < 60_000) return
      lastOutageLog = Date.now()
      app.log.warn({ err }, 'Redis did not answer: shared limits and lockouts are skipped until it does')
    }
    const failures: FailureCounter = options.redis
      ? createRedisFailureCounter(options.redis, options.authFailuresPerWindow, options.authFailureWindowMs, onRedisError)
      : createFailureCounter(options.authFailuresPerWindow, options.authFailureWindowMs)
    const windowText = `${Math.round(options.authFailureWindowMs / 1000)} s`

    app.addHook('onRequest', async (req, reply) => {
      reply.headers(req.routeOptions.config.page === true ? PAGE_SECURITY_HEADERS : req.url.startsWith('/docs') ? DOCUMENT_SECURITY_HEADERS : SECURITY_HEADERS)
      if (req.url.length > MAX_URI_LENGTH) throw Errors.uriTooLong(`The request URI has ${req.url.length} characters; at most ${MAX_URI_LENGTH} are accepted.`)
      if (req.headers.authorization === undefined || isAllowListed(req)) return
      // A locked-out address is refused before its key is even looked at: no answer tells a right guess from a wrong one.
      const locked = await failures.lockedFor(clientAddress(req.ip))
      if (locked > 0) {
        const retry = String(Math.ceil(locked / 1000))
        throw Errors.rateLimited(`${options.authFailuresPerWindow} failed authentications from this address within ${windowText}; requests carrying credentials are refused for ${retry} s.`, {}, { 'retry-after': retry })
      }
      // Any route counts, reads included: a read with a bad key is still a guess.
      if ((await options.authenticate(req))?.ok !== true) await failures.record(clientAddress(req.ip))
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
      // Only a verified key has a bucket of its own; anything else, invented key ids included, shares its address's.
      ...(options.redis ? { redis: options.redis, nameSpace: 'bti-rl:', skipOnError: true } : {}),
      keyGenerator: (req) => (req.authentication?.ok ? `key:${req.authentication.key.id}` : `ip:${clientAddress(req.ip)}`),
      // The IETF RateLimit-* names (what CORS exposes), not the older X-RateLimit-*.
      enableDraftSpec: true,
      allowList: isAllowListed,
      errorResponseBuilder: (_req, context) =>
        Errors.rateLimited(`More than ${context.max} requests in a minute from this client; retry in ${Math.ceil(context.ttl / 1000)} s.`, {}, { 'retry-after': String(Math.ceil(context.ttl / 1000)) }),
    })

    await app.register(underPressure, {
      // 0 leaves the event loop unchecked (under-pressure checks only a positive limit).
      maxEventLoopDelay: options.overloadDelayMs,
      retryAfter: 5,
      pressureHandler: (_req, _reply, type) => Promise.reject(Errors.unavailable(`The service is overloaded (${type}); retry shortly.`, {}, { 'retry-after': '5' })),
    })
  },
  { name: 'protection' },
)
