// Bearer API keys for the write routes. Reads stay public. A missing, unknown
// or revoked key is 401; a key without the route's scope is 403.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Db } from '../db/client.js'
import { Errors } from '../errors.js'
import { authenticate, type ApiKeyInfo, type Scope } from '../modules/keys/keys.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** A preHandler that admits only keys holding `scope`. */
    requireScope(scope: Scope): (request: FastifyRequest) => Promise<void>
  }
  interface FastifyRequest {
    apiKey: ApiKeyInfo | null
  }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="bayantala-indicators"' }

export default fp(
  async function auth(app: FastifyInstance, { db }: { db: Db }) {
    app.decorateRequest('apiKey', null)
    app.decorate('requireScope', (scope: Scope) => async (request: FastifyRequest) => {
      const header = request.headers.authorization
      if (!header) throw Errors.unauthorized('This route needs an API key: send "Authorization: Bearer <key>".', {}, CHALLENGE)
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
      if (!m) throw Errors.unauthorized('The Authorization header must be "Bearer <key>".', {}, CHALLENGE)
      const result = authenticate(db, m[1] as string)
      if (!result.ok) {
        throw Errors.unauthorized(result.reason === 'revoked' ? 'This API key has been revoked.' : 'Unknown API key.', {}, {
          'www-authenticate': 'Bearer realm="bayantala-indicators", error="invalid_token"',
        })
      }
      if (!result.key.scopes.includes(scope)) throw Errors.forbidden(`This API key lacks the "${scope}" scope.`)
      request.apiKey = result.key
    })
  },
  { name: 'auth' },
)

/** The name of the API key that authenticated this request: the actor of its writes. */
export function actorOf(request: FastifyRequest): string {
  if (!request.apiKey) throw Errors.unauthorized('This route needs an API key.')
  return request.apiKey.name
}
