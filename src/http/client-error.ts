// Errors Node's HTTP parser raises before a request exists (a raw non-ASCII
// byte in the URL, a NUL in a header, headers too large, a malformed chunk,
// Content-Length with Transfer-Encoding, a client too slow): Node would write
// a bare "400 Bad Request". They get a problem+json answer like every other
// error, written to the socket by hand, then the connection is closed (the
// stream cannot be trusted to frame another request).
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { Errors } from '../errors.js'
import { problemSlug } from '../plugins/problem-details.js'
import { SECURITY_HEADERS } from '../plugins/protection.js'

interface ParserError extends Error {
  code?: string
}

type Kind = { status: number; code: string; title: string; detail: string }

/** What the parser's error code means for the client, in its words. */
export function describeClientError(err: ParserError): Kind {
  const bad = (detail: string): Kind => ({ status: 400, code: Errors.validation.code, title: Errors.validation.title, detail })
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, code: Errors.requestTimeout.code, title: Errors.requestTimeout.title, detail: 'The request was not received in time; send it again, faster.' }
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, code: Errors.headersTooLarge.code, title: Errors.headersTooLarge.title, detail: 'The request headers are larger than the server accepts (16 KiB in all); send fewer or shorter headers.' }
    case 'HPE_INVALID_URL':
      return bad(
        "The request target holds a character that is not allowed raw in a URL (such as a control character or a non-ASCII letter). Percent-encode it as UTF-8: q=%E4%BD%8E%E4%BF%9D for q=低保, or let curl do it with -G --data-urlencode 'q=低保'.",
      )
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
    case 'HPE_INVALID_EOF_STATE':
      return bad('A header name or value holds a byte that HTTP does not allow (such as NUL, a bare CR or LF, or a control character), or a line is not terminated by CRLF.')
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return bad('The request has both Content-Length and Transfer-Encoding, or an invalid Transfer-Encoding; send exactly one way of framing the body.')
    case 'HPE_INVALID_CONTENT_LENGTH':
      return bad('The Content-Length header is not a single non-negative decimal number.')
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_STRICT':
      return bad('The chunked request body is malformed: each chunk starts with its size in hexadecimal, then CRLF, the data and CRLF, ending with a zero-size chunk.')
    case 'HPE_INVALID_METHOD':
      return bad('The request method is not a valid HTTP method.')
    case 'HPE_INVALID_VERSION':
      return bad('The HTTP version is not HTTP/1.0 or HTTP/1.1.')
    default:
      return bad('The request is not valid HTTP/1.1 and could not be read.')
  }
}

/** The raw bytes of a problem+json answer, framed for a connection that closes after it. */
export function rawProblemResponse(kind: Kind, requestId: string): Buffer {
  const body = Buffer.from(
    JSON.stringify({ type: `/problems/${problemSlug(kind.code)}`, title: kind.title, status: kind.status, detail: kind.detail, code: kind.code, requestId }),
    'utf8',
  )
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    'content-type': 'application/problem+json; charset=utf-8',
    'content-length': String(body.byteLength),
    'cache-control': 'no-store',
    'x-request-id': requestId,
    date: new Date().toUTCString(),
    connection: 'close',
  }
  const head = `HTTP/1.1 ${kind.status} ${STATUS_CODES[kind.status]}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
}

export interface ClientErrorLog {
  info(obj: object, msg: string): void
}

/** Fastify's clientErrorHandler: a problem+json answer when nothing has been sent yet, then the connection closes. */
export function handleClientError(log: ClientErrorLog, err: ParserError, socket: Socket): void {
  // A reset connection has no one to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const kind = describeClientError(err)
  const requestId = randomUUID()
  log.info({ requestId, code: err.code, status: kind.status }, 'client error before routing')
  // A response already under way (an error in a chunked body after the headers were answered) cannot be replaced.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && !inFlight?.headersSent) {
    socket.end(rawProblemResponse(kind, requestId))
    // A client that never reads must not hold the socket open.
    setTimeout(() => socket.destroy(), 5_000).unref()
  } else socket.destroy()
}
