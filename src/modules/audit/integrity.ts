// Integrity of the whole store against the audit log: the hash chain, and every
// table that changes an answer or an authority replayed from the entries'
// `after` snapshots. Runs in short slices so a check never stalls the event
// loop, and resumes from a checkpoint so a routine check reads only what was
// appended since.
import { createHash } from 'node:crypto'
import type { Db } from '../../storage/sqlite/client.js'
import { canonicalJson, type JsonValue } from '../../domain/canonical-json.js'
import { canonicalAuditSnapshot, rowToChecked } from '../observations/observation-writes.js'
import { openObservationStore } from '../../storage/sqlite/observations.js'
import { createChainVerifier, GENESIS_HASH, type ChainPoint, type StoredAuditRow } from './audit-chain.js'

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

export interface IdempotencyRecord {
  actor: string
  key: string
  requestHash: string
  statusCode: number | null
  responseBody: string | null
  createdAt: string
  expiresAt: string
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
function compareIdempotency(db: Db, catalog: Map<string, Record<string, JsonValue>>): string | null {
  const rows = db.$client
    .prepare("SELECT actor, key, request_hash AS requestHash, status_code AS statusCode, response_body AS responseBody, created_at AS createdAt, expires_at AS expiresAt FROM idempotency_key WHERE state = 'done'")
    .all() as IdempotencyRecord[]
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
const CATALOG_TYPES = ['api_key', 'source', 'area', 'reporting_period', 'indicator'] as const
type CatalogType = (typeof CATALOG_TYPES)[number]

interface CatalogRow {
  id: string
  snapshot: Record<string, JsonValue>
}

function catalogRows(db: Db, type: CatalogType, full: boolean): CatalogRow[] {
  const c = db.$client
  switch (type) {
    case 'api_key':
      return (c.prepare('SELECT id, name, scopes, secret_hash AS secretHash, created_at AS createdAt, revoked_at AS revokedAt FROM api_key').all() as Array<Record<string, string | null>>).map(
        (r) => ({
          id: r.id as string,
          snapshot: { id: r.id as string, name: r.name as string, scopes: (r.scopes as string).split(','), createdAt: r.createdAt as string, revokedAt: r.revokedAt ?? null, secretDigest: secretDigest(r.secretHash as string) },
        }),
      )
    case 'source':
      return (
        c
          .prepare(
            // recorded_at is stored after the bytes: reading it walks every source's overflow pages, so only full passes do.
            `SELECT id, title, title_en AS titleEn, document_number AS documentNumber, issuer, recipient, issued_on AS issuedOn, media_type AS mediaType, byte_length AS byteLength, sha256${full ? ', recorded_at AS recordedAt' : ''} FROM source`,
          )
          .all() as Array<Record<string, JsonValue>>
      ).map((r) => ({ id: r.id as string, snapshot: r }))
    case 'area':
      return (c.prepare('SELECT code, name_zh AS nameZh, name_en AS nameEn, level, parent_code AS parentCode, division_code AS divisionCode FROM area').all() as Array<Record<string, JsonValue>>).map((r) => ({
        id: r.code as string,
        snapshot: r,
      }))
    case 'reporting_period':
      return (c.prepare('SELECT code, type, start_date AS startDate, end_date AS endDate FROM reporting_period').all() as Array<Record<string, JsonValue>>).map((r) => ({ id: r.code as string, snapshot: r }))
    case 'indicator':
      // 0 and 1 are the booleans the log records; any other stored value cannot match one, so it stays as stored.
      return (
        c.prepare('SELECT code, name_zh AS nameZh, name_en AS nameEn, description, category, unit, additive FROM indicator').all() as Array<Record<string, JsonValue>>
      ).map((r) => ({ id: r.code as string, snapshot: { ...r, additive: r.additive === 1 ? true : r.additive === 0 ? false : (r.additive ?? null) } }))
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

export function compareCatalog(db: Db, catalog: Map<string, Record<string, JsonValue>>, headSeq: number, full = true): string | null {
  for (const type of CATALOG_TYPES) {
    const seen = new Set<string>()
    for (const row of catalogRows(db, type, full)) {
      seen.add(row.id)
      const logged = catalog.get(`${type}\u0000${row.id}`)
      if (!logged) return `${type} "${row.id}" has no audit entry`
      // A key is created unrevoked: a creation entry that does not say so still means it.
      const recorded = type === 'api_key' ? { revokedAt: null, ...logged } : logged
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
function* checkSourceBytes(db: Db): Generator<void, string | null> {
  const ids = db.$client.prepare('SELECT id FROM source ORDER BY id').pluck().all() as string[]
  const read = db.$client.prepare('SELECT content, sha256, byte_length AS byteLength FROM source WHERE id = ?')
  for (const id of ids) {
    const row = read.get(id) as { content: Buffer; sha256: string; byteLength: number } | undefined
    if (!row) continue
    if (row.content.length !== row.byteLength || createHash('sha256').update(row.content).digest('hex') !== row.sha256) return `source "${id}": its bytes do not hash to the recorded SHA-256`
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
export function* integritySteps(db: Db, from: Checkpoint, full: boolean, sliceEntries = SLICE_ENTRIES): Generator<void, { result: IntegrityResult; checkpoint: Checkpoint | null }> {
  const cp = cloneCheckpoint(from)
  const checkedFrom = from.seq + 1
  const verifier = createChainVerifier({ seq: from.seq, hash: from.hash })
  // Prepared on the first observation entry: an incremental pass with none skips its statements.
  let store: ReturnType<typeof openObservationStore> | null = null
  const client = db.$client
  const readBatch = client.prepare('SELECT seq, recorded_at AS recordedAt, actor, action, entity_type AS entityType, entity_id AS entityId, before, after, prev_hash AS prevHash, hash FROM audit_entry WHERE seq > ? ORDER BY seq LIMIT ?')
  const strayPointer = client.prepare(
    'SELECT o.id FROM observation o WHERE o.id IN (SELECT value FROM json_each(?)) AND o.current_seq IS NOT (SELECT max(seq) FROM observation_revision r WHERE r.observation_id = o.id) LIMIT 1',
  )
  const fail = (brokenSeq: number, reason: string) => ({ result: { ok: false as const, entries: cp.entries + verifier.result().entries, brokenSeq, reason, checkedFrom }, checkpoint: null })

  /** Checks one batch; returns a failure or null. */
  const pushBatch = (rows: StoredAuditRow[]): ReturnType<typeof fail> | null => {
    const touched: number[] = []
    for (const row of rows) {
      if (!verifier.push(row)) {
        const r = verifier.result()
        return r.ok ? null : fail(r.brokenSeq, r.reason)
      }
      if (row.entityType === 'observation') {
        cp.observationEntries++
        const recorded = JSON.parse(row.after as string) as { id: number; revision: number }
        store ??= openObservationStore(db)
        const stored = store.findRevision(recorded.id, recorded.revision)
        if (!stored) return fail(row.seq, `revision ${recorded.revision} of observation ${recorded.id} is missing`)
        const snapshot = canonicalAuditSnapshot(stored.id, stored.revision, stored.status, rowToChecked(stored), stored.reason)
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
      const stray = strayPointer.get(JSON.stringify(touched)) as { id: number } | undefined
      if (stray) return fail(rows[rows.length - 1]?.seq ?? from.seq, `observation ${stray.id} does not point at its latest revision`)
    }
    return null
  }

  let after = from.seq
  // Whole slices outside a transaction; the tail and the table comparisons in one read snapshot.
  for (;;) {
    const rows = readBatch.all(after, sliceEntries) as StoredAuditRow[]
    if (rows.length < sliceEntries) break
    const failed = pushBatch(rows)
    if (failed) return failed
    after = (rows[rows.length - 1] as StoredAuditRow).seq
    yield
  }
  const outcome = client.transaction(() => {
    // The checkpoint's own entry must still be there, unchanged: a cut tail or a chain rewritten with recomputed hashes fails here.
    if (from.seq > 0) {
      const kept = client.prepare('SELECT hash FROM audit_entry WHERE seq = ?').pluck().get(from.seq) as string | undefined
      if (kept !== from.hash) return fail(from.seq, kept === undefined ? `entry ${from.seq}, verified earlier, is gone: the chain was truncated` : `entry ${from.seq} no longer has the hash verified earlier: the chain was rewritten`)
    }
    for (;;) {
      const rows = readBatch.all(after, sliceEntries) as StoredAuditRow[]
      const failed = pushBatch(rows)
      if (failed) return failed
      if (rows.length < sliceEntries) break
      after = (rows[rows.length - 1] as StoredAuditRow).seq
    }
    const chain = verifier.result()
    if (!chain.ok) return fail(chain.brokenSeq, chain.reason)
    const head = { seq: chain.headSeq, hash: chain.headHash }
    // Revisions are numbered in commit order with their entries: none may lie beyond the last one the log accounts for.
    const unrecorded = client.prepare('SELECT count(*) FROM observation_revision WHERE seq > ?').pluck().get(cp.revisionSeqHigh) as number
    if (unrecorded > 0) return fail(head.seq, `${unrecorded} revisions are stored after seq ${cp.revisionSeqHigh} but no audit entry records them`)
    if (!full) {
      const added = client.prepare('SELECT count(*) FROM observation_revision WHERE seq > ? AND seq <= ?').pluck().get(from.revisionSeqHigh, cp.revisionSeqHigh) as number
      const expected = cp.observationEntries - from.observationEntries
      if (added !== expected) return fail(head.seq, `${added} revisions are stored after seq ${from.revisionSeqHigh} but the log records ${expected}`)
    }
    const catalog = compareCatalog(db, cp.catalog, head.seq, full) ?? compareIdempotency(db, cp.catalog)
    if (catalog) return fail(head.seq, catalog)
    cp.seq = head.seq
    cp.hash = head.hash
    return null
  })()
  if (outcome) return outcome
  cp.entries += verifier.result().entries
  if (full) {
    // Every stored revision up to the last one recorded, counted in ranges (a slice each).
    let counted = 0
    for (let low = 0; low < cp.revisionSeqHigh; low += RANGE) {
      counted += client.prepare('SELECT count(*) FROM observation_revision WHERE seq > ? AND seq <= ?').pluck().get(low, Math.min(low + RANGE, cp.revisionSeqHigh)) as number
      yield
    }
    if (counted !== cp.observationEntries) return fail(cp.seq, `${counted} revisions are stored but the log records ${cp.observationEntries}`)
    // Every observation points at its latest revision (each range in one statement: one snapshot).
    const lastId = (client.prepare('SELECT coalesce(max(id), 0) FROM observation').pluck().get() as number) ?? 0
    const stray = client.prepare(
      'SELECT o.id FROM observation o WHERE o.id > ? AND o.id <= ? AND o.current_seq IS NOT (SELECT max(seq) FROM observation_revision r WHERE r.observation_id = o.id) LIMIT 1',
    )
    for (let low = 0; low < lastId; low += POINTER_RANGE) {
      const bad = stray.get(low, low + POINTER_RANGE) as { id: number } | undefined
      if (bad) return fail(cp.seq, `observation ${bad.id} does not point at its latest revision`)
      yield
    }
    const bytes = checkSourceBytes(db)
    for (;;) {
      const step = bytes.next()
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
export function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/**
 * Runs the steps in the background: after each slice it pauses three times as
 * long as the slice took, so verification takes at most a quarter of the
 * thread and requests keep their latency; stops early when `stopped()` says so.
 */
export async function runSliced<T>(steps: Generator<void, T>, stopped: () => boolean = () => false, share = 0.25): Promise<T | null> {
  for (;;) {
    if (stopped()) return null
    const t0 = performance.now()
    const step = steps.next()
    if (step.done) return step.value
    const pause = ((performance.now() - t0) * (1 - share)) / share
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, pause)))
  }
}
