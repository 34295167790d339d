// Reporting periods in use.
import { asc, eq, inArray } from 'drizzle-orm'
import type { Db, Queryable } from '../../storage/sqlite/client.js'
import { reportingPeriods } from '../../storage/sqlite/schema.js'

export type PeriodRecord = typeof reportingPeriods.$inferSelect

export function createPeriodRepository(db: Db) {
  return {
    async list(filter: { type?: string[] | undefined } = {}): Promise<PeriodRecord[]> {
      const q = db.select().from(reportingPeriods)
      return (filter.type?.length ? q.where(inArray(reportingPeriods.type, filter.type as PeriodRecord['type'][])) : q)
        .orderBy(asc(reportingPeriods.startDate), asc(reportingPeriods.endDate))
        .all()
        .sort(byStartThenLongestFirst)
    },
    async byCode(code: string): Promise<PeriodRecord | null> {
      return findPeriod(db, code)
    },
  }
}

/** 2023 before 2023-H1 before 2023-Q1 before 2023-01: the containing period first. */
function byStartThenLongestFirst(a: PeriodRecord, b: PeriodRecord): number {
  return a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : a.endDate > b.endDate ? -1 : a.endDate < b.endDate ? 1 : 0
}

export function findPeriod(tx: Queryable, code: string): PeriodRecord | null {
  const [row] = tx.select().from(reportingPeriods).where(eq(reportingPeriods.code, code)).limit(1).all()
  return row ?? null
}

export function insertPeriod(tx: Queryable, record: PeriodRecord): void {
  tx.insert(reportingPeriods).values(record).run()
}

export function periodCodes(tx: Queryable): Set<string> {
  return new Set(tx.select({ code: reportingPeriods.code }).from(reportingPeriods).all().map((r) => r.code))
}
