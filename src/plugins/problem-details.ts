// One place where every error becomes an RFC 9457 problem+json answer.
// 4xx answers say what was wrong; 5xx answers never leak internals.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, Errors, storageProblem, type FieldError, type ProblemExtras } from '../errors.js'

const CONTEXTS: Record<string, FieldError['in']> = { querystring: 'query', params: 'path', body: 'body', headers: 'header' }

/** Maps a Fastify error code to our stable code and title. */
const FASTIFY_CODES: Record<string, { code: string; title: string; status?: number }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: Errors.payloadTooLarge.code, title: Errors.payloadTooLarge.title },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: Errors.unsupportedMediaType.code, title: Errors.unsupportedMediaType.title },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: Errors.validation.code, title: Errors.validation.title },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: Errors.validation.code, title: Errors.validation.title },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: Errors.validation.code, title: Errors.validation.title },
  FST_ERR_BAD_URL: { code: Errors.validation.code, title: Errors.validation.title },
  FST_ERR_ASYNC_CONSTRAINT: { code: Errors.validation.code, title: Errors.validation.title },
  FST_ERR_RESPONSE_SCHEMA_NOT_NESTED_2XX: { code: Errors.internal.code, title: Errors.internal.title },
}

export function problemSlug(code: string): string {
  return code.replace(/^APP_ERR_/, '').toLowerCase().replace(/_/g, '-')
}

export interface ProblemBody {
  type: string
  title: string
  status: number
  detail: string
  instance: string
  code: string
  requestId: string
  errors?: ProblemExtras['errors']
  [key: string]: unknown
}

export function problemBody(request: FastifyRequest, status: number, code: string, title: string, detail: string, extras: ProblemExtras = {}): ProblemBody {
  return {
    type: `/problems/${problemSlug(code)}`,
    title,
    status,
    detail,
    instance: request.url,
    code,
    requestId: String(request.id),
    ...extras,
  }
}

/** A problem describes one request's failure: never stored, by any cache. */
const PROBLEM_CACHE_CONTROL = 'no-store'

export function sendProblem(request: FastifyRequest, reply: FastifyReply, status: number, code: string, title: string, detail: string, extras: ProblemExtras = {}) {
  // Set here too, not only by hooks: a problem the router raises before any hook runs (a malformed URL) carries them as well.
  reply.header('x-request-id', request.id).header('cache-control', PROBLEM_CACHE_CONTROL)
  return reply.code(status).type('application/problem+json').send(problemBody(request, status, code, title, detail, extras))
}

function validationErrors(error: FastifyError): ProblemExtras['errors'] {
  const where = CONTEXTS[error.validationContext ?? ''] ?? 'body'
  return (error.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>
    // A body is named by JSON pointer (`/reported/value`, the empty string for the whole body); a parameter or header by its name (`kind`, not its item `kind/0`).
    const member = typeof params.additionalProperty === 'string' ? params.additionalProperty : typeof params.missingProperty === 'string' ? params.missingProperty : null
    const pointer = member === null ? v.instancePath : `${v.instancePath}/${member.replace(/~/g, '~0').replace(/\//g, '~1')}`
    const name = where === 'body' ? pointer : (pointer.split('/')[1] ?? '')
    const message = typeof params.additionalProperty === 'string' ? 'is not a known parameter' : typeof params.missingProperty === 'string' ? 'is required' : (v.message ?? 'is invalid')
    return { in: where, name, message }
  })
}

export default fp(
  async function problemDetails(app: FastifyInstance) {
    app.setErrorHandler((thrown: FastifyError | AppError, request, reply) => {
      const error = storageProblem(thrown) ?? thrown
      if (error instanceof AppError) {
        reply.headers(error.headers)
        if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed')
        return sendProblem(request, reply, error.statusCode, error.code, error.title, error.message, error.extras)
      }
      if (error.validation) {
        const errors = validationErrors(error)
        const first = errors?.[0]
        const detail = first ? `${first.in} parameter "${first.name}" ${first.message}` : error.message
        return sendProblem(request, reply, 400, Errors.validation.code, Errors.validation.title, detail, { errors })
      }
      const status = error.statusCode ?? 500
      if (status >= 400 && status < 500) {
        const known = FASTIFY_CODES[error.code]
        if (status === 429) return sendProblem(request, reply, 429, Errors.rateLimited.code, Errors.rateLimited.title, error.message)
        return sendProblem(request, reply, status, known?.code ?? Errors.validation.code, known?.title ?? 'Bad request', error.message)
      }
      if (status === 503) return sendProblem(request, reply, 503, Errors.unavailable.code, Errors.unavailable.title, 'The service is overloaded or not ready; retry later.')
      request.log.error({ err: error }, 'request failed')
      return sendProblem(request, reply, 500, Errors.internal.code, Errors.internal.title, `An internal error occurred. Quote request id ${request.id} when reporting it.`)
    })

    // Answers that plugins send themselves (a 4xx or 5xx of @fastify/static or @fastify/cors, say) become problems too.
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode < 400 || String(reply.getHeader('content-type') ?? '').startsWith('application/problem+json')) return payload
      // A web page's error is rendered as a page by the web view's own handler.
      if (request.routeOptions.config.page === true && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload
      const status = reply.statusCode
      const known = Object.values(Errors).find((e) => e.statusCode === status) ?? (status >= 500 ? Errors.internal : Errors.validation)
      const text = typeof payload === 'string' && payload.length <= 300 && !payload.trimStart().startsWith('{') ? payload.trim() : ''
      // (An OPTIONS that is no whole preflight never reaches @fastify/cors: http-semantics answers it 204 with Allow.)
      const detail = status >= 500 ? `An internal error occurred. Quote request id ${request.id} when reporting it.` : text || `The request failed with status ${status}.`
      reply.type('application/problem+json').header('cache-control', PROBLEM_CACHE_CONTROL)
      return JSON.stringify(problemBody(request, status, known.code, known.title, detail))
    })

    // The not-found handler (404, or 405 with Allow for a known path) is the http-semantics plugin's: it knows the routes.
  },
  { name: 'problem-details' },
)
