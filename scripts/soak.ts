// The soak: `npm run soak [-- --minutes 3]` runs the built server on a fresh
// database file under a mixed load of readers and writers for a few minutes,
// kills it with SIGKILL every 30 s and restarts it, and checks after each
// crash and at the end: integrity_check, the audit chain, and every write that
// was acknowledged. Prints the figures the README quotes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { createSqliteStorage } from '../src/storage/sqlite/index.js'
import { checkDatabaseFile } from '../src/modules/audit/file-check.js'
import { createKey } from '../src/modules/keys/keys.js'
import { projectRoot } from '../src/paths.js'
import { loadSeeds } from '../src/seed/seed-loader.js'

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '3' }, clients: { type: 'string', default: '8' } } })
const durationMs = Number(values.minutes) * 60_000
const clients = Number(values.clients)

const build = spawnSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'inherit' })
if (build.status !== 0) process.exit(1)

const dir = mkdtempSync(join(tmpdir(), 'indicators-soak-'))
const file = join(dir, 'soak.db')
const seeded = createSqliteStorage(file)
await seeded.migrate()
await loadSeeds(seeded)
const key = (await createKey(seeded, 'soak', ['write'])).secret
await seeded.close()
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

let server = null as unknown as { child: ChildProcess; base: string }
async function start(): Promise<void> {
  const port = await freePort()
  const child = spawn(process.execPath, ['dist/src/server.js'], {
    cwd: projectRoot,
    env: { ...process.env, PORT: String(port), DATABASE_URL: file, LOG_LEVEL: 'error', RATE_LIMIT_PER_MINUTE: '10000000' },
    stdio: 'ignore',
  })
  const base = `http://127.0.0.1:${port}`
  const t0 = Date.now()
  for (;;) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  restarts.push(Date.now() - t0)
  server = { child, base }
}

const latency: Record<string, number[]> = {}
const statuses: Record<string, number> = {}
const acknowledged: Array<{ id: number; revision: number }> = []
const restarts: number[] = []
let walMax = 0
let crashes = 0
let stopping = false
/** Bumped at each kill: a request that spans a kill is counted as interrupted, not timed. */
let generation = 0
let paused: Promise<void> | null = null

function record(kind: string, ms: number, status: number | string) {
  ;(latency[kind] ??= []).push(ms)
  statuses[String(status)] = (statuses[String(status)] ?? 0) + 1
}

async function timed(kind: string, url: string, init?: RequestInit): Promise<Response | null> {
  if (paused) await paused
  const g = generation
  const t0 = performance.now()
  try {
    const res = await fetch(server.base + url, init)
    await res.clone().arrayBuffer()
    if (g === generation) record(kind, performance.now() - t0, res.status)
    else statuses.interrupted = (statuses.interrupted ?? 0) + 1
    return res
  } catch {
    statuses.interrupted = (statuses.interrupted ?? 0) + 1
    return null
  }
}

const seedRows = (() => {
  const db = new Database(file, { readonly: true })
  const obs = db.prepare("SELECT o.indicator_code AS indicator, r.reported_value AS v, r.reported_unit AS u, r.reported_text AS t, r.quote AS q FROM observation o JOIN observation_revision r ON r.seq = o.current_seq WHERE o.kind = 'actual' GROUP BY o.indicator_code").all() as any[]
  const areas = (db.prepare('SELECT code FROM area').all() as any[]).map((a) => a.code)
  const periods = (db.prepare('SELECT code FROM reporting_period').all() as any[]).map((p) => p.code)
  db.close()
  return { obs, areas, periods }
})()

function importBody(n: number, note: string) {
  const rows = []
  for (let i = 0; rows.length < n; i++) {
    const o = seedRows.obs[i % seedRows.obs.length]
    const area = seedRows.areas[Math.floor(i / seedRows.obs.length) % seedRows.areas.length]
    const period = seedRows.periods[Math.floor(i / (seedRows.obs.length * seedRows.areas.length)) % seedRows.periods.length]
    rows.push({ indicator: o.indicator, area, period, kind: 'forecast', note, reported: { value: o.v, unit: o.u, ...(o.t ? { text: o.t } : {}) }, citation: { sourceId: 'bayantala-2023h1', quote: o.q } })
  }
  return JSON.stringify({ reason: note, observations: rows })
}

async function client(n: number): Promise<void> {
  let i = 0
  while (!stopping) {
    i++
    const choice = (i + n) % 10
    if (choice < 5) await timed('read', ['/v1/observations?limit=100', '/v1/indicators/dibao_paid', '/v1/changes?after=0&limit=500', '/v1/observations?category=ecology', '/v1/areas'][i % 5] as string)
    else if (choice < 8) {
      const id = 1 + ((i * 13 + n) % 59)
      const cur = await timed('read', `/v1/observations/${id}`)
      if (!cur || cur.status !== 200) continue
      const o = (await cur.json()) as any
      const res = await timed('correct', `/v1/observations/${id}`, {
        method: 'PUT',
        headers: { ...headers, 'if-match': cur.headers.get('etag') as string },
        body: JSON.stringify({ qualifier: o.qualifier, reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) }, citation: { sourceId: o.source.id, quote: o.source.quote }, involvedAreas: o.involvedAreas, note: `soak ${n}.${i}`, reason: 'soak' }),
      })
      if (res?.status === 200) acknowledged.push({ id, revision: ((await res.json()) as any).revision })
    } else if (choice === 8) await timed('export', '/v1/observations?format=csv')
    else await timed('import', '/v1/imports', { method: 'POST', headers, body: importBody(500, `soak-import ${n}.${i}`) })
  }
}

async function healthProbe(): Promise<void> {
  while (!stopping) {
    await timed('healthz', '/healthz')
    try {
      walMax = Math.max(walMax, statSync(`${file}-wal`).size)
    } catch {
      // no WAL at this instant
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function verify(label: string): Promise<void> {
  const check = (await checkDatabaseFile(file))
  const db = new Database(file, { readonly: true })
  const lost = acknowledged.filter((a) => !db.prepare('SELECT 1 FROM observation_revision WHERE observation_id = ? AND revision = ?').get(a.id, a.revision))
  db.close()
  process.stdout.write(`${label}: ${check.summary}; acknowledged writes ${acknowledged.length}, lost ${lost.length}\n`)
  if (!check.ok || lost.length > 0) {
    process.stdout.write('SOAK FAILED\n')
    process.exit(1)
  }
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s[Math.min(s.length - 1, Math.floor(s.length * p))] as number) : 0
}

await start()
const started = Date.now()
const load = [...Array.from({ length: clients }, (_, n) => client(n)), healthProbe()]
while (Date.now() - started < durationMs) {
  await new Promise((r) => setTimeout(r, Math.min(30_000, durationMs - (Date.now() - started))))
  if (Date.now() - started >= durationMs) break
  let resume = () => {}
  paused = new Promise<void>((r) => (resume = r))
  generation++
  server.child.kill('SIGKILL')
  await new Promise((r) => server.child.once('exit', r))
  crashes++
  await verify(`after kill -9 #${crashes}`)
  await start()
  paused = null
  resume()
}
stopping = true
await Promise.all(load)
server.child.kill('SIGTERM')
const code = await new Promise((r) => server.child.once('exit', r))
await verify('at the end')
const total = Object.values(statuses).reduce((a, b) => a + b, 0)
process.stdout.write(`\nsoak: ${values.minutes} min, ${clients} clients, ${crashes} kill -9 restarts (start to ready: max ${Math.max(...restarts)} ms), clean exit code ${code}\n`)
process.stdout.write(`requests ${total}; by status ${JSON.stringify(statuses)} (interrupted: in flight at a kill -9)\n`)
for (const [kind, xs] of Object.entries(latency)) process.stdout.write(`  ${kind.padEnd(8)} n=${String(xs.length).padStart(6)} p50=${percentile(xs, 0.5).toFixed(1)} ms p99=${percentile(xs, 0.99).toFixed(1)} ms max=${percentile(xs, 1).toFixed(1)} ms\n`)
process.stdout.write(`largest WAL seen: ${(walMax / 1048576).toFixed(1)} MiB; database ${(statSync(file).size / 1048576).toFixed(1)} MiB\n`)
const fivexx = Object.entries(statuses).filter(([s]) => s.startsWith('5')).reduce((a, [, n]) => a + n, 0)
rmSync(dir, { recursive: true, force: true })
process.exitCode = fivexx > 0 ? 1 : 0
