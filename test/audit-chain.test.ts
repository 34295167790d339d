// The audit chain verifier, row by row: gaps, broken links, bad JSON. Fast
// (no database): the mutation run (npm run mutation) uses these.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { auditHash, auditHashOfCanonical, createChainVerifier, GENESIS_HASH, type StoredAuditRow } from '../src/domain/audit-chain.js'
// ---------------------------------------------------------------------------
// The chain verifier, row by row (fast: the mutation run uses these).

function chain(n: number, start = { seq: 0, hash: GENESIS_HASH }): StoredAuditRow[] {
  const rows: StoredAuditRow[] = []
  let prevHash = start.hash
  for (let i = 1; i <= n; i++) {
    const seq = start.seq + i
    const body = { seq, recordedAt: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, actor: 'cli', action: 'area.create', entityType: 'area', entityId: `a${seq}`, before: i % 2 ? null : { n: i - 1 }, after: { n: i }, prevHash }
    const hash = auditHash(body)
    rows.push({ ...body, before: body.before === null ? null : JSON.stringify(body.before), after: JSON.stringify(body.after), hash })
    prevHash = hash
  }
  return rows
}

function run(rows: StoredAuditRow[], from?: { seq: number; hash: string }) {
  const v = createChainVerifier(from)
  const pushed = rows.map((r) => v.push(r))
  return { pushed, result: v.result() }
}

describe('chain verifier', () => {
  it('accepts a well-formed chain and reports its head and count', async () => {
    const rows = chain(5)
    const { pushed, result } = run(rows)
    expect(pushed).toEqual([true, true, true, true, true])
    expect(result).toEqual({ ok: true, entries: 5, headSeq: 5, headHash: rows[4]?.hash })
  })

  it('an empty chain is the genesis head', async () => {
    expect(run([]).result).toEqual({ ok: true, entries: 0, headSeq: 0, headHash: GENESIS_HASH })
  })

  it('resumes from a verified point: the next seq and the point\'s hash are expected', async () => {
    const rows = chain(6)
    const point = { seq: 3, hash: rows[2]?.hash as string }
    expect(run(rows.slice(3), point).result).toEqual({ ok: true, entries: 3, headSeq: 6, headHash: rows[5]?.hash })
    // From the wrong point: seq 4 is not what follows seq 2.
    expect(run(rows.slice(3), { seq: 2, hash: rows[1]?.hash as string }).result).toEqual({ ok: false, entries: 1, brokenSeq: 4, reason: 'sequence gap: expected seq 3' })
    // The right seq after a hash that is not the point's.
    expect(run(rows.slice(3), { seq: 3, hash: GENESIS_HASH }).result).toMatchObject({ ok: false, brokenSeq: 4, reason: expect.stringMatching(/prevHash/) })
  })

  it('names a gap (a missing entry) at the first seq after it, and stops there', async () => {
    const rows = chain(5)
    const { pushed, result } = run([rows[0], rows[1], rows[3], rows[4]] as StoredAuditRow[])
    expect(pushed).toEqual([true, true, false, false])
    expect(result).toEqual({ ok: false, entries: 3, brokenSeq: 4, reason: 'sequence gap: expected seq 3' })
  })

  it('names a repeated or reordered seq as a gap', async () => {
    const rows = chain(3)
    expect(run([rows[0], rows[0]] as StoredAuditRow[]).result).toEqual({ ok: false, entries: 2, brokenSeq: 1, reason: 'sequence gap: expected seq 2' })
    expect(run([rows[1], rows[0]] as StoredAuditRow[]).result).toEqual({ ok: false, entries: 1, brokenSeq: 2, reason: 'sequence gap: expected seq 1' })
  })

  it('names an entry whose before or after is not JSON', async () => {
    for (const member of ['before', 'after'] as const) {
      const rows = chain(4)
      rows[3] = { ...(rows[3] as StoredAuditRow), [member]: '{"n":' }
      const { pushed, result } = run(rows)
      expect(pushed).toEqual([true, true, true, false])
      expect(result).toEqual({ ok: false, entries: 4, brokenSeq: 4, reason: 'before/after is not valid JSON' })
    }
  })

  it('names an entry whose content no longer matches its hash, and a broken link', async () => {
    const rows = chain(4)
    rows[1] = { ...(rows[1] as StoredAuditRow), actor: 'someone-else' }
    expect(run(rows).result).toEqual({ ok: false, entries: 2, brokenSeq: 2, reason: "hash does not match the entry's content" })
    const relinked = chain(4)
    relinked[2] = { ...(relinked[2] as StoredAuditRow), prevHash: 'f'.repeat(64) }
    expect(run(relinked).result).toEqual({ ok: false, entries: 3, brokenSeq: 3, reason: "prevHash does not match the previous entry's hash" })
  })

  it('any change to any member of any entry is caught at that entry (property)', async () => {
    const members = ['seq', 'recordedAt', 'actor', 'action', 'entityType', 'entityId', 'before', 'after', 'prevHash', 'hash'] as const
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.nat(), fc.constantFrom(...members), fc.string({ minLength: 1, maxLength: 6 }), (n, at, member, junk) => {
        const rows = chain(n)
        const i = at % n
        const row = rows[i] as StoredAuditRow
        const original = row[member]
        const changed = member === 'seq' ? (row.seq as number) + 1 + (junk.length % 3) : member === 'before' || member === 'after' ? JSON.stringify({ n: junk }) : `${String(original)}${junk}`
        fc.pre(changed !== original)
        rows[i] = { ...row, [member]: changed } as StoredAuditRow
        const { result } = run(rows)
        expect(result.ok).toBe(false)
        if (!result.ok) expect(result.brokenSeq === i + 1 || result.brokenSeq === changed).toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})

describe('chain verifier: the edges mutation testing found', () => {
  it('starts from 64 zeros, as the README specifies for the first prevHash', async () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/)
  })
  it('hashes a stored row from its canonical text exactly as from its parsed body', async () => {
    for (const row of chain(4)) {
      const { before, after, hash, ...head } = row
      expect(auditHashOfCanonical(head, before, after)).toBe(hash)
    }
  })
  it('accepts null before and null after, and reports the last accepted after', async () => {
    const body = { seq: 1, recordedAt: '2026-01-01T00:00:00.000Z', actor: 'cli', action: 'x.delete', entityType: 'x', entityId: 'x1', before: null, after: null, prevHash: GENESIS_HASH }
    const v = createChainVerifier()
    expect(v.push({ ...body, before: null, after: null, hash: auditHash(body) })).toBe(true)
    expect(v.lastAfter()).toBeNull()
    const rows = chain(2)
    const w = createChainVerifier()
    rows.forEach((r) => w.push(r))
    expect(w.lastAfter()).toEqual(JSON.parse(rows[1]?.after as string))
  })
  it('refuses every row after the first broken one, whatever it holds', async () => {
    const rows = chain(4)
    const v = createChainVerifier()
    expect(v.push(rows[0] as StoredAuditRow)).toBe(true)
    expect(v.push({ ...(rows[1] as StoredAuditRow), after: '{' })).toBe(false)
    expect(v.push(rows[1] as StoredAuditRow)).toBe(false)
    expect(v.result()).toMatchObject({ ok: false, brokenSeq: 2, reason: 'before/after is not valid JSON' })
    const w = createChainVerifier()
    expect(w.push({ ...(rows[0] as StoredAuditRow), hash: 'f'.repeat(64) })).toBe(false)
    expect(w.result()).toMatchObject({ ok: false, brokenSeq: 1, reason: "hash does not match the entry's content" })
  })
})
