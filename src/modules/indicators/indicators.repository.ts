// Indicators: what is measured, in which base unit.
import { and, asc, eq, inArray, or, sql, type SQL } from 'drizzle-orm'
import type { Db, Queryable } from '../../storage/sqlite/client.js'
import { indicators } from '../../storage/sqlite/schema.js'

export type IndicatorRecord = typeof indicators.$inferSelect

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

export function createIndicatorRepository(db: Db) {
  return {
    async list(filter: { categories?: string[] | undefined; q?: string | undefined } = {}): Promise<IndicatorRecord[]> {
      const conds: SQL[] = []
      if (filter.categories?.length) conds.push(inArray(indicators.category, filter.categories))
      if (filter.q !== undefined && filter.q.trim() !== '') {
        // Case-insensitive substring over both languages, the code and the description.
        const pattern = `%${escapeLike(filter.q.trim().toLowerCase())}%`
        const match = (col: SQL | typeof indicators.code) => sql`lower(${col}) LIKE ${pattern} ESCAPE '\\'`
        conds.push(or(match(indicators.code), match(sql`${indicators.nameZh}`), match(sql`${indicators.nameEn}`), match(sql`${indicators.description}`)) as SQL)
      }
      return db
        .select()
        .from(indicators)
        .where(conds.length ? and(...conds) : undefined)
        .orderBy(asc(indicators.code))
        .all()
    },
    async byCode(code: string): Promise<IndicatorRecord | null> {
      return findIndicator(db, code)
    },
    async categories(): Promise<string[]> {
      return db.selectDistinct({ c: indicators.category }).from(indicators).orderBy(asc(indicators.category)).all().map((r) => r.c)
    },
  }
}

export function findIndicator(tx: Queryable, code: string): IndicatorRecord | null {
  const [row] = tx.select().from(indicators).where(eq(indicators.code, code)).limit(1).all()
  return row ?? null
}

export function insertIndicator(tx: Queryable, record: IndicatorRecord): void {
  tx.insert(indicators).values(record).run()
}

export function updateIndicator(tx: Queryable, record: IndicatorRecord): void {
  tx.update(indicators).set(record).where(eq(indicators.code, record.code)).run()
}

export function indicatorUnits(tx: Queryable): Map<string, string> {
  return new Map(tx.select({ code: indicators.code, unit: indicators.unit }).from(indicators).all().map((r) => [r.code, r.unit]))
}
