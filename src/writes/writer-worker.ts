// The writer thread: its own connection, one write at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../storage/sqlite/client.js'
import { createWriteCommands } from './commands.js'
import { runAuthorized, serializeError } from './writer.js'
import type { WriteAuthority } from '../modules/keys/keys.js'

const db = openDatabase((workerData as { databaseFile: string }).databaseFile)
const commands = createWriteCommands(db) as unknown as Record<string, (...args: unknown[]) => unknown>
parentPort?.postMessage({ ready: true })

parentPort?.on('message', (msg: { id: number; authority: WriteAuthority; name: string; args: unknown[] } | { close: true }) => {
  if ('close' in msg) {
    db.$client.close()
    // Closing the port lets the thread end on its own (process.exit would cut it short: no CPU profile).
    parentPort?.close()
    return
  }
  try {
    parentPort?.postMessage({ id: msg.id, result: runAuthorized(commands, msg.authority, msg.name, msg.args) })
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, error: serializeError(err) })
  }
})
