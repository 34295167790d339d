// The data version on PostgreSQL: bumped by this process's commits and by every other
// instance's, which each write transaction announces with pg_notify (naming its process) before it commits.
// While the listening connection is down nothing can be trusted to be fresh, so every
// call then answers a new value (caches never serve stale) until it is back.
import { randomUUID } from 'node:crypto'
import pg from 'pg'

export const DATA_CHANNEL = 'bayantala_data'
const FIRST_RETRY_MS = 100
const LAST_RETRY_MS = 5_000

export interface DataVersion {
  /** Synchronous and cheap: response caches ask on every hit. */
  current(): number
  /** This process committed a write. */
  bump(): void
  /** What this process's notifications carry: its own commits were counted at commit, not again when heard. */
  readonly origin: string
  /** Whether other instances' commits are being heard. */
  listening(): boolean
  /** Resolves once the first attempt to listen has succeeded or failed. */
  ready: Promise<void>
  close(): Promise<void>
}

export function listenForCommits(config: pg.ClientConfig): DataVersion {
  let version = 0
  const origin = randomUUID()
  let client: pg.Client | null = null
  let up = false
  let closed = false
  let retryMs = FIRST_RETRY_MS
  let timer: NodeJS.Timeout | null = null

  const lost = (c: pg.Client) => {
    if (client !== c) return
    client = null
    up = false
    c.end().catch(() => {})
    schedule()
  }
  const schedule = () => {
    if (closed || timer) return
    timer = setTimeout(() => {
      timer = null
      void connect()
    }, retryMs)
    timer.unref()
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS)
  }
  const connect = async (): Promise<void> => {
    const c = new pg.Client(config)
    c.on('error', () => lost(c))
    c.on('end', () => lost(c))
    c.on('notification', (n) => {
      if (n.payload !== origin) version++
    })
    client = c
    try {
      await c.connect()
      await c.query(`LISTEN ${DATA_CHANNEL}`)
      if (closed) {
        await c.end().catch(() => {})
        return
      }
      up = true
      retryMs = FIRST_RETRY_MS
      // Commits made while nobody listened were missed: whatever was cached is suspect.
      version++
    } catch {
      lost(c)
    }
  }

  return {
    current: () => (up ? version : ++version),
    bump: () => {
      version++
    },
    origin,
    listening: () => up,
    ready: connect(),
    async close() {
      closed = true
      up = false
      if (timer) clearTimeout(timer)
      const c = client
      client = null
      if (c) await c.end().catch(() => {})
    },
  }
}
