// Areas: the town, its villages and the places above it.
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm'
import type { Db, Queryable } from '../../storage/sqlite/client.js'
import { areas } from '../../storage/sqlite/schema.js'

export type AreaRecord = typeof areas.$inferSelect

export function createAreaRepository(db: Db) {
  return {
    async list(filter: { level?: string[] | undefined; parent?: string | undefined } = {}): Promise<AreaRecord[]> {
      const conds: SQL[] = []
      if (filter.level?.length) conds.push(inArray(areas.level, filter.level as AreaRecord['level'][]))
      if (filter.parent !== undefined) conds.push(eq(areas.parentCode, filter.parent))
      return db
        .select()
        .from(areas)
        .where(conds.length ? and(...conds) : undefined)
        .orderBy(asc(areas.code))
        .all()
    },
    async byCode(code: string): Promise<AreaRecord | null> {
      return findArea(db, code)
    },
    async children(code: string): Promise<AreaRecord[]> {
      return db.select().from(areas).where(eq(areas.parentCode, code)).orderBy(asc(areas.code)).all()
    },
  }
}

export function findArea(tx: Queryable, code: string): AreaRecord | null {
  const [row] = tx.select().from(areas).where(eq(areas.code, code)).limit(1).all()
  return row ?? null
}

export function insertArea(tx: Queryable, record: AreaRecord): void {
  tx.insert(areas).values(record).run()
}

export function updateArea(tx: Queryable, record: AreaRecord): void {
  tx.update(areas).set(record).where(eq(areas.code, record.code)).run()
}

export function areaCodes(tx: Queryable): Set<string> {
  return new Set(tx.select({ code: areas.code }).from(areas).all().map((r) => r.code))
}
