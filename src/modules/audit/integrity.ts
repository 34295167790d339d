// Integrity of the whole store against the audit log: the hash chain, and every
// table that changes an answer or an authority replayed from the entries'
// `after` snapshots. Runs in short slices so a check never stalls the event
// loop, and resumes from a checkpoint so a routine check reads only what was
// appended since.
import { createHash } from 'node:crypto'
import { canonicalJson, type JsonValue } from '../../domain/canonical-json.js'
import type { IdempotencyRecord, IntegrityReads, Storage, WriteTx } from '../../storage/ports.js'
import { canonicalAuditSnapshot, rowToChecked } from '../observations/observation-writes.js'
import { createChainVerifier, GENESIS_HASH, type ChainCheck, type ChainPoint, type StoredAuditRow } from '../../domain/audit-chain.js'

export type { IdempotencyRecord }

/** Entries read per slice: small enough that one slice costs a few milliseconds. */
export const SLICE_ENTRIES = 32
/** Revision seqs counted per slice, and observation ids whose pointer is checked per slice. */
const RANGE = 20_000
const POINTER_RANGE = 500

/**
 * What the audit log records of an API key's secret: a digest of its stored
 * hash under a fixed label, so the log can vouch for the stored hash without
 * holding anything that opens the key.
 */
export function secretDigest(secretHash: string): string {
  return createHash('sha256').update(`bayantala-indicators api_key secret_hash\n${secretHash}`, 'utf8').digest('hex')
}

/** The key under which the log names an idempotency record: a digest, so the log does not publish clients' keys. */
export function idempotencyEntityId(actor: string, key: string): string {
  return createHash('sha256').update(`${actor}\u0000${key}`, 'utf8').digest('hex')
}

/** What the log records of a completed idempotency record: its expiry and a digest of all of it (the replayed answer included). */
export function idempotencySnapshot(r: IdempotencyRecord): { expiresAt: string; digest: string } {
  const digest = createHash('sha256')
    .update(canonicalJson({ actor: r.actor, key: r.key, requestHash: r.requestHash, statusCode: r.statusCode, responseBody: r.responseBody, createdAt: r.createdAt, expiresAt: r.expiresAt }), 'utf8')
    .digest('hex')
  return { expiresAt: r.expiresAt, digest }
}

/**
 * Completed idempotency records replay an answer without running the
 * request: each must be the one the log recorded, and a record the log says
 * is still valid must not have vanished (a retry would run the import again).
 */
async function compareIdempotency(reads: IntegrityReads, catalog: Map<string, Record<string, JsonValue>>): Promise<string | null> {
  const rows = await reads.idempotencyRecords()
  const seen = new Set<string>()
  for (const r of rows) {
    const id = idempotencyEntityId(r.actor, r.key)
    seen.add(id)
    const recorded = catalog.get(`idempotency_key\u0000${id}`)
    if (!recorded) return `an idempotency record of "${r.actor}" has no audit entry`
    if (recorded.digest !== idempotencySnapshot(r).digest) return `an idempotency record of "${r.actor}" differs from what the log recorded`
  }
  const now = new Date().toISOString()
  for (const [k, recorded] of catalog) {
    if (!k.startsWith('idempotency_key\u0000') || (recorded.expiresAt as string) <= now) continue
    if (!seen.has(k.slice('idempotency_key\u0000'.length))) return `an idempotency record the log holds valid until ${recorded.expiresAt as string} is missing`
  }
  return null
}

/** The state a verification has reached: resumable from here. */
export interface Checkpoint extends ChainPoint {
  /** Entries verified so far. */
  entries: number
  /** Observation entries seen, and the highest revision seq they account for. */
  observationEntries: number
  revisionSeqHigh: number
  /** The latest `after` snapshot of every catalog entity, by "type\0id". */
  catalog: Map<string, Record<string, JsonValue>>
}

export type IntegrityResult =
  | { ok: true; entries: number; headSeq: number; headHash: string; checkedFrom: number }
  | { ok: false; entries: number; brokenSeq: number; reason: string; checkedFrom: number }

export function genesisCheckpoint(): Checkpoint {
  return { seq: 0, hash: GENESIS_HASH, entries: 0, observationEntries: 0, revisionSeqHigh: 0, catalog: new Map() }
}

function cloneCheckpoint(c: Checkpoint): Checkpoint {
  return { ...c, catalog: new Map(c.catalog) }
}

/** Entity types whose rows the log's snapshots must match, with their table's rows in snapshot form. */
const CATALOG_TYPES = ['api_key', 'source', 'area', 'reporting_period', 'indicator', 'topic', 'unit', 'relation'] as const
type CatalogType = (typeof CATALOG_TYPES)[number]

interface CatalogRow {
  id: string
  snapshot: Record<string, JsonValue>
}

async function catalogRows(reads: IntegrityReads, type: CatalogType, full: boolean): Promise<CatalogRow[]> {
  switch (type) {
    case 'api_key':
      return (await reads.apiKeys()).map((r) => ({
        id: r.id,
        snapshot: { id: r.id, name: r.name, scopes: r.scopes.split(','), createdAt: r.createdAt, revokedAt: r.revokedAt ?? null, secretDigest: secretDigest(r.secretHash) },
      }))
    case 'source':
      // recorded_at is costly to read on some stores: only full passes do.
      return (await reads.sourcesMetadata(full)).map((r) => ({ id: r.id, snapshot: r as unknown as Record<string, JsonValue> }))
    case 'area':
      return (await reads.areas()).map((r) => ({ id: r.code, snapshot: { ...r } }))
    case 'reporting_period':
      return (await reads.periods()).map((r) => ({ id: r.code, snapshot: { ...r } }))
    case 'indicator':
      // The booleans the log records; any other stored value cannot match one, so it stays as stored.
      return (await reads.indicators()).map((r) => ({ id: r.code, snapshot: { ...r, additive: (r.additive ?? null) as JsonValue, synonyms: (r.synonyms ?? null) as JsonValue } }))
    case 'topic':
      // A topic's snapshot holds its members (sorted), so a membership added or removed outside the log shows.
      return (await reads.topics()).map((r) => ({ id: r.code, snapshot: { ...r } }))
    case 'unit':
      return (await reads.units()).map((r) => ({ id: r.code, snapshot: { ...r } }))
    case 'relation':
      // The log records the definition as an object; a stored text that is not JSON stays text, so it cannot match.
      return (await reads.relations()).map((r) => ({ id: r.code, snapshot: { code: r.code, type: r.type, definition: parsedOrText(r.definition), description: r.description } }))
  }
}

function parsedOrText(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue
  } catch {
    return text
  }
}

/**
 * Every row of every catalog table must be what the log's latest snapshot of
 * that entity says, member by member, and every entity the log created must
 * still have its row. A member the log did not record (the secret digest of a
 * key created before it was recorded) is not compared.
 */
// The log's side of each comparison, per entry; full and incremental passes compare different members of a source.
const expectedText = { full: new WeakMap<object, string>(), incremental: new WeakMap<object, string>() }

export async function compareCatalog(reads: IntegrityReads, catalog: Map<string, Record<string, JsonValue>>, headSeq: number, full = true): Promise<string | null> {
  for (const type of CATALOG_TYPES) {
    const seen = new Set<string>()
    for (const row of await catalogRows(reads, type, full)) {
      seen.add(row.id)
      const logged = catalog.get(`${type}\u0000${row.id}`)
      if (!logged) return `${type} "${row.id}" has no audit entry`
      // A key is created unrevoked: a creation entry that does not say so still means it.
      // An indicator logged before synonyms existed had none: its entry still means [].
      const recorded = type === 'api_key' ? { revokedAt: null, ...logged } : type === 'indicator' ? { synonyms: [], ...logged } : logged
      const members = Object.keys(row.snapshot).filter((m) => m in recorded)
      // Members are scalars or arrays of strings: JSON text compares them exactly; the log's side is computed once per entry.
      const cache = full ? expectedText.full : expectedText.incremental
      let expected = cache.get(logged)
      if (expected === undefined) {
        expected = JSON.stringify(members.map((m) => recorded[m] ?? null))
        cache.set(logged, expected)
      }
      if (JSON.stringify(members.map((m) => row.snapshot[m] ?? null)) !== expected) {
        const member = members.find((m) => canonicalJson(row.snapshot[m] ?? null) !== canonicalJson(recorded[m] ?? null)) ?? members[0]
        return `${type} "${row.id}": ${member} differs from what the log recorded`
      }
    }
    for (const key of catalog.keys()) {
      const [t, id] = key.split('\u0000') as [string, string]
      if (t !== type) continue
      if (t === type && !seen.has(id)) return `${type} "${id}" is recorded in the log (up to seq ${headSeq}) but its row is missing`
    }
  }
  return null
}

/** Each source's bytes must still hash to the SHA-256 the log recorded (read one source at a time). */
async function* checkSourceBytes(reads: IntegrityReads): AsyncGenerator<void, string | null> {
  for await (const row of reads.sourceContents()) {
    if (row.content.length !== row.byteLength || createHash('sha256').update(row.content).digest('hex') !== row.sha256) return `source "${row.id}": its bytes do not hash to the recorded SHA-256`
    yield
  }
  return null
}

/**
 * Verifies entries after `from` and the tables against the log, in slices
 * (yield = a good moment to let other work run). `full` also re-reads what
 * only a full pass can: every stored revision counted, every observation's
 * pointer, every source's bytes. On success, `checkpoint` is where the next
 * incremental pass resumes. `sliceEntries` is how many entries a slice reads:
 * small on the serving thread, larger in a thread of its own.
 */
export async function* integritySteps(
  storage: Storage,
  from: Checkpoint,
  full: boolean,
  sliceEntries = SLICE_ENTRIES,
): AsyncGenerator<void, { result: IntegrityResult; checkpoint: Checkpoint | null }> {
  const cp = cloneCheckpoint(from)
  const checkedFrom = from.seq + 1
  const verifier = createChainVerifier({ seq: from.seq, hash: from.hash })
  const fail = (brokenSeq: number, reason: string) => ({ result: { ok: false as const, entries: cp.entries + verifier.result().entries, brokenSeq, reason, checkedFrom }, checkpoint: null })

  /** Checks one batch in a transaction's snapshot; returns a failure or null. */
  const pushBatch = async (tx: WriteTx, rows: StoredAuditRow[]): Promise<ReturnType<typeof fail> | null> => {
    const touched: number[] = []
    for (const row of rows) {
      if (!verifier.push(row)) {
        const r = verifier.result()
        return r.ok ? null : fail(r.brokenSeq, r.reason)
      }
      if (row.entityType === 'observation') {
        cp.observationEntries++
        const recorded = JSON.parse(row.after as string) as { id: number; revision: number }
        const stored = await tx.revision(recorded.id, recorded.revision)
        if (!stored) return fail(row.seq, `revision ${recorded.revision} of observation ${recorded.id} is missing`)
        const snapshot = canonicalAuditSnapshot(stored.id, stored.revision, stored.status, rowToChecked(stored), stored.reason, stored.recordedAt)
        if (snapshot.text !== row.after || stored.actor !== row.actor || stored.recordedAt !== row.recordedAt) {
          return fail(row.seq, `revision ${recorded.revision} of observation ${recorded.id} differs from what this entry recorded`)
        }
        if (stored.seq > cp.revisionSeqHigh) cp.revisionSeqHigh = stored.seq
        touched.push(stored.id)
      } else if ((CATALOG_TYPES as readonly string[]).includes(row.entityType) || row.entityType === 'idempotency_key') {
        const key = `${row.entityType}\u0000${row.entityId}`
        if (row.after === null) cp.catalog.delete(key)
        else cp.catalog.set(key, verifier.lastAfter() as Record<string, JsonValue>)
      }
    }
    if (touched.length > 0) {
      const stray = await tx.integrity.strayPointerAmong(touched)
      if (stray !== null) return fail(rows[rows.length - 1]?.seq ?? from.seq, `observation ${stray} does not point at its latest revision`)
    }
    return null
  }

  let after = from.seq
  // Whole slices each in a short snapshot; the tail and the table comparisons in one snapshot.
  for (;;) {
    const failed = await storage.transaction('snapshot', async (tx) => {
      const rows = await tx.audit.page(after, sliceEntries)
      if (rows.length < sliceEntries) return 'tail' as const
      const failed = await pushBatch(tx, rows)
      if (!failed) after = (rows[rows.length - 1] as StoredAuditRow).seq
      return failed
    })
    if (failed === 'tail') break
    if (failed) return failed
    yield
  }
  const outcome = await storage.transaction('snapshot', async (tx) => {
    // The checkpoint's own entry must still be there, unchanged: a cut tail or a chain rewritten with recomputed hashes fails here.
    if (from.seq > 0) {
      const kept = (await tx.audit.entry(from.seq))?.hash
      if (kept !== from.hash) return fail(from.seq, kept === undefined ? `entry ${from.seq}, verified earlier, is gone: the chain was truncated` : `entry ${from.seq} no longer has the hash verified earlier: the chain was rewritten`)
    }
    for (;;) {
      const rows = await tx.audit.page(after, sliceEntries)
      const failed = await pushBatch(tx, rows)
      if (failed) return failed
      if (rows.length < sliceEntries) break
      after = (rows[rows.length - 1] as StoredAuditRow).seq
    }
    const chain = verifier.result()
    if (!chain.ok) return fail(chain.brokenSeq, chain.reason)
    const head = { seq: chain.headSeq, hash: chain.headHash }
    // Revisions are numbered in commit order with their entries: none may lie beyond the last one the log accounts for.
    const unrecorded = await tx.integrity.revisionCount(cp.revisionSeqHigh)
    if (unrecorded > 0) return fail(head.seq, `${unrecorded} revisions are stored after seq ${cp.revisionSeqHigh} but no audit entry records them`)
    if (!full) {
      const added = await tx.integrity.revisionCount(from.revisionSeqHigh, cp.revisionSeqHigh)
      const expected = cp.observationEntries - from.observationEntries
      if (added !== expected) return fail(head.seq, `${added} revisions are stored after seq ${from.revisionSeqHigh} but the log records ${expected}`)
    }
    const catalog = (await compareCatalog(tx.integrity, cp.catalog, head.seq, full)) ?? (await compareIdempotency(tx.integrity, cp.catalog))
    if (catalog) return fail(head.seq, catalog)
    cp.seq = head.seq
    cp.hash = head.hash
    return null
  })
  if (outcome) return outcome
  cp.entries += verifier.result().entries
  if (full) {
    // Every stored revision up to the last one recorded, counted in ranges (a slice each).
    let counted = 0
    for (let low = 0; low < cp.revisionSeqHigh; low += RANGE) {
      counted += await storage.integrity.revisionCount(low, Math.min(low + RANGE, cp.revisionSeqHigh))
      yield
    }
    if (counted !== cp.observationEntries) return fail(cp.seq, `${counted} revisions are stored but the log records ${cp.observationEntries}`)
    // Every observation points at its latest revision (each range in one statement: one snapshot).
    const lastId = await storage.integrity.maxObservationId()
    for (let low = 0; low < lastId; low += POINTER_RANGE) {
      const bad = await storage.integrity.strayPointer(low, low + POINTER_RANGE)
      if (bad !== null) return fail(cp.seq, `observation ${bad} does not point at its latest revision`)
      yield
    }
    const bytes = checkSourceBytes(storage.integrity)
    for (;;) {
      const step = await bytes.next()
      if (step.done) {
        if (step.value) return fail(cp.seq, step.value)
        break
      }
      yield
    }
  }
  return { result: { ok: true, entries: cp.entries, headSeq: cp.seq, headHash: cp.hash, checkedFrom }, checkpoint: cp }
}

/** Runs the steps to the end at once (CLI, tests). */
export async function runToEnd<T>(steps: AsyncGenerator<void, T>): Promise<T> {
  for (;;) {
    const step = await steps.next()
    if (step.done) return step.value
  }
}

/**
 * Runs the steps in the background: after each slice it pauses three times as
 * long as the slice took, so verification takes at most a quarter of the
 * thread and requests keep their latency; stops early when `stopped()` says so.
 */
export async function runSliced<T>(steps: AsyncGenerator<void, T>, stopped: () => boolean = () => false, share = 0.25): Promise<T | null> {
  for (;;) {
    if (stopped()) return null
    const t0 = performance.now()
    const step = await steps.next()
    if (step.done) return step.value
    const pause = ((performance.now() - t0) * (1 - share)) / share
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, pause)))
  }
}

/**
 * The full verification in one go (CLI, backups): the hash chain from the
 * first entry, and every table that changes an answer or an authority against
 * the log.
 */
export async function verifyAuditChain(storage: Storage): Promise<ChainCheck> {
  const { result } = await runToEnd(integritySteps(storage, genesisCheckpoint(), true))
  if (result.ok) return { ok: true, entries: result.entries, headSeq: result.headSeq, headHash: result.headHash }
  return { ok: false, entries: result.entries, brokenSeq: result.brokenSeq, reason: result.reason }
}
