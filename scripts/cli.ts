// What every command-line tool shares: one-line errors with exit codes, and waiting for the write lock.
import { ConfigError } from '../src/config.js'
import { LockWaitError } from '../src/storage/sqlite/lock-wait.js'

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
  // A reader that stops early (`| head -1`) closes the pipe: that is the reader's choice, not a failure to report as a crash.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
    throw err
  })
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
        // 75 (EX_TEMPFAIL): the write lock stayed taken; trying again later can succeed.
        process.exitCode = err instanceof ConfigError ? 2 : err instanceof LockWaitError ? 75 : err instanceof CliError ? err.exitCode : 1
      },
    )
}
