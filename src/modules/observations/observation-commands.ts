// Writing observations: corrections with If-Match, withdrawals, and batch
// imports that are all or nothing. Each runs in one IMMEDIATE transaction with
// its revisions and audit entries.
import { writeTransaction, type Db, type Tx } from '../../db/client.js'
import { multiplyDecimal, isDecimal } from '../../domain/decimal.js'
import { reportedUnit } from '../../domain/units.js'
import { Errors } from '../../errors.js'
import { ifMatchVerdict } from '../../http/conditional.js'
import { openAuditAppender } from '../audit/audit.repository.js'
import { checkObservation, type CheckedObservation, type Kind, type ObservationDraft, type Qualifier } from './observation-rules.js'
import { rowToChecked, writeObservation, type WriteOutcome } from './observation-writes.js'
import { openObservationStore, type ObservationRow } from './observations.repository.js'
import { createRuleContext } from './rule-context.js'

/** Most rows one import may carry; larger batches are refused with 413. */
export const MAX_IMPORT_ROWS = 10_000

export function observationEtag(row: { id: number; revision: number }): string {
  return `"obs-${row.id}-r${row.revision}"`
}

/**
 * Strong comparison (RFC 9110 §13.1.1): weak tags never match If-Match. `*`
 * is refused too: it would overwrite whatever revision is in force, and a
 * correction must name the revision it corrects.
 */
function ifMatchAllows(header: string | undefined, row: ObservationRow): void {
  const etag = observationEtag(row)
  const verdict = ifMatchVerdict(header, etag)
  if (verdict === 'match') return
  if (verdict === 'absent') throw Errors.preconditionRequired(`Send If-Match with the observation's current ETag (${etag} now) so that no update is lost.`)
  if (verdict === 'any') {
    throw Errors.preconditionRequired(`If-Match: * is not accepted here: send the observation's current ETag (${etag} now), so that the change applies to the revision you read.`)
  }
  const why = verdict === 'malformed' ? `If-Match is not a list of quoted entity tags such as ${etag}` : 'The observation has changed'
  throw Errors.preconditionFailed(`${why}: its current ETag is ${etag} (revision ${row.revision}). Re-read it, then retry.`, {
    currentRevision: row.revision,
  })
}

/** What a revision states: the figure as reported, its qualifier, its citation. */
export interface RevisionStatement {
  value?: string | undefined
  qualifier?: Qualifier | undefined
  reported: { value: string; unit: string; text?: string | undefined }
  citation: { sourceId: string; quote: string }
  involvedAreas?: string[] | undefined
  note?: string | null | undefined
}

export interface CorrectionBody extends RevisionStatement {
  reason: string
}

/** An import row: an observation's natural key and what its revision states. */
export interface ImportRow extends RevisionStatement {
  indicator: string
  area: string
  period: string
  kind: Kind
  reason?: string | undefined
}

export interface ImportSummary {
  dryRun: boolean
  received: number
  created: number
  updated: number
  unchanged: number
  rejected: number
  /** One entry per accepted row, in input order (empty when anything was rejected). */
  results: Array<{ index: number; id: number; revision: number; outcome: WriteOutcome }>
  /** Every rejected row with what is wrong with it. */
  errors: Array<{ index: number; problems: string[] }>
}

/** value may be omitted: it is then the reported value times the unit's multiplier. */
function derivedValue(reported: { value: string; unit: string }): string {
  const unit = reportedUnit(reported.unit)
  return unit && isDecimal(reported.value) ? multiplyDecimal(reported.value, unit.multiplier) : reported.value
}

function toDraft(row: ImportRow | (CorrectionBody & Pick<ImportRow, 'indicator' | 'area' | 'period' | 'kind'>)): ObservationDraft {
  return {
    indicator: row.indicator,
    area: row.area,
    period: row.period,
    kind: row.kind,
    value: row.value ?? derivedValue(row.reported),
    qualifier: row.qualifier ?? 'eq',
    reported: row.reported,
    citation: row.citation,
    involvedAreas: row.involvedAreas ?? [],
    note: row.note ?? null,
  }
}

class DryRunRollback extends Error {}

export function createObservationCommands(db: Db) {
  return {
    /** PUT: a new revision with the given content, if the caller saw the current one. */
    correct(id: number, ifMatch: string | undefined, body: CorrectionBody, actor: string): { row: ObservationRow; outcome: WriteOutcome } {
      return writeTransaction(db, (tx) => {
        const store = openObservationStore(tx)
        const current = store.findCurrentById(id)
        if (!current) throw Errors.notFound(`No observation ${id}.`)
        ifMatchAllows(ifMatch, current)
        const result = checkObservation(toDraft({ ...body, indicator: current.indicator, area: current.area, period: current.period, kind: current.kind }), createRuleContext(tx))
        if (!result.ok) throw Errors.unprocessable(result.problems.join('; '), { problems: result.problems })
        const written = writeObservation(store, openAuditAppender(tx), result.observation, { status: 'active', reason: body.reason, actor, current })
        return { row: store.findCurrentById(id) as ObservationRow, outcome: written.outcome }
      })
    },

    /** DELETE: a revision that marks the observation withdrawn; history stays. */
    withdraw(id: number, ifMatch: string | undefined, reason: string, actor: string): { row: ObservationRow; outcome: WriteOutcome } {
      return writeTransaction(db, (tx) => {
        const store = openObservationStore(tx)
        const current = store.findCurrentById(id)
        if (!current) throw Errors.notFound(`No observation ${id}.`)
        ifMatchAllows(ifMatch, current)
        const written = writeObservation(store, openAuditAppender(tx), rowToChecked(current), { status: 'withdrawn', reason, actor, current })
        return { row: store.findCurrentById(id) as ObservationRow, outcome: written.outcome }
      })
    },

    /**
     * A batch by natural key, all or nothing. `onCommit` runs inside the same
     * transaction when the batch is written (the idempotency record goes there,
     * so a crash can never separate the two).
     */
    import(rows: ImportRow[], options: { dryRun: boolean; reason: string; actor: string; onCommit?: (tx: Tx, summary: ImportSummary) => void }): ImportSummary {
      if (rows.length > MAX_IMPORT_ROWS) throw Errors.payloadTooLarge(`An import holds at most ${MAX_IMPORT_ROWS} rows; this one has ${rows.length}. Split it.`)
      const summary: ImportSummary = { dryRun: options.dryRun, received: rows.length, created: 0, updated: 0, unchanged: 0, rejected: 0, results: [], errors: [] }
      try {
        writeTransaction(db, (tx) => {
          const ctx = createRuleContext(tx)
          const checked: CheckedObservation[] = []
          const seen = new Map<string, number>()
          rows.forEach((row, index) => {
            const result = checkObservation(toDraft(row), ctx)
            if (!result.ok) {
              summary.errors.push({ index, problems: result.problems })
              return
            }
            const o = result.observation
            const key = `${o.indicator}\u0000${o.area}\u0000${o.period}\u0000${o.kind}`
            const earlier = seen.get(key)
            if (earlier !== undefined) {
              summary.errors.push({ index, problems: [`same indicator, area, period and kind as row ${earlier}`] })
              return
            }
            seen.set(key, index)
            checked[index] = o
          })
          summary.rejected = summary.errors.length
          if (summary.rejected > 0) return
          const audit = openAuditAppender(tx)
          const store = openObservationStore(tx)
          rows.forEach((row, index) => {
            const written = writeObservation(store, audit, checked[index] as CheckedObservation, {
              status: 'active',
              reason: row.reason ?? options.reason,
              actor: options.actor,
            })
            summary[written.outcome]++
            summary.results.push({ index, id: written.id, revision: written.revision, outcome: written.outcome })
          })
          if (options.dryRun) throw new DryRunRollback()
          options.onCommit?.(tx, summary)
        })
      } catch (err) {
        if (!(err instanceof DryRunRollback)) throw err
      }
      if (summary.rejected > 0) {
        summary.results = []
        throw Errors.unprocessable(`${summary.rejected} of ${rows.length} rows are invalid; nothing was written.`, { summary })
      }
      return summary
    },
  }
}

export type ObservationCommands = ReturnType<typeof createObservationCommands>
