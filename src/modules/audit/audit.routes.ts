// The audit log: paged reading, the head, and verification of the hash chain.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Nullable, problemResponses } from '../../http/schemas.js'
import type { createAuditRepository } from './audit.repository.js'

export const MAX_AUDIT_PAGE = 1000

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, hex.' })

const AuditEntry = Type.Object(
  {
    seq: Type.Integer({ description: 'Position in the chain, from 1, without gaps.' }),
    recordedAt: Type.String({ description: 'When the change was committed (ISO 8601, UTC, milliseconds).' }),
    actor: Type.String({ description: 'Who made it: an API key\'s name, `seed` or `cli`.' }),
    action: Type.String({ description: 'What was done, e.g. `observation.revise`, `indicator.create`, `api_key.revoke`.' }),
    entityType: Type.String({ description: 'Kind of entity changed.' }),
    entityId: Type.String({ description: 'Id or code of the entity changed.' }),
    before: Type.Unknown({ description: 'The entity before the change (null for a creation).' }),
    after: Type.Unknown({ description: 'The entity after the change.' }),
    prevHash: Hash,
    hash: Hash,
  },
  { description: 'One audit entry. hash = SHA-256 of the canonical JSON of every other member (see README).' },
)

export interface AuditRoutesOptions {
  audit: ReturnType<typeof createAuditRepository>
}

const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (app, { audit }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit entries',
        description: 'The hash-chained log of every write, in seq order. Recompute each hash to check that history was not rewritten.',
        querystring: Type.Object(
          {
            after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Entries with seq greater than this (default 0).' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_AUDIT_PAGE, description: `Page size (default 100, max ${MAX_AUDIT_PAGE}).` })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            {
              data: Type.Array(AuditEntry, { description: 'Entries in seq order.' }),
              nextAfter: Type.Integer({ description: 'Pass as `after` for the next page.' }),
              hasMore: Type.Boolean({ description: 'True when more entries follow.' }),
            },
            { description: 'A page of the audit log.' },
          ),
          ...problemResponses(400),
        },
      },
    },
    async (req) => {
      const after = req.query.after ?? 0
      const limit = req.query.limit ?? 100
      const rows = await audit.page(after, limit + 1)
      const hasMore = rows.length > limit
      if (hasMore) rows.pop()
      return {
        data: rows.map((r) => ({ ...r, before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after) })),
        nextAfter: rows.length ? (rows[rows.length - 1]?.seq as number) : after,
        hasMore,
      }
    },
  )

  app.get(
    '/head',
    {
      schema: {
        tags: ['audit'],
        summary: 'Latest audit entry',
        description: 'The seq and hash of the newest entry: publish or note it, and any later rewrite of history before it becomes detectable.',
        response: {
          200: Type.Object(
            {
              seq: Type.Integer({ description: 'Seq of the newest entry (0 when empty).' }),
              hash: Hash,
              recordedAt: Nullable(Type.String(), { description: 'When it was recorded.' }),
            },
            { description: 'The head of the chain.' },
          ),
        },
      },
    },
    async () => audit.head(),
  )

  app.get(
    '/verify',
    {
      schema: {
        tags: ['audit'],
        summary: 'Verify the audit chain',
        description: 'Recomputes every hash from the first entry. On failure, names the first broken entry and why.',
        response: {
          200: Type.Object(
            {
              ok: Type.Boolean({ description: 'True when every entry verifies.' }),
              entries: Type.Integer({ description: 'Entries checked.' }),
              headSeq: Type.Optional(Type.Integer({ description: 'Seq of the last entry (when ok).' })),
              headHash: Type.Optional(Type.String({ description: 'Hash of the last entry (when ok).' })),
              brokenSeq: Type.Optional(Type.Integer({ description: 'Seq of the first entry that does not verify.' })),
              reason: Type.Optional(Type.String({ description: 'Why it does not verify.' })),
            },
            { description: 'The verification result.' },
          ),
        },
      },
    },
    async () => audit.verify(),
  )
}

export default auditRoutes
