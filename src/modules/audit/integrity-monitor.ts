// The process's running verdict on the store: a full verification at start
// (at once on a small database, in the background on a large one), then
// incremental passes from the last verified checkpoint, a full pass again
// every hour, and a signed high-water mark kept next to the database.
// Background full passes on a database file run in a worker thread with its
// own read-only connection (integrity-thread.ts), so they cost the serving
// thread nothing; on an in-memory database they run here in slices.
// A checkpoint is this process's own claim ("I verified up to here"): it is
// held in memory only, and the hourly and admin full passes re-read all of it.
import type { AuditReads, Storage } from '../../storage/ports.js'
import { genesisCheckpoint, integritySteps, runSliced, runToEnd, type Checkpoint, type IntegrityResult } from './integrity.js'
import { createFullPassThread } from './integrity-thread.js'
import { readHighWaterMark, signedHeadText, writeHighWaterMark, type AuditSigner, type Head } from './signing.js'

/** Up to this many entries, the start verification runs before the server listens (a fraction of a second). */
export const SYNC_START_ENTRIES = 20_000
const FULL_PASS_INTERVAL_MS = 3600_000
const TICK_MS = 5_000
/** A public verification answer is reused this long while the head has not moved. */
const ANSWER_TTL_MS = 1_000

export type IntegrityState = 'verifying' | 'verified' | 'tampered'

export interface IntegrityStatus {
  state: IntegrityState
  /** Seq up to which this process has verified the chain and the tables (0 before the first pass). */
  verifiedSeq: number
  /** When the last full pass ended (ISO 8601), or null before the first. */
  lastFullAt: string | null
  brokenSeq?: number
  reason?: string
}

export interface IntegrityMonitorOptions {
  signer: AuditSigner
  /** The signed high-water mark's file, or null (an in-memory database). */
  highWaterMarkFile: string | null
  log: { warn(o: object, m: string): void; error(o: object, m: string): void }
  syncStartEntries?: number
}

export async function readHead(audit: AuditReads): Promise<Head> {
  return (await audit.head()) ?? { seq: 0, hash: '0'.repeat(64), recordedAt: null }
}

export function createIntegrityMonitor(storage: Storage, options: IntegrityMonitorOptions) {
  const { signer, highWaterMarkFile, log } = options
  let checkpoint: Checkpoint | null = null
  let status: IntegrityStatus = { state: 'verifying', verifiedSeq: 0, lastFullAt: null }
  let lastAnswer: { result: IntegrityResult; at: number } | null = null
  let closed = false
  let queue: Promise<unknown> = Promise.resolve()
  let pendingIncremental: Promise<IntegrityResult | null> | null = null
  let startPass: Promise<unknown> | null = null
  // Off-thread full passes queue among themselves only: incremental passes go on meanwhile.
  const thread = storage.location !== ':memory:' ? createFullPassThread(storage.location) : null
  let fullQueue: Promise<unknown> = Promise.resolve()
  /** Failures recorded so far: a full pass clears the tampered state only if none was recorded while it ran. */
  let failures = 0
  const timers: NodeJS.Timeout[] = []

  function tampered(result: Extract<IntegrityResult, { ok: false }>): void {
    failures++
    if (status.state !== 'tampered') log.error({ brokenSeq: result.brokenSeq, reason: result.reason }, 'the database does not agree with its audit log')
    status = { ...status, state: 'tampered', brokenSeq: result.brokenSeq, reason: result.reason }
    lastAnswer = { result, at: Date.now() }
  }

  /** The signed high-water mark must name an entry the chain still holds, unchanged. */
  async function checkHighWaterMark(): Promise<Extract<IntegrityResult, { ok: false }> | null> {
    if (!highWaterMarkFile) return null
    const mark = readHighWaterMark(highWaterMarkFile)
    if (mark === null) return null
    const broken = (seq: number, reason: string) => ({ ok: false as const, entries: 0, brokenSeq: seq, reason, checkedFrom: 0 })
    if (mark === 'unreadable') return broken(0, `the signed high-water mark ${highWaterMarkFile} is unreadable`)
    if (!signer.verifyHead(mark, mark.signature)) return broken(mark.seq, `the signed high-water mark ${highWaterMarkFile} does not verify with the signing key`)
    const kept = (await storage.audit.entry(mark.seq))?.hash
    if (kept === undefined) return broken(mark.seq, `this service verified the chain up to seq ${mark.seq} (recorded ${mark.recordedAt}), but that entry is gone: the chain was truncated`)
    if (kept !== mark.hash) return broken(mark.seq, `entry ${mark.seq} no longer has the hash this service signed: the chain was rewritten`)
    return null
  }

  async function advanceHighWaterMark(cp: Checkpoint): Promise<void> {
    if (!highWaterMarkFile || cp.seq === 0) return
    const current = readHighWaterMark(highWaterMarkFile)
    if (current !== null && current !== 'unreadable' && current.seq >= cp.seq) return
    const recordedAt = (await storage.audit.entry(cp.seq))?.recordedAt ?? null
    const head = { seq: cp.seq, hash: cp.hash, recordedAt }
    try {
      writeHighWaterMark(highWaterMarkFile, { ...head, signature: signer.signHead(head) })
    } catch (err) {
      log.warn({ err, file: highWaterMarkFile }, 'cannot write the signed high-water mark')
    }
  }

  /**
   * Takes in a pass's outcome. A full pass clears an earlier failure unless
   * another was recorded after it started (`failuresAtStart`); of two good
   * checkpoints the later one is kept (an incremental pass may have gone past
   * an off-thread full pass while it ran).
   */
  async function settle(outcome: { result: IntegrityResult; checkpoint: Checkpoint | null } | null, full: boolean, failuresAtStart = failures): Promise<IntegrityResult | null> {
    if (outcome === null) return null
    const { result } = outcome
    if (!result.ok) {
      tampered(result)
    } else if (outcome.checkpoint) {
      if (!checkpoint || outcome.checkpoint.seq >= checkpoint.seq) checkpoint = outcome.checkpoint
      const clears = full && failures === failuresAtStart
      status = { state: status.state === 'tampered' && !clears ? 'tampered' : 'verified', verifiedSeq: checkpoint.seq, lastFullAt: full ? new Date().toISOString() : status.lastFullAt, ...(status.state === 'tampered' && !clears ? { brokenSeq: status.brokenSeq as number, reason: status.reason as string } : {}) }
      if (status.state === 'verified') await advanceHighWaterMark(checkpoint)
    }
    lastAnswer = { result, at: Date.now() }
    return result
  }

  /**
   * A full pass from the first entry, with the high-water mark: in a worker
   * thread on a database file, else here in slices that let requests run.
   */
  function fullPass(): Promise<IntegrityResult | null> {
    const run = async () => {
      if (closed) return null
      const mark = await checkHighWaterMark()
      if (mark) {
        tampered(mark)
        return mark
      }
      const failuresAtStart = failures
      if (thread) {
        try {
          return settle(await thread.run(), true, failuresAtStart)
        } catch (err) {
          // The thread could not run (no worker file, out of memory …): a pass here in slices is slower, but no verdict is lost.
          if (closed) return null
          log.warn({ err }, 'the audit verification thread failed; verifying on the serving thread in slices')
        }
      }
      return settle(await runSliced(integritySteps(storage, genesisCheckpoint(), true), () => closed), true, failuresAtStart)
    }
    if (thread) {
      const job = fullQueue.then(run)
      fullQueue = job.catch(() => undefined)
      return job
    }
    const job = queue.then(run)
    queue = job.catch(() => undefined)
    return job
  }

  function incrementalPass(): Promise<IntegrityResult | null> {
    pendingIncremental ??= queue.then(async () => {
      pendingIncremental = null
      if (closed || !checkpoint) return null
      return settle(await runSliced(integritySteps(storage, checkpoint, false), () => closed), false)
    })
    const job = pendingIncremental
    queue = job.catch(() => undefined)
    return job
  }

  return {
    /** The start verification: before listening on a small database, in the background on a large one. */
    async start(): Promise<void> {
      if ((await readHead(storage.audit)).seq <= (options.syncStartEntries ?? SYNC_START_ENTRIES)) {
        const mark = await checkHighWaterMark()
        if (mark) tampered(mark)
        else await settle(await runToEnd(integritySteps(storage, genesisCheckpoint(), true)), true)
      } else {
        // A cut or rewritten tail is caught before listening even on a large database.
        const mark = await checkHighWaterMark()
        if (mark) tampered(mark)
        else startPass = fullPass().catch((err: unknown) => log.error({ err }, 'audit verification failed to run'))
      }
      const tick = setInterval(() => void incrementalPass().catch((err: unknown) => log.error({ err }, 'audit verification failed to run')), TICK_MS)
      const full = setInterval(() => void fullPass().catch((err: unknown) => log.error({ err }, 'audit verification failed to run')), FULL_PASS_INTERVAL_MS)
      tick.unref()
      full.unref()
      timers.push(tick, full)
    },
    status(): IntegrityStatus {
      return status
    },
    /**
     * The public answer: checks only what was appended since the checkpoint,
     * reused for a second while the head stays put. Null while the start
     * verification is still running.
     */
    async verify(): Promise<IntegrityResult | null> {
      if (!checkpoint && status.state !== 'tampered') return null
      if (lastAnswer && Date.now() - lastAnswer.at < ANSWER_TTL_MS && (!lastAnswer.result.ok || (await readHead(storage.audit)).seq === lastAnswer.result.headSeq)) return lastAnswer.result
      if (status.state === 'tampered' && lastAnswer && !lastAnswer.result.ok) return lastAnswer.result
      return incrementalPass()
    },
    /** Everything again from the first entry (admin): off-thread on a database file, in slices in memory. */
    verifyFully(): Promise<IntegrityResult | null> {
      return fullPass()
    },
    /** The current head, signed, and whether this process has verified the chain up to it. */
    async signedHead(): Promise<Head & { signature: string; signedText: string; verified: boolean }> {
      const head = await readHead(storage.audit)
      return { ...head, signature: signer.signHead(head), signedText: signedHeadText(head), verified: status.state === 'verified' && checkpoint?.seq === head.seq }
    },
    async close(): Promise<void> {
      closed = true
      for (const t of timers) clearInterval(t)
      // Stops a pass under way in its thread (between slices) and waits for the thread to end.
      await thread?.close()
      await Promise.allSettled([queue, fullQueue, startPass])
    },
  }
}

export type IntegrityMonitor = ReturnType<typeof createIntegrityMonitor>
