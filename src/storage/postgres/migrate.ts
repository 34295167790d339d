// Applies the shipped PostgreSQL migrations under a session advisory lock on a connection of
// its own, so instances starting together migrate once: the others wait, then find none due.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { projectRoot } from '../../paths.js'
import { run, storageError, type Queryable } from './client.js'

export const postgresMigrationsFolder = join(projectRoot, 'migrations', 'postgres')
/** The session lock migrations run under (distinct from the write lock). */
const MIGRATION_LOCK = 0x62_61_79_6e_6d // 'baynm'

interface JournalEntry {
  tag: string
  when: number
}
let shipped: JournalEntry[] | undefined
function journal(): JournalEntry[] {
  shipped ??= (JSON.parse(readFileSync(join(postgresMigrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] }).entries
  return shipped
}

/** The created_at of the last migration applied, or 0 when none is (or the table is not there yet). */
async function lastApplied(q: Queryable): Promise<number> {
  const [exists] = await run<{ t: string | null }>(q, "SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t")
  if (!exists?.t) return 0
  const [row] = await run<{ at: string | null }>(q, 'SELECT max(created_at)::text AS at FROM drizzle.__drizzle_migrations')
  return Number(row?.at ?? 0)
}

export async function migratePostgres(config: pg.ClientConfig): Promise<string[]> {
  const client = new pg.Client(config)
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (err) {
    throw storageError(err)
  }
  try {
    await run(client, 'SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    const before = await lastApplied(client)
    try {
      await migrate(drizzle({ client }), { migrationsFolder: postgresMigrationsFolder })
    } catch (err) {
      throw storageError(err)
    }
    const after = await lastApplied(client)
    await run(client, 'SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
    return journal()
      .filter((e) => e.when > before && e.when <= after)
      .map((e) => e.tag)
  } finally {
    // Ending the session also releases the lock if anything above failed.
    await client.end().catch(() => {})
  }
}

/** Migrations applied, and how many ship with the code. */
export async function migrationState(q: Queryable): Promise<{ applied: number; expected: number }> {
  const expected = journal().length
  const [exists] = await run<{ t: string | null }>(q, "SELECT to_regclass('drizzle.__drizzle_migrations')::text AS t")
  if (!exists?.t) return { applied: 0, expected }
  const [row] = await run<{ n: number }>(q, 'SELECT count(*) AS n FROM drizzle.__drizzle_migrations')
  return { applied: row?.n ?? 0, expected }
}
