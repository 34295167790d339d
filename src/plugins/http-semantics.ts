// The HTTP semantics every route shares, derived from the routes as they are
// registered so that no route can forget them: 405 with Allow for a known path
// and a wrong method, OPTIONS with Allow, 400 for unknown query parameters,
// content negotiation by Accept (with Vary) before the response cache looks,
// and a Cache-Control on every answer to a read.
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Errors } from '../errors.js'
import { negotiate } from '../http/negotiate.js'
import { isValidHost } from '../http/host.js'
import { addVary } from '../http/vary.js'
import { sendProblem } from './problem-details.js'
import { SECURITY_HEADERS } from './protection.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The representations a route offers by Accept (first is the default), e.g. `{ json: 'application/json', csv: 'text/csv' }`; `?format=` overrides. */
    representations?: Record<string, string>
    /** A page of the web view (text/html for people): its own security policy, outside openapi.yaml. */
    page?: boolean
  }
  interface FastifyRequest {
    /** The key of the negotiated representation, or null on a route that offers one. */
    representation: string | null
  }
}

/** An empty query: a route without a querystring schema gets this one, so an unknown parameter is a 400 everywhere. */
export const NoQuery = Type.Object({}, { additionalProperties: false })

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

/**
 * Cache-Control of reads by route class (docs/http-hardening.md, "HTTP semantics"), where the route set none:
 * live state is never stored; everything else may be stored but is revalidated each time
 * (the ETag makes that a 304). Problems are never stored (problem-details sets that on each one).
 */
export const CACHE_POLICY = {
  live: 'no-store',
  revalidate: 'no-cache',
} as const
const LIVE_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/v1/audit/verify', '/v1/audit/verify/full'])

/** A route path (`/v1/observations/:id`, `/docs/*`) as a matcher of request paths. */
function matcherOf(url: string): RegExp {
  const path = url.length > 1 ? url.replace(/\/+$/, '') : url
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/')
  return new RegExp(`^${source}/?$`)
}

/** The routes' methods by path, as registered: the one source of Allow. */
export function createMethodTable() {
  const paths = new Map<string, { matcher: RegExp; methods: Set<string> }>()
  return {
    add(url: string, methods: string | string[]) {
      // @fastify/cors answers preflights on any path through `OPTIONS *`: that says nothing about which paths exist.
      if (url === '*' || url === '/*') return
      const key = url.length > 1 ? url.replace(/\/+$/, '') : url
      let entry = paths.get(key)
      if (!entry) paths.set(key, (entry = { matcher: matcherOf(url), methods: new Set() }))
      for (const m of [methods].flat()) entry.methods.add(m.toUpperCase())
    },
    /** The methods `path` answers (GET implies HEAD; OPTIONS always), or null when no route has that path. */
    allowed(path: string): string[] | null {
      const methods = new Set<string>()
      for (const { matcher, methods: ms } of paths.values()) if (matcher.test(path)) for (const m of ms) methods.add(m)
      if (methods.size === 0) return null
      if (methods.has('GET')) methods.add('HEAD')
      methods.add('OPTIONS')
      return [...methods].sort((a, b) => (METHOD_ORDER.indexOf(a) + 1 || 99) - (METHOD_ORDER.indexOf(b) + 1 || 99))
    },
  }
}

/** The methods whose requests may carry a body that Fastify reads. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

const pathOf = (req: FastifyRequest) => req.url.split('?')[0]!

export default fp(
  async function httpSemantics(app: FastifyInstance) {
    const table = createMethodTable()
    app.decorateRequest('representation', null)

    app.addHook('onRoute', (route) => {
      table.add(route.url, route.method)
      // Hidden routes too: the docs' assets are fetched without a query.
      if (route.method !== 'OPTIONS' && route.schema?.querystring === undefined) route.schema = { ...route.schema, querystring: NoQuery }
    })

    // Before @fastify/cors's hook: a preflight (Origin and Access-Control-Request-Method) is still its to answer.
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.method !== 'OPTIONS' || (req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined)) return
      const allow = table.allowed(pathOf(req))
      if (!allow) throw Errors.routeNotFound(`No resource at ${req.method} ${pathOf(req)}.`)
      return reply.headers(SECURITY_HEADERS).header('allow', allow.join(', ')).code(204).send()
    })

    // RFC 9110 §7.2: a Host that is not host[:port] is refused, before any link is built on it.
    app.addHook('onRequest', async (req: FastifyRequest) => {
      if (isValidHost(req.host)) return
      throw Errors.validation('The Host header (or, behind a trusted proxy, X-Forwarded-Host) is not a valid host[:port].', {
        errors: [{ in: 'header', name: 'Host', message: 'is not a valid host[:port] (RFC 3986 authority, port at most 65535)' }],
      })
    })

    // A coded request body (Content-Encoding: gzip…) is never decoded, so it is refused rather than read as bytes it is not (RFC 9110 §15.5.16).
    app.addHook('onRequest', async (req: FastifyRequest) => {
      const coding = req.headers['content-encoding']?.trim().toLowerCase()
      if (coding === undefined || coding === '' || coding === 'identity' || !BODY_METHODS.has(req.method)) return
      throw Errors.unsupportedMediaType(
        `Request bodies are read as sent, without content coding; this one is coded "${coding}". Send it uncoded.`,
        { errors: [{ in: 'header', name: 'Content-Encoding', message: 'only identity is accepted' }] },
        { 'accept-encoding': 'identity' },
      )
    })

    // Before the response cache's lookup (registered after this): a cached answer is keyed by the representation.
    app.addHook('preValidation', async (req: FastifyRequest, reply: FastifyReply) => {
      const offers = req.routeOptions.config.representations
      if (!offers) return
      addVary(reply, 'accept')
      const format = (req.query as Record<string, unknown> | undefined)?.format
      // A `format` outside the offers is left to the query's validation (a 400 naming it).
      if (format !== undefined && !(typeof format === 'string' && Object.hasOwn(offers, format))) return
      req.representation = negotiate(req.headers.accept, offers, format)
    })

    app.addHook('onSend', async (req, reply, payload) => {
      if (reply.statusCode < 400 && (req.method === 'GET' || req.method === 'HEAD') && !reply.hasHeader('cache-control')) {
        reply.header('cache-control', LIVE_ROUTES.has(req.routeOptions.url ?? '') ? CACHE_POLICY.live : CACHE_POLICY.revalidate)
      }
      return payload
    })

    app.setNotFoundHandler((req, reply) => {
      const path = pathOf(req)
      const allow = table.allowed(path)
      // A route that answers this method yet calls notFound (a missing file under /docs) means the resource is missing, not the method.
      if (!allow || allow.includes(req.method)) return sendProblem(req, reply, 404, Errors.routeNotFound.code, Errors.routeNotFound.title, `No resource at ${req.method} ${path}.`)
      reply.header('allow', allow.join(', '))
      return sendProblem(req, reply, 405, Errors.methodNotAllowed.code, Errors.methodNotAllowed.title, `${path} does not answer ${req.method}; it answers ${allow.join(', ')}.`)
    })
  },
  { name: 'http-semantics', dependencies: ['problem-details'] },
)
