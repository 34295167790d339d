// A full verification pass in its own thread: its own read-only connection to
// the database file, the same steps as in-process, run back to back (no pauses:
// the thread serves no requests). It runs at the lowest CPU priority so the
// serving thread wins any contention, and stops between slices when the
// parent raises the shared stop flag.
import { setPriority } from 'node:os'
import { parentPort, workerData } from 'node:worker_threads'
import { openReadOnlyDatabase } from '../../db/client.js'
import { genesisCheckpoint, integritySteps } from './integrity.js'

const { databaseFile, stop } = workerData as { databaseFile: string; stop: SharedArrayBuffer }
const stopped = new Int32Array(stop)

try {
  // On Linux this lowers this thread only, not the process.
  setPriority(19)
} catch {
  // Not permitted or not supported: run at normal priority.
}

const db = openReadOnlyDatabase(databaseFile)
try {
  const steps = integritySteps(db, genesisCheckpoint(), true)
  let outcome = null
  for (;;) {
    if (Atomics.load(stopped, 0) !== 0) break
    const step = steps.next()
    if (step.done) {
      outcome = step.value
      break
    }
  }
  // The checkpoint (a Map inside) crosses by structured clone.
  parentPort?.postMessage({ outcome })
} catch (err) {
  parentPort?.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) })
} finally {
  db.$client.close()
}
