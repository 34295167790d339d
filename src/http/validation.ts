// Input validation with two Ajv instances. Path, query and headers are text,
// so they are coerced ("10" → 10, a single value → an array). JSON bodies are
// not: a number where a decimal string is expected is refused, never turned
// into "0.30000000000000004", and null stays null. Neither drops unknown
// properties: they are rejected.
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'

const common: Options = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false, strict: false }

function withFormats(ajv: Ajv): Ajv {
  ;(addFormats as unknown as (a: Ajv) => Ajv)(ajv)
  return ajv
}

export function createValidatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  const textual = withFormats(new Ajv({ ...common, coerceTypes: 'array' }))
  const body = withFormats(new Ajv({ ...common, coerceTypes: false }))
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : textual).compile(schema as object) as ReturnType<FastifySchemaCompiler<FastifySchema>>
}

let bodyAjv: Ajv | undefined

/** A validator for data that is not a JSON body but must meet a body schema exactly as one would (CSV rows). */
export function compileBodyValidator(schema: object) {
  bodyAjv ??= withFormats(new Ajv({ ...common, coerceTypes: false }))
  return bodyAjv.compile(schema)
}
