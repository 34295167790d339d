// The contract check itself: against a small document of its own, each way an answer can depart from its
// document is caught (and named), and an answer the document describes passes.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { checkExchange, compileContract, openApiDocument, type Exchange, type OpenApiDocument } from './support/contract.js'

const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } }
const doc: OpenApiDocument = {
  paths: {
    '/things/{id}': {
      get: {
        operationId: 'getThing',
        responses: {
          200: {
            $ref: '#/components/responses/Thing',
          },
          304: { headers: { ETag: { schema: { type: 'string' } } } },
          404: { content: problem },
        },
      },
    },
    '/things/special': {
      get: { operationId: 'getSpecialThing', responses: { 200: { content: { 'text/csv': { schema: { type: 'string' } } } } } },
    },
  },
  components: {
    responses: {
      Thing: {
        headers: { ETag: { required: true, schema: { type: 'string', pattern: '^"' } }, 'X-Count': { schema: { type: 'integer', minimum: 0 } } },
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
      },
    },
    schemas: {
      Thing: { type: 'object', required: ['id', 'value'], additionalProperties: false, properties: { id: { type: 'integer' }, value: { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' } } },
      Problem: { type: 'object', required: ['status', 'code'], properties: { status: { type: 'integer' }, code: { type: 'string' } } },
    },
  },
}
const contract = compileContract(doc)

function exchange(overrides: Partial<Exchange> & { json?: unknown }): Exchange {
  const { json, ...rest } = overrides
  return {
    method: 'GET',
    url: '/things/7',
    status: 200,
    headers: { etag: '"t-7"', 'content-type': 'application/json; charset=utf-8', date: 'Sun, 29 Nov 2026 12:00:00 GMT', 'access-control-allow-origin': '*' },
    body: Buffer.from(JSON.stringify(json ?? { id: 7, value: '1.50' })),
    ...rest,
  }
}
const kinds = (e: Exchange): string[] => checkExchange(e, contract).map((v) => v.kind)

describe('the contract check', () => {
  it('passes an answer the document describes, through a $ref to a shared response, and names the operation', () => {
    expect(checkExchange(exchange({}), contract)).toEqual([])
    expect(kinds(exchange({ url: '/things/special', headers: { 'content-type': 'text/csv' }, body: Buffer.from('a,b\r\n') }))).toEqual([])
  })

  it('fails an undocumented status, naming operation and status', () => {
    const [v] = checkExchange(exchange({ status: 429 }), contract)
    expect(v).toMatchObject({ operation: 'GET /things/{id} (getThing)', status: 429, kind: 'undocumented-status' })
  })

  it('fails any status the document does not list, and no documented one for that reason', () => {
    const documented = new Set([200, 304, 404])
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 599 }), (status) => {
        const found = kinds(exchange({ status, headers: {}, body: Buffer.alloc(0) }))
        expect(found.includes('undocumented-status')).toBe(!documented.has(status))
      }),
    )
  })

  it('fails a header the response does not declare, whatever its name, but not generic HTTP ones', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^x-[a-z]{1,12}$/).filter((h) => h !== 'x-count'), (name) => {
        expect(kinds(exchange({ headers: { ...exchange({}).headers, [name]: 'v' } }))).toEqual(['undeclared-header'])
      }),
    )
    expect(kinds(exchange({ headers: { ...exchange({}).headers, 'content-length': '20', connection: 'keep-alive', 'x-count': '3' } }))).toEqual([])
  })

  it('fails a missing required header and a header value its schema refuses', () => {
    const { etag: _etag, ...withoutEtag } = exchange({}).headers
    expect(kinds(exchange({ headers: withoutEtag }))).toEqual(['missing-header'])
    expect(kinds(exchange({ headers: { ...exchange({}).headers, etag: 'W/unquoted' } }))).toEqual(['header-schema'])
    expect(kinds(exchange({ headers: { ...exchange({}).headers, 'x-count': '-1' } }))).toEqual(['header-schema'])
  })

  it('fails a body its schema refuses, through $refs into components', () => {
    expect(kinds(exchange({ json: { id: 7, value: 1.5 } }))).toEqual(['body-schema'])
    expect(kinds(exchange({ json: { id: 7, value: '1.5', extra: true } }))).toEqual(['body-schema'])
    expect(kinds(exchange({ body: Buffer.from('{"id":') }))).toEqual(['body-not-json'])
  })

  it('fails a media type the response does not list, and checks CSV by media type only', () => {
    expect(kinds(exchange({ headers: { etag: '"t"', 'content-type': 'text/csv' } }))).toEqual(['undocumented-media-type'])
    expect(kinds(exchange({ url: '/things/special', headers: { 'content-type': 'application/json' } }))).toEqual(['undocumented-media-type'])
  })

  it('fails a 304 with a body or a Content-Type', () => {
    expect(kinds(exchange({ status: 304, headers: { etag: '"t-7"' }, body: Buffer.alloc(0) }))).toEqual([])
    expect(kinds(exchange({ status: 304, headers: { etag: '"t-7"', 'content-type': 'application/json' }, body: Buffer.alloc(0) }))).toEqual(['304-with-content-type'])
    expect(kinds(exchange({ status: 304, headers: { etag: '"t-7"' }, body: Buffer.from('{}') }))).toContain('304-with-body')
  })

  it('checks HEAD as GET without the body', () => {
    expect(kinds(exchange({ method: 'HEAD', body: Buffer.alloc(0) }))).toEqual([])
    expect(kinds(exchange({ method: 'HEAD' }))).toEqual(['head-with-body'])
  })

  it('holds an unknown path or method to problem+json only', () => {
    const notFound = { status: 404, headers: { 'content-type': 'application/problem+json' }, body: Buffer.from(JSON.stringify({ status: 404, code: 'APP_ERR_NOT_FOUND' })) }
    expect(kinds(exchange({ url: '/nowhere', ...notFound }))).toEqual([])
    expect(kinds(exchange({ method: 'DELETE', ...notFound, status: 405 }))).toEqual([])
    expect(kinds(exchange({ url: '/nowhere', ...notFound, headers: { 'content-type': 'text/plain' } }))).toEqual(['not-a-problem'])
    expect(kinds(exchange({ url: '/nowhere', ...notFound, body: Buffer.from('{"status":404}') }))).toEqual(['body-schema'])
    expect(kinds(exchange({ url: '/nowhere', status: 200 }))).toEqual(['no-operation'])
  })

  it('matches literal path segments before templated ones', () => {
    expect(checkExchange(exchange({ url: '/things/special', headers: { 'content-type': 'text/csv' } }), contract)[0]).toBeUndefined()
    expect(checkExchange(exchange({ url: '/things/special?x=1', status: 404, headers: {}, body: Buffer.alloc(0) }), contract)[0]?.operation).toBe('GET /things/special (getSpecialThing)')
  })

  it('loads openapi.yaml and compiles every response schema in it', () => {
    const real = openApiDocument()
    expect(Object.keys(real.paths).length).toBeGreaterThan(20)
    // Every operation's every JSON response schema compiles (an unresolvable $ref would throw here, not mid-suite).
    const compiled = compileContract(real)
    for (const [template, item] of Object.entries(real.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue
        for (const status of Object.keys(operation.responses ?? {})) {
          const url = template.replace(/\{[^}]+\}/g, 'x')
          expect(() => checkExchange({ method, url, status: Number(status) || 500, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') }, compiled)).not.toThrow()
        }
      }
    }
  })
})
