// Paging links (RFC 8288): the next page of a list is this request with `cursor` set to the next cursor and
// every other parameter unchanged, so JSON, CSV and SDMX clients page the same way through a `Link` header.
import type { FastifyReply } from 'fastify'

/** The next page's URL, relative to the service (path and query): no Host header can reach a link others may be served. */
export function nextPageHref(requestUrl: string, cursor: string): string {
  const url = new URL(requestUrl, 'http://service.invalid')
  url.searchParams.set('cursor', cursor)
  return url.pathname + url.search
}

/** `Link: <next page>; rel="next"` when there is a next page; nothing on the last one. */
export function linkNextPage(reply: FastifyReply, requestUrl: string, cursor: string | null): FastifyReply {
  return cursor === null ? reply : reply.header('link', `<${nextPageHref(requestUrl, cursor)}>; rel="next"`)
}
