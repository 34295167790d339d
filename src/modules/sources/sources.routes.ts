// Stored reports: metadata, and the verbatim text auditors check quotes against.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Errors } from '../../errors.js'
import { listOf, NotModified, Nullable, problemResponses, refTo, SourceId } from '../../http/schemas.js'
import { parseByteRange } from '../../http/byte-range.js'
import { ifNoneMatchMatches, ifRangeAllows } from '../../http/conditional.js'
import type { Writer } from '../../writes/writer.js'
import { actorOf, authorityOf } from '../../plugins/auth.js'
import type { CatalogReads, SourceMetadata } from '../../storage/ports.js'

export const Source = Type.Object(
  {
    id: SourceId,
    title: Type.String({ description: 'Title as printed on the report.' }),
    titleEn: Nullable(Type.String(), { description: 'English rendering of the title.' }),
    documentNumber: Nullable(Type.String(), { description: 'Official document number, e.g. 巴政发〔2023〕38号.' }),
    issuer: Type.String({ description: 'The body that issued the report.' }),
    recipient: Nullable(Type.String(), { description: 'The body the report is addressed to.' }),
    issuedOn: Type.String({ format: 'date', description: 'Date of issue (ISO 8601).' }),
    mediaType: Type.String({ description: 'Media type of the stored text.' }),
    byteLength: Type.Integer({ description: 'Length of the stored text in bytes.' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256 of the stored bytes, hex: compare with `curl -s …/text | sha256sum`.' }),
    recordedAt: Type.String({ format: 'date-time', description: 'When the service stored it.' }),
    textUrl: Type.String({ description: 'Where the verbatim bytes are served.' }),
  },
  { $id: 'Source', description: 'A stored report.' },
)
export const SourceList = listOf(Source, 'The stored reports, by id.', 'SourceList')
export type SourceT = Static<typeof Source>

const Params = Type.Object({ id: SourceId }, { additionalProperties: false })
const NoQuery = Type.Object({}, { additionalProperties: false })

export function toSource(s: SourceMetadata): SourceT {
  return { ...s, textUrl: `/v1/sources/${s.id}/text` }
}

export interface SourceRoutesOptions {
  writer: Writer
  catalog: CatalogReads
}

/** Largest report accepted, in bytes of text. */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024

const NewSourceBody = Type.Object(
  {
    id: SourceId,
    title: Type.String({ minLength: 1, maxLength: 500, description: 'Title as printed.' }),
    titleEn: Type.Optional(Type.String({ maxLength: 500, description: 'English rendering of the title.' })),
    documentNumber: Type.Optional(Type.String({ maxLength: 100, description: 'Official document number.' })),
    issuer: Type.String({ minLength: 1, maxLength: 200, description: 'Issuing body.' }),
    recipient: Type.Optional(Type.String({ maxLength: 200, description: 'Addressee.' })),
    issuedOn: Type.String({ format: 'date', description: 'Date of issue (ISO 8601).' }),
    text: Type.Optional(Type.String({ minLength: 1, description: 'The report text; stored as its UTF-8 bytes. Give this or contentBase64.' })),
    contentBase64: Type.Optional(
      Type.String({ minLength: 1, pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'The exact bytes (UTF-8 text), base64-encoded: use it to keep bytes a JSON string would not carry verbatim (a BOM, CRLF).' }),
    ),
    sha256: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Expected SHA-256 of the bytes; refused (422) on mismatch.' })),
  },
  { additionalProperties: false, description: 'A new report.' },
)

const sourceRoutes: FastifyPluginAsyncTypebox<SourceRoutesOptions> = async (app, { writer, catalog }) => {
  app.post(
    '/',
    {
      onRequest: app.requireScope('admin'),
      bodyLimit: Math.ceil(MAX_SOURCE_BYTES * 1.4) + 64 * 1024,
      schema: {
        tags: ['sources'],
        operationId: 'createSource',
        summary: 'Store a new report (admin)',
        description: `Stores the report's bytes exactly as sent (at most ${MAX_SOURCE_BYTES} bytes of valid UTF-8) with their SHA-256. Sources never change: an existing id is 409. Audited.`,
        security: [{ bearer: [] }],
        body: NewSourceBody,
        response: { 201: refTo(Source), ...problemResponses(400, 401, 403, 409, 413, 422) },
      },
    },
    async (req, reply) => {
      const { text, contentBase64, ...meta } = req.body
      if ((text === undefined) === (contentBase64 === undefined)) {
        throw Errors.validation('Give the report as exactly one of text or contentBase64.', { errors: [{ in: 'body', name: '/text', message: 'give exactly one of text, contentBase64' }] })
      }
      const content = text !== undefined ? Buffer.from(text, 'utf8') : Buffer.from(contentBase64 as string, 'base64')
      if (content.length > MAX_SOURCE_BYTES) throw Errors.payloadTooLarge(`A report holds at most ${MAX_SOURCE_BYTES} bytes; this one has ${content.length}.`)
      const stored = await writer.run(authorityOf(req), 'source.create', { ...meta, content }, actorOf(req))
      reply.code(201).header('location', `/v1/sources/${stored.id}`)
      return toSource(stored)
    },
  )

  app.get(
    '/',
    {
      schema: {
        tags: ['sources'],
        operationId: 'listSources',
        summary: 'List stored reports',
        description: 'Every stored source report with its metadata and SHA-256.',
        querystring: NoQuery,
        response: { 200: refTo(SourceList), ...problemResponses(400) },
      },
    },
    async () => ({ data: (await catalog.sources()).map(toSource) }),
  )

  app.get(
    '/:id',
    {
      schema: {
        tags: ['sources'],
        operationId: 'getSource',
        summary: 'One stored report',
        description: 'Metadata of one report, including the SHA-256 of its stored bytes.',
        params: Params,
        querystring: NoQuery,
        response: { 200: refTo(Source), ...problemResponses(400, 404) },
      },
    },
    async (req) => {
      const s = await catalog.source(req.params.id)
      if (!s) throw Errors.notFound(`No source "${req.params.id}".`)
      return toSource(s)
    },
  )

  app.get(
    '/:id/text',
    {
      // Byte ranges count bytes of the stored text: a coded answer would make Content-Range and If-Range lie.
      compress: false,
      schema: {
        tags: ['sources'],
        operationId: 'getSourceText',
        summary: 'The report text, byte for byte',
        description:
          'The exact stored bytes (`text/plain; charset=utf-8`), so `curl -s …/text | sha256sum` matches the metadata. ' +
          'Supports a single byte range: `curl -r START-END` (END = byteEnd − 1) returns exactly the quote an observation cites. ' +
          'Strong ETag (the SHA-256); the text of a source id never changes. With If-Range, the range is served only when If-Range is that ETag exactly ' +
          '(strong comparison); a weak or other tag, or a date (the text has no Last-Modified), gets the whole text with 200.',
        params: Params,
        querystring: NoQuery,
        response: {
          200: { description: 'The whole text.', content: { 'text/plain': { schema: { type: 'string' } } } },
          206: { description: 'The requested byte range.', content: { 'text/plain': { schema: { type: 'string' } } } },
          304: NotModified,
          ...problemResponses(400, 404, 416),
        },
      },
    },
    async (req, reply) => {
      const s = await catalog.sourceContent(req.params.id)
      if (!s) throw Errors.notFound(`No source "${req.params.id}".`)
      const etag = `"${s.sha256}"`
      reply.header('etag', etag).header('cache-control', 'public, max-age=31536000, immutable').header('accept-ranges', 'bytes')
      if (ifNoneMatchMatches(req.headers['if-none-match'], etag)) return reply.code(304).send()
      reply.type('text/plain; charset=utf-8')
      // A Range made against another version of the text (If-Range not matching strongly) gets the whole text.
      const range = ifRangeAllows(req.headers['if-range'] as string | undefined, etag) ? parseByteRange(req.headers.range, s.content.length) : { kind: 'none' as const }
      if (range.kind === 'unsatisfiable') {
        reply.header('content-range', `bytes */${s.content.length}`)
        throw Errors.rangeNotSatisfiable(`Range ${req.headers.range} lies outside the ${s.content.length} bytes of the text.`)
      }
      if (range.kind === 'range') {
        reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${s.content.length}`)
        return reply.send(s.content.subarray(range.start, range.end + 1))
      }
      return reply.send(s.content)
    },
  )
}

export default sourceRoutes
