// Bearer API keys for the write routes. Reads stay public. A missing, unknown
// or revoked key is 401; a key without the route's scope is 403.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { KeyReads } from '../storage/ports.js'
import { Errors } from '../errors.js'
import { authenticateHeader, INVALID_TOKEN_CHALLENGE, type ApiKeyInfo, type Authentication, type Scope, type WriteAuthority } from '../modules/keys/keys.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** A preHandler that admits only keys holding `scope`. */
    requireScope(scope: Scope): (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    apiKey: ApiKeyInfo | null
    /** The checked Authorization header, once checked (by the protection hook, or here): checked once per request. */
    authentication: Authentication | null
    /** The key and scope the route admitted: what each write of this request is re-checked against. */
    authority: WriteAuthority | null
  }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="bayantala-indicators"' }

/** The request's Authorization header checked against the keys, at most once per request. */
export async function authenticationOf(keys: KeyReads, request: FastifyRequest): Promise<Authentication | null> {
  const header = request.headers.authorization
  if (header === undefined) return null
  request.authentication ??= await authenticateHeader(keys, header)
  return request.authentication
}

export default fp(
  async function auth(app: FastifyInstance, { keys }: { keys: KeyReads }) {
    app.decorateRequest('apiKey', null)
    app.decorateRequest('authority', null)
    if (!app.hasRequestDecorator('authentication')) app.decorateRequest('authentication', null)
    app.decorate('requireScope', (scope: Scope) => async (request: FastifyRequest) => {
      const result = await authenticationOf(keys, request)
      if (!result) throw Errors.unauthorized('This route needs an API key: send "Authorization: Bearer <key>".', {}, CHALLENGE)
      if (!result.ok) {
        if (!/^Bearer\s+\S+\s*$/i.test(request.headers.authorization ?? '')) throw Errors.unauthorized('The Authorization header must be "Bearer <key>".', {}, CHALLENGE)
        throw Errors.unauthorized(result.reason === 'revoked' ? 'This API key has been revoked.' : 'Unknown API key.', {}, INVALID_TOKEN_CHALLENGE)
      }
      if (!result.key.scopes.includes(scope)) throw Errors.forbidden(`This API key lacks the "${scope}" scope.`)
      request.apiKey = result.key
      request.authority = { keyId: result.key.id, scope }
    })
  },
  { name: 'auth' },
)

/** The name of the API key that authenticated this request: the actor of its writes. */
export function actorOf(request: FastifyRequest): string {
  if (!request.apiKey) throw Errors.unauthorized('This route needs an API key.')
  return request.apiKey.name
}

/** What the writer re-checks inside each transaction of this request's writes. */
export function authorityOf(request: FastifyRequest): WriteAuthority {
  if (!request.authority) throw Errors.unauthorized('This route needs an API key.')
  return request.authority
}
