// Every write the API makes, by name: the unit of work the writer runs, in
// this thread or in the writer thread. Each is async over the storage ports and
// runs its own write unit; arguments and results are plain data.
import { putArea } from '../modules/areas/areas.commands.js'
import { recordAnswer, recordedAnswer, type Answer } from '../modules/imports/idempotency.js'
import { putIndicator } from '../modules/indicators/indicators.commands.js'
import { createObservationCommands, type CorrectionBody, type ImportPlan, type ImportRow, type ImportSummary } from '../modules/observations/observation-commands.js'
import { putPeriod } from '../modules/periods/periods.commands.js'
import { createSource, type NewSource } from '../modules/sources/sources.commands.js'
import { putTopic, type TopicInput } from '../modules/topics/topics.commands.js'
import { putUnit } from '../modules/units/units.commands.js'
import type { AreaRecord, IndicatorRecord, Storage, UnitRecord } from '../storage/ports.js'
import { writeUnit } from './write-unit.js'

export interface ImportOptions {
  dryRun: boolean
  reason: string
  actor: string
  /** Record the answer under this Idempotency-Key (and request fingerprint), in the batch's transaction. */
  idempotency?: { key: string; requestHash: string } | undefined
  /** The checks made on a read snapshot, so that the write lock is held only to confirm them and write. */
  plan?: ImportPlan | undefined
}

/** Another request recorded an answer under the same key first: roll back and replay it. */
class AlreadyAnswered extends Error {
  constructor(readonly answer: Answer) {
    super('already answered')
  }
}

export function createWriteCommands(storage: Storage) {
  const observations = createObservationCommands(storage)
  return {
    'observation.correct': (id: number, ifMatch: string | undefined, body: CorrectionBody, actor: string) => observations.correct(id, ifMatch, body, actor),
    'observation.withdraw': (id: number, ifMatch: string | undefined, reason: string, actor: string) => observations.withdraw(id, ifMatch, reason, actor),
    'observation.import': async (rows: ImportRow[], o: ImportOptions): Promise<{ summary: ImportSummary } | { answer: Answer }> => {
      const idem = o.idempotency
      try {
        const summary = await observations.import(rows, {
          dryRun: o.dryRun,
          reason: o.reason,
          actor: o.actor,
          plan: o.plan,
          onCommit:
            idem === undefined
              ? undefined
              : async (tx, audit, s) => {
                  const earlier = await recordAnswer(tx, audit, o.actor, idem.key, idem.requestHash, 200, JSON.stringify(s))
                  if (earlier) throw new AlreadyAnswered(earlier)
                },
        })
        return { summary }
      } catch (err) {
        if (err instanceof AlreadyAnswered) return { answer: err.answer }
        throw err
      }
    },
    /** Validation on a read snapshot: run by the checker thread, never holds the write lock. */
    'observation.plan': (rows: ImportRow[], dryRun: boolean) => observations.plan(rows, { dryRun }),
    'idempotency.lookup': (actor: string, key: string, requestHash: string) => recordedAnswer(storage.idempotency, actor, key, requestHash),
    'idempotency.record': (actor: string, key: string, requestHash: string, statusCode: number, body: string) =>
      writeUnit(storage, (tx, audit) => recordAnswer(tx, audit, actor, key, requestHash, statusCode, body)),
    // Buffers arrive from another thread as plain Uint8Arrays.
    'source.create': (input: NewSource, actor: string) => createSource(storage, { ...input, content: Buffer.from(input.content) }, actor),
    'indicator.put': (record: IndicatorRecord, actor: string) => putIndicator(storage, record, actor),
    'area.put': (record: AreaRecord, actor: string) => putArea(storage, record, actor),
    'period.put': (code: string, actor: string) => putPeriod(storage, code, actor),
    'unit.put': (record: UnitRecord, actor: string) => putUnit(storage, record, actor),
    'topic.put': (input: TopicInput, actor: string) => putTopic(storage, input, actor),
  }
}

export type WriteCommands = ReturnType<typeof createWriteCommands>
export type WriteCommandName = keyof WriteCommands
