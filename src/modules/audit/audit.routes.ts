// The audit log: paged reading, the head, and verification of the hash chain.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Nullable, problemResponses, refTo } from '../../http/schemas.js'
import { Errors } from '../../errors.js'
import type { AuditReads } from '../../storage/ports.js'
import type { IntegrityMonitor } from './integrity-monitor.js'
import type { AuditSigner } from './signing.js'

export const MAX_AUDIT_PAGE = 1000

const Hash = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, hex.' })

export const AuditEntry = Type.Object(
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
  { $id: 'AuditEntry', description: 'One audit entry. hash = SHA-256 of the canonical JSON of every other member (see README).' },
)

export const AuditPage = Type.Object(
  {
    data: Type.Array(refTo(AuditEntry), { description: 'Entries in seq order.' }),
    nextAfter: Type.Integer({ description: 'Pass as `after` for the next page.' }),
    hasMore: Type.Boolean({ description: 'True when more entries follow.' }),
  },
  { $id: 'AuditPage', description: 'A page of the audit log.' },
)

export const AuditHead = Type.Object(
  {
    seq: Type.Integer({ description: 'Seq of the newest entry (0 when empty).' }),
    hash: Hash,
    recordedAt: Nullable(Type.String(), { description: 'When it was recorded.' }),
    signedText: Type.String({ description: 'The exact text signed (UTF-8).' }),
    signature: Type.String({ description: 'Ed25519 signature of signedText, base64.' }),
    verified: Type.Boolean({ description: 'True when this process has verified the chain and the tables up to this head; false while a newer entry awaits its (incremental) check.' }),
  },
  { $id: 'AuditHead', description: 'The head of the chain, signed.' },
)

export const VerifyResult = Type.Object(
  {
    ok: Type.Boolean({ description: 'True when every entry checked verifies and the tables agree with the log.' }),
    entries: Type.Integer({ description: 'Entries checked by this process so far (a full pass: all of them).' }),
    checkedFrom: Type.Integer({ description: 'First seq this pass recomputed; earlier entries were verified by an earlier pass of this process (see lastFullAt).' }),
    lastFullAt: Nullable(Type.String(), { description: 'When this process last recomputed the whole chain and compared every table (ISO 8601), or null.' }),
    headSeq: Type.Optional(Type.Integer({ description: 'Seq of the last entry (when ok).' })),
    headHash: Type.Optional(Type.String({ description: 'Hash of the last entry (when ok).' })),
    brokenSeq: Type.Optional(Type.Integer({ description: 'Seq of the first entry that does not verify.' })),
    reason: Type.Optional(Type.String({ description: 'Why it does not verify.' })),
  },
  { $id: 'VerifyResult', description: 'The verification result.' },
)

export interface AuditRoutesOptions {
  audit: AuditReads
  integrity: IntegrityMonitor
  signer: AuditSigner
}

const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (app, { audit, integrity, signer }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEntries',
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
          200: refTo(AuditPage),
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
        operationId: 'getAuditHead',
        summary: 'Latest audit entry, signed',
        description:
          'The seq and hash of the newest entry, signed with the service\'s Ed25519 key (public key at `/v1/audit/public-key`). ' +
          'The signature covers the UTF-8 bytes of `signedText`: four lines "bayantala-indicators audit head v1", "seq=<seq>", "hash=<hash>", "recordedAt=<recordedAt or empty>", each ending in a line feed. ' +
          'Keep signed heads: a later chain that lacks the entry, or gives it another hash, was truncated or rewritten. 503 when the service found the database does not agree with its log.',
        response: {
          200: refTo(AuditHead),
          ...problemResponses(503),
        },
      },
    },
    async () => {
      refuseWhenTampered(integrity)
      return integrity.signedHead()
    },
  )

  app.get(
    '/public-key',
    {
      schema: {
        tags: ['audit'],
        operationId: 'getAuditPublicKey',
        summary: 'The key that signs audit heads',
        description: 'The Ed25519 public key (SubjectPublicKeyInfo, PEM) that verifies `/v1/audit/head` signatures, e.g. with `openssl pkeyutl -verify -pubin -inkey key.pem -rawin`.',
        response: { 200: { description: 'The public key, PEM.', content: { 'application/x-pem-file': { schema: { type: 'string' } } } } },
      },
    },
    async (_req, reply) => reply.type('application/x-pem-file').send(signer.publicKeyPem),
  )

  app.get(
    '/verify',
    {
      schema: {
        tags: ['audit'],
        operationId: 'verifyAudit',
        summary: 'Verify the audit chain (incremental)',
        description:
          'Checks the entries appended since this process last verified (the hash chain and the rows they wrote), that the last verified entry still has its hash, and every catalog table (API keys, sources, areas, periods, indicators, relations) against the log. ' +
          'Earlier entries were recomputed by the start and hourly full passes; an edit of an old entry made since is found by the next full pass, by `GET /v1/audit/verify/full` (admin) or `npm run audit:verify`. ' +
          'Answers are reused for a second while the head does not move. 503 while the verification at start runs.',
        response: { 200: refTo(VerifyResult), ...problemResponses(503) },
      },
    },
    async () => {
      const result = await integrity.verify()
      if (result === null) throw Errors.unavailable(verifyingDetail(integrity), {}, { 'retry-after': '5' })
      return { ...result, lastFullAt: integrity.status().lastFullAt }
    },
  )

  app.get(
    '/verify/full',
    {
      onRequest: app.requireScope('admin'),
      schema: {
        tags: ['audit'],
        operationId: 'verifyAuditFull',
        summary: 'Verify everything again (admin)',
        description: 'Recomputes every hash from the first entry and compares every table with the log, including every stored revision and every source\'s bytes. Costs time in proportion to the log; on a database file it runs in a background thread with its own read-only connection, so other requests go on.',
        security: [{ bearer: [] }],
        response: { 200: refTo(VerifyResult), ...problemResponses(401, 403, 503) },
      },
    },
    async () => {
      const result = await integrity.verifyFully()
      if (result === null) throw Errors.unavailable('The service is shutting down.', {}, { 'retry-after': '5' })
      return { ...result, lastFullAt: integrity.status().lastFullAt }
    },
  )
}

function verifyingDetail(integrity: IntegrityMonitor): string {
  return `The verification at start is still running (verified up to seq ${integrity.status().verifiedSeq}); retry shortly.`
}

/** A head is not signed, nor served as good, once the database is known not to agree with its log. */
function refuseWhenTampered(integrity: IntegrityMonitor): void {
  const status = integrity.status()
  if (status.state === 'tampered') throw Errors.unavailable(`The database does not agree with its audit log at seq ${status.brokenSeq}: ${status.reason}`, {}, { 'retry-after': '60' })
}

export default auditRoutes
