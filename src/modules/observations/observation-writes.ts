// The one path by which observation values change: the seed, imports and
// corrections all append a revision and its audit entry in the caller's
// transaction. An identical write is "unchanged" and records nothing.
import { CanonicalText, canonicalJson } from '../../domain/canonical-json.js'
import type { CheckedObservation } from '../../domain/observation.js'
import type { NewRevision, ObservationRow, WriteTx } from '../../storage/ports.js'
import type { AuditAppender } from '../audit/audit-appender.js'
import { attributeRuleChanges } from '../relations/rule-changes.js'

export type WriteOutcome = 'created' | 'updated' | 'unchanged'
export type ObservationStatus = 'active' | 'withdrawn'

export interface WriteResult {
  outcome: WriteOutcome
  id: number
  revision: number
}

const q = JSON.stringify

/**
 * The state of an observation as the audit log records it, in canonical JSON:
 * { id, revision, status, indicator, area, period, kind, value, qualifier,
 * reported { value, unit, text }, citation { sourceId, quote, byteStart, byteEnd },
 * involvedAreas, note, reason }, written out with its keys in sorted order.
 * Every imported row has one; building the object and canonicalizing it
 * generically measured 6 % of an import. A property test holds the two equal.
 */
export function canonicalAuditSnapshot(id: number, revision: number, status: ObservationStatus, o: CheckedObservation, reason: string, recordedAt: string): CanonicalText {
  const c = o.citation
  const r = o.reported
  if (![id, revision, c.byteStart, c.byteEnd].every(Number.isSafeInteger)) throw new TypeError('canonical JSON holds integers only')
  // The time fields are written only when they differ from what every revision before migration 0006 implied
  // (a flow, published when recorded), so the entries logged before it still match their stored revisions.
  const publishedAt = o.publishedAt !== null && o.publishedAt !== recordedAt ? `"publishedAt":${q(o.publishedAt)},` : ''
  const referenceDate = o.referenceDate !== null ? `"referenceDate":${q(o.referenceDate)},` : ''
  const temporality = o.temporality !== 'flow' ? `,"temporality":${q(o.temporality)}` : ''
  return new CanonicalText(
    `{"area":${q(o.area)},"citation":{"byteEnd":${c.byteEnd},"byteStart":${c.byteStart},"quote":${q(c.quote)},"sourceId":${q(c.sourceId)}},` +
      `"id":${id},"indicator":${q(o.indicator)},"involvedAreas":${canonicalJson(o.involvedAreas)},"kind":${q(o.kind)},"note":${q(o.note)},` +
      `"period":${q(o.period)},${publishedAt}"qualifier":${q(o.qualifier)},"reason":${q(reason)},${referenceDate}"reported":{"text":${q(r.text)},"unit":${q(r.unit)},"value":${q(r.value)}},` +
      `"revision":${revision},"status":${q(status)}${temporality},"value":${q(o.value)}}`,
  )
}

export function rowToChecked(row: ObservationRow): CheckedObservation {
  return {
    indicator: row.indicator,
    area: row.area,
    period: row.period,
    kind: row.kind,
    value: row.value,
    qualifier: row.qualifier,
    reported: { value: row.reportedValue, unit: row.reportedUnit, text: row.reportedText },
    citation: { sourceId: row.sourceId, quote: row.quote, byteStart: row.byteStart, byteEnd: row.byteEnd },
    involvedAreas: JSON.parse(row.involvedAreas) as string[],
    note: row.note,
    temporality: row.temporality,
    referenceDate: row.referenceDate,
    publishedAt: row.publishedAt,
  }
}

export function sameContent(row: ObservationRow, status: ObservationStatus, o: CheckedObservation): boolean {
  return (
    row.status === status &&
    row.value === o.value &&
    row.qualifier === o.qualifier &&
    row.reportedValue === o.reported.value &&
    row.reportedUnit === o.reported.unit &&
    row.reportedText === o.reported.text &&
    row.sourceId === o.citation.sourceId &&
    row.quote === o.citation.quote &&
    row.byteStart === o.citation.byteStart &&
    row.byteEnd === o.citation.byteEnd &&
    row.involvedAreas === JSON.stringify(o.involvedAreas) &&
    row.note === o.note &&
    row.temporality === o.temporality &&
    row.referenceDate === o.referenceDate &&
    // An undeclared publication time means "when recorded": a repeated write without one changes nothing.
    (o.publishedAt === null || row.publishedAt === o.publishedAt)
  )
}

export interface WriteOptions {
  status: ObservationStatus
  reason: string
  actor: string
  /** The current row (null: none, the observation is created). */
  current: ObservationRow | null
}

/** Rows written per round of bulk calls: few round trips, and a batch's entries never all held in memory at once. */
const WRITE_CHUNK = 1000

/**
 * Writes a batch in order: per chunk, identities for the new observations in one
 * call, every changed revision in one call, and their audit entries flushed.
 */
export async function writeObservations(tx: WriteTx, audit: AuditAppender, items: Array<{ observation: CheckedObservation } & WriteOptions>): Promise<WriteResult[]> {
  const results: WriteResult[] = []
  for (let from = 0; from < items.length; from += WRITE_CHUNK) results.push(...(await writeChunk(tx, audit, items.slice(from, from + WRITE_CHUNK))))
  return results
}

async function writeChunk(tx: WriteTx, audit: AuditAppender, items: Array<{ observation: CheckedObservation } & WriteOptions>): Promise<WriteResult[]> {
  const created = items.filter((item) => !item.current)
  const ids = created.length ? await tx.insertIdentities(created.map((item) => item.observation)) : []
  let nextCreated = 0
  const revisions: NewRevision[] = []
  const results = items.map(({ observation: o, status, reason, actor, current }): WriteResult => {
    const recordedAt = audit.recordedAt
    const publishedAt = o.publishedAt ?? recordedAt
    if (!current) {
      const id = ids[nextCreated++] as number
      revisions.push({ observationId: id, revision: 1, status, observation: o, reason, actor, recordedAt, publishedAt })
      audit.append({ actor, action: 'observation.create', entityType: 'observation', entityId: String(id), before: null, after: canonicalAuditSnapshot(id, 1, status, o, reason, recordedAt) })
      return { outcome: 'created', id, revision: 1 }
    }
    if (sameContent(current, status, o)) return { outcome: 'unchanged', id: current.id, revision: current.revision }
    const revision = current.revision + 1
    revisions.push({ observationId: current.id, revision, status, observation: o, reason, actor, recordedAt, publishedAt })
    audit.append({
      actor,
      action: status === 'withdrawn' ? 'observation.withdraw' : current.status === 'withdrawn' ? 'observation.restore' : 'observation.revise',
      entityType: 'observation',
      entityId: String(current.id),
      before: canonicalAuditSnapshot(current.id, current.revision, current.status, rowToChecked(current), current.reason, current.recordedAt),
      after: canonicalAuditSnapshot(current.id, revision, status, o, reason, recordedAt),
    })
    return { outcome: 'updated', id: current.id, revision }
  })
  if (revisions.length) {
    await attributeRuleChanges(tx, revisions)
    await tx.appendRevisions(revisions)
  }
  await audit.flush()
  return results
}
