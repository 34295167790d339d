// Every error the service answers with: a stable code, an HTTP status and a
// title. Thrown anywhere below the routes, turned into problem+json in one place.
import { StorageConflictError, StorageInvalidTextError, StorageUnavailableError } from './storage/ports.js'

/**
 * One thing wrong with a request: where (`in`), which parameter or JSON pointer
 * into the body (`name`), and what. Every problem that lists reasons uses this
 * shape, validation (400) and rules of the data (422) alike.
 */
export interface FieldError {
  in: 'path' | 'query' | 'header' | 'body'
  name: string
  message: string
  /** For a batch: the row the error is in, from 0. */
  index?: number
}

/** A reason found in a body, as a JSON pointer relative to it and a message. */
export interface BodyProblem {
  pointer: string
  message: string
}

export const bodyErrors = (problems: BodyProblem[], prefix = ''): FieldError[] =>
  problems.map((p) => ({ in: 'body', name: `${prefix}${p.pointer}`, message: p.message }))

export interface ProblemExtras {
  /** What is wrong, one entry per reason. */
  errors?: FieldError[]
  [key: string]: unknown
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    readonly title: string,
    detail: string,
    readonly extras: ProblemExtras = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail)
    this.name = 'AppError'
  }
}

function define(code: string, statusCode: number, title: string) {
  const make = (detail: string, extras?: ProblemExtras, headers?: Record<string, string>) =>
    new AppError(code, statusCode, title, detail, extras, headers)
  return Object.assign(make, { code, statusCode, title })
}

export const Errors = {
  validation: define('APP_ERR_VALIDATION', 400, 'Invalid request'),
  badCursor: define('APP_ERR_BAD_CURSOR', 400, 'Invalid pagination cursor'),
  badPeriod: define('APP_ERR_BAD_PERIOD', 400, 'Invalid reporting period'),
  unauthorized: define('APP_ERR_UNAUTHORIZED', 401, 'Authentication required'),
  forbidden: define('APP_ERR_FORBIDDEN', 403, 'Not allowed'),
  notFound: define('APP_ERR_NOT_FOUND', 404, 'Not found'),
  routeNotFound: define('APP_ERR_ROUTE_NOT_FOUND', 404, 'No such resource'),
  methodNotAllowed: define('APP_ERR_METHOD_NOT_ALLOWED', 405, 'Method not allowed'),
  notAcceptable: define('APP_ERR_NOT_ACCEPTABLE', 406, 'Not acceptable'),
  conflict: define('APP_ERR_CONFLICT', 409, 'Conflict'),
  preconditionFailed: define('APP_ERR_PRECONDITION_FAILED', 412, 'Precondition failed'),
  preconditionRequired: define('APP_ERR_PRECONDITION_REQUIRED', 428, 'Precondition required'),
  payloadTooLarge: define('APP_ERR_PAYLOAD_TOO_LARGE', 413, 'Payload too large'),
  rangeNotSatisfiable: define('APP_ERR_RANGE_NOT_SATISFIABLE', 416, 'Range not satisfiable'),
  uriTooLong: define('APP_ERR_URI_TOO_LONG', 414, 'URI too long'),
  requestTimeout: define('APP_ERR_REQUEST_TIMEOUT', 408, 'Request timeout'),
  headersTooLarge: define('APP_ERR_HEADERS_TOO_LARGE', 431, 'Request header fields too large'),
  unsupportedMediaType: define('APP_ERR_UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported media type'),
  unprocessable: define('APP_ERR_UNPROCESSABLE', 422, 'Unprocessable content'),
  rateLimited: define('APP_ERR_RATE_LIMITED', 429, 'Too many requests'),
  internal: define('APP_ERR_INTERNAL', 500, 'Internal server error'),
  unavailable: define('APP_ERR_UNAVAILABLE', 503, 'Service unavailable'),
} as const

/** A seed or import entry that breaks a rule of the data; names the entry. */
export class SeedError extends Error {
  constructor(
    readonly entry: string,
    message: string,
  ) {
    super(`${entry}: ${message}`)
    this.name = 'SeedError'
  }
}

/** A storage port's failure as the problem it answers with, or null when it is no storage failure. */
export function storageProblem(err: unknown): AppError | null {
  if (err instanceof StorageUnavailableError) return Errors.unavailable('The database cannot be reached; retry shortly.', {}, { 'retry-after': '5' })
  if (err instanceof StorageConflictError) return Errors.conflict(err.message)
  if (err instanceof StorageInvalidTextError) return Errors.unprocessable('The text cannot be stored (it holds U+0000).', { errors: [{ in: 'body', name: '', message: 'contains U+0000 (NUL)' }] })
  return null
}
