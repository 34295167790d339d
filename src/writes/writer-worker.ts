// The writer thread: its own connection, one write at a time, in arrival order.
import { parentPort, workerData } from 'node:worker_threads'
import type { WriteAuthority } from '../modules/keys/keys.js'
import { openStorage } from '../storage/open.js'
import { createWriteCommands } from './commands.js'
import { commandQueue, runAuthorized, serializeError } from './writer.js'

const storage = await openStorage((workerData as { databaseFile: string }).databaseFile)
const commands = createWriteCommands(storage) as unknown as Record<string, (...args: unknown[]) => unknown>
const queue = commandQueue()
parentPort?.postMessage({ ready: true })

parentPort?.on('message', (msg: { id: number; authority: WriteAuthority; name: string; args: unknown[] } | { close: true }) => {
  if ('close' in msg) {
    // Queued writes finish first. Closing the port lets the thread end on its own (process.exit would cut it short: no CPU profile).
    void queue(async () => {
      await storage.close()
      parentPort?.close()
    })
    return
  }
  void queue(async () => {
    try {
      parentPort?.postMessage({ id: msg.id, result: await runAuthorized(commands, msg.authority, msg.name, msg.args) })
    } catch (err) {
      parentPort?.postMessage({ id: msg.id, error: serializeError(err) })
    }
  })
})
