// Stored reports: metadata and their verbatim bytes.
import { asc, eq } from 'drizzle-orm'
import type { Db, Queryable } from '../../storage/sqlite/client.js'
import { sources } from '../../storage/sqlite/schema.js'

export type SourceRecord = typeof sources.$inferSelect
export type SourceMetadata = Omit<SourceRecord, 'content'>

const metadataColumns = {
  id: sources.id,
  title: sources.title,
  titleEn: sources.titleEn,
  documentNumber: sources.documentNumber,
  issuer: sources.issuer,
  recipient: sources.recipient,
  issuedOn: sources.issuedOn,
  mediaType: sources.mediaType,
  byteLength: sources.byteLength,
  sha256: sources.sha256,
  recordedAt: sources.recordedAt,
}

export function createSourceRepository(db: Db) {
  return {
    async list(): Promise<SourceMetadata[]> {
      return db.select(metadataColumns).from(sources).orderBy(asc(sources.id)).all()
    },
    async byId(id: string): Promise<SourceMetadata | null> {
      return findSourceMetadata(db, id)
    },
    async content(id: string): Promise<{ content: Buffer; sha256: string; mediaType: string } | null> {
      const [row] = db
        .select({ content: sources.content, sha256: sources.sha256, mediaType: sources.mediaType })
        .from(sources)
        .where(eq(sources.id, id))
        .limit(1)
        .all()
      return row ?? null
    },
  }
}

export function findSourceMetadata(tx: Queryable, id: string): SourceMetadata | null {
  const [row] = tx.select(metadataColumns).from(sources).where(eq(sources.id, id)).limit(1).all()
  return row ?? null
}

export function insertSource(tx: Queryable, record: SourceRecord): void {
  tx.insert(sources).values(record).run()
}

/** Every source's bytes, for checking citations in a write transaction. */
export function sourceTexts(tx: Queryable): Map<string, Buffer> {
  return new Map(tx.select({ id: sources.id, content: sources.content }).from(sources).all().map((r) => [r.id, r.content]))
}
