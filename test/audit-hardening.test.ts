// Issue 9, items 3 and 5: verification that costs only what was appended, and
// tamper evidence for every table that changes an answer or an authority,
// with signed heads a third party can check.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { withContract } from './support/contract.js'
import { createSqliteStorage, sqliteConnection } from '../src/storage/sqlite/index.js'
import { writeUnit } from '../src/writes/write-unit.js'
import { auditHash, createChainVerifier, GENESIS_HASH, type StoredAuditRow } from '../src/domain/audit-chain.js'
import { verifyAuditChain } from '../src/modules/audit/integrity.js'
import { signedHeadText } from '../src/modules/audit/signing.js'
import { recordAnswer } from '../src/modules/imports/idempotency.js'
import { createKey, revokeKey } from '../src/modules/keys/keys.js'
import { projectRoot } from '../src/paths.js'
import { json, openStore } from './helpers.js'


// ---------------------------------------------------------------------------
// Direct edits of the database file, table by table.

let dir: string
let pristine: string

function withTriggersOff(file: string, sql: string[]): void {
  const raw = new Database(file)
  const triggers = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]
  for (const t of triggers) raw.exec(`DROP TRIGGER IF EXISTS "${t}"`)
  for (const s of sql) raw.exec(s)
  raw.close()
}

/** A copy of the pristine database, tampered with by `sql`. */
function tampered(name: string, sql: string[]): string {
  const file = join(dir, `${name}.db`)
  copyFileSync(pristine, file)
  withTriggersOff(file, sql)
  return file
}

async function verifyFile(file: string) {
  const storage = createSqliteStorage(file)
  try {
    return await verifyAuditChain(storage)
  } finally {
    await storage.close()
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'audit-hardening-'))
  pristine = join(dir, 'pristine.db')
  const { storage, db } = await openStore(pristine)
  await createKey(storage, 'reader-writer', ['write'])
  await createKey(storage, 'old-admin', ['admin'])
  await revokeKey(storage, 'old-admin')
  db.$client.pragma('wal_checkpoint(TRUNCATE)')
  db.$client.pragma('journal_mode = DELETE')
  db.$client.close()
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The columns of every table that changes an answer or an authority, with a row key to pick a row by. */
const TABLES: Record<string, { key: string; columns: string[] }> = {
  api_key: { key: 'id', columns: ['id', 'name', 'scopes', 'secret_hash', 'created_at', 'revoked_at'] },
  source: { key: 'id', columns: ['id', 'title', 'title_en', 'document_number', 'issuer', 'recipient', 'issued_on', 'media_type', 'byte_length', 'sha256', 'recorded_at'] },
  area: { key: 'code', columns: ['code', 'name_zh', 'name_en', 'level', 'parent_code', 'division_code'] },
  reporting_period: { key: 'code', columns: ['code', 'type', 'start_date', 'end_date'] },
  indicator: { key: 'code', columns: ['code', 'name_zh', 'name_en', 'description', 'category', 'unit', 'additive'] },
  unit: { key: 'code', columns: ['code', 'name_zh', 'name_en', 'base', 'multiplier', 'description'] },
}

describe('tamper evidence beyond the chain (full verification: npm run audit:verify, /v1/audit/verify/full, start)', () => {
  it('the untouched database verifies', async () => {
    expect(await verifyFile(pristine)).toMatchObject({ ok: true })
  })

  it('the named attacks are caught: un-revoking, widening scopes, replacing the secret hash, source bytes with their hash, a unit, a parent, a period', async () => {
    const attacks: Record<string, string[]> = {
      'un-revoke': ["UPDATE api_key SET revoked_at = NULL WHERE name = 'old-admin'"],
      'widen scopes': ["UPDATE api_key SET scopes = 'admin,write' WHERE name = 'reader-writer'"],
      'replace the secret hash': [`UPDATE api_key SET secret_hash = '${'ab'.repeat(32)}' WHERE name = 'reader-writer'`],
      'insert a key': [`INSERT INTO api_key (id, name, scopes, secret_hash, created_at) VALUES ('zzzzzzzzzzzz', 'intruder', 'admin', '${'cd'.repeat(32)}', '2026-01-01T00:00:00.000Z')`],
      'source bytes and their hash': [
        "UPDATE source SET content = CAST('forged text' AS BLOB), byte_length = 11, sha256 = '7c7a3cb8c8b5f3d1a7b5a6a1c4b3a9f2e8d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2' WHERE rowid = (SELECT min(rowid) FROM source)",
      ],
      'source bytes only': ["UPDATE source SET content = CAST(replace(CAST(content AS TEXT), '1', '7') AS BLOB) WHERE rowid = (SELECT min(rowid) FROM source)"],
      'indicator unit': ["UPDATE indicator SET unit = 'mu' WHERE rowid = (SELECT min(rowid) FROM indicator)"],
      'unit multiplier': ["UPDATE unit SET multiplier = '1000' WHERE code = '万元'"],
      'insert a unit': ["INSERT INTO unit (code, name_zh, name_en, base, multiplier, description) VALUES ('万万元', '万万元', 'x', 'CNY', '100000000', '')"],
      'area parent': ["UPDATE area SET parent_code = (SELECT code FROM area WHERE parent_code IS NULL LIMIT 1) WHERE rowid = (SELECT max(rowid) FROM area)"],
      'period dates': ["UPDATE reporting_period SET end_date = '2099-12-31' WHERE rowid = (SELECT min(rowid) FROM reporting_period)"],
      'delete an area': ['PRAGMA foreign_keys = OFF', 'DELETE FROM area WHERE code NOT IN (SELECT area_code FROM observation) AND code NOT IN (SELECT parent_code FROM area WHERE parent_code IS NOT NULL)'],
      'delete a revision': ['DELETE FROM observation_revision WHERE seq = (SELECT max(seq) FROM observation_revision)'],
      'truncate the tail': ['DELETE FROM audit_entry WHERE seq > (SELECT max(seq) - 3 FROM audit_entry)'],
    }
    for (const [name, sql] of Object.entries(attacks)) {
      const file = tampered(name.replace(/\W+/g, '-'), sql)
      const result = await verifyFile(file)
      expect(result.ok, name).toBe(false)
    }
  })

  it('any change of any column of any row of a catalog table is caught (property)', async () => {
    const probe = new Database(pristine, { readonly: true })
    const keys = Object.fromEntries(Object.entries(TABLES).map(([t, { key }]) => [t, probe.prepare(`SELECT ${key} FROM ${t} ORDER BY rowid`).pluck().all() as string[]]))
    probe.close()
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(TABLES)),
        fc.nat(),
        fc.nat(),
        fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constant(null), fc.integer({ min: 0, max: 9 })),
        async (table, rowPick, columnPick, value) => {
          const { key, columns } = TABLES[table] as { key: string; columns: string[] }
          const ids = keys[table] as string[]
          const id = ids[rowPick % ids.length] as string
          const column = columns[columnPick % columns.length] as string
          const raw = new Database(pristine, { readonly: true })
          const before = raw.prepare(`SELECT ${column} FROM ${table} WHERE ${key} = ?`).pluck().get(id)
          raw.close()
          // A NOT NULL column cannot hold null; a value equal to the stored one is no change.
          fc.pre(value !== null || column === 'revoked_at' || ['title_en', 'document_number', 'recipient', 'parent_code', 'division_code'].includes(column))
          fc.pre(String(value) !== String(before))
          const file = join(dir, `prop-${n++}.db`)
          copyFileSync(pristine, file)
          const db = new Database(file)
          db.pragma('foreign_keys = OFF')
          for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]) db.exec(`DROP TRIGGER "${t}"`)
          try {
            db.prepare(`UPDATE ${table} SET ${column} = ? WHERE ${key} = ?`).run(value, id)
          } catch {
            db.close()
            rmSync(file)
            fc.pre(false)
          }
          db.close()
          const result = await verifyFile(file)
          rmSync(file)
          expect(result.ok, `${table}.${column} of ${id} := ${String(value)}`).toBe(false)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('idempotency records are checked: an edited answer, a deleted or a forged record is caught; the log holds neither the key nor the answer', async () => {
    const base = join(dir, 'idem.db')
    copyFileSync(pristine, base)
    const storage = createSqliteStorage(base)
    const db = sqliteConnection(storage)
    expect(await writeUnit(storage, (tx, audit) => recordAnswer(tx, audit, 'reader-writer', 'client-key-1', 'ab'.repeat(32), 200, '{"created":1,"secretish":"answer-text"}'))).toBeNull()
    const entry = db.$client.prepare("SELECT after FROM audit_entry WHERE entity_type = 'idempotency_key'").pluck().get() as string
    db.$client.pragma('wal_checkpoint(TRUNCATE)')
    db.$client.close()
    expect(entry).not.toMatch(/client-key-1|answer-text/)
    expect(await verifyFile(base)).toMatchObject({ ok: true })
    const attacks: Record<string, string[]> = {
      'edited answer': ["UPDATE idempotency_key SET response_body = '{\"created\":0}'"],
      'edited status': ['UPDATE idempotency_key SET status_code = 422'],
      'deleted before expiry': ['DELETE FROM idempotency_key'],
      'forged record': [`INSERT INTO idempotency_key (actor, key, request_hash, state, status_code, response_body, created_at, expires_at) VALUES ('reader-writer', 'k2', '${'cd'.repeat(32)}', 'done', 200, '{}', '2026-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z')`],
    }
    for (const [name, sql] of Object.entries(attacks)) {
      const file = join(dir, `idem-${name.replace(/\W+/g, '-')}.db`)
      copyFileSync(base, file)
      withTriggersOff(file, sql)
      expect(await verifyFile(file), name).toMatchObject({ ok: false, reason: expect.stringMatching(/idempotency record/) })
    }
  })

  it('npm run audit:verify exits 1 on a tampered key and names it', async () => {
    const file = tampered('cli-key', ["UPDATE api_key SET scopes = 'admin,write' WHERE name = 'reader-writer'"])
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', file], { cwd: projectRoot, encoding: 'utf8' })
    expect(cli.status).toBe(1)
    expect(cli.stdout).toMatch(/api_key ".*": scopes differs/)
  })
})

// ---------------------------------------------------------------------------
// The running service: incremental checks, /readyz, signed heads.

async function appOn(file: string, env: Record<string, string> = {}) {
  const app = withContract(await buildApp({ logger: false, seed: false, config: { databaseUrl: file, rateLimitPerMinute: 1_000_000, auditSigningKeyFile: env.key ?? '' } }))
  await app.ready()
  return app
}

describe('the running service', () => {
  it('creates its signing key next to the database, mode 0600, and keeps it across restarts', async () => {
    const file = join(dir, 'key-file.db')
    copyFileSync(pristine, file)
    const app = await appOn(file)
    const pem1 = (await app.inject({ url: '/v1/audit/public-key' })).body
    await app.close()
    expect(existsSync(`${file}.audit-key.pem`)).toBe(true)
    expect(statSync(`${file}.audit-key.pem`).mode & 0o777).toBe(0o600)
    expect(readFileSync(`${file}.audit-key.pem`, 'utf8')).toMatch(/BEGIN PRIVATE KEY/)
    const again = await appOn(file)
    expect((await again.inject({ url: '/v1/audit/public-key' })).body).toBe(pem1)
    await again.close()
    expect(pem1).toMatch(/^-----BEGIN PUBLIC KEY-----/)
  })

  it('signs its head; the signature verifies with openssl pkeyutl and fails for another head', async () => {
    const file = join(dir, 'signed.db')
    copyFileSync(pristine, file)
    const app = await appOn(file)
    const head = json((await app.inject({ url: '/v1/audit/head' })).body)
    const pem = (await app.inject({ url: '/v1/audit/public-key' })).body
    await app.close()
    expect(head.signedText).toBe(signedHeadText(head))
    expect(head.verified).toBe(true)
    writeFileSync(join(dir, 'pub.pem'), pem)
    writeFileSync(join(dir, 'head.txt'), head.signedText)
    writeFileSync(join(dir, 'head.sig'), Buffer.from(head.signature, 'base64'))
    const verify = (msg: string) =>
      spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-in', msg, '-sigfile', join(dir, 'head.sig')], { encoding: 'utf8' })
    if (spawnSync('openssl', ['version']).status !== 0) return
    const good = verify(join(dir, 'head.txt'))
    expect(good.status, good.stderr).toBe(0)
    expect(good.stdout).toMatch(/Signature Verified Successfully/)
    writeFileSync(join(dir, 'other.txt'), signedHeadText({ ...head, seq: head.seq - 1 }))
    expect(verify(join(dir, 'other.txt')).status).not.toBe(0)
  })

  it('notices a catalog edit made while it runs on its next incremental check, and /readyz says so', async () => {
    const file = join(dir, 'live.db')
    copyFileSync(pristine, file)
    const app = await appOn(file)
    expect(json((await app.inject({ url: '/v1/audit/verify' })).body)).toMatchObject({ ok: true })
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)
    withTriggersOff(file, ["UPDATE api_key SET revoked_at = NULL WHERE name = 'old-admin'"])
    await new Promise((r) => setTimeout(r, 1100))
    const verify = json((await app.inject({ url: '/v1/audit/verify' })).body)
    expect(verify).toMatchObject({ ok: false, reason: expect.stringMatching(/api_key .*revokedAt/) })
    const ready = await app.inject({ url: '/readyz' })
    expect(ready.statusCode).toBe(503)
    expect(json(ready.body).detail).toMatch(/does not agree with its audit log/)
    expect((await app.inject({ url: '/v1/audit/head' })).statusCode).toBe(503)
    await app.close()
  })

  it('the public check reads only what was appended since its checkpoint', async () => {
    const file = join(dir, 'incremental.db')
    copyFileSync(pristine, file)
    const app = await appOn(file)
    const first = json((await app.inject({ url: '/v1/audit/verify' })).body)
    const other = createSqliteStorage(file)
    await createKey(other, 'later', ['write'])
    await other.close()
    await new Promise((r) => setTimeout(r, 1100))
    const second = json((await app.inject({ url: '/v1/audit/verify' })).body)
    expect(second).toMatchObject({ ok: true, checkedFrom: first.headSeq + 1, headSeq: first.headSeq + 1 })
    await app.close()
  })

  for (const [name, sql] of Object.entries({
    'a cut tail': ['DELETE FROM audit_entry WHERE seq > (SELECT max(seq) - 2 FROM audit_entry)'],
    'a chain rewritten with recomputed hashes': ['REWRITE'],
  })) {
    it(`catches ${name} at the next start through the signed high-water mark, and /readyz is 503`, async () => {
      const file = join(dir, `hwm-${name.replace(/\W+/g, '-')}.db`)
      copyFileSync(pristine, file)
      const app = await appOn(file)
      const head = json((await app.inject({ url: '/v1/audit/head' })).body)
      await app.close()
      expect(JSON.parse(readFileSync(`${file}.audit-head.json`, 'utf8'))).toMatchObject({ seq: head.seq, hash: head.hash })
      if (sql[0] === 'REWRITE') await rewriteChain(file)
      else withTriggersOff(file, sql)
      // The offline command checks the same mark (the key file sits next to the database).
      const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', file], { cwd: projectRoot, encoding: 'utf8' })
      expect(cli.status, cli.stdout).toBe(1)
      expect(cli.stdout).toMatch(/BROKEN/)
      const restarted = await appOn(file)
      const ready = await restarted.inject({ url: '/readyz' })
      await restarted.close()
      expect(ready.statusCode).toBe(503)
      expect(json(ready.body).detail).toMatch(/truncated|rewritten/)
    })
  }
})

/** What an attacker with the file and the code can do: change an entry and recompute every hash after it. */
async function rewriteChain(file: string): Promise<void> {
  withTriggersOff(file, [])
  const raw = new Database(file)
  const rows = raw.prepare('SELECT * FROM audit_entry ORDER BY seq').all() as Array<Record<string, any>>
  let prev = GENESIS_HASH
  const update = raw.prepare('UPDATE audit_entry SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?')
  raw.transaction(() => {
    for (const r of rows) {
      const actor = r.seq === 2 ? 'someone-else' : r.actor
      const hash = auditHash({ seq: r.seq, recordedAt: r.recorded_at, actor, action: r.action, entityType: r.entity_type, entityId: r.entity_id, before: r.before && JSON.parse(r.before), after: r.after && JSON.parse(r.after), prevHash: prev })
      update.run(actor, prev, hash, r.seq)
      prev = hash
    }
  })()
  raw.close()
  // The rewritten chain verifies on its own: only the signed mark tells.
  expect((await verifyFile(file)).ok).toBe(true)
}

