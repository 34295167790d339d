// Copies a SQLite store into an empty PostgreSQL one verbatim: every table as it is (ids, seqs,
// timestamps, the audit chain, keys' hashes, idempotency records, source bytes), read from one
// SQLite snapshot and written in one PostgreSQL transaction under the write lock, so the target
// ends up with all of it or none. Then it checks the copy before committing: counts per table,
// the audit head, and the whole chain re-hashed through the adapter's reads.
import Database from 'better-sqlite3'
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { createChainVerifier } from '../../domain/audit-chain.js'
import { connectionConfig, describeUrl, run, storageError } from './client.js'
import { DATA_CHANNEL } from './data-version.js'
import { WRITE_LOCK } from './index.js'
import { migrationState } from './migrate.js'
import { auditReads } from './reads.js'
import * as schema from './schema.js'

/** Tables in the order their foreign keys allow; each is copied in primary-key order. */
const TABLES: PgTable[] = [
  schema.sources,
  schema.areas,
  schema.reportingPeriods,
  schema.indicators,
  schema.topics,
  schema.topicIndicators,
  schema.indicatorRelations,
  schema.observations,
  schema.observationRevisions,
  schema.auditEntries,
  schema.apiKeys,
  schema.idempotencyKeys,
  schema.units,
  // Without it a copied store would apply the seed's corrections a second time on its first start.
  schema.seedCorrections,
]

/** Areas parents first (area.parent_code references area.code); the rest by primary key. */
const SQLITE_ORDER: Record<string, string> = {
  area: `WITH RECURSIVE depth(code, n) AS (SELECT code, 0 FROM area WHERE parent_code IS NULL
           UNION ALL SELECT a.code, d.n + 1 FROM area a JOIN depth d ON a.parent_code = d.code)
         SELECT {columns} FROM area JOIN depth USING (code) ORDER BY depth.n, area.code`,
}

/** Rows per INSERT, and a bound on the bytes one INSERT carries (sources hold whole documents). */
const BATCH_ROWS = 5_000
const BATCH_BYTES = 32 * 1024 * 1024
const AUDIT_PAGE = 5_000

export interface CopyProgress {
  table: string
  copied: number
  total: number
}

export interface CopyReport {
  /** Rows copied per table (equal on both sides, checked). */
  tables: Record<string, number>
  auditHead: { seq: number; hash: string } | null
}

/** The target is not a migrated, empty store, or the copy did not verify; nothing was written. */
export class CopyRefusedError extends Error {
  override name = 'CopyRefusedError'
}

interface ColumnPlan {
  name: string
  /** The array type unnest() reads this column from. */
  arrayType: string
  /** SQLite's value as PostgreSQL takes it. */
  convert: (value: unknown, table: string) => unknown
}

function columnPlans(table: PgTable): ColumnPlan[] {
  return getTableConfig(table).columns.map((column) => {
    const type = column.getSQLType().replace(/\s+COLLATE.*$/i, '')
    const base = { name: column.name, arrayType: `${type}[]` }
    if (type === 'boolean') {
      return {
        ...base,
        convert: (v: unknown, t: string) => {
          if (v === null || v === 0 || v === 1) return v === null ? null : v === 1
          throw new CopyRefusedError(`${t}.${column.name} holds ${JSON.stringify(v)}, which is not a boolean (0 or 1)`)
        },
      }
    }
    if (type === 'bytea') {
      return {
        ...base,
        convert: (v: unknown, t: string) => {
          if (v === null || Buffer.isBuffer(v)) return v
          throw new CopyRefusedError(`${t}.${column.name} holds ${typeof v}, not bytes`)
        },
      }
    }
    return { ...base, convert: (v: unknown) => v }
  })
}

function sizeOf(value: unknown): number {
  if (Buffer.isBuffer(value)) return value.length * 2
  if (typeof value === 'string') return value.length
  return 8
}

export async function copySqliteToPostgres(sqliteFile: string, postgresUrl: string, options: { onProgress?: (progress: CopyProgress) => void } = {}): Promise<CopyReport> {
  const source = new Database(sqliteFile, { readonly: true, fileMustExist: true })
  const target = new pg.Client(connectionConfig(postgresUrl))
  // A connection that fails mid-copy errors the statement that runs; the event must not end the process.
  target.on('error', () => {})
  let open = false
  try {
    try {
      await target.connect()
    } catch (err) {
      throw storageError(err)
    }
    // One snapshot of the SQLite file for every count and row read below.
    source.exec('BEGIN')
    const counts: Record<string, number> = {}
    for (const table of TABLES) {
      const name = getTableConfig(table).name
      counts[name] = (source.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n
    }
    const sourceHead = (source.prepare('SELECT seq, hash FROM audit_entry ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string } | undefined) ?? null

    await run(target, 'BEGIN')
    open = true
    await run(target, 'SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
    const state = await migrationState(target)
    if (state.applied !== state.expected) {
      throw new CopyRefusedError(`${describeUrl(postgresUrl)} is not migrated (${state.applied} of ${state.expected} migrations applied); run the migrations first`)
    }
    for (const table of TABLES) {
      const name = getTableConfig(table).name
      const [row] = await run<{ any: boolean }>(target, `SELECT EXISTS (SELECT 1 FROM "${name}") AS any`)
      if (row?.any) throw new CopyRefusedError(`${describeUrl(postgresUrl)} is not empty (table ${name} has rows); copy into a new, migrated database`)
    }

    for (const table of TABLES) await copyTable(source, target, table, counts, options.onProgress)

    // Checked before COMMIT: a copy that does not verify is rolled back, leaving the target empty.
    for (const table of TABLES) {
      const name = getTableConfig(table).name
      const [row] = await run<{ n: number }>(target, `SELECT count(*) AS n FROM "${name}"`)
      if (row?.n !== counts[name]) throw new CopyRefusedError(`table ${name}: ${counts[name]} rows in SQLite, ${row?.n} copied`)
    }
    const audit = auditReads(target)
    const head = await audit.head()
    if ((head?.seq ?? null) !== (sourceHead?.seq ?? null) || (head?.hash ?? null) !== (sourceHead?.hash ?? null)) {
      throw new CopyRefusedError(`audit head differs after the copy: SQLite ${JSON.stringify(sourceHead)}, PostgreSQL ${JSON.stringify(head && { seq: head.seq, hash: head.hash })}`)
    }
    const verifier = createChainVerifier()
    for (let after = 0; ; ) {
      const page = await audit.page(after, AUDIT_PAGE)
      for (const entry of page) verifier.push(entry)
      if (page.length < AUDIT_PAGE) break
      after = page[page.length - 1]!.seq
    }
    const chain = verifier.result()
    if (!chain.ok) throw new CopyRefusedError(`the copied audit chain does not verify at seq ${chain.brokenSeq}: ${chain.reason}`)

    // Other instances on this database learn that its data changed.
    await run(target, `SELECT pg_notify('${DATA_CHANNEL}', $1)`, [String(head?.seq ?? 0)])
    await run(target, 'COMMIT')
    open = false
    // Statistics now, not when autovacuum gets to it: until then the planner takes the tables for empty.
    await run(target, 'ANALYZE')
    return { tables: counts, auditHead: sourceHead }
  } finally {
    if (open) await target.query('ROLLBACK').catch(() => {})
    if (source.inTransaction) source.exec('COMMIT')
    source.close()
    await target.end().catch(() => {})
  }
}

async function copyTable(source: Database.Database, target: pg.Client, table: PgTable, counts: Record<string, number>, onProgress?: (progress: CopyProgress) => void): Promise<void> {
  const config = getTableConfig(table)
  const name = config.name
  const columns = columnPlans(table)
  const list = columns.map((c) => `"${c.name}"`).join(', ')
  const keys = config.primaryKeys[0]?.columns.map((c) => `"${c.name}"`) ?? config.columns.filter((c) => c.primary).map((c) => `"${c.name}"`)
  const select = SQLITE_ORDER[name]?.replace('{columns}', columns.map((c) => `${name}."${c.name}"`).join(', ')) ?? `SELECT ${list} FROM "${name}" ORDER BY ${keys.join(', ')}`
  const insert = `INSERT INTO "${name}" (${list}) SELECT * FROM unnest(${columns.map((c, i) => `$${i + 1}::${c.arrayType}`).join(', ')})`
  const total = counts[name] ?? 0
  let batch: unknown[][] = columns.map(() => [])
  let rows = 0
  let bytes = 0
  let copied = 0
  const flush = async () => {
    if (rows === 0) return
    await run(target, insert, batch)
    copied += rows
    batch = columns.map(() => [])
    rows = 0
    bytes = 0
    onProgress?.({ table: name, copied, total })
  }
  onProgress?.({ table: name, copied: 0, total })
  for (const row of source.prepare(select).raw().iterate() as IterableIterator<unknown[]>) {
    for (const [i, column] of columns.entries()) {
      const value = column.convert(row[i], name)
      batch[i]!.push(value)
      bytes += sizeOf(value)
    }
    rows++
    if (rows >= BATCH_ROWS || bytes >= BATCH_BYTES) await flush()
  }
  await flush()
}
