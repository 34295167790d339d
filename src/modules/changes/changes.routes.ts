// The change feed: every revision in commit order, for incremental sync.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problemResponses, refTo } from '../../http/schemas.js'
import type { ObservationReads } from '../../storage/ports.js'
import { ObservationRevision } from '../observations/observations.schemas.js'
import { sendSerializedJson } from '../../http/serialized-json.js'

export const MAX_CHANGES_PAGE = 1000

export const ChangePage = Type.Object(
  {
    data: Type.Array(refTo(ObservationRevision), { description: 'Revisions with seq > after, in seq order: creations, corrections and withdrawals alike.' }),
    nextAfter: Type.Integer({ description: 'The last seq in this page (or `after` when empty): pass it as `after` next time.' }),
    hasMore: Type.Boolean({ description: 'True when more revisions follow at once; false when caught up.' }),
  },
  { $id: 'ChangePage', description: 'A page of the change feed.' },
)

export interface ChangeRoutesOptions {
  observations: ObservationReads
}

const changeRoutes: FastifyPluginAsyncTypebox<ChangeRoutesOptions> = async (app, { observations }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['changes'],
        operationId: 'listChanges',
        summary: 'Change feed',
        description:
          'Every revision of every observation in the order it was committed, each with a strictly increasing `seq`. ' +
          'Store the last `seq` you processed and call again with `after` set to it: you will miss nothing and see nothing twice. ' +
          'A revision is visible only once committed, and commits are serialized, so a later call never reveals a smaller seq.',
        querystring: Type.Object(
          {
            after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'Return revisions with seq greater than this (default 0: from the start).' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CHANGES_PAGE, default: 100, description: `Page size (default 100, max ${MAX_CHANGES_PAGE}).` })),
          },
          { additionalProperties: false },
        ),
        response: { 200: refTo(ChangePage), ...problemResponses(400) },
      },
    },
    async (req, reply) => {
      const after = req.query.after ?? 0
      const limit = req.query.limit ?? 100
      const rows = await observations.changesJson(after, limit + 1)
      const hasMore = rows.length > limit
      if (hasMore) rows.pop()
      const nextAfter = rows.length ? (rows[rows.length - 1] as [number, string])[0] : after
      // Revisions are append-only and seqs are committed in order, so the revisions in
      // (after, nextAfter] never change: with hasMore the page is the same bytes forever.
      // Naming it by that range spares hashing ~1 MB per page for its ETag.
      reply.header('etag', `"changes.${after}.${nextAfter}.${limit}.${hasMore ? 1 : 0}"`)
      if (hasMore) reply.header('cache-control', 'public, max-age=31536000, immutable')
      return sendSerializedJson(reply, `{"data":[${rows.map((r) => r[1]).join(',')}],"nextAfter":${nextAfter},"hasMore":${hasMore}}`)
    },
  )
}

export default changeRoutes
