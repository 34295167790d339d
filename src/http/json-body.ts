// The JSON body parser: strict UTF-8, no prototype poisoning, no lone
// surrogates (they cannot be hashed the same way in every language, and the
// audit log must be recomputable anywhere), and a bounded nesting depth.
// Nothing here recurses over request data: a body cannot exhaust the stack.
import { isUtf8 } from 'node:buffer'
import sjson from 'secure-json-parse'
import { Errors } from '../errors.js'

/** Deepest nesting of arrays and objects a body may have; no route's schema needs more than a few levels. */
export const MAX_JSON_DEPTH = 64

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * The deepest nesting of the text, counting brackets outside strings, stopping
 * as soon as it exceeds `limit`: one pass, no recursion, before JSON.parse
 * (whose own recursion a deep enough text would exhaust). Invalid JSON is left
 * for the parser to refuse.
 */
export function exceedsDepth(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return false
}

/** Finds an unpaired surrogate or a NUL in any key or string of the value, with an explicit stack. */
function checkStrings(root: unknown): void {
  const stack: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }]
  while (stack.length > 0) {
    const { value, path } = stack.pop()!
    if (typeof value === 'string') {
      if (!value.isWellFormed()) throw Errors.validation(`The body holds a string with an unpaired surrogate at ${path || '(root)'}.`, { errors: [{ in: 'body', name: path, message: 'is not well-formed Unicode' }] })
      if (value.includes('\u0000')) throw Errors.validation(`The body holds a string with U+0000 (NUL) at ${path || '(root)'}; text never contains it.`, { errors: [{ in: 'body', name: path, message: 'contains U+0000 (NUL)' }] })
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}/${i}` })
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        stack.push({ value: v, path: `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}` })
        stack.push({ value: k, path })
      }
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
/** A NUL can only come in as a \u0000 escape (JSON forbids raw control characters in strings); PostgreSQL cannot store one, so no backend does. */
const NUL_ESCAPE = /\\u0000/

/** Decodes a request body that must be UTF-8: any invalid byte is a 400, never a U+FFFD. */
export function strictUtf8(body: Buffer): string {
  // isUtf8 validates natively; the fatal TextDecoder did the same at several times the cost on 3 MB imports.
  if (!isUtf8(body)) throw Errors.validation('The body is not valid UTF-8.', { errors: [{ in: 'body', name: '', message: 'is not valid UTF-8' }] })
  return body.toString('utf8')
}

export function parseJsonBody(body: Buffer): unknown {
  let text = strictUtf8(body)
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  if (text.trim() === '') throw Errors.validation('The body is empty; send a JSON document.', { errors: [{ in: 'body', name: '', message: 'is empty' }] })
  if (exceedsDepth(text, MAX_JSON_DEPTH)) {
    throw Errors.validation(`The body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.`, { errors: [{ in: 'body', name: '', message: `nests deeper than ${MAX_JSON_DEPTH} levels` }] })
  }
  let value: unknown
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' })
  } catch (err) {
    const poisoned = err instanceof SyntaxError && /prototype|constructor/i.test(err.message)
    throw Errors.validation(poisoned ? 'The body sets __proto__ or constructor.prototype, which is refused.' : `The body is not valid JSON: ${(err as Error).message}.`, {
      errors: [{ in: 'body', name: '', message: poisoned ? 'contains a forbidden key' : 'is not valid JSON' }],
    })
  }
  if (SURROGATE_ESCAPE.test(text) || NUL_ESCAPE.test(text)) checkStrings(value)
  return value
}
