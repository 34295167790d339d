// Losing nothing: online backup and restore, kill -9 during imports, graceful
// shutdown under load, and a WAL that long reads do not pin.
// Every answer from the running service is checked against openapi.yaml, as inject's are in buildTestApp.
import { checkedFetch as fetch } from './support/contract.js'
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStorage } from '../src/storage/sqlite/index.js'
import { checkDatabaseFile } from '../src/modules/audit/file-check.js'
import { createKey } from '../src/modules/keys/keys.js'
import { projectRoot } from '../src/paths.js'

import { buildApp } from '../src/app.js'
import { withContract } from './support/contract.js'
import { buildTestApp, json, openStore } from './helpers.js'
import { forecastRows } from './support/forecast-rows.js'
import { exited, startServer } from './support/process.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'indicators-durability-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A seeded database file with a write key. */
async function seededFile(name: string): Promise<{ path: string; key: string }> {
  const path = join(dir, name)
  const { storage } = await openStore(path)
  const key = (await createKey(storage, 'writer', ['write'])).secret
  await storage.close()
  return { path, key }
}


describe('online backup and restore', () => {
  it('backs up a consistent copy while writes go on, and restores it; both verify', async () => {
    const t = await buildTestApp({ file: true })
    const key = (await createKey(t.storage, 'writer', ['write'])).secret
    const live = t.db.$client.name
    let writing = true
    let batches = 0
    const writes = (async () => {
      while (writing) {
        const rows = forecastRows(live, 500, `backup-${batches}`)
        const res = await t.app.inject({ method: 'POST', url: '/v1/imports?reason=during-backup', headers: { authorization: `Bearer ${key}` }, payload: { observations: rows } })
        expect(res.statusCode).toBe(200)
        batches++
      }
    })()
    const backup = join(dir, 'backup.db')
    try {
      const out = await run(process.execPath, ['--import', 'tsx', 'scripts/db-backup.ts', backup], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: live } })
      expect(out.stdout).toMatch(/integrity_check ok; audit chain OK/)
    } finally {
      writing = false
      await writes
    }
    expect(batches).toBeGreaterThan(0)
    const restored = join(dir, 'restored.db')
    const out = await run(process.execPath, ['--import', 'tsx', 'scripts/db-restore.ts', backup], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: restored } })
    expect(out.stdout).toMatch(/integrity_check ok; audit chain OK/)
    const check = (await checkDatabaseFile(restored))
    expect(check.ok).toBe(true)
    expect(check.observations).toBeGreaterThan(59)
    await t.close()
  }, 60_000)

  it('a restore keeps the replaced chain\'s signed head aside, so the restored (shorter) chain starts verified', async () => {
    const { path } = await seededFile('rollback.db')
    const mark = `${path}.audit-head.json`
    const open = async () => {
      const app = withContract(await buildApp({ logger: false, config: { databaseUrl: path, rateLimitPerMinute: 1_000_000 } }))
      await app.ready()
      return app
    }
    let app = await open()
    await app.close()
    const older = join(dir, 'rollback-older.db')
    await run(process.execPath, ['--import', 'tsx', 'scripts/db-backup.ts', older], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: path } })
    // Entries the backup does not hold, and a signed head that names them.
    const storage = createSqliteStorage(path)
    await createKey(storage, 'later', ['write'])
    await storage.close()
    app = await open()
    expect(json((await app.inject({ url: '/v1/audit/verify' })).body)).toMatchObject({ ok: true })
    await app.close()
    const signedBefore = JSON.parse(readFileSync(mark, 'utf8')) as { seq: number }

    const out = await run(process.execPath, ['--import', 'tsx', 'scripts/db-restore.ts', older], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: path } })
    expect(out.stdout).toMatch(/signed head of the replaced database is kept in .*before-restore/)
    const kept = readdirSync(dir).filter((f) => f.startsWith('rollback.db.audit-head.json.before-restore'))
    expect(kept).toHaveLength(1)
    expect(JSON.parse(readFileSync(join(dir, kept[0] as string), 'utf8'))).toMatchObject({ seq: signedBefore.seq })

    app = await open()
    const ready = await app.inject({ url: '/readyz' })
    expect(ready.statusCode, ready.body).toBe(200)
    await app.close()
  }, 60_000)

  it('refuses to restore a backup that does not verify', async () => {
    const { path } = await seededFile('to-tamper.db')
    const raw = new Database(path)
    raw.exec("DROP TRIGGER audit_entry_no_update; UPDATE audit_entry SET actor = 'x' WHERE seq = 3")
    raw.close()
    await expect(run(process.execPath, ['--import', 'tsx', 'scripts/db-restore.ts', path], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: join(dir, 'never.db') } })).rejects.toMatchObject({ code: 1 })
  }, 30_000)
})

describe('crash safety', () => {
  it('survives kill -9 at random moments during large imports, twenty times: all or nothing, no acknowledged write lost, chain intact', async () => {
    const { path, key } = await seededFile('crash.db')
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
    const acknowledged: Array<{ id: number; revision: number }> = []
    const outcomes: string[] = []
    for (let round = 0; round < 20; round++) {
      const server = await startServer(path)
      // A few small writes, each acknowledged before the crash.
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${server.base}/v1/observations/${1 + ((round * 2 + i) % 50)}`)
        const o = (await res.json()) as any
        const put = await fetch(`${server.base}/v1/observations/${o.id}`, {
          method: 'PUT',
          headers: { ...headers, 'if-match': res.headers.get('etag') as string },
          body: JSON.stringify({ qualifier: o.qualifier, reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) }, citation: { sourceId: o.source.id, quote: o.source.quote }, involvedAreas: o.involvedAreas, note: `ack ${round}.${i}`, reason: 'acknowledged' }),
        })
        expect(put.status).toBe(200)
        acknowledged.push({ id: o.id, revision: ((await put.json()) as any).revision })
      }
      const rows = forecastRows(path, 5000, `crash-${round}`)
      const importing = fetch(`${server.base}/v1/imports?reason=crash-${round}`, { method: 'POST', headers, body: JSON.stringify({ observations: rows }) }).then(
        (r) => r.status,
        () => 'killed',
      )
      await new Promise((r) => setTimeout(r, Math.random() * 400))
      server.child.kill('SIGKILL')
      await exited(server.child)
      const status = await importing

      const check = (await checkDatabaseFile(path))
      expect(check.integrity).toBe('ok')
      expect(check.summary).toMatch(/audit chain OK/)
      const db = new Database(path, { readonly: true })
      const { n } = db.prepare('SELECT count(*) AS n FROM observation_revision WHERE reason = ?').get(`crash-${round}`) as { n: number }
      expect([0, rows.length]).toContain(n)
      if (status === 200) expect(n).toBe(rows.length)
      outcomes.push(n === 0 ? 'none' : 'all')
      for (const a of acknowledged) expect(db.prepare('SELECT 1 FROM observation_revision WHERE observation_id = ? AND revision = ?').get(a.id, a.revision)).toBeTruthy()
      db.close()
    }
    console.log(`kill -9 during import, 20 rounds: ${outcomes.filter((o) => o === 'all').length} committed, ${outcomes.filter((o) => o === 'none').length} rolled back`)
  }, 180_000)
})

describe('graceful shutdown', () => {
  it('on SIGTERM finishes every in-flight request, refuses new ones, and exits 0', async () => {
    const { path, key } = await seededFile('shutdown.db')
    const server = await startServer(path)
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
    const rows = forecastRows(path, 5000, 'shutdown')
    // Slow clients: each reads the first chunk of an export, then stalls for a second and a half.
    const slowExport = async () => {
      const res = await fetch(`${server.base}/v1/observations?format=csv`)
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      let bytes = (await reader.read()).value?.length ?? 0
      await new Promise((r) => setTimeout(r, 1500))
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) bytes += chunk.value.length
      return { status: res.status, complete: bytes > 0 }
    }
    const inflight = [
      fetch(`${server.base}/v1/imports?reason=shutdown`, { method: 'POST', headers, body: JSON.stringify({ observations: rows }) }).then((r) => ({ status: r.status, complete: true })),
      ...Array.from({ length: 10 }, slowExport),
    ]
    // Let the server accept them all, then ask it to stop while they are under way.
    await new Promise((r) => setTimeout(r, 500))
    server.child.kill('SIGTERM')
    const results = await Promise.all(inflight)
    expect(results).toEqual(Array.from({ length: 11 }, () => ({ status: 200, complete: true })))
    expect(await exited(server.child)).toBe(0)
    await expect(fetch(`${server.base}/healthz`)).rejects.toThrow()
    const db = new Database(path, { readonly: true })
    expect((db.prepare("SELECT count(*) AS n FROM observation_revision WHERE reason = 'shutdown'").get() as { n: number }).n).toBe(rows.length)
    db.close()
  }, 60_000)
})

describe('WAL growth', () => {
  it('a slow CSV export holds no read snapshot between batches, so checkpoints complete while writes go on', async () => {
    const t = await buildTestApp({ file: true })
    const key = (await createKey(t.storage, 'writer', ['write'])).secret
    const live = t.db.$client.name
    await t.app.inject({ method: 'POST', url: '/v1/imports?reason=fill', headers: { authorization: `Bearer ${key}` }, payload: { observations: forecastRows(live, 5000, 'fill') } })
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const res = await fetch(`${base}/v1/observations?format=csv`)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    await reader.read()
    // The export is paused mid-way; writes go on and a full checkpoint must still succeed.
    await t.app.inject({ method: 'POST', url: '/v1/imports?reason=more', headers: { authorization: `Bearer ${key}` }, payload: { observations: forecastRows(live, 3000, 'more') } })
    const other = new Database(live)
    const [checkpoint] = other.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>
    other.close()
    expect(checkpoint?.busy).toBe(0)
    await reader.cancel()
    await t.close()
  }, 60_000)
})
