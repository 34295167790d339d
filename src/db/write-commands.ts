// Every write the API makes, by name: the unit of work the writer runs, in
// this thread or in the writer thread. Each is synchronous and runs its own
// IMMEDIATE transaction; arguments and results are plain data.
import type { Db } from './client.js'
import { putArea } from '../modules/areas/areas.commands.js'
import { createIdempotencyStore } from '../modules/imports/idempotency.js'
import { putIndicator } from '../modules/indicators/indicators.commands.js'
import { createObservationCommands, type CorrectionBody, type ImportRow } from '../modules/observations/observation-commands.js'
import { putPeriod } from '../modules/periods/periods.commands.js'
import { createSource, type NewSource } from '../modules/sources/sources.commands.js'
import type { AreaRecord } from '../modules/areas/areas.repository.js'
import type { IndicatorRecord } from '../modules/indicators/indicators.repository.js'

export interface ImportOptions {
  dryRun: boolean
  reason: string
  actor: string
  /** Record the answer under this Idempotency-Key, in the batch's transaction. */
  idempotencyKey?: string | undefined
}

export function createWriteCommands(db: Db) {
  const observations = createObservationCommands(db)
  const idempotency = createIdempotencyStore(db)
  return {
    'observation.correct': (id: number, ifMatch: string | undefined, body: CorrectionBody, actor: string) => observations.correct(id, ifMatch, body, actor),
    'observation.withdraw': (id: number, ifMatch: string | undefined, reason: string, actor: string) => observations.withdraw(id, ifMatch, reason, actor),
    'observation.import': (rows: ImportRow[], o: ImportOptions) =>
      observations.import(rows, {
        dryRun: o.dryRun,
        reason: o.reason,
        actor: o.actor,
        onCommit: o.idempotencyKey === undefined ? undefined : (tx, summary) => idempotency.complete(o.actor, o.idempotencyKey as string, 200, JSON.stringify(summary), tx),
      }),
    'idempotency.claim': (actor: string, key: string, requestHash: string) => idempotency.claim(actor, key, requestHash),
    'idempotency.complete': (actor: string, key: string, statusCode: number, body: string) => idempotency.complete(actor, key, statusCode, body),
    'idempotency.release': (actor: string, key: string) => idempotency.release(actor, key),
    // Buffers arrive from another thread as plain Uint8Arrays.
    'source.create': (input: NewSource, actor: string) => createSource(db, { ...input, content: Buffer.from(input.content) }, actor),
    'indicator.put': (record: IndicatorRecord, actor: string) => putIndicator(db, record, actor),
    'area.put': (record: AreaRecord, actor: string) => putArea(db, record, actor),
    'period.put': (code: string, actor: string) => putPeriod(db, code, actor),
  }
}

export type WriteCommands = ReturnType<typeof createWriteCommands>
export type WriteCommandName = keyof WriteCommands
