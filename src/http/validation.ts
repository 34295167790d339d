// Input validation with two Ajv instances. Path, query and headers are text,
// so they are coerced ("10" → 10, a single value → an array). JSON bodies are
// not: a number where a decimal string is expected is refused, never turned
// into "0.30000000000000004", and null stays null. Neither drops unknown
// properties: they are rejected.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'

const common: Options = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false, strict: false }

function withFormats(ajv: Ajv): Ajv {
  ;(addFormats as unknown as (a: Ajv) => Ajv)(ajv)
  return ajv
}

/**
 * Integers in a path or query are canonical decimals: Ajv's coercion is
 * Number(), which reads "0x10", "1e1", "+16", "016", " 16" and "16.0" all as
 * a number, so /v1/observations/0x10 answered observation 16.
 */
const CANONICAL_NATURAL = /^(0|[1-9][0-9]*)$/
const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]*)$/

interface SchemaNode {
  type?: unknown
  minimum?: number
  items?: SchemaNode
  properties?: Record<string, SchemaNode>
}

/** The integer properties of a text part's schema (or arrays of integers), each with its canonical form. */
function integerProperties(schema: SchemaNode): Array<[string, RegExp]> {
  const out: Array<[string, RegExp]> = []
  for (const [name, s] of Object.entries(schema.properties ?? {})) {
    const node = s.type === 'array' && s.items ? s.items : s
    if (node.type === 'integer') out.push([name, node.minimum !== undefined && node.minimum >= 0 ? CANONICAL_NATURAL : CANONICAL_INTEGER])
  }
  return out
}

function canonicalIntegers(compiled: ValidateFunction, integers: Array<[string, RegExp]>): ValidateFunction {
  const validate = ((data: unknown, ctx?: unknown) => {
    if (data !== null && typeof data === 'object') {
      for (const [name, form] of integers) {
        const raw = (data as Record<string, unknown>)[name]
        for (const v of Array.isArray(raw) ? raw : [raw]) {
          if (typeof v === 'string' && !form.test(v)) {
            const error: ErrorObject = {
              instancePath: `/${name}`,
              schemaPath: '#/canonical-integer',
              keyword: 'pattern',
              params: { pattern: form.source },
              message: 'must be a plain decimal integer such as 16 (no plus sign, leading zero, exponent, fraction, hex or spaces)',
            }
            validate.errors = [error]
            return false
          }
        }
      }
    }
    const ok = (compiled as (d: unknown, c?: unknown) => boolean)(data, ctx)
    validate.errors = compiled.errors
    return ok
  }) as ValidateFunction
  Object.assign(validate, { schema: compiled.schema, schemaEnv: compiled.schemaEnv })
  return validate
}

export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  // Path, query and headers are small and bounded: every offending parameter is named at once. A body stops at its first violation, which bounds the work on a large batch.
  const textual = withFormats(new Ajv({ ...common, coerceTypes: 'array', allErrors: true }))
  const body = withFormats(new Ajv({ ...common, coerceTypes: false }))
  return ({ schema, httpPart }) => {
    if (httpPart === 'body') return body.compile(schema as object) as ReturnType<FastifySchemaCompiler<FastifySchema>>
    const compiled = textual.compile(schema as object)
    const integers = integerProperties(schema as SchemaNode)
    return (integers.length > 0 ? canonicalIntegers(compiled, integers) : compiled) as ReturnType<FastifySchemaCompiler<FastifySchema>>
  }
}

let bodyAjv: Ajv | undefined

/** A validator for data that is not a JSON body but must meet a body schema exactly as one would (CSV rows). */
export function compileBodyValidator(schema: object) {
  bodyAjv ??= withFormats(new Ajv({ ...common, coerceTypes: false }))
  return bodyAjv.compile(schema)
}
