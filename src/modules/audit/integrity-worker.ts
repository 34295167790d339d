// A full verification pass in its own thread: its own read-only connection to
// the database file, the same steps as in-process, run back to back (no pauses:
// the thread serves no requests). It runs at a lower CPU priority so the
// serving thread wins most contention, and stops between slices when the
// parent raises the shared stop flag.
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { openStorage } from '../../storage/open.js'
import { genesisCheckpoint, integritySteps } from './integrity.js'

const { databaseUrl, stop } = workerData as { databaseUrl: string; stop: SharedArrayBuffer }
const stopped = new Int32Array(stop)
/**
 * Nice 5: about a quarter of a core's share when it competes with the serving
 * thread, yet a 200k-entry pass (about 3 s of CPU) finishes within seconds on
 * a busy 2-core machine; at 19 it starved there and never finished, at 10 it
 * sometimes did not within 20 s.
 */
const NICE = 5
/** Entries per slice: about 15 ms of work. */
const WORKER_SLICE_ENTRIES = 1024

try {
  // On Linux this lowers this thread only, not the process.
  setPriority(NICE)
} catch {
  // Not permitted or not supported: run at normal priority.
}

// A read-only view of its own: it reads a consistent snapshot while the writer commits, and cannot change anything.
const storage = await openStorage(databaseUrl, { readOnly: true })
try {
  const steps = integritySteps(storage, genesisCheckpoint(), true, WORKER_SLICE_ENTRIES)
  let outcome = null
  for (;;) {
    if (Atomics.load(stopped, 0) !== 0) break
    const step = await steps.next()
    if (step.done) {
      outcome = step.value
      break
    }
  }
  parentPort?.postMessage({ outcome })
} catch (err) {
  parentPort?.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
} finally {
  await storage.close()
}
