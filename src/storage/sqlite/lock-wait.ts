// Waiting for SQLite's single write lock, for the processes that write besides the server's writer
// (the command-line tools, and a server seeding at start): bounded, and said after a second.
import Database from 'better-sqlite3'

/** The write lock stayed taken for the whole bound. */
export class LockWaitError extends Error {
  constructor(file: string, boundSeconds: number) {
    super(`gave up waiting for the write lock on ${file} after ${boundSeconds} s: another process held it throughout; retry later, or raise LOCK_WAIT_SECONDS`)
    this.name = 'LockWaitError'
  }
}

export function isBusy(err: unknown): boolean {
  // drizzle wraps the driver's error as the `cause` of its own.
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof Database.SqliteError && (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED'))) return true
  }
  return false
}

const NOTICE_AFTER_MS = 1000

/**
 * Runs `body` (which must take the lock before changing anything, e.g. one IMMEDIATE transaction)
 * with SQLite's busy timeout: after a second of waiting it calls `notice` once, and after
 * `boundSeconds` it throws LockWaitError instead of an unhandled "database is locked".
 */
export function withWriteLock<T>(client: Database.Database, body: () => T, boundSeconds: number, notice: (message: string) => void): T {
  const boundMs = boundSeconds * 1000
  const previous = client.pragma('busy_timeout', { simple: true }) as number
  try {
    client.pragma(`busy_timeout = ${Math.min(NOTICE_AFTER_MS, boundMs)}`)
    try {
      return body()
    } catch (err) {
      if (!isBusy(err) || boundMs <= NOTICE_AFTER_MS) throw err
    }
    notice(`waiting for the write lock on ${client.name} (another process is writing; giving up after ${boundSeconds} s)…`)
    client.pragma(`busy_timeout = ${boundMs - NOTICE_AFTER_MS}`)
    return body()
  } catch (err) {
    if (isBusy(err)) throw new LockWaitError(client.name, boundSeconds)
    throw err
  } finally {
    client.pragma(`busy_timeout = ${previous}`)
  }
}
