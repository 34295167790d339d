// Opens the embedded SQLite store with the settings the service's promises rely on.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import { migrationsFolder } from '../../paths.js'
import { DatabasePathError, prepareDatabasePath } from './database-path.js'
import * as schema from './schema.js'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

export interface OpenOptions {
  /** Milliseconds a writer waits for the lock before SQLITE_BUSY. */
  busyTimeoutMs?: number
}

export function openDatabase(url: string, options: OpenOptions = {}): Db {
  const inMemory = url === ':memory:' || url.startsWith('file::memory:')
  if (!inMemory) prepareDatabasePath(url)
  let client: Database.Database
  try {
    client = new Database(url)
    client.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
    // The first statement reads the file: a file that is not a database fails here, with its path.
    if (!inMemory) client.pragma('journal_mode = WAL')
  } catch (err) {
    throw new DatabasePathError(url, err instanceof Error ? err.message : String(err))
  }
  // WAL (above) lets readers go on while one writer commits; FULL fsyncs the WAL on
  // every commit, so an acknowledged write survives a crash or power loss.
  client.pragma('synchronous = FULL')
  client.pragma('foreign_keys = ON')
  // Bounds the WAL file left behind after a checkpoint (64 MiB).
  client.pragma('journal_size_limit = 67108864')
  // 16 MiB of page cache per connection (two: reads and the writer): the hot index pages of a
  // million observations; the operating system's file cache holds the rest outside the heap.
  client.pragma('cache_size = -16384')
  client.pragma('temp_store = MEMORY')
  return drizzle({ client, schema }) as Db
}

/**
 * A second, read-only connection to a database file (a background check's):
 * under WAL it reads a consistent snapshot while the writer commits, and
 * cannot change the file whatever it runs.
 */
export function openReadOnlyDatabase(file: string): Db {
  const client = new Database(file, { readonly: true, fileMustExist: true })
  client.pragma('busy_timeout = 5000')
  client.pragma('cache_size = -16384')
  client.pragma('temp_store = MEMORY')
  return drizzle({ client, schema }) as Db
}

/** Applies the shipped migrations not applied yet; returns their names (empty when none were due). */
export function migrateDatabase(db: Db): string[] {
  const before = migrationState(db).applied
  migrate(db, { migrationsFolder })
  const after = migrationState(db).applied
  return journal().slice(before, after).map((e) => e.tag)
}

/** The migrations applied so far, and whether all the shipped ones are. */
export function migrationState(db: Db): { applied: number; expected: number } {
  const expected = journal().length
  try {
    const row = db.$client.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }
    return { applied: row.n, expected }
  } catch {
    return { applied: 0, expected }
  }
}

let shippedMigrations: Array<{ tag: string }> | undefined
function journal(): Array<{ tag: string }> {
  // Read once: the journal ships with the code and does not change at run time.
  shippedMigrations ??= (JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> }).entries
  return shippedMigrations
}

/** The handle a write transaction passes to its body. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]
/** Either the database or an open transaction: what data-access primitives take. */
export type Queryable = Db | Tx
