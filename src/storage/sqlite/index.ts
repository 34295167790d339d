// The SQLite adapter: one better-sqlite3 connection behind the storage ports.
// createSqliteStorage opens a file (or :memory:); sqliteConnection is the escape
// hatch for the tests and SQLite-only scripts (backup, restore) that handle the file itself.
import { statSync } from 'node:fs'
import { StorageUnavailableError, type ObservationReads, type Storage, type WriteTx } from '../ports.js'
import { migrateDatabase, migrationState, openDatabase, openReadOnlyDatabase, type Db } from './client.js'
import { withWriteLock } from './lock-wait.js'
import { createObservationRepository } from './observations.js'
import { auditReads, catalogReads, idempotencyReads, keyReads } from './records.js'
import { integrityReads } from './integrity-reads.js'
import { statementsOf } from './statements.js'
import { openWriteTx } from './write-tx.js'

export interface SqliteStorageOptions {
  /** A second, read-only connection to a file (a background check's). */
  readOnly?: boolean | undefined
  /** Milliseconds a writer waits for the lock before SQLITE_BUSY. */
  busyTimeoutMs?: number | undefined
  /** How long migrate() and write transactions wait for another process's write lock, and where they say they wait. */
  lockWaitSeconds?: number | undefined
  notice?: ((message: string) => void) | undefined
}

const connections = new WeakMap<Storage, Db>()

/** The connection under a SQLite storage: for tests and SQLite-only scripts, never for modules. */
export function sqliteConnection(storage: Storage): Db {
  const db = connections.get(storage)
  if (!db) throw new Error(`${storage.description} is not a SQLite storage`)
  return db
}

/** SQLite's own check of a file (integrity_check), and how many observations it holds: for backup and restore. */
export function sqliteFileFacts(storage: Storage): { integrity: string; observations: number } {
  const client = sqliteConnection(storage).$client
  const integrity = (client.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ')
  const { n } = client.prepare('SELECT count(*) AS n FROM observation').get() as { n: number }
  return { integrity, observations: n }
}

export function createSqliteStorage(url: string, options: SqliteStorageOptions = {}): Storage {
  const db = options.readOnly ? openReadOnlyDatabase(url) : openDatabase(url, { busyTimeoutMs: options.busyTimeoutMs })
  return sqliteStorageOn(db, options)
}

/** A storage over a connection opened elsewhere; closing the storage closes it. */
export function sqliteStorageOn(db: Db, options: Pick<SqliteStorageOptions, 'lockWaitSeconds' | 'notice'> = {}): Storage {
  const client = db.$client
  const s = statementsOf(client)
  const file = client.memory ? null : client.name
  const dataVersion = client.prepare('PRAGMA data_version').pluck()
  // data_version does not change for this connection's own commits: count them.
  let commits = 0
  const notice = options.notice ?? ((message: string) => process.stderr.write(`${message}\n`))
  // One transaction at a time on this connection (a body awaits between statements).
  let queue: Promise<unknown> = Promise.resolve()

  async function run<T>(mode: 'write' | 'snapshot', body: (tx: WriteTx) => Promise<T>): Promise<T> {
    // IMMEDIATE takes the write lock up front, so a read-then-write never fails half-way with SQLITE_BUSY.
    if (mode === 'snapshot') client.exec('BEGIN DEFERRED')
    // A store opened with a lock-wait bound (start-up, command-line tools) waits for another process's writer, bounded, and says so.
    else if (options.lockWaitSeconds !== undefined) withWriteLock(client, () => client.exec('BEGIN IMMEDIATE'), options.lockWaitSeconds, notice)
    else client.exec('BEGIN IMMEDIATE')
    try {
      // A deferred transaction's snapshot starts at its first read: take it now.
      if (mode === 'snapshot') s('SELECT count(*) FROM sqlite_master').get()
      const result = await body(openWriteTx(db, s, mode === 'write'))
      client.exec('COMMIT')
      if (mode === 'write') commits++
      return result
    } catch (err) {
      if (client.inTransaction) client.exec('ROLLBACK')
      throw err
    }
  }

  // Its statements are compiled on first use: a store is opened before it is migrated.
  let observations: ObservationReads | null = null
  const observationReads = () => (observations ??= createObservationRepository(db))

  const storage: Storage = {
    dialect: 'sqlite',
    description: file ?? ':memory:',
    location: file ?? ':memory:',
    observations: {
      page: (...a) => observationReads().page(...a),
      pageJson: (...a) => observationReads().pageJson(...a),
      pageCsv: (...a) => observationReads().pageCsv(...a),
      byId: (...a) => observationReads().byId(...a),
      exists: (...a) => observationReads().exists(...a),
      changes: (...a) => observationReads().changes(...a),
      changesJson: (...a) => observationReads().changesJson(...a),
      revisions: (...a) => observationReads().revisions(...a),
      vintages: (...a) => observationReads().vintages(...a),
    },
    catalog: catalogReads(s),
    audit: auditReads(s),
    keys: keyReads(s),
    idempotency: idempotencyReads(s),
    integrity: integrityReads(s),
    health: {
      async ping() {
        try {
          s('SELECT 1').get()
        } catch (err) {
          throw new StorageUnavailableError(`the database ${file ?? ':memory:'} cannot answer`, err)
        }
      },
      async migrations() {
        return migrationState(db)
      },
      async sizeBytes() {
        if (!file) return null
        // The file and its write-ahead log: both are the database on disk.
        const size = (path: string) => {
          try {
            return statSync(path).size
          } catch {
            return 0
          }
        }
        return size(file) + size(`${file}-wal`)
      },
    },
    transaction(mode, body) {
      const result = queue.then(() => run(mode, body))
      queue = result.catch(() => undefined)
      return result
    },
    dataVersion() {
      return (dataVersion.get() as number) * 0x100000 + commits
    },
    async migrate() {
      const migrate = () => migrateDatabase(db)
      if (options.lockWaitSeconds === undefined) return migrate()
      return withWriteLock(client, migrate, options.lockWaitSeconds, notice)
    },
    async close() {
      if (client.open) client.close()
    },
  }
  connections.set(storage, db)
  return storage
}
