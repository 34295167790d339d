// Sends a server-rendered page: `<!doctype html>` and the markup rendered by
// preact-render-to-string (every text and attribute escaped by construction), with a
// strong ETag of the bytes, so a page revalidates with 304 like every API answer.
import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { VNode } from 'preact'
import { renderToString } from 'preact-render-to-string'
import { ifNoneMatchMatches } from './conditional.js'
import { addVary } from './vary.js'

/**
 * Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) in stored text would reorder
 * what follows them on the page (a cited 42 drawn as 24, a name reversing its figure): a page shows each as
 * U+FFFD. The verbatim bytes stay in the API and the source's text.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g

export function renderPage(page: VNode): string {
  return `<!doctype html>\n${renderToString(page).replace(BIDI_CONTROLS, '\uFFFD')}`
}

/** Sends `page` as text/html with its ETag; a matching If-None-Match gets 304. `varyLanguage`: the URL named no language, so Accept-Language chose it. */
export function sendPage(req: FastifyRequest, reply: FastifyReply, page: VNode, options: { status?: number; varyLanguage?: boolean } = {}): FastifyReply {
  const body = Buffer.from(renderPage(page), 'utf8')
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`
  if (options.varyLanguage) addVary(reply, 'accept-language')
  reply.header('etag', etag).header('cache-control', 'no-cache').type('text/html; charset=utf-8')
  const status = options.status ?? 200
  if (status === 200 && ifNoneMatchMatches(req.headers['if-none-match'], etag)) return reply.code(304).send()
  return reply.code(status).send(body)
}
