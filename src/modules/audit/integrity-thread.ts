// Runs full verification passes off the serving thread: one worker thread per
// pass, with its own read-only connection to the database file (WAL gives it
// a consistent snapshot while the writer commits). Only for database files: an
// in-memory database has a single connection, so its passes stay in-process.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Checkpoint, IntegrityResult } from './integrity.js'

export type FullPassOutcome = { result: IntegrityResult; checkpoint: Checkpoint | null }

export interface FullPassThread {
  /** One full pass from the first entry; null when stopped by close(). */
  run(): Promise<FullPassOutcome | null>
  /** Stops the passes under way (between slices) and waits for their threads to end. */
  close(): Promise<void>
}

/** How long a stopped pass may take to reach its next slice before its thread is terminated. */
const STOP_GRACE_MS = 5_000

function workerEntry(): string {
  const compiled = fileURLToPath(new URL('./integrity-worker.js', import.meta.url))
  if (existsSync(compiled)) return compiled
  // Running from TypeScript sources (tests, tsx): load the worker through tsx.
  return fileURLToPath(new URL('./integrity-worker-tsx.mjs', import.meta.url))
}

export function createFullPassThread(databaseUrl: string): FullPassThread {
  const running = new Map<Worker, Int32Array>()
  let closing = false

  return {
    run() {
      if (closing) return Promise.resolve(null)
      const stop = new SharedArrayBuffer(4)
      const worker = new Worker(workerEntry(), { workerData: { databaseUrl, stop } })
      running.set(worker, new Int32Array(stop))
      // A background check must not keep the process alive on its own.
      worker.unref()
      return new Promise<FullPassOutcome | null>((resolve, reject) => {
        let answered = false
        worker.on('message', (msg: { outcome?: FullPassOutcome | null; error?: string }) => {
          answered = true
          if (msg.error !== undefined) reject(new Error(`audit verification thread: ${msg.error}`))
          else resolve(msg.outcome ?? null)
        })
        worker.on('error', (err) => {
          answered = true
          reject(err)
        })
        worker.on('exit', (code) => {
          running.delete(worker)
          if (answered) return
          if (closing) resolve(null)
          else reject(new Error(`audit verification thread exited with code ${code} without an answer`))
        })
      })
    },
    async close() {
      closing = true
      await Promise.all(
        [...running].map(
          ([worker, stopped]) =>
            new Promise<void>((resolve) => {
              worker.once('exit', () => resolve())
              Atomics.store(stopped, 0, 1)
              const force = setTimeout(() => void worker.terminate(), STOP_GRACE_MS)
              force.unref()
              worker.once('exit', () => clearTimeout(force))
            }),
        ),
      )
    },
  }
}
