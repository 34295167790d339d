// The writer thread: its own connection, one write at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from './client.js'
import { createWriteCommands } from './write-commands.js'
import { serializeError } from './writer.js'

const db = openDatabase((workerData as { databaseFile: string }).databaseFile)
const commands = createWriteCommands(db) as unknown as Record<string, (...args: unknown[]) => unknown>

parentPort?.on('message', (msg: { id: number; name: string; args: unknown[] } | { close: true }) => {
  if ('close' in msg) {
    db.$client.close()
    // Closing the port lets the thread end on its own (process.exit would cut it short: no CPU profile).
    parentPort?.close()
    return
  }
  try {
    const command = commands[msg.name]
    if (!command) throw new Error(`unknown write command ${msg.name}`)
    parentPort?.postMessage({ id: msg.id, result: command(...msg.args) })
  } catch (err) {
    parentPort?.postMessage({ id: msg.id, error: serializeError(err) })
  }
})
