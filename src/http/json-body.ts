// The JSON body parser: strict UTF-8, no prototype poisoning, no lone
// surrogates (they cannot be hashed the same way in every language, and the
// audit log must be recomputable anywhere).
import { isUtf8 } from 'node:buffer'
import sjson from 'secure-json-parse'
import { Errors } from '../errors.js'

function checkStrings(value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw Errors.validation(`The body holds a string with an unpaired surrogate at ${path || '(root)'}.`, { errors: [{ in: 'body', name: path || '(root)', message: 'is not well-formed Unicode' }] })
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkStrings(v, `${path}/${i}`))
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      checkStrings(k, path)
      checkStrings(v, `${path}/${k}`)
    }
  }
}

/**
 * A lone surrogate can only come in as a \uD800–\uDFFF escape (valid UTF-8
 * cannot encode one), so a body without such an escape needs no walk. The
 * test may match more than that (an escaped backslash before "ud8..."): then
 * the walk decides.
 */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/** Decodes a request body that must be UTF-8: any invalid byte is a 400, never a U+FFFD. */
export function strictUtf8(body: Buffer): string {
  // isUtf8 validates natively; the fatal TextDecoder did the same at several times the cost on 3 MB imports.
  if (!isUtf8(body)) throw Errors.validation('The body is not valid UTF-8.', { errors: [{ in: 'body', name: '(root)', message: 'is not valid UTF-8' }] })
  return body.toString('utf8')
}

export function parseJsonBody(body: Buffer): unknown {
  let text = strictUtf8(body)
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.trim() === '') throw Errors.validation('The body is empty; send a JSON document.', { errors: [{ in: 'body', name: '(root)', message: 'is empty' }] })
  let value: unknown
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    const poisoned = err instanceof SyntaxError && /prototype|constructor/i.test(err.message)
    throw Errors.validation(poisoned ? 'The body sets __proto__ or constructor.prototype, which is refused.' : `The body is not valid JSON: ${(err as Error).message}.`, {
      errors: [{ in: 'body', name: '(root)', message: poisoned ? 'contains a forbidden key' : 'is not valid JSON' }],
    })
  }
  if (SURROGATE_ESCAPE.test(text)) checkStrings(value, '')
  return value
}
