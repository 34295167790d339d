// What every command-line tool shares: one-line errors with exit codes, and waiting for the write lock.
import Database from 'better-sqlite3'
import { ConfigError, loadConfig } from '../src/config.js'

/** A failure the tool explains itself; `exitCode` 1 unless said. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

/** Runs a tool's main: any error becomes one line on stderr (no stack trace) and an exit code ≠ 0. */
export function runCli(tool: string, main: () => number | Promise<number>): void {
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        process.exitCode = code
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err)
        // One line, whatever the error carried (SQLite and the file system put paths and newlines in messages).
        process.stderr.write(`${tool}: ${message.replace(/\s*\n\s*/g, ' ')}\n`)
        process.exitCode = err instanceof ConfigError ? 2 : err instanceof CliError ? err.exitCode : 1
      },
    )
}

function isBusy(err: unknown): boolean {
  // drizzle wraps the driver's error as the `cause` of its own.
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof Database.SqliteError && (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED'))) return true
  }
  return false
}

const NOTICE_AFTER_MS = 1000

/**
 * Runs `body` (which must take the lock before changing anything, e.g. one IMMEDIATE transaction)
 * with SQLite's busy timeout: after a second of waiting it says so on stderr, and it gives up after
 * LOCK_WAIT_SECONDS with one line instead of an unhandled "database is locked".
 */
export function withWriteLock<T>(client: Database.Database, body: () => T, boundSeconds = loadConfig().lockWaitSeconds): T {
  const boundMs = boundSeconds * 1000
  const previous = client.pragma('busy_timeout', { simple: true }) as number
  try {
    client.pragma(`busy_timeout = ${Math.min(NOTICE_AFTER_MS, boundMs)}`)
    try {
      return body()
    } catch (err) {
      if (!isBusy(err) || boundMs <= NOTICE_AFTER_MS) throw err
    }
    process.stderr.write(`waiting for the write lock on ${client.name} (another process is writing; giving up after ${boundSeconds} s)…\n`)
    client.pragma(`busy_timeout = ${boundMs - NOTICE_AFTER_MS}`)
    return body()
  } catch (err) {
    if (isBusy(err)) {
      throw new CliError(`gave up waiting for the write lock on ${client.name} after ${boundSeconds} s: another process held it throughout; retry later, or raise LOCK_WAIT_SECONDS`, 75)
    }
    throw err
  } finally {
    client.pragma(`busy_timeout = ${previous}`)
  }
}
