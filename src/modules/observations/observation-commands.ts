// Writing observations: corrections with If-Match, withdrawals, and batch
// imports that are all or nothing. Each runs in one write unit with its
// revisions and audit entries.
import { multiplyDecimal, isDecimal, MAX_DECIMAL_DIGITS } from '../../domain/decimal.js'
import { bodyErrors, Errors, type BodyProblem, type FieldError } from '../../errors.js'
import { ifMatchVerdict } from '../../http/conditional.js'
import type { ObservationRow, Storage, WriteTx } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'
import type { AuditAppender } from '../audit/audit-appender.js'
import { checkObservation, type CheckedObservation, type Kind, type ObservationDraft, type Qualifier, type RuleContext } from './observation-rules.js'
import type { Temporality } from '../../domain/observation.js'
import { parseInstantOrNull } from '../../domain/time.js'
import { rowToChecked, sameContent, writeObservations, type WriteOutcome } from './observation-writes.js'
import { prefetchRuleContext, type WriteRuleContext } from './rule-context.js'

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
  /** `flow` (default) or `stock`; a correction that omits it keeps the current revision's. */
  temporality?: Temporality | undefined
  /** Required for a stock; a correction that omits it keeps the current one while the figure stays a stock. */
  referenceDate?: string | null | undefined
  /** RFC 3339; omitted: published when recorded. */
  publishedAt?: string | undefined
}

export interface CorrectionBody extends RevisionStatement {
  reason: string
}

/** Where a request gave a value: a query parameter or a body member. */
export type ParameterName = Pick<FieldError, 'in' | 'name'>

/** An import row: an observation's natural key and what its revision states. */
export interface ImportRow extends RevisionStatement {
  indicator: string
  area: string
  period: string
  kind: Kind
  reason?: string | undefined
  /** Must be true for a row that would bring back a withdrawn observation. */
  restore?: boolean | undefined
  /** Set when publishedAt is the batch's (query or body), not the row's: where errors about it point. */
  publishedAtFrom?: ParameterName | undefined
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
  /** What is wrong with the rejected rows: one entry per reason, naming the row by index and by JSON pointer (`/observations/3/value`; a CSV's rows are numbered the same way). */
  errors: Array<FieldError & { index: number }>
}

/** value may be omitted: it is then the reported value times the unit's multiplier. */
function derivedValue(reported: { value: string; unit: string }, ctx: RuleContext): string {
  const multiplier = ctx.unitMultiplier(reported.unit)
  return multiplier !== undefined && isDecimal(reported.value) ? multiplyDecimal(reported.value, multiplier) : reported.value
}

/** Rows that omit `value` get reported value × the catalogue multiplier, known once the context is fetched. */
function deriveValues(rows: Array<{ value?: string | undefined; reported: { value: string; unit: string } }>, drafts: ObservationDraft[], ctx: RuleContext): void {
  rows.forEach((row, i) => {
    if (row.value === undefined) (drafts[i] as ObservationDraft).value = derivedValue(row.reported, ctx)
  })
}

function toDraft(row: ImportRow | (CorrectionBody & Pick<ImportRow, 'indicator' | 'area' | 'period' | 'kind'>)): ObservationDraft {
  return {
    indicator: row.indicator,
    area: row.area,
    period: row.period,
    kind: row.kind,
    value: row.value ?? row.reported.value,
    qualifier: row.qualifier ?? 'eq',
    reported: row.reported,
    citation: row.citation,
    involvedAreas: row.involvedAreas ?? [],
    // An empty note is no note: otherwise "" and an omitted note would alternate as revisions.
    note: row.note === '' || row.note === undefined ? null : row.note,
    temporality: row.temporality,
    referenceDate: row.referenceDate,
    publishedAt: row.publishedAt,
  }
}

/** How far ahead of this server's clock a declared publication time may be (the publisher's clock may run ahead). */
export const PUBLICATION_CLOCK_SKEW_MS = 5 * 60_000

/** A publication time in the future would make asOf answers change by themselves later: refused. */
function futurePublication(draft: ObservationDraft, now = Date.now()): BodyProblem | null {
  if (typeof draft.publishedAt !== 'string') return null
  const at = parseInstantOrNull(draft.publishedAt)
  if (at === null || Date.parse(at) <= now + PUBLICATION_CLOCK_SKEW_MS) return null
  return { pointer: '/publishedAt', message: `publishedAt ${draft.publishedAt} is in the future (more than ${PUBLICATION_CLOCK_SKEW_MS / 60_000} minutes after this server's clock)` }
}

/**
 * An authority cannot publish a figure before the document that states it was issued:
 * a publication time before the cited source's issue date (00:00 UTC that day) is refused.
 */
function publishedBeforeIssue(draft: ObservationDraft, ctx: WriteRuleContext): BodyProblem | null {
  if (typeof draft.publishedAt !== 'string') return null
  const at = parseInstantOrNull(draft.publishedAt)
  const issuedOn = ctx.sourceIssuedOn(draft.citation.sourceId)
  if (at === null || issuedOn === undefined || Date.parse(at) >= Date.parse(`${issuedOn}T00:00:00Z`)) return null
  return { pointer: '/publishedAt', message: `publishedAt ${draft.publishedAt} is before source "${draft.citation.sourceId}" was issued (${issuedOn}T00:00:00Z)` }
}

/** The rules on when a revision was published: not in the future, not before its source was issued. */
function publicationProblems(draft: ObservationDraft, ctx: WriteRuleContext): BodyProblem[] {
  return [futurePublication(draft), publishedBeforeIssue(draft, ctx)].filter((p): p is BodyProblem => p !== null)
}

/** A value with more digits than are stored and served (a derived one: reported × the unit's multiplier, can outgrow its source). */
function unservableValue(draft: ObservationDraft): string | null {
  if (!/^-?[0-9]+(\.[0-9]+)?$/.test(draft.value) || isDecimal(draft.value)) return null
  const digits = draft.value.replace(/[-.]/g, '').length
  return `value ${draft.value.slice(0, 12)}… has ${digits} digits; at most ${MAX_DECIMAL_DIGITS} are stored and served`
}

function tooMany(rows: ImportRow[]): void {
  if (rows.length > MAX_IMPORT_ROWS) throw Errors.payloadTooLarge(`An import holds at most ${MAX_IMPORT_ROWS} rows; this one has ${rows.length}. Split it.`)
}

function emptySummary(received: number, dryRun: boolean): ImportSummary {
  return { dryRun, received, created: 0, updated: 0, unchanged: 0, rejected: 0, results: [], errors: [] }
}

function rejectIfInvalid(summary: ImportSummary): ImportSummary {
  summary.rejected = new Set(summary.errors.map((e) => e.index)).size
  if (summary.rejected === 0) return summary
  summary.results = []
  throw Errors.unprocessable(`${summary.rejected} of ${summary.received} rows are invalid; nothing was written.`, { errors: summary.errors, summary })
}

/** Checks every row against the rules and the rest of the batch; fills `errors`, returns the checked rows by index. */
/** The rows' reasons, in the one error shape, pointing into the batch. */
function rowErrors(errors: ImportSummary['errors'], index: number, problems: BodyProblem[], publishedAtFrom?: ParameterName): void {
  for (const e of bodyErrors(problems, `/observations/${index}`)) {
    // A publication time the row took from the batch is wrong where the batch gave it.
    const from = publishedAtFrom && e.name === `/observations/${index}/publishedAt` ? { in: publishedAtFrom.in, name: publishedAtFrom.name } : {}
    errors.push({ ...e, ...from, index })
  }
}

function checkRows(rows: ImportRow[], drafts: ObservationDraft[], ctx: WriteRuleContext, errors: ImportSummary['errors']): CheckedObservation[] {
  const checked: CheckedObservation[] = []
  const seen = new Map<string, number>()
  rows.forEach((row, index) => {
    const draft = drafts[index] as ObservationDraft
    const tooLong = unservableValue(draft)
    if (tooLong) {
      rowErrors(errors, index, [{ pointer: '/value', message: tooLong }])
      return
    }
    const result = checkObservation(draft, ctx)
    const publication = publicationProblems(draft, ctx)
    if (!result.ok || publication.length > 0) {
      rowErrors(errors, index, [...(result.ok ? [] : result.problems), ...publication], row.publishedAtFrom)
      return
    }
    const o = result.observation
    const key = `${o.indicator}\u0000${o.area}\u0000${o.period}\u0000${o.kind}`
    const earlier = seen.get(key)
    if (earlier !== undefined) {
      rowErrors(errors, index, [{ pointer: '', message: `same indicator, area, period and kind as row ${earlier}` }])
      return
    }
    seen.set(key, index)
    checked[index] = o
  })
  return checked
}

/** An import never brings a withdrawn observation back silently: the row must say `restore`. Returns the current rows by index. */
async function checkRestores(tx: WriteTx, rows: ImportRow[], checked: CheckedObservation[], errors: ImportSummary['errors']): Promise<Array<ObservationRow | null>> {
  const currents = await tx.currentByKeys(checked)
  return rows.map((row, index) => {
    const current = currents[index] ?? null
    if (current?.status === 'withdrawn' && row.restore !== true) {
      rowErrors(errors, index, [{ pointer: '/restore', message: `observation ${current.id} is withdrawn; to restore it, send "restore": true in the row (CSV column restore=true)` }])
    }
    return current
  })
}

/** Catalog answers a plan relied on: [question, its arguments as JSON, the answer]. */
export type CatalogFacts = Array<[string, string, string | number | boolean | null]>

/** What a real import takes over from a plan made on a snapshot. */
export interface ImportPlan {
  checked: CheckedObservation[]
  facts: CatalogFacts
}

// Objects (a source's text) are compared by presence: sources are immutable once stored.
// A list (the catalogue's unit words) is compared by content.
const project = (v: unknown): string | number | boolean | null =>
  v === undefined || v === null ? null : Array.isArray(v) ? JSON.stringify(v) : typeof v === 'object' ? 'present' : (v as string | number | boolean)

/** Wraps every question of a rule context so that its answers can be confirmed later under the write lock. */
function recordingContext(ctx: WriteRuleContext): { ctx: WriteRuleContext; facts: () => CatalogFacts } {
  const answers = new Map<string, [string, string, string | number | boolean | null]>()
  const wrapped: Record<string, unknown> = {}
  for (const [name, fn] of Object.entries(ctx)) {
    if (typeof fn !== 'function') {
      wrapped[name] = fn
      continue
    }
    wrapped[name] = (...args: unknown[]) => {
      const answer = (fn as (...a: unknown[]) => unknown)(...args)
      const argsJson = JSON.stringify(args)
      const id = `${name}\u0000${argsJson}`
      if (!answers.has(id)) answers.set(id, [name, argsJson, project(answer)])
      return answer
    }
  }
  return { ctx: wrapped as unknown as WriteRuleContext, facts: () => [...answers.values()] }
}

function factsHold(ctx: RuleContext, facts: CatalogFacts): boolean {
  const questions = ctx as unknown as Record<string, (...a: unknown[]) => unknown>
  return facts.every(([name, argsJson, answer]) => typeof questions[name] === 'function' && project(questions[name](...(JSON.parse(argsJson) as unknown[]))) === answer)
}

/**
 * Validates a batch on a read snapshot (which takes no write lock) and says
 * what it would do. Ids of rows it would create are the ones the next insert
 * would get now; a concurrent import may take them first.
 */
async function planOnSnapshot(storage: Storage, rows: ImportRow[], dryRun: boolean): Promise<{ summary: ImportSummary; plan: ImportPlan }> {
  tooMany(rows)
  const drafts = rows.map(toDraft)
  return storage.transaction('snapshot', async (tx) => {
    const summary = emptySummary(rows.length, dryRun)
    const recording = recordingContext(await prefetchRuleContext(tx, drafts))
    deriveValues(rows, drafts, recording.ctx)
    const checked = checkRows(rows, drafts, recording.ctx, summary.errors)
    const currents = summary.errors.length === 0 ? await checkRestores(tx, rows, checked, summary.errors) : []
    rejectIfInvalid(summary)
    let nextId = await tx.nextObservationId()
    rows.forEach((_row, index) => {
      const o = checked[index] as CheckedObservation
      const current = currents[index]
      if (!current) {
        summary.created++
        summary.results.push({ index, id: nextId++, revision: 1, outcome: 'created' })
      } else if (sameContent(current, 'active', o)) {
        summary.unchanged++
        summary.results.push({ index, id: current.id, revision: current.revision, outcome: 'unchanged' })
      } else {
        summary.updated++
        summary.results.push({ index, id: current.id, revision: current.revision + 1, outcome: 'updated' })
      }
    })
    return { summary, plan: { checked, facts: recording.facts() } }
  })
}

/**
 * A correction restates the figure, not when it holds: omitted, temporality stays the current
 * revision's, and so does referenceDate while the figure stays a stock (a flow has none).
 * publishedAt is never kept: a new revision is published when it is declared to be, else now.
 */
function keptTime(body: CorrectionBody, current: ObservationRow): Pick<CorrectionBody, 'temporality' | 'referenceDate'> {
  const temporality = body.temporality ?? current.temporality
  const referenceDate = body.referenceDate !== undefined ? body.referenceDate : temporality === 'stock' ? current.referenceDate : null
  return { temporality, referenceDate }
}

export function createObservationCommands(storage: Storage) {
  return {
    /** PUT: a new revision with the given content, if the caller saw the current one. */
    correct(id: number, ifMatch: string | undefined, body: CorrectionBody, actor: string): Promise<{ row: ObservationRow; outcome: WriteOutcome }> {
      return writeUnit(storage, async (tx, audit) => {
        const current = await tx.currentById(id)
        if (!current) throw Errors.notFound(`No observation ${id}.`)
        ifMatchAllows(ifMatch, current)
        const draft = toDraft({ ...body, ...keptTime(body, current), indicator: current.indicator, area: current.area, period: current.period, kind: current.kind })
        const ctx = await prefetchRuleContext(tx, [draft])
        deriveValues([body], [draft], ctx)
        const tooLong = unservableValue(draft)
        if (tooLong) throw Errors.unprocessable(tooLong, { errors: bodyErrors([{ pointer: '/value', message: tooLong }]) })
        const result = checkObservation(draft, ctx)
        const problems = [...(result.ok ? [] : result.problems), ...publicationProblems(draft, ctx)]
        if (!result.ok || problems.length) throw Errors.unprocessable(problems.map((q) => q.message).join('; '), { errors: bodyErrors(problems) })
        const [written] = await writeObservations(tx, audit, [{ observation: result.observation, status: 'active', reason: body.reason, actor, current }])
        return { row: (await tx.currentById(id)) as ObservationRow, outcome: (written as { outcome: WriteOutcome }).outcome }
      })
    },

    /** DELETE: a revision that marks the observation withdrawn; history stays. */
    withdraw(id: number, ifMatch: string | undefined, reason: string, actor: string): Promise<{ row: ObservationRow; outcome: WriteOutcome }> {
      return writeUnit(storage, async (tx, audit) => {
        const current = await tx.currentById(id)
        if (!current) throw Errors.notFound(`No observation ${id}.`)
        ifMatchAllows(ifMatch, current)
        // A withdrawal is published when it is recorded, not when the figure it retracts was.
        const [written] = await writeObservations(tx, audit, [{ observation: { ...rowToChecked(current), publishedAt: null }, status: 'withdrawn', reason, actor, current }])
        return { row: (await tx.currentById(id)) as ObservationRow, outcome: (written as { outcome: WriteOutcome }).outcome }
      })
    },

    /**
     * Validates and plans a batch on a read snapshot, without the write lock: a
     * dry run ends here, and a real import hands the plan to `import`.
     */
    plan(rows: ImportRow[], options: { dryRun: boolean }): Promise<{ summary: ImportSummary; plan: ImportPlan }> {
      return planOnSnapshot(storage, rows, options.dryRun)
    },

    /**
     * A batch by natural key, all or nothing. With a plan made on a snapshot,
     * the write lock is held only to confirm the catalog answers it relied on
     * and to write; when they changed, the rows are checked again under the
     * lock. `onCommit` runs inside the same unit (the idempotency record
     * goes there, so a crash can never separate the two).
     */
    async import(
      rows: ImportRow[],
      options: { dryRun: boolean; reason: string; actor: string; plan?: ImportPlan | undefined; onCommit?: (tx: WriteTx, audit: AuditAppender, summary: ImportSummary) => Promise<void> },
    ): Promise<ImportSummary> {
      if (options.dryRun) return (await planOnSnapshot(storage, rows, true)).summary
      tooMany(rows)
      const summary = emptySummary(rows.length, false)
      const drafts = rows.map(toDraft)
      await writeUnit(storage, async (tx, audit) => {
        const ctx = await prefetchRuleContext(tx, drafts)
        deriveValues(rows, drafts, ctx)
        const planned = options.plan && factsHold(ctx, options.plan.facts) ? options.plan.checked : checkRows(rows, drafts, ctx, summary.errors)
        const currents = summary.errors.length === 0 ? await checkRestores(tx, rows, planned, summary.errors) : []
        summary.rejected = summary.errors.length
        if (summary.rejected > 0) return
        const written = await writeObservations(
          tx,
          audit,
          rows.map((row, index) => ({ observation: planned[index] as CheckedObservation, status: 'active', reason: row.reason ?? options.reason, actor: options.actor, current: currents[index] ?? null })),
        )
        written.forEach((w, index) => {
          summary[w.outcome]++
          summary.results.push({ index, id: w.id, revision: w.revision, outcome: w.outcome })
        })
        await options.onCommit?.(tx, audit, summary)
      })
      return rejectIfInvalid(summary)
    },
  }
}

export type ObservationCommands = ReturnType<typeof createObservationCommands>
