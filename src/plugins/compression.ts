// Coded answers (gzip, brotli) above a size threshold for JSON, problem+json, CSV
// and YAML, through @fastify/compress (which also streams the CSV export through
// the coder). After it, on every route, one last onSend gives a coded answer its
// own ETag, says Vary: Accept-Encoding wherever the coding could differ, and
// shapes a 304 as RFC 9110 §15.4.5 asks: no body, no Content-Type, no Content-Length.
import compress from '@fastify/compress'
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import { codedEtag, ifNoneMatchMatches, type ContentCoding } from '../http/conditional.js'
import { addVary } from '../http/vary.js'
import { BROTLI_OPTIONS, CODINGS, codingFor, COMPRESSIBLE_TYPE, COMPRESSION_THRESHOLD } from '../http/compression.js'

function lastWord(coded: boolean) {
  return async function shapeAnswer(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    if (reply.statusCode === 304) {
      // A validating proxy (Prism) turns a 304 that names a media type into a 500; the body is never sent anyway.
      reply.removeHeader('content-type')
      reply.removeHeader('content-length')
      reply.removeHeader('content-encoding')
      if (coded) addVary(reply, 'accept-encoding')
      // null, not '': an empty string would be sent as Content-Length: 0, which a 304 must not claim (RFC 9110 §8.6).
      return null
    }
    if (!coded || reply.statusCode === 206 || reply.statusCode === 204) return payload
    addVary(reply, 'accept-encoding')
    const coding = reply.getHeader('content-encoding')
    const etag = reply.getHeader('etag')
    if (typeof etag === 'string' && (coding === 'gzip' || coding === 'br')) {
      const tag = codedEtag(etag, coding as ContentCoding)
      reply.header('etag', tag)
      // The coded variant's tag is known only now: a route that could not answer 304 itself (its size decides the coding) is answered here.
      if (reply.statusCode === 200 && (req.method === 'GET' || req.method === 'HEAD') && ifNoneMatchMatches(req.headers['if-none-match'], tag)) {
        ;(payload as { destroy?: () => void } | null)?.destroy?.()
        reply.code(304)
        return shapeAnswer(req, reply, null)
      }
    }
    return payload
  }
}

export default fp(
  async function compression(app: FastifyInstance) {
    // Negotiated once, before any other hook reads it: the header then names the one coding chosen, or identity.
    app.addHook('onRequest', async (req) => {
      if (req.headers['accept-encoding'] !== undefined) req.headers['accept-encoding'] = codingFor(req.headers['accept-encoding']) ?? 'identity'
    })
    await app.register(compress, {
      global: true,
      encodings: [...CODINGS],
      threshold: COMPRESSION_THRESHOLD,
      brotliOptions: BROTLI_OPTIONS,
      customTypes: COMPRESSIBLE_TYPE,
      // Request bodies stay as they are: a coded upload is refused (415) as before.
      globalDecompression: false,
    })
    // Registered after @fastify/compress's own onRoute hook, so this onSend runs after its coder. Fastify's
    // own HEAD hook (which drops the body and sets Content-Length from it) moves after the coder too, so a
    // HEAD says the coding and length its GET would send.
    app.addHook('onRoute', (route) => {
      const hooks = (route.onSend === undefined ? [] : [route.onSend].flat()) as onSendHookHandler[]
      const head = hooks.filter((h) => h.name === 'headRouteOnSendHandler')
      route.onSend = [...hooks.filter((h) => !head.includes(h)), ...head, lastWord((route as { compress?: unknown }).compress !== false) as onSendHookHandler]
    })
  },
  { name: 'compression' },
)
