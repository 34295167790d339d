// The writer: every write runs here, one at a time. On a database file it is a
// worker thread with its own connection, so a 10 000-row import or a wait for
// the write lock never stalls the event loop that serves reads and /healthz.
// On :memory: (tests, demos) there is only one connection, so it runs inline,
// one command at a time (as it will on PostgreSQL).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { AppError, Errors, storageProblem } from '../errors.js'
import type { WriteAuthority } from '../modules/keys/keys.js'
import type { Storage } from '../storage/ports.js'
import { createWriteCommands, type WriteCommandName, type WriteCommands } from './commands.js'
import { asAuthority } from './write-unit.js'

type Result<K extends WriteCommandName> = Awaited<ReturnType<WriteCommands[K]>>

export interface Writer {
  /** Runs a command for `authority`: each of its transactions re-checks the key before it commits. */
  run<K extends WriteCommandName>(authority: WriteAuthority, name: K, ...args: Parameters<WriteCommands[K]>): Promise<Result<K>>
  /** Starts the thread now rather than on the first command (whose answer would wait for it); resolves once it can take commands. */
  warm(): Promise<void>
  /** Finishes the writes under way, then stops. */
  close(): Promise<void>
  readonly mode: 'inline' | 'thread'
  /** Writes finished so far (successful or not): a cheap version of the data for caches. */
  readonly finished: number
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  app: boolean
  code?: string
  statusCode?: number
  title?: string
  message: string
  extras?: Record<string, unknown>
  headers?: Record<string, string>
}

export function serializeError(thrown: unknown): SerializedError {
  // A storage failure crosses the thread as the problem it answers with.
  const err = storageProblem(thrown) ?? thrown
  if (err instanceof AppError) return { app: true, code: err.code, statusCode: err.statusCode, title: err.title, message: err.message, extras: err.extras, headers: err.headers }
  return { app: false, message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }
}

function reviveError(e: SerializedError): Error {
  if (e.app) return new AppError(e.code as string, e.statusCode as number, e.title as string, e.message, e.extras, e.headers)
  return new Error(`writer: ${e.message}`)
}

type CommandTable = Record<string, (...args: unknown[]) => unknown>

/** Runs one command so that every write unit it opens re-authorizes its key first: one check for all commands. */
export async function runAuthorized(commands: CommandTable, authority: WriteAuthority, name: string, args: unknown[]): Promise<unknown> {
  const command = commands[name]
  if (!command) throw new Error(`unknown write command ${name}`)
  if (typeof authority?.keyId !== 'string' || typeof authority.scope !== 'string') throw new Error(`write command ${name} without an authority`)
  return asAuthority(authority, async () => command(...args))
}

/** Commands run one after another, in arrival order. */
export function commandQueue() {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work)
    tail = result.catch(() => undefined)
    return result
  }
}

export function createInlineWriter(storage: Storage): Writer {
  const commands = createWriteCommands(storage) as unknown as CommandTable
  const queue = commandQueue()
  let finished = 0
  return {
    mode: 'inline',
    get finished() {
      return finished
    },
    async run(authority, name, ...args) {
      try {
        return (await queue(() => runAuthorized(commands, authority, name, args))) as never
      } finally {
        finished++
      }
    },
    async warm() {},
    async close() {},
  }
}

function workerEntry(): { file: string; execArgv: string[] } {
  const compiled = fileURLToPath(new URL('./writer-worker.js', import.meta.url))
  if (existsSync(compiled)) return { file: compiled, execArgv: [] }
  // Running from TypeScript sources (tests, tsx): load the worker through tsx.
  return { file: fileURLToPath(new URL('./writer-worker-tsx.mjs', import.meta.url)), execArgv: [] }
}

export function createThreadWriter(databaseFile: string, log: { error(o: object, m: string): void }): Writer {
  let worker: Worker | null = null
  let nextId = 1
  let closing = false
  let finished = 0
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()

  function failAll(reason: string) {
    for (const p of pending.values()) p.reject(Errors.unavailable(`The writer stopped (${reason}); retry the request.`, {}, { 'retry-after': '1' }))
    pending.clear()
  }

  let ready: Promise<void> | null = null

  function start(): Worker {
    const { file, execArgv } = workerEntry()
    const w = new Worker(file, { workerData: { databaseFile }, execArgv })
    let markReady: () => void = () => {}
    ready = new Promise<void>((resolve) => {
      markReady = resolve
      // A thread that dies before it is ready fails its commands instead; warming only waits.
      w.once('exit', () => resolve())
    })
    w.on('message', (msg: { id: number; result?: unknown; error?: SerializedError } | { ready: true }) => {
      if ('ready' in msg) return markReady()
      finished++
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      if (msg.error) p.reject(reviveError(msg.error))
      else p.resolve(msg.result)
    })
    w.on('error', (err) => {
      log.error({ err }, 'writer thread failed')
      failAll('error')
      worker = null
    })
    w.on('exit', (code) => {
      if (!closing && code !== 0) log.error({ code }, 'writer thread exited')
      failAll('exit')
      worker = null
    })
    w.unref()
    return w
  }

  return {
    mode: 'thread',
    get finished() {
      return finished
    },
    run(authority, name, ...args) {
      if (closing) return Promise.reject(Errors.unavailable('The service is shutting down.', {}, { 'retry-after': '5' }))
      worker ??= start()
      const id = nextId++
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        ;(worker as Worker).postMessage({ id, authority, name, args })
      })
    },
    warm() {
      if (closing) return Promise.resolve()
      worker ??= start()
      return ready as Promise<void>
    },
    async close() {
      closing = true
      const w = worker
      if (!w) return
      // Let queued writes finish; the worker then closes its connection and exits.
      await new Promise<void>((resolve) => {
        w.once('exit', () => resolve())
        w.postMessage({ close: true })
      })
    },
  }
}

/** The writer fitting the database: a thread with its own connection (a SQLite file, PostgreSQL), inline for :memory:, which no other thread can open. */
export function createWriter(storage: Storage, log: { error(o: object, m: string): void }): Writer {
  return storage.location !== ':memory:' ? createThreadWriter(storage.location, log) : createInlineWriter(storage)
}
