// Schemas shared by several resources: problems, codes, pagination.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { MAX_DECIMAL_CHARS, MAX_DECIMAL_DIGITS } from '../domain/decimal.js'

/**
 * A string from a fixed set, as one `enum` schema. (A union of literals becomes
 * `anyOf`, which the response serializer resolves by running a validator on
 * every value: measured as the largest cost of serializing a page.)
 */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description: string }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })
}

/** A schema that also admits null, as a type array rather than `anyOf` (see StringEnum). */
export function Nullable<T extends TSchema>(schema: T, options: { description: string }) {
  const { description: _d, ...rest } = schema as unknown as Record<string, unknown>
  return Type.Unsafe<Static<T> | null>({ ...rest, type: [rest.type as string, 'null'], ...options })
}

/** One reason a request is refused; the same shape in every problem and in an import summary. */
export const FieldErrorSchema = Type.Object(
  {
    in: StringEnum(['path', 'query', 'header', 'body'], { description: 'Where the offending value is.' }),
    name: Type.String({ description: 'The parameter or header name, or a JSON pointer into the body (`/citation/quote`; the empty string for the whole body; a CSV import\'s row N is `/observations/N`).' }),
    message: Type.String({ description: 'What is wrong with it.' }),
    index: Type.Optional(Type.Integer({ minimum: 0, description: 'For a batch: the row the error is in, from 0.' })),
  },
  { $id: 'FieldError', description: 'One reason the request is refused.' },
)

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'A URI reference naming the kind of problem; dereference it for a description.' }),
    title: Type.String({ description: 'Short summary of the kind of problem; the same for every occurrence.' }),
    status: Type.Integer({ description: 'The HTTP status code.' }),
    detail: Type.String({ description: 'What went wrong in this request, for a human reader.' }),
    instance: Type.Optional(Type.String({ description: 'The request path (with query) that failed; absent only when the request could not be parsed at all (431, malformed HTTP).' })),
    code: Type.String({ description: 'Stable machine-readable code (APP_ERR_*).' }),
    requestId: Type.Optional(Type.String({ description: 'The request id, also sent as the X-Request-Id header; quote it when reporting a problem.' })),
    errors: Type.Optional(Type.Array(refTo(FieldErrorSchema), { description: 'What is wrong, one entry per reason, on 400 and 422 (other problems name no field): every offending path, query or header parameter; a JSON body\'s first schema violation; every broken rule of the data (422), row by row for an import.' })),
    currentRevision: Type.Optional(Type.Integer({ description: 'The revision now in force (412).' })),
    summary: Type.Optional(Type.Unsafe({ $ref: 'ImportSummary', description: 'For a rejected import: the import summary, naming each bad row by index (422).' })),
  },
  {
    description: 'An RFC 9457 problem details object. Further extension members may appear.',
    $id: 'Problem',
    additionalProperties: true,
  },
)
export type ProblemT = Static<typeof Problem>

export const ProblemRef = Type.Unsafe<ProblemT>(Type.Ref('Problem'))

/** Response declarations for error statuses, all as application/problem+json. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  const descriptions: Record<number, string> = {
    304: 'Not modified: the representation matches If-None-Match (weak comparison).',
    400: 'Malformed or unknown parameters.',
    401: 'Missing or unknown API key.',
    403: 'The API key lacks the required scope.',
    404: 'No such resource.',
    406: 'None of the accepted media types can be produced.',
    409: 'Conflicts with the current state or a concurrent request.',
    412: 'If-Match does not match the current ETag strongly.',
    413: 'The request body or batch is too large.',
    414: 'The request URI is too long.',
    415: 'Unsupported request media type.',
    416: 'The byte range lies outside the text.',
    422: 'Well-formed but breaks a rule of the data.',
    428: 'If-Match with the current ETag is required; `*` is not accepted.',
    429: 'Rate limit exceeded; see Retry-After.',
    503: 'Overloaded or not ready; see Retry-After.',
  }
  const out: Record<number, unknown> = {}
  for (const s of statuses) {
    out[s] =
      s === 304
        ? { description: descriptions[s], type: 'null' }
        : { description: descriptions[s] ?? 'Error', content: { 'application/problem+json': { schema: ProblemRef } } }
  }
  return out
}

/** The 304 answer of every route that honours If-None-Match (compared weakly, src/http/conditional.ts). */
export const NotModified = { description: 'Not modified: If-None-Match matched the ETag (weak comparison, so W/"x" matches "x"; a list or * also works).', type: 'null' } as const

export const AreaCode = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'Area code (lowercase slug), e.g. `bayantala`.' })
export const IndicatorCode = Type.String({ pattern: '^[a-z][a-z0-9_]{0,63}$', description: 'Indicator code (lowercase snake_case), e.g. `dibao_paid`.' })
/** A unit's code as a report writes it (万元, 公顷, %) or a base unit's name (CNY, mu): no space, slash, ? or #. */
export const UnitCode = Type.String({
  pattern: '^[^\\s/\\\\?#\\u0000-\\u001f\\u007f]{1,20}$',
  description: 'Unit code: the word a report writes (万元, 公顷, 人次, %) or a base unit\'s name (CNY, mu, percent). In a path, percent-encode it (`%25` for `%`, UTF-8 for Chinese).',
})

export const PeriodCodeInput = Type.String({
  minLength: 4,
  maxLength: 10,
  description: 'Reporting period: canonical `2023`, `2023-H1`, `2023-Q3`, `2023-07`; also SDMX `2023-S1`, `2023-M07` and DHIS2 `2023S1`, `202307`.',
})
export const SourceId = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'Source id (lowercase slug), e.g. `bayantala-2023h1`.' })
export const DecimalString = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', maxLength: MAX_DECIMAL_CHARS, description: `An exact decimal number as a string (at most ${MAX_DECIMAL_DIGITS} digits).` })

export const Timestamp = Type.String({ format: 'date-time', description: 'RFC 3339 time, UTC.' })

/**
 * A reference to a named component schema (one with `$id`, registered by the OpenAPI plugin): the
 * document names it once under components/schemas, and the serializer resolves it at compile time.
 */
export function refTo<T extends TSchema>(schema: T) {
  if (!schema.$id) throw new Error('refTo: the schema has no $id')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id))
}

/** A whole list (no pagination) of named items, itself named `$id`. */
export function listOf<T extends TSchema>(item: T, description: string, $id: string) {
  return Type.Object({ data: Type.Array(refTo(item), { description: 'The items, in the order described.' }) }, { $id, description })
}

/** Query parameters that take one or several codes: repeated (`a=x&a=y`) or comma-separated (`a=x,y`). */
export function codeList(description: string, pattern = '^[a-z0-9_,-]+$') {
  return Type.Array(Type.String({ pattern, maxLength: 1000 }), { maxItems: 100, description: `${description} One or several: repeat the parameter or separate codes with commas.` })
}

export function splitCodes(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined
  return values.flatMap((v) => v.split(',')).filter((v) => v !== '')
}
