// Observation queries and the write primitives used inside a transaction.
// Plain objects out; callers never see SQL.
import { and, asc, eq, gt, gte, inArray, lte, ne, sql, type SQL } from 'drizzle-orm'
import type { Db, Queryable } from '../../db/client.js'
import { indicators, observationRevisions, observations, reportingPeriods } from '../../db/schema.js'
import type { CheckedObservation, Kind, Qualifier } from './observation-rules.js'

export interface ObservationRow {
  id: number
  indicator: string
  area: string
  period: string
  kind: Kind
  unit: string
  seq: number
  revision: number
  status: 'active' | 'withdrawn'
  value: string
  qualifier: Qualifier
  reportedValue: string
  reportedUnit: string
  reportedText: string | null
  sourceId: string
  quote: string
  byteStart: number
  byteEnd: number
  involvedAreas: string
  note: string | null
  reason: string
  actor: string
  recordedAt: string
}

export interface ObservationFilter {
  indicators?: string[] | undefined
  areas?: string[] | undefined
  periods?: string[] | undefined
  /** Periods that lie within [periodFrom.start, periodTo.end]. */
  periodFrom?: string | undefined
  periodTo?: string | undefined
  kinds?: Kind[] | undefined
  categories?: string[] | undefined
  /** Revision in force at this instant instead of the current one (RFC 3339, UTC). */
  asOf?: string | undefined
  /** Only observations whose revision in force was recorded at or after this instant. */
  updatedSince?: string | undefined
  includeWithdrawn?: boolean | undefined
}

const rowColumns = {
  id: observations.id,
  indicator: observations.indicatorCode,
  area: observations.areaCode,
  period: observations.periodCode,
  kind: observations.kind,
  unit: indicators.unit,
  seq: observationRevisions.seq,
  revision: observationRevisions.revision,
  status: observationRevisions.status,
  value: observationRevisions.value,
  qualifier: observationRevisions.qualifier,
  reportedValue: observationRevisions.reportedValue,
  reportedUnit: observationRevisions.reportedUnit,
  reportedText: observationRevisions.reportedText,
  sourceId: observationRevisions.sourceId,
  quote: observationRevisions.quote,
  byteStart: observationRevisions.byteStart,
  byteEnd: observationRevisions.byteEnd,
  involvedAreas: observationRevisions.involvedAreas,
  note: observationRevisions.note,
  reason: observationRevisions.reason,
  actor: observationRevisions.actor,
  recordedAt: observationRevisions.recordedAt,
}

/** Which revision a read sees: the current one, or the last recorded by asOf. */
function revisionInForce(asOf: string | undefined): SQL {
  if (asOf === undefined) return eq(observationRevisions.seq, observations.currentSeq)
  return sql`${observationRevisions.seq} = (SELECT max(r2.seq) FROM observation_revision r2
    WHERE r2.observation_id = ${observations.id} AND r2.recorded_at <= ${asOf})`
}

function conditions(filter: ObservationFilter): SQL[] {
  const where: SQL[] = []
  if (filter.indicators?.length) where.push(inArray(observations.indicatorCode, filter.indicators))
  if (filter.areas?.length) where.push(inArray(observations.areaCode, filter.areas))
  if (filter.periods?.length) where.push(inArray(observations.periodCode, filter.periods))
  if (filter.kinds?.length) where.push(inArray(observations.kind, filter.kinds))
  if (filter.categories?.length) where.push(inArray(indicators.category, filter.categories))
  if (filter.periodFrom !== undefined || filter.periodTo !== undefined) {
    const within: SQL[] = []
    if (filter.periodFrom !== undefined) within.push(gte(reportingPeriods.startDate, filter.periodFrom))
    if (filter.periodTo !== undefined) within.push(lte(reportingPeriods.endDate, filter.periodTo))
    where.push(sql`${observations.periodCode} IN (SELECT ${reportingPeriods.code} FROM ${reportingPeriods} WHERE ${and(...within)})`)
  }
  if (filter.updatedSince !== undefined) where.push(gte(observationRevisions.recordedAt, filter.updatedSince))
  if (!filter.includeWithdrawn && filter.updatedSince === undefined) where.push(ne(observationRevisions.status, 'withdrawn'))
  return where
}

export function createObservationRepository(db: Db) {
  const selectRows = (filter: ObservationFilter) =>
    db
      .select(rowColumns)
      .from(observations)
      .innerJoin(observationRevisions, revisionInForce(filter.asOf))
      .innerJoin(indicators, eq(indicators.code, observations.indicatorCode))

  return {
    /** One keyset page in id order: rows after `afterId`, at most `limit`. */
    async page(filter: ObservationFilter, afterId: number, limit: number): Promise<ObservationRow[]> {
      return selectRows(filter)
        .where(and(gt(observations.id, afterId), ...conditions(filter)))
        .orderBy(asc(observations.id))
        .limit(limit)
        .all() as ObservationRow[]
    },

    async byId(id: number, asOf?: string): Promise<ObservationRow | null> {
      const [row] = selectRows({ asOf })
        .where(eq(observations.id, id))
        .limit(1)
        .all()
      return (row as ObservationRow | undefined) ?? null
    },

    async exists(id: number): Promise<boolean> {
      return db.select({ id: observations.id }).from(observations).where(eq(observations.id, id)).limit(1).all().length > 0
    },

    /** Revisions in commit order after `afterSeq`: the change feed. */
    async changes(afterSeq: number, limit: number): Promise<ObservationRow[]> {
      return db
        .select(rowColumns)
        .from(observationRevisions)
        .innerJoin(observations, eq(observations.id, observationRevisions.observationId))
        .innerJoin(indicators, eq(indicators.code, observations.indicatorCode))
        .where(gt(observationRevisions.seq, afterSeq))
        .orderBy(asc(observationRevisions.seq))
        .limit(limit)
        .all() as ObservationRow[]
    },

    /** Every revision of one observation, oldest first. */
    async revisions(id: number): Promise<ObservationRow[]> {
      return db
        .select(rowColumns)
        .from(observationRevisions)
        .innerJoin(observations, eq(observations.id, observationRevisions.observationId))
        .innerJoin(indicators, eq(indicators.code, observations.indicatorCode))
        .where(eq(observationRevisions.observationId, id))
        .orderBy(asc(observationRevisions.revision))
        .all() as ObservationRow[]
    },
  }
}

export type ObservationRepository = ReturnType<typeof createObservationRepository>

// --- write primitives: call only inside a write transaction -----------------

export interface NaturalKey {
  indicator: string
  area: string
  period: string
  kind: Kind
}

export function findByNaturalKey(tx: Queryable, key: NaturalKey): ObservationRow | null {
  const [row] = tx
    .select(rowColumns)
    .from(observations)
    .innerJoin(observationRevisions, eq(observationRevisions.seq, observations.currentSeq))
    .innerJoin(indicators, eq(indicators.code, observations.indicatorCode))
    .where(
      and(
        eq(observations.indicatorCode, key.indicator),
        eq(observations.areaCode, key.area),
        eq(observations.periodCode, key.period),
        eq(observations.kind, key.kind),
      ),
    )
    .limit(1)
    .all()
  return (row as ObservationRow | undefined) ?? null
}

export function findRevision(tx: Queryable, observationId: number, revision: number): ObservationRow | null {
  const [row] = tx
    .select(rowColumns)
    .from(observationRevisions)
    .innerJoin(observations, eq(observations.id, observationRevisions.observationId))
    .innerJoin(indicators, eq(indicators.code, observations.indicatorCode))
    .where(and(eq(observationRevisions.observationId, observationId), eq(observationRevisions.revision, revision)))
    .limit(1)
    .all()
  return (row as ObservationRow | undefined) ?? null
}

export function findCurrentById(tx: Queryable, id: number): ObservationRow | null {
  const [row] = tx
    .select(rowColumns)
    .from(observations)
    .innerJoin(observationRevisions, eq(observationRevisions.seq, observations.currentSeq))
    .innerJoin(indicators, eq(indicators.code, observations.indicatorCode))
    .where(eq(observations.id, id))
    .limit(1)
    .all()
  return (row as ObservationRow | undefined) ?? null
}

export interface RevisionContent {
  status: 'active' | 'withdrawn'
  observation: CheckedObservation
}

export interface RevisionMeta {
  reason: string
  actor: string
  recordedAt: string
}

/** Creates the observation identity; its first revision follows at once. */
export function insertObservationIdentity(tx: Queryable, key: NaturalKey): number {
  const [row] = tx
    .insert(observations)
    .values({ indicatorCode: key.indicator, areaCode: key.area, periodCode: key.period, kind: key.kind, currentSeq: 0 })
    .returning({ id: observations.id })
    .all()
  return (row as { id: number }).id
}

/** Appends a revision and points the observation at it; returns its seq. */
export function appendRevision(tx: Queryable, observationId: number, revision: number, content: RevisionContent, meta: RevisionMeta): number {
  const o = content.observation
  const [row] = tx
    .insert(observationRevisions)
    .values({
      observationId,
      revision,
      status: content.status,
      value: o.value,
      qualifier: o.qualifier,
      reportedValue: o.reported.value,
      reportedUnit: o.reported.unit,
      reportedText: o.reported.text,
      sourceId: o.citation.sourceId,
      quote: o.citation.quote,
      byteStart: o.citation.byteStart,
      byteEnd: o.citation.byteEnd,
      involvedAreas: JSON.stringify(o.involvedAreas),
      note: o.note,
      reason: meta.reason,
      actor: meta.actor,
      recordedAt: meta.recordedAt,
    })
    .returning({ seq: observationRevisions.seq })
    .all()
  const seq = (row as { seq: number }).seq
  tx.update(observations).set({ currentSeq: seq }).where(eq(observations.id, observationId)).run()
  return seq
}
