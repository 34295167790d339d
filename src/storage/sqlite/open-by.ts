// Which processes have a database open: every process's open files under /proc (Linux), matched
// against the database file and its -wal, -shm and -journal companions. Names them by pid and command.
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import Database from 'better-sqlite3'

export interface Holder {
  pid: number
  command: string
}

/** null when this system has no /proc to look in; `deleted` also matches the file after it was unlinked or replaced. */
export function processesHolding(file: string, options: { deleted?: boolean } = {}): Holder[] | null {
  if (!existsSync('/proc/self/fd')) return null
  const names = new Set<string>()
  for (const base of new Set([resolve(file), existsSync(file) ? realpathSync(file) : resolve(file)])) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) {
      names.add(base + suffix)
      if (options.deleted) names.add(`${base}${suffix} (deleted)`)
    }
  }
  const holders: Holder[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${entry}/fd`)
    } catch {
      continue // gone, or not ours to read: the SQLite lock check still sees its connections
    }
    const holds = fds.some((fd) => {
      try {
        return names.has(readlinkSync(`/proc/${entry}/fd/${fd}`))
      } catch {
        return false
      }
    })
    if (!holds) continue
    let command = '?'
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || '?'
    } catch {
      // exited meanwhile
    }
    holders.push({ pid: Number(entry), command })
  }
  return holders
}

/**
 * Whether another SQLite connection (in any process, including ones /proc does not show: another
 * container on the same volume) has the database open: in exclusive locking mode the lock is granted
 * only when no other connection, idle or not, holds the file. Waits up to `waitMs` for a passing writer.
 */
export function heldByAnotherConnection(file: string, waitMs = 2000): boolean {
  if (!existsSync(file)) return false
  const db = new Database(file, { fileMustExist: true })
  try {
    db.pragma(`busy_timeout = ${waitMs}`)
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE')
    db.exec('COMMIT')
    return false
  } catch (err) {
    if (err instanceof Database.SqliteError && (err.code.startsWith('SQLITE_BUSY') || err.code.startsWith('SQLITE_LOCKED'))) return true
    throw err
  } finally {
    db.close()
  }
}
