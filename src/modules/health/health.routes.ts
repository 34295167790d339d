// Liveness and readiness for orchestrators and load balancers.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Storage } from '../../storage/ports.js'
import type { Writer } from '../../writes/writer.js'
import { Errors } from '../../errors.js'
import { Nullable, problemResponses, StringEnum } from '../../http/schemas.js'
import type { IntegrityMonitor } from '../audit/integrity-monitor.js'

export interface HealthRoutesOptions {
  storage: Storage
  writer: Writer
  integrity: IntegrityMonitor
}

const healthRoutes: FastifyPluginAsyncTypebox<HealthRoutesOptions> = async (app, { storage, writer, integrity }) => {
  app.get(
    '/healthz',
    {
      // Alive even when shedding load: an orchestrator must not restart a busy process.
      config: { pressureHandler: () => undefined },
      schema: {
        tags: ['health'],
        operationId: 'getLiveness',
        summary: 'Liveness',
        description: 'Answers 200 while the process is alive and its event loop turns; touches nothing else.',
        response: { 200: Type.Object({ status: Type.Literal('ok', { description: 'Always `ok`.' }) }, { description: 'Alive.' }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      config: { pressureHandler: () => undefined },
      schema: {
        tags: ['health'],
        operationId: 'getReadiness',
        summary: 'Readiness',
        description:
          'Answers 200 when the database is open, every shipped migration is applied, the database agrees with its audit log as far as this process has verified it, and the process is not overloaded; 503 (with Retry-After, and the reason) otherwise. ' +
          'Reads the verdict the start verification and the incremental checks left: it recomputes nothing itself.',
        response: {
          200: Type.Object(
            {
              status: Type.Literal('ready', { description: 'Always `ready` on 200.' }),
              writer: StringEnum(['thread', 'inline'], {
                description: '`thread`: writes run in a writer thread with its own connection (a database file, PostgreSQL); `inline`: in the serving thread (:memory:).',
              }),
              migrations: Type.Object(
                { applied: Type.Integer({ description: 'Migrations applied.' }), expected: Type.Integer({ description: 'Migrations shipped.' }) },
                { description: 'Schema migration state.' },
              ),
              integrity: Type.Object(
                {
                  state: StringEnum(['verified', 'verifying'], { description: '`verifying`: the start verification of a large database is still running in the background.' }),
                  verifiedSeq: Type.Integer({ description: 'Seq up to which this process verified the chain and the tables.' }),
                  lastFullAt: Nullable(Type.String(), { description: 'When the last full verification ended, or null.' }),
                },
                { description: 'The database against its audit log.' },
              ),
            },
            { description: 'Ready to serve.' },
          ),
          ...problemResponses(503),
        },
      },
    },
    async () => {
      let state: { applied: number; expected: number }
      try {
        await storage.health.ping()
        state = await storage.health.migrations()
      } catch {
        throw Errors.unavailable('The database cannot be reached (or is not open); this instance recovers by itself when it answers again.', {}, { 'retry-after': '5' })
      }
      if (app.isUnderPressure()) throw Errors.unavailable('The process is overloaded (event loop delay); it sheds requests until it recovers.', {}, { 'retry-after': '5' })
      if (state.applied < state.expected) {
        throw Errors.unavailable(`The database has ${state.applied} of ${state.expected} migrations applied.`, {}, { 'retry-after': '5' })
      }
      const verdict = integrity.status()
      if (verdict.state === 'tampered') {
        throw Errors.unavailable(`The database does not agree with its audit log at seq ${verdict.brokenSeq}: ${verdict.reason}. Compare with a backup and a signed head; see docs/threat-model.md.`, {}, { 'retry-after': '60' })
      }
      return {
        status: 'ready' as const,
        writer: writer.mode,
        migrations: state,
        integrity: { state: verdict.state, verifiedSeq: verdict.verifiedSeq, lastFullAt: verdict.lastFullAt },
      }
    },
  )
}

export default healthRoutes
