// npm run bench [-- --quick] [--skip-1m] [--skip-seed] [--no-build] [--no-pin] [--only a,b] [--profile]
//                [--duration 5] [--warmup 2] [--connections 10] [--keep] [--backend sqlite|postgres|both]
//                [--postgres postgres://postgres@127.0.0.1:5432]
//
// Builds the service, starts it as a child process (`node dist/src/server.js`,
// pinned to CPU 0) next to a bare Fastify server (also CPU 0) that answers a
// precomputed body of the same size as the scenario's response, and drives
// both with autocannon used as a library from this process (pinned to CPU 1).
// Datasets: the seed (a fresh temporary database, seeded on start) and a
// 1M-observation database made by scripts/bench/synth.ts (reused from
// ./data/synth.db when it holds at least 1M observations; copied to a
// temporary file so the import scenario never changes it).
// With --backend postgres (or both), each dataset is also served from a fresh
// PostgreSQL database (createdb; dropped at the end unless --keep) filled by
// copySqliteToPostgres from the same SQLite file, so both backends serve the
// same data; on PostgreSQL a second instance on the same database is measured
// next to one.
// Prints the tables and writes them to bench/results/<timestamp>.json and
// bench/results/latest.json. See bench/README.md.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { join, relative } from 'node:path'
import { parseArgs } from 'node:util'
import { createBrotliDecompress, createGunzip } from 'node:zlib'
import autocannon from 'autocannon'
import Database from 'better-sqlite3'
import pg from 'pg'
import { isPostgresUrl, openStorage } from '../../src/storage/open.js'
import { connectionConfig } from '../../src/storage/postgres/client.js'
import { copySqliteToPostgres } from '../../src/storage/postgres/copy-from-sqlite.js'
import { createSqliteStorage, sqliteConnection } from '../../src/storage/sqlite/index.js'
import { periodsOfYear } from '../../src/domain/periods.js'
import { putIndicator } from '../../src/modules/indicators/indicators.commands.js'
import { createKey } from '../../src/modules/keys/keys.js'
import { putPeriod } from '../../src/modules/periods/periods.commands.js'
import { projectRoot } from '../../src/paths.js'
import { periodWords } from './catalog.js'
import { synthesize, type SynthResult } from './synth.js'

// ---------------------------------------------------------------- options

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'skip-1m': { type: 'boolean', default: false },
    'skip-seed': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true },
    backend: { type: 'string', default: 'sqlite' },
    postgres: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
})

type Backend = 'sqlite' | 'postgres'
if (!['sqlite', 'postgres', 'both'].includes(opt.backend as string)) throw new Error(`--backend: expected sqlite, postgres or both, got "${opt.backend}"`)
const BACKENDS: Backend[] = opt.backend === 'both' ? ['sqlite', 'postgres'] : [opt.backend as Backend]
/** The server the PostgreSQL databases are made on (no database name: one is made per dataset). */
const POSTGRES_SERVER = (opt.postgres as string).replace(/\/+$/, '')

/** Extra environment for the service, e.g. --env RESPONSE_CACHE_MB=0. */
const SERVICE_ENV: Record<string, string> = Object.fromEntries(
  (opt.env ?? []).map((kv) => {
    const i = kv.indexOf('=')
    if (i < 1) throw new Error(`--env expects NAME=VALUE, got "${kv}"`)
    return [kv.slice(0, i), kv.slice(i + 1)]
  }),
)

const DURATION = Number(opt.duration)
const WARMUP = Number(opt.warmup)
const CONNECTIONS = Number(opt.connections)
const BIG = opt.quick ? { name: '100k', observations: 100_000, file: join(projectRoot, 'data', 'synth-100k.db') } : { name: '1M', observations: 1_000_000, file: join(projectRoot, 'data', 'synth.db') }
const SCENARIOS = ['indicator', 'filtered', 'filtered-uncached', 'source', 'deep-page', 'not-modified', 'as-of', 'vintages', 'changes', 'csv', 'csv-coded', 'import'] as const
type ScenarioName = (typeof SCENARIOS)[number]
const ONLY = new Set<string>(opt.only ? opt.only.split(',').map((s) => s.trim()) : SCENARIOS)
for (const s of ONLY) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--only: unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})`)

/** CPU used by other processes during a run above which it counts as disturbed, and how often such a pair is repeated. */
const DISTURBED = 0.1
const RETRIES = 2
const IMPORT_ROWS = 100_000
const IMPORT_BATCH = 10_000
const RATE_LIMIT = '100000000'

// ---------------------------------------------------------------- small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const t0 = performance.now()
const elapsed = () => ((performance.now() - t0) / 1000).toFixed(0).padStart(4)
function log(line: string): void {
  process.stdout.write(`[${elapsed()} s] ${line}\n`)
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number
}

const r1 = (x: number) => Math.round(x * 10) / 10
const r2 = (x: number) => Math.round(x * 100) / 100
const r3 = (x: number) => Math.round(x * 1000) / 1000

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolvePort(port))
    })
  })
}

/** VmRSS and VmHWM of a process, in MiB. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rss: r1(kb('VmRSS') / 1024), hwm: r1(kb('VmHWM') / 1024) }
}

/** CPU time (user + system) a process has used so far, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU seconds used so far by every user-space process (kernel threads left out), by pid. */
function processCpu(): Map<number, { comm: string; cpu: number }> {
  const out = new Map<number, { comm: string; cpu: number }>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ppid = Number(f[1])
      if (Number(name) === 2 || ppid === 2) continue
      out.set(Number(name), { comm, cpu: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS })
    } catch {
      /* exited meanwhile */
    }
  }
  return out
}

/** CPU used between two snapshots by processes other than `ours`, and the biggest of them. */
function otherCpu(before: Map<number, { comm: string; cpu: number }>, after: Map<number, { comm: string; cpu: number }>, ours: Set<number>): { seconds: number; top: string } {
  let seconds = 0
  let top = { comm: '', cpu: 0 }
  for (const [pid, a] of after) {
    if (ours.has(pid)) continue
    const used = a.cpu - (before.get(pid)?.cpu ?? 0)
    seconds += used
    if (used > top.cpu) top = { comm: `${a.comm} (pid ${pid})`, cpu: used }
  }
  return { seconds, top: top.comm }
}

/** Resets the peak RSS (VmHWM) of a process we own; false when the kernel refuses. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

// ---------------------------------------------------------------- HTTP client

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })

interface Resp {
  status: number
  headers: http.IncomingHttpHeaders
  /** Bytes of the status line and header block as received (approximately: from the parsed raw headers). */
  headerBytes: number
  body: Buffer
}

function headerBytesOf(res: http.IncomingMessage): number {
  let n = `HTTP/1.1 ${res.statusCode} ${res.statusMessage ?? ''}\r\n`.length + 2
  for (let i = 0; i < res.rawHeaders.length; i += 2) n += Buffer.byteLength(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`)
  return n
}

function request(base: string, method: string, path: string, o: { headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent | false; timeoutMs?: number } = {}): Promise<Resp> {
  return new Promise((resolveResp, reject) => {
    const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body, 'utf8')
    const req = http.request(
      new URL(path, base),
      { method, agent: o.agent ?? agent, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...o.headers } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolveResp({ status: res.statusCode ?? 0, headers: res.headers, headerBytes: headerBytesOf(res), body: Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`timeout after ${o.timeoutMs} ms`)))
    req.end(body)
  })
}

/** A GET; retried once on a fresh connection when a kept-alive socket was closed by the server meanwhile. */
async function get(base: string, path: string, headers?: Record<string, string>): Promise<Resp> {
  try {
    return await request(base, 'GET', path, { headers })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw err
    return request(base, 'GET', path, { headers, agent: false })
  }
}

function expectStatus(r: Resp, status: number, what: string): void {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status}, expected ${status}: ${r.body.toString('utf8').slice(0, 500)}`)
}

// ---------------------------------------------------------------- processes

let pinned = false

/** SHA-256 over the files of src/ (path and bytes): which state of a tree under active editing was measured. */
function srcDigest(): string {
  const hash = createHash('sha256')
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const f = join(dir, e.name)
      if (e.isDirectory()) walk(f)
      else hash.update(relative(projectRoot, f)).update('\0').update(readFileSync(f)).update('\0')
    }
  }
  walk(join(projectRoot, 'src'))
  return hash.digest('hex').slice(0, 16)
}

function pinSelf(): void {
  if (opt['no-pin']) return
  if (os.availableParallelism() < 2) return
  try {
    // -a: every thread of this process, autocannon's included.
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })
    pinned = true
  } catch {
    pinned = false
  }
}

interface ServerProc {
  name: string
  child: ChildProcess
  pid: number
  base: string
  /** Spawn to /readyz 200 (service) or first answer (bare), ms. */
  readyMs: number
  /** VmRSS right after it became ready, MiB. */
  rssAtReady: number
  logFile: string
  /** The PostgreSQL database it serves, when it serves one. */
  database?: string
  stop(): Promise<void>
}

async function startProcess(name: string, script: string, env: Record<string, string>, readyPath: string, nodeArgs: string[], logDir: string): Promise<ServerProc> {
  const port = await freePort()
  const logFile = join(logDir, `${name}-${port}.log`)
  const out = openSync(logFile, 'a')
  const node = [process.execPath, ...nodeArgs, script]
  const [cmd, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node
  const started = performance.now()
  const child = spawn(cmd as string, args, {
    cwd: projectRoot,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', out, out],
  })
  let exited: number | null = null
  const exit = new Promise<void>((r) => child.once('exit', (code) => ((exited = code ?? -1), r())))
  const base = `http://127.0.0.1:${port}`
  for (;;) {
    if (exited !== null) throw new Error(`${name} exited with ${exited} before it was ready; log: ${logFile}\n${readFileSync(logFile, 'utf8').slice(-2000)}`)
    try {
      const r = await request(base, 'GET', readyPath, { agent: false, timeoutMs: 2000 })
      if (r.status === 200) break
    } catch {
      /* not listening yet */
    }
    if (performance.now() - started > 120_000) throw new Error(`${name} not ready after 120 s; log: ${logFile}`)
    await sleep(5)
  }
  const readyMs = performance.now() - started
  const rssAtReady = memoryOf(child.pid as number).rss
  return {
    name,
    child,
    pid: child.pid as number,
    base,
    readyMs,
    rssAtReady,
    logFile,
    async stop() {
      if (exited !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exit
      clearTimeout(timer)
    },
  }
}

/** The service on a SQLite file or a postgres:// URL, with the same environment either way. */
async function startService(name: string, databaseUrl: string, logDir: string): Promise<ServerProc> {
  const nodeArgs = opt.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  const proc = await startProcess(name, 'dist/src/server.js', { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: RATE_LIMIT, NODE_ENV: 'production', ...SERVICE_ENV }, '/readyz', nodeArgs, logDir)
  if (isPostgresUrl(databaseUrl)) proc.database = new URL(databaseUrl).pathname.slice(1)
  return proc
}

// ---------------------------------------------------------------- PostgreSQL databases

const postgresUrlOf = (database: string) => `${POSTGRES_SERVER}/${database}`

async function withPostgres<T>(url: string, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(connectionConfig(url))
  client.on('error', () => undefined)
  await client.connect()
  try {
    return await body(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** Databases this run made: dropped at the end unless --keep. */
const madeDatabases: string[] = []

/** A new, empty database with a name no other run uses. */
async function createDatabase(purpose: string): Promise<string> {
  const name = `bt_bench_${process.pid}_${Date.now().toString(36)}_${madeDatabases.length}_${purpose}`.toLowerCase().replace(/[^a-z0-9_]/g, '_')
  await withPostgres(postgresUrlOf('postgres'), (c) => c.query(`CREATE DATABASE "${name}"`))
  madeDatabases.push(name)
  return name
}

async function dropDatabases(): Promise<void> {
  for (const name of madeDatabases.splice(0)) {
    await withPostgres(postgresUrlOf('postgres'), (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch((err: unknown) => log(`could not drop database ${name}: ${err instanceof Error ? err.message : String(err)}`))
  }
}

/** PostgreSQL server processes connected to the databases these instances serve. */
async function databasePids(targets: ServerProc[]): Promise<number[]> {
  const names = [...new Set(targets.flatMap((t) => (t.database ? [t.database] : [])))]
  if (names.length === 0) return []
  return withPostgres(postgresUrlOf('postgres'), async (c) => (await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)', [names])).rows.map((r) => Number(r.pid)))
}

/**
 * A fresh database holding exactly what the SQLite file holds: migrated, copied verbatim, then
 * vacuumed and analyzed as a restored database would be before it serves.
 */
async function postgresCopyOf(sqliteFile: string, purpose: string): Promise<{ url: string; database: string; copySeconds: number; analyzeSeconds: number; rows: number }> {
  const database = await createDatabase(purpose)
  const url = postgresUrlOf(database)
  const storage = await openStorage(url)
  try {
    await storage.migrate()
  } finally {
    await storage.close()
  }
  const tc = performance.now()
  const report = await copySqliteToPostgres(sqliteFile, url)
  const copySeconds = r1((performance.now() - tc) / 1000)
  const ta = performance.now()
  await withPostgres(url, (c) => c.query('VACUUM (ANALYZE)'))
  const analyzeSeconds = r1((performance.now() - ta) / 1000)
  const rows = Object.values(report.tables).reduce((a, b) => a + b, 0)
  log(`  PostgreSQL: ${database} filled from ${relative(projectRoot, sqliteFile) || sqliteFile}: ${rows} rows copied in ${copySeconds} s, VACUUM (ANALYZE) ${analyzeSeconds} s`)
  return { url, database, copySeconds, analyzeSeconds, rows }
}

// ---------------------------------------------------------------- reading the served data

/** Reads the data a dataset's service serves (scenario set-up: picks of ids and paths), in SQL both dialects accept. */
interface DataQuery {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>
  one<T>(sql: string, params?: unknown[]): Promise<T | undefined>
}

function sqliteQuery(file: string): DataQuery {
  const all = async <T>(sql: string, params: unknown[] = []) => readOnly(file, (db) => db.prepare(sql).all(...params) as T[])
  return { all, one: async <T>(sql: string, params: unknown[] = []) => (await all<T>(sql, params))[0] }
}

function postgresQuery(url: string): DataQuery {
  // Positional ? as SQLite writes them become $1, $2…
  const numbered = (sql: string) => {
    let n = 0
    return sql.replace(/\?/g, () => `$${++n}`)
  }
  const all = <T>(sql: string, params: unknown[] = []) => withPostgres(url, async (c) => (await c.query(numbered(sql), params)).rows as T[])
  return { all, one: async <T>(sql: string, params: unknown[] = []) => (await all<T>(sql, params))[0] }
}

// ---------------------------------------------------------------- load

interface Load {
  requests: number
  rps: number
  p50: number
  p99: number
  max: number
  errors: number
  statuses: Record<string, number>
  /** CPU the server process used during the run, in cores (1 = one core busy all the time). */
  serverCpu: number
  /** CPU the database server's processes serving it used (PostgreSQL; 0 for SQLite, which runs inside the service). */
  dbCpu: number
  /** CPU this load generator used. */
  clientCpu: number
  /** CPU used by anything else on the machine meanwhile (noise). */
  otherCpu: number
}

/** Runs autocannon against each target at once (connections split across them) and sums what they answered. */
async function cannonAll(targets: ServerProc[], path: string, headers: Record<string, string>, seconds: number): Promise<Load> {
  const latencies: number[] = []
  const statuses: Record<string, number> = {}
  const pids = targets.map((t) => t.pid)
  // The PostgreSQL server processes serving these instances work for the measured service, not against it.
  const dbPids = await databasePids(targets)
  const started = performance.now()
  const cpuBefore = pids.reduce((n, pid) => n + cpuSeconds(pid), 0)
  const selfBefore = cpuSeconds(process.pid)
  const othersBefore = processCpu()
  const perTarget = Math.max(1, Math.round(CONNECTIONS / targets.length))
  const runs = targets.map((t) => {
    const instance = autocannon({ url: `${t.base}${path}`, connections: perTarget, duration: seconds, headers })
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms)
      statuses[status] = (statuses[status] ?? 0) + 1
    })
    return instance
  })
  const outcomes = await Promise.all(runs)
  const wall = (performance.now() - started) / 1000
  const cpu = (pids.reduce((n, pid) => n + cpuSeconds(pid), 0) - cpuBefore) / wall
  const self = (cpuSeconds(process.pid) - selfBefore) / wall
  const after = processCpu()
  const db = dbPids.reduce((n, pid) => n + ((after.get(pid)?.cpu ?? 0) - (othersBefore.get(pid)?.cpu ?? 0)), 0) / wall
  // What neither the servers under test, their database processes nor this load generator used: other processes on the machine.
  const others = otherCpu(othersBefore, after, new Set([...pids, ...dbPids, process.pid]))
  const other = others.seconds / wall
  const url = `${(targets[0] as ServerProc).base}${path}${targets.length > 1 ? ` (${targets.length} instances)` : ''}`
  if (other > DISTURBED) {
    log(`    WARNING: other processes used ${r2(other)} CPU during this run (most: ${others.top}): the numbers are disturbed`)
    results.disturbances.push({ url, otherCpu: r2(other), top: others.top })
  }
  latencies.sort((a, b) => a - b)
  const duration = Math.max(...outcomes.map((o) => o.duration || wall), 0.001)
  return {
    requests: latencies.length,
    rps: Math.round(latencies.length / duration),
    p50: r2(percentile(latencies, 0.5)),
    p99: r2(percentile(latencies, 0.99)),
    max: r2(latencies[latencies.length - 1] ?? NaN),
    errors: outcomes.reduce((n, o) => n + o.errors + o.timeouts, 0),
    statuses,
    serverCpu: r2(cpu),
    dbCpu: r2(db),
    clientCpu: r2(self),
    otherCpu: r2(other),
  }
}

/** Warm-up, then the measured run, against one instance or several at once. */
async function measure(target: ServerProc | ServerProc[], path: string, headers: Record<string, string> = {}): Promise<Load> {
  const targets = Array.isArray(target) ? target : [target]
  if (WARMUP > 0) await cannonAll(targets, path, headers, WARMUP)
  return cannonAll(targets, path, headers, DURATION)
}

// ---------------------------------------------------------------- results

interface LatencyRow {
  scenario: string
  dataset: string
  backend: Backend
  path: string
  status: number
  bodyBytes: number
  /** Response header bytes of the service and of the bare route: the bare route's body matches, its headers do not. */
  headerBytes: number
  bareHeaderBytes: number
  service: Load
  bare: Load
  ratio: number
  p99Ratio: number
  note?: string
}

interface ThroughputRow {
  scenario: string
  dataset: string
  backend: Backend
  metric: string
  value: number
  details: Record<string, unknown>
}

interface Target {
  target: string
  dataset: string
  backend: Backend
  measured: string
  required: string
  met: boolean
}

/**
 * Time the hypervisor gave to other guests (the "steal" column of /proc/stat), as a share of the
 * machine's CPU time since `since`. It slows the service and the bare route alike, so ratios hold,
 * but absolute rates (import rows/s) move with it: a run with steal above a few % is a noisy one.
 */
function cpuTimes(): { steal: number; total: number } {
  try {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
    return { steal: f[7] ?? 0, total: f.slice(0, 8).reduce((a, b) => a + b, 0) }
  } catch {
    return { steal: 0, total: 0 }
  }
}
function stealPercent(since: { steal: number; total: number }): number {
  const now = cpuTimes()
  return now.total > since.total ? r1(((now.steal - since.steal) / (now.total - since.total)) * 100) : 0
}
const runCpuTimes = cpuTimes()

const results = {
  stealPercent: 0,
  startedAt: new Date().toISOString(),
  finishedAt: '',
  seconds: 0,
  machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model ?? '?', memoryGiB: r1(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` },
  pinning: '',
  settings: { connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, bigDataset: BIG.name, profile: opt.profile, backends: BACKENDS },
  build: null as null | { seconds: number },
  /** SHA-256 prefix of src/ when the run started, and when dist/src/server.js was built. */
  code: { srcDigest: '', distBuiltAt: '' },
  synth: null as null | (SynthResult & { reused: boolean }),
  coldStart: [] as Array<{ dataset: string; backend: Backend; what: string; ms: number; samplesMs: number[]; targetMs: number | null; met: boolean | null; rssMiB: number }>,
  /** How each PostgreSQL dataset was filled from its SQLite file. */
  postgresCopies: [] as Array<{ dataset: string; database: string; rows: number; copySeconds: number; analyzeSeconds: number }>,
  /** One instance against two on one PostgreSQL database, the load split across both. */
  instances: [] as Array<{ scenario: string; dataset: string; path: string; one: Load; two: Load; gain: number }>,
  migratedBeforeRun: null as null | { from: number; to: number; seconds: number },
  rssAfterScenarios: [] as Array<{ dataset: string; backend: Backend; rssMiB: number; hwmMiB: number }>,
  serviceEnv: {} as Record<string, string>,
  latency: [] as LatencyRow[],
  throughput: [] as ThroughputRow[],
  targets: [] as Target[],
  errors: [] as Array<{ scenario: string; dataset: string; backend: Backend; error: string }>,
  disturbances: [] as Array<{ url: string; otherCpu: number; top: string }>,
  profiles: [] as Array<{ file: string; top: string[]; byModule: string[] }>,
}

// ---------------------------------------------------------------- datasets

interface Dataset {
  name: string
  backend: Backend
  /** DATABASE_URL of the service: the SQLite file or the postgres:// URL. */
  url: string
  /** Reads what the service serves. */
  query: DataQuery
  service: ServerProc
  secret: string
  /** True for the seed: no revisions yet, tiny sizes. */
  small: boolean
  /** Replaces the service with a freshly started one on the same file. */
  restart(): Promise<void>
}

/** API key and the catalog the import scenario writes to, made through the command functions on either backend. */
async function prepareDatabase(url: string): Promise<string> {
  const storage = await openStorage(url)
  try {
    const { secret } = await createKey(storage, 'bench-admin', ['admin', 'write'], 'bench')
    for (let i = 0; i < 100; i++) {
      const n = String(i).padStart(3, '0')
      await putIndicator(
        storage,
        { code: `bench_import_${n}`, nameZh: `导入测试指标${n}`, nameEn: `Import benchmark indicator ${n}`, description: 'Written by the import scenario of npm run bench.', category: 'employment', unit: 'person', additive: true },
        'bench',
      )
    }
    for (const p of periodsOfYear(2026)) await putPeriod(storage, p.code, 'bench')
    return secret
  } finally {
    await storage.close()
  }
}

function readOnly<T>(file: string, body: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return body(db)
  } finally {
    db.close()
  }
}

// ---------------------------------------------------------------- scenarios

async function latencyScenario(ds: Dataset, bare: ServerProc, scenario: string, path: string, headers: Record<string, string>, expect: number, note?: string): Promise<LatencyRow> {
  await get(ds.service.base, path, headers)
  const probe = await get(ds.service.base, path, headers)
  expectStatus(probe, expect, `${scenario} ${path}`)
  const bytes = probe.body.length
  // A repeated request may be answered from a response cache (when the code under test has one): say so.
  const cache = typeof probe.headers['x-cache'] === 'string' ? probe.headers['x-cache'] : null
  if (cache) note = `${note ? `${note}; ` : ''}x-cache: ${cache}`
  const bareProbe = await get(bare.base, `/bare/${bytes}`)
  log(`  ${scenario}: ${path} → ${probe.status}, ${bytes} bytes + ${probe.headerBytes} bytes of headers (bare: ${bareProbe.headerBytes}); bare first, then the service`)
  // Bare just before the service; when another process on the machine disturbed either run, the pair is repeated (at most twice).
  let bareLoad = await measure(bare, `/bare/${bytes}`)
  let service = await measure(ds.service, path, headers)
  for (let attempt = 1; attempt <= RETRIES && Math.max(bareLoad.otherCpu, service.otherCpu) > DISTURBED; attempt++) {
    log(`    disturbed (other processes used ${Math.max(bareLoad.otherCpu, service.otherCpu)} CPU): measuring the pair again`)
    const b = await measure(bare, `/bare/${bytes}`)
    const sv = await measure(ds.service, path, headers)
    if (Math.max(b.otherCpu, sv.otherCpu) < Math.max(bareLoad.otherCpu, service.otherCpu)) {
      bareLoad = b
      service = sv
    }
  }
  const wrong = Object.entries(service.statuses).filter(([s]) => Number(s) !== expect)
  if (wrong.length > 0) results.errors.push({ scenario, dataset: ds.name, backend: ds.backend, error: `unexpected statuses under load: ${JSON.stringify(service.statuses)}` })
  const row: LatencyRow = {
    scenario,
    dataset: ds.name,
    backend: ds.backend,
    path,
    status: expect,
    bodyBytes: bytes,
    headerBytes: probe.headerBytes,
    bareHeaderBytes: bareProbe.headerBytes,
    service,
    bare: bareLoad,
    ratio: r3(service.rps / bareLoad.rps),
    p99Ratio: r2(service.p99 / bareLoad.p99),
    ...(note ? { note } : {}),
  }
  log(`    service ${service.rps} req/s p50 ${service.p50} ms p99 ${service.p99} ms (server CPU ${service.serverCpu}, client ${service.clientCpu}) | bare ${bareLoad.rps} req/s p99 ${bareLoad.p99} ms (CPU ${bareLoad.serverCpu}, client ${bareLoad.clientCpu}) | ratio ${row.ratio}`)
  results.latency.push(row)
  return row
}

async function scenarioIndicator(ds: Dataset, bare: ServerProc): Promise<void> {
  // The indicator with the most observations that still fit in one embedded list (≤ 1000).
  const pick = (await ds.query.one<{ code: string; n: number }>(
    'SELECT indicator_code AS code, count(*) AS n FROM observation GROUP BY indicator_code HAVING count(*) <= 1000 ORDER BY n DESC, code LIMIT 1',
  )) as { code: string; n: number }
  await latencyScenario(ds, bare, 'indicator', `/v1/indicators/${pick.code}`, {}, 200, `${pick.n} observations embedded`)
}

/** A filtered page: a few rows of one indicator in one area over a range of periods; the same pick on either backend. */
async function filteredPath(ds: Dataset): Promise<string> {
  const q = ds.query
  let pick: { indicator: string; area: string; periodFrom: string; periodTo: string }
  if (ds.small) {
    const pair = (await q.one<{ indicator: string; area: string; n: number }>(
      'SELECT indicator_code AS indicator, area_code AS area, count(*) AS n FROM observation GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 1',
    )) as { indicator: string; area: string }
    const range = (await q.one<{ periodFrom: string; periodTo: string }>(
      `SELECT (SELECT p.code FROM observation o JOIN reporting_period p ON p.code = o.period_code WHERE o.indicator_code = ? AND o.area_code = ? ORDER BY p.start_date, p.end_date DESC LIMIT 1) AS "periodFrom",
              (SELECT p.code FROM observation o JOIN reporting_period p ON p.code = o.period_code WHERE o.indicator_code = ? AND o.area_code = ? ORDER BY p.end_date DESC, p.start_date LIMIT 1) AS "periodTo"`,
      [pair.indicator, pair.area, pair.indicator, pair.area],
    )) as { periodFrom: string; periodTo: string }
    pick = { indicator: pair.indicator, area: pair.area, ...range }
  } else {
    // A monthly synthetic indicator in one village over one year (months, quarters, halves and the year: 23 rows).
    // Years are the four-character period codes.
    const years = (await q.all<{ y: string }>('SELECT DISTINCT code AS y FROM reporting_period WHERE length(code) = 4 ORDER BY y')).map((r) => r.y)
    const withData: string[] = []
    for (const y of years) if (await q.one('SELECT 1 AS one FROM observation WHERE period_code = ? LIMIT 1', [`${y}-06`])) withData.push(y)
    const year = withData[Math.floor(withData.length / 2)] ?? '2023'
    const row = (await q.one<{ indicator: string; area: string }>(
      "SELECT indicator_code AS indicator, area_code AS area FROM observation WHERE period_code = ? AND area_code <> 'bayantala' ORDER BY id LIMIT 1 OFFSET 500",
      [`${year}-06`],
    )) as { indicator: string; area: string }
    pick = { ...row, periodFrom: `${year}-01`, periodTo: `${year}-12` }
  }
  return `/v1/observations?indicator=${pick.indicator}&area=${pick.area}&periodFrom=${pick.periodFrom}&periodTo=${pick.periodTo}`
}

async function scenarioFiltered(ds: Dataset, bare: ServerProc, uncached = false): Promise<LatencyRow> {
  const path = await filteredPath(ds)
  const check = await get(ds.service.base, path)
  const rows = (JSON.parse(check.body.toString('utf8')) as { data: unknown[] }).data.length
  // Cache-Control: no-cache makes every request read the database, as the first read after a commit does.
  if (uncached) return latencyScenario(ds, bare, 'filtered-uncached', path, { 'cache-control': 'no-cache' }, 200, `${rows} rows; Cache-Control: no-cache`)
  return latencyScenario(ds, bare, 'filtered', path, {}, 200, `${rows} rows`)
}

/** A page of one source's figures (the source of the middle observation), uncached: its rate set against filtered-uncached's. */
async function scenarioSource(ds: Dataset, bare: ServerProc): Promise<LatencyRow> {
  const middle = await ds.query.one<{ source: string }>(
    'SELECT r.source_id AS source FROM observation o JOIN observation_revision r ON r.seq = o.current_seq WHERE o.id >= (SELECT max(id) / 2 FROM observation) ORDER BY o.id LIMIT 1',
  )
  const path = `/v1/observations?source=${middle?.source ?? 'bayantala-2023h1'}`
  const rows = (JSON.parse((await get(ds.service.base, path)).body.toString('utf8')) as { data: unknown[] }).data.length
  const row = await latencyScenario(ds, bare, 'source', path, { 'cache-control': 'no-cache' }, 200, `${rows} rows; Cache-Control: no-cache`)
  const filtered = results.latency.find((r) => r.scenario === 'filtered-uncached' && r.dataset === ds.name && r.backend === ds.backend)
  if (filtered) log(`  source vs filtered-uncached: ${r2(row.service.rps / filtered.service.rps)}× the req/s, p99 ${row.service.p99} vs ${filtered.service.p99} ms`)
  return row
}

async function scenarioDeepPage(ds: Dataset, bare: ServerProc): Promise<void> {
  const total = Number((await ds.query.one<{ n: number }>('SELECT count(*) AS n FROM observation'))?.n)
  const pageSize = total >= 20_000 ? 1000 : 10
  const pages = Math.ceil(total / pageSize)
  const target = Math.max(1, Math.floor(pages * 0.9))
  // Walk once to obtain a genuine cursor ~90 % deep.
  let cursor: string | null = null
  const started = performance.now()
  for (let i = 0; i < target; i++) {
    const r = await get(ds.service.base, `/v1/observations?limit=${pageSize}${cursor ? `&cursor=${cursor}` : ''}`)
    expectStatus(r, 200, 'deep-page walk')
    const tail = r.body.subarray(Math.max(0, r.body.length - 400)).toString('utf8')
    const m = /"nextCursor":(null|"([^"]*)")\}$/.exec(tail)
    if (!m) throw new Error('deep-page walk: no nextCursor at the end of the page')
    if (!m[2]) break
    cursor = m[2]
  }
  const walkSeconds = (performance.now() - started) / 1000
  if (!cursor) throw new Error('deep-page walk: ran out of pages')
  log(`  deep-page: walked ${target} pages of ${pageSize} in ${walkSeconds.toFixed(1)} s (${Math.round((target * pageSize) / walkSeconds)} observations/s)`)
  await latencyScenario(ds, bare, 'deep-page', `/v1/observations?limit=${pageSize}&cursor=${cursor}`, {}, 200, `page ${target + 1} of ${pages} (limit ${pageSize}); walk ${r1(walkSeconds)} s`)
}

async function scenarioNotModified(ds: Dataset, bare: ServerProc): Promise<LatencyRow> {
  const n = Number((await ds.query.one<{ n: number }>('SELECT count(*) AS n FROM observation'))?.n)
  const id = Number((await ds.query.one<{ id: number }>('SELECT id FROM observation ORDER BY id LIMIT 1 OFFSET ?', [Math.floor(n / 2)]))?.id)
  const first = await get(ds.service.base, `/v1/observations/${id}`)
  expectStatus(first, 200, 'not-modified probe')
  const etag = first.headers.etag as string
  return latencyScenario(ds, bare, 'not-modified', `/v1/observations/${id}`, { 'if-none-match': etag }, 304, `If-None-Match: ${etag}`)
}

async function scenarioAsOf(ds: Dataset, bare: ServerProc): Promise<void> {
  const findRevised = async () => {
    const n = Number((await ds.query.one<{ n: number }>('SELECT count(*) AS n FROM observation_revision WHERE revision = 2'))?.n)
    if (n === 0) return null
    return Number((await ds.query.one<{ id: number }>('SELECT observation_id AS id FROM observation_revision WHERE revision = 2 ORDER BY seq LIMIT 1 OFFSET ?', [Math.floor(n / 2)]))?.id)
  }
  let id = await findRevised()
  if (id === null) {
    // The seed has no revisions: correct one observation through the API (PUT with If-Match), as a client would.
    const target = Number((await ds.query.one<{ id: number }>("SELECT o.id AS id FROM observation o JOIN observation_revision r ON r.seq = o.current_seq WHERE r.qualifier = 'eq' ORDER BY o.id LIMIT 1"))?.id)
    const cur = await get(ds.service.base, `/v1/observations/${target}`)
    expectStatus(cur, 200, 'as-of setup GET')
    const o = JSON.parse(cur.body.toString('utf8')) as {
      reported: { value: string; unit: string; text: string | null }
      source: { id: string; quote: string }
      involvedAreas: string[]
      note: string | null
    }
    const body = {
      qualifier: 'approx',
      reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) },
      citation: { sourceId: o.source.id, quote: o.source.quote },
      involvedAreas: o.involvedAreas,
      note: o.note,
      reason: 'benchmark: a second revision for the asOf scenario',
    }
    const put = await request(ds.service.base, 'PUT', `/v1/observations/${target}`, {
      headers: { authorization: `Bearer ${ds.secret}`, 'if-match': cur.headers.etag as string, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expectStatus(put, 200, 'as-of setup PUT')
    id = target
  }
  const revs = await ds.query.all<{ revision: number; at: string }>('SELECT revision, recorded_at AS at FROM observation_revision WHERE observation_id = ? ORDER BY revision', [id])
  const t1 = new Date(revs[0]?.at as string).getTime()
  const t2 = new Date(revs[1]?.at as string).getTime()
  if (!(t2 - t1 >= 2)) throw new Error(`as-of: revisions of ${id} are ${t2 - t1} ms apart; need a gap`)
  const asOf = new Date(Math.floor((t1 + t2) / 2)).toISOString()
  const path = `/v1/observations/${id}?asOf=${asOf}`
  const check = JSON.parse((await get(ds.service.base, path)).body.toString('utf8')) as { revision: number }
  if (check.revision !== 1) throw new Error(`as-of: expected revision 1 at ${asOf}, got ${check.revision}`)
  await latencyScenario(ds, bare, 'as-of', path, {}, 200, `revision 1 of 2 in force at asOf`)
}

/** The publication dates: one pass over the revision log when it grew, then cached (docs/time.md). */
async function scenarioVintages(ds: Dataset, bare: ServerProc): Promise<LatencyRow> {
  const started = performance.now()
  const first = await get(ds.service.base, '/v1/vintages', { 'cache-control': 'no-cache' })
  const firstMs = performance.now() - started
  expectStatus(first, 200, 'vintages')
  const dates = (JSON.parse(first.body.toString('utf8')) as { data: unknown[] }).data.length
  log(`  vintages: first answer ${r1(firstMs)} ms (${dates} dates, the whole log read)`)
  return latencyScenario(ds, bare, 'vintages', '/v1/vintages', {}, 200, `${dates} dates; first answer ${r1(firstMs)} ms`)
}

async function scenarioChanges(ds: Dataset): Promise<ThroughputRow> {
  const counts = (await ds.query.one<{ total: number; maxSeq: number }>('SELECT count(*) AS total, max(seq) AS "maxSeq" FROM observation_revision')) as { total: number; maxSeq: number }
  const total = Number(counts.total)
  const maxSeq = Number(counts.maxSeq)
  let after = 0
  let pages = 0
  let bytes = 0
  const pageMs: number[] = []
  const started = performance.now()
  for (;;) {
    const t = performance.now()
    const r = await get(ds.service.base, `/v1/changes?after=${after}&limit=1000`)
    pageMs.push(performance.now() - t)
    expectStatus(r, 200, 'changes')
    pages++
    bytes += r.body.length
    // The client reads only the paging fields at the end of the page (no JSON.parse: the server is measured, not the client).
    const m = /"nextAfter":(\d+),"hasMore":(true|false)\}$/.exec(r.body.subarray(Math.max(0, r.body.length - 200)).toString('utf8'))
    const parsed = m ? { nextAfter: Number(m[1]), hasMore: m[2] === 'true' } : (JSON.parse(r.body.toString('utf8')) as { nextAfter: number; hasMore: boolean })
    after = parsed.nextAfter
    if (!parsed.hasMore) break
  }
  const seconds = (performance.now() - started) / 1000
  if (after !== maxSeq) results.errors.push({ scenario: 'changes', dataset: ds.name, backend: ds.backend, error: `catch-up ended at seq ${after}, the last revision is ${maxSeq}` })
  pageMs.sort((a, b) => a - b)
  const row: ThroughputRow = {
    scenario: 'changes',
    dataset: ds.name,
    backend: ds.backend,
    metric: 'revisions/s',
    value: Math.round(total / seconds),
    details: { revisions: total, pages, seconds: r2(seconds), mib: r1(bytes / 2 ** 20), pageP50Ms: r1(percentile(pageMs, 0.5)), pageP99Ms: r1(percentile(pageMs, 0.99)) },
  }
  log(`  changes: ${total} revisions in ${pages} pages, ${r2(seconds)} s → ${row.value} revisions/s (page p50 ${row.details.pageP50Ms} ms)`)
  results.throughput.push(row)
  return row
}

interface ProbeStats {
  probes: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Probes not answered 200. */
  failed: number
}

/** A second client: GET `path` every 10 ms on its own connection until stopped. */
function startProber(base: string, path = '/healthz'): { stop(): Promise<ProbeStats> } {
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const ms: number[] = []
  let failed = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const t = performance.now()
      try {
        const r = await request(base, 'GET', path, { agent: probeAgent, timeoutMs: 30_000 })
        if (r.status !== 200) failed++
      } catch {
        failed++
      }
      ms.push(performance.now() - t)
      await sleep(10)
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      probeAgent.destroy()
      ms.sort((a, b) => a - b)
      return { probes: ms.length, p50Ms: r1(percentile(ms, 0.5)), p99Ms: r1(percentile(ms, 0.99)), maxMs: r1(ms[ms.length - 1] ?? NaN), failed }
    },
  }
}

/** Polls GET path until it answers 200; returns how long that took (ms) and the first status seen. */
async function untilOk(base: string, path: string, limitMs = 30_000): Promise<{ ms: number; firstStatus: number }> {
  const started = performance.now()
  let firstStatus = 0
  for (;;) {
    const r = await request(base, 'GET', path, { agent: false })
    if (firstStatus === 0) firstStatus = r.status
    if (r.status === 200) return { ms: r1(performance.now() - started), firstStatus }
    if (performance.now() - started > limitMs) return { ms: NaN, firstStatus }
    await sleep(50)
  }
}

/** The server's peak RSS over a measurement: VmHWM reset first where the kernel allows it, and VmRSS sampled every 20 ms. */
function peakRssMeter(pid: number) {
  const before = memoryOf(pid)
  const reset = resetPeak(pid)
  let peakRss = before.rss
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, memoryOf(pid).rss)
    } catch {
      /* gone */
    }
  }, 20)
  return {
    before,
    reset,
    /** Stops sampling; the peak in MiB and the memory read at the end. */
    stop() {
      clearInterval(sampler)
      const after = memoryOf(pid)
      return { peak: reset ? Math.max(after.hwm, peakRss) : peakRss, after }
    },
  }
}

async function scenarioCsv(ds: Dataset): Promise<ThroughputRow> {
  const meter = peakRssMeter(ds.service.pid)
  const { before, reset } = meter
  let rows = -1
  let bytes = 0
  const prober = startProber(ds.service.base)
  const started = performance.now()
  let firstByteMs = 0
  await new Promise<void>((done, fail) => {
    const req = http.get(`${ds.service.base}/v1/observations?format=csv`, { agent: false }, (res) => {
      if (res.statusCode !== 200) fail(new Error(`csv: HTTP ${res.statusCode}`))
      res.on('data', (c: Buffer) => {
        if (bytes === 0) firstByteMs = performance.now() - started
        bytes += c.length
        for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) rows++
      })
      res.on('end', () => done())
      res.on('error', fail)
    })
    req.on('error', fail)
  })
  const seconds = (performance.now() - started) / 1000
  const health = await prober.stop()
  const { peak } = meter.stop()
  // Right after the export: is an ordinary request answered, or shed by the overload guard (503)?
  const next = await untilOk(ds.service.base, '/v1/observations?limit=1')
  log(`  csv: ${rows} rows, ${r1(bytes / 2 ** 20)} MiB in ${r2(seconds)} s → ${Math.round(rows / seconds)} rows/s; server RSS before ${before.rss} MiB, peak ${peak} MiB${reset ? ' (VmHWM reset before)' : ' (sampled)'}`)
  log(`  csv: /healthz during the export p50 ${health.p50Ms} ms p99 ${health.p99Ms} ms max ${health.maxMs} ms (${health.probes} probes); next request after it: first HTTP ${next.firstStatus}, 200 after ${next.ms} ms`)

  // A client that stops reading: the server must not buffer the export.
  const stall = await stalledExport(ds)
  log(`  csv stall: read ${stall.readKiB} KiB${stall.endedBeforePause ? ' (the whole export: check not applicable)' : ''} then paused 2 s: server RSS ${stall.rssBefore} → ${stall.rssPaused} MiB (+${r1(stall.rssPaused - stall.rssBefore)}), after abort ${stall.rssAfterAbort} MiB, healthz ${stall.healthzAfter}`)
  const row: ThroughputRow = {
    scenario: 'csv',
    dataset: ds.name,
    backend: ds.backend,
    metric: 'rows/s',
    value: Math.round(rows / seconds),
    details: {
      rows,
      mib: r1(bytes / 2 ** 20),
      seconds: r2(seconds),
      firstByteMs: r1(firstByteMs),
      serverRssBeforeMiB: before.rss,
      serverPeakRssMiB: peak,
      peakFrom: reset ? 'VmHWM (reset before the export) and 20 ms VmRSS samples' : '20 ms VmRSS samples',
      healthzDuringExport: health,
      afterExport: { firstStatus: next.firstStatus, okAfterMs: next.ms },
      stalledClient: stall,
    },
  }
  results.throughput.push(row)
  return row
}

/** One CSV export with `Accept-Encoding: coding` on a fresh process: wire bytes, rows (decoded here), time, the server's peak RSS. */
async function codedExport(ds: Dataset, coding: 'identity' | 'gzip' | 'br') {
  await ds.restart()
  const meter = peakRssMeter(ds.service.pid)
  let rows = -1
  let wire = 0
  let decoded = 0
  let encoding = ''
  const started = performance.now()
  await new Promise<void>((done, fail) => {
    const req = http.get(`${ds.service.base}/v1/observations?format=csv`, { agent: false, headers: { 'accept-encoding': coding } }, (res) => {
      if (res.statusCode !== 200) fail(new Error(`csv-coded: HTTP ${res.statusCode}`))
      encoding = String(res.headers['content-encoding'] ?? 'identity')
      res.on('data', (c: Buffer) => {
        wire += c.length
      })
      const body = coding === 'gzip' ? res.pipe(createGunzip()) : coding === 'br' ? res.pipe(createBrotliDecompress()) : res
      body.on('data', (c: Buffer) => {
        decoded += c.length
        for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) rows++
      })
      body.on('end', () => done())
      body.on('error', fail)
      res.on('error', fail)
    })
    req.on('error', fail)
  })
  const seconds = (performance.now() - started) / 1000
  const { peak } = meter.stop()
  if (encoding !== coding) throw new Error(`csv-coded: asked for ${coding}, got Content-Encoding ${encoding}`)
  return { coding, rows, wireMiB: r2(wire / 2 ** 20), decodedMiB: r2(decoded / 2 ** 20), seconds: r2(seconds), rowsPerSecond: Math.round(rows / seconds), serverPeakRssMiB: peak }
}

/** The CSV export plain, gzip and brotli in the same run, each on a fresh process: rate, size ratio and peak RSS. */
async function scenarioCsvCoded(ds: Dataset): Promise<void> {
  const identity = await codedExport(ds, 'identity')
  log(`  csv-coded identity: ${identity.rows} rows, ${identity.wireMiB} MiB in ${identity.seconds} s → ${identity.rowsPerSecond} rows/s, peak RSS ${identity.serverPeakRssMiB} MiB`)
  for (const coding of ['gzip', 'br'] as const) {
    const x = await codedExport(ds, coding)
    if (x.rows !== identity.rows || x.decodedMiB !== identity.decodedMiB) throw new Error(`csv-coded: ${coding} decoded to ${x.rows} rows / ${x.decodedMiB} MiB, identity was ${identity.rows} / ${identity.decodedMiB}`)
    const ratio = r2(x.wireMiB / identity.wireMiB)
    log(`  csv-coded ${coding}: ${x.wireMiB} MiB on the wire (${ratio} of identity) in ${x.seconds} s → ${x.rowsPerSecond} rows/s (identity ${identity.rowsPerSecond}), peak RSS ${x.serverPeakRssMiB} MiB`)
    results.throughput.push({
      scenario: `csv-${coding}`,
      dataset: ds.name,
      backend: ds.backend,
      metric: 'rows/s',
      value: x.rowsPerSecond,
      details: { ...x, sizeRatio: ratio, rateRatio: r2(x.rowsPerSecond / identity.rowsPerSecond), identity },
    })
  }
}

interface Stall {
  readKiB: number
  /** The whole export fitted before the pause: nothing could be buffered, the check says nothing. */
  endedBeforePause: boolean
  rssBefore: number
  rssPaused: number
  rssPeakWhilePaused: number
  rssAfterAbort: number
  healthzAfter: number
}

async function stalledExport(ds: Dataset): Promise<Stall> {
  const pid = ds.service.pid
  const rssBefore = memoryOf(pid).rss
  let read = 0
  const req = http.get(`${ds.service.base}/v1/observations?format=csv`, { agent: false })
  const res = await new Promise<http.IncomingMessage>((r, fail) => {
    req.once('response', r)
    req.once('error', fail)
  })
  req.on('error', () => undefined)
  if (res.statusCode !== 200) {
    const chunks: Buffer[] = []
    for await (const c of res) chunks.push(c as Buffer)
    throw new Error(`stalled export: HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`)
  }
  let ended = false
  await new Promise<void>((r) => {
    const onData = (c: Buffer) => {
      read += c.length
      if (read >= 256 * 1024) {
        res.pause()
        res.off('data', onData)
        r()
      }
    }
    res.on('data', onData)
    res.once('end', () => ((ended = true), r()))
  })
  let rssPeakWhilePaused = rssBefore
  for (let i = 0; i < 20; i++) {
    await sleep(100)
    rssPeakWhilePaused = Math.max(rssPeakWhilePaused, memoryOf(pid).rss)
  }
  const rssPaused = memoryOf(pid).rss
  req.destroy()
  await sleep(500)
  const health = await get(ds.service.base, '/healthz')
  return { readKiB: r1(read / 1024), endedBeforePause: ended, rssBefore, rssPaused, rssPeakWhilePaused, rssAfterAbort: memoryOf(pid).rss, healthzAfter: health.status }
}

async function scenarioImport(ds: Dataset): Promise<ThroughputRow> {
  const auth = { authorization: `Bearer ${ds.secret}` }
  const areas = await ds.query.all<{ code: string; name: string }>('SELECT code, name_zh AS name FROM area ORDER BY code')
  const periods = periodsOfYear(2026).map((p) => p.code)
  const kinds = [
    ['actual', '实际完成'],
    ['target', '计划目标'],
    ['forecast', '预计'],
  ] as const
  // Rows by natural key, none stored yet; quotes grouped 250 to a source so that quote lookups stay cheap.
  interface Row {
    indicator: string
    area: string
    period: string
    kind: string
    value: string
    reported: { value: string; unit: string }
    citation: { sourceId: string; quote: string }
  }
  const rows: Row[] = []
  const sources: Array<{ id: string; sentences: string[] }> = []
  const runId = Date.now().toString(36)
  outer: for (let i = 0; i < 100; i++) {
    const n = String(i).padStart(3, '0')
    for (const area of areas) {
      for (const period of periods) {
        for (const [kind, words] of kinds) {
          if (rows.length >= IMPORT_ROWS) break outer
          if (rows.length % 250 === 0) sources.push({ id: `bench-import-${runId}-${String(sources.length).padStart(3, '0')}`, sentences: [] })
          const src = sources[sources.length - 1] as { id: string; sentences: string[] }
          const v = String(10 + ((rows.length * 7919) % 4990))
          const quote = `${area.name}${periodWords(period)}${words}导入测试指标${n}人数${v}人（第${src.sentences.length + 1}条）`
          src.sentences.push(quote)
          rows.push({ indicator: `bench_import_${n}`, area: area.code, period, kind, value: v, reported: { value: v, unit: '人' }, citation: { sourceId: src.id, quote } })
        }
      }
    }
  }
  if (rows.length < IMPORT_ROWS) throw new Error(`import: only ${rows.length} new keys available`)
  const tSources = performance.now()
  for (const s of sources) {
    const r = await request(ds.service.base, 'POST', '/v1/sources', {
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ id: s.id, title: `导入测试报告 ${s.id}`, issuer: '基准测试', issuedOn: '2026-12-31', text: `导入测试报告\n\n${s.sentences.join('。\n')}。\n` }),
    })
    expectStatus(r, 201, 'import: POST /v1/sources')
  }
  const sourceSeconds = (performance.now() - tSources) / 1000
  const bodies: Buffer[] = []
  for (let i = 0; i < rows.length; i += IMPORT_BATCH) bodies.push(Buffer.from(JSON.stringify({ reason: 'benchmark import', observations: rows.slice(i, i + IMPORT_BATCH) }), 'utf8'))
  log(`  import: ${sources.length} sources stored via POST /v1/sources in ${r1(sourceSeconds)} s; ${bodies.length} batches of ${IMPORT_BATCH} rows, ${r1(bodies.reduce((n, b) => n + b.length, 0) / bodies.length / 2 ** 20)} MiB each`)

  // The second client: GET /healthz every 10 ms on its own connection while the batches run.
  const prober = startProber(ds.service.base)
  await sleep(200)
  const batchMs: number[] = []
  const started = performance.now()
  const importCpuTimes = cpuTimes()
  for (const body of bodies) {
    const t = performance.now()
    const r = await request(ds.service.base, 'POST', '/v1/imports', { headers: { ...auth, 'content-type': 'application/json' }, body, timeoutMs: 300_000 })
    batchMs.push(performance.now() - t)
    expectStatus(r, 200, 'import: POST /v1/imports')
    const summary = JSON.parse(r.body.toString('utf8')) as { created: number }
    if (summary.created !== IMPORT_BATCH) throw new Error(`import: created ${summary.created}, expected ${IMPORT_BATCH}`)
  }
  const seconds = (performance.now() - started) / 1000
  const importSteal = stealPercent(importCpuTimes)
  await sleep(200)
  const health = await prober.stop()
  const row: ThroughputRow = {
    scenario: 'import',
    dataset: ds.name,
    backend: ds.backend,
    metric: 'rows/s',
    value: Math.round(rows.length / seconds),
    details: {
      rows: rows.length,
      batches: bodies.length,
      seconds: r2(seconds),
      batchMs: batchMs.map((x) => Math.round(x)),
      healthz: health,
      sourcesStored: sources.length,
      sourceSeconds: r1(sourceSeconds),
      stealPercent: importSteal,
    },
  }
  log(`  import: ${rows.length} rows in ${r2(seconds)} s → ${row.value} rows/s; healthz p50 ${health.p50Ms} ms p99 ${health.p99Ms} ms max ${health.maxMs} ms (${health.probes} probes, ${health.failed} failed)`)
  results.throughput.push(row)
  return row
}

/** `instances`: one instance against two, measured after the reads and before anything writes (as-of on the seed aside). */
async function runScenarios(ds: Dataset, bare: ServerProc, instances?: () => Promise<void>): Promise<void> {
  const steps: Array<[ScenarioName | 'two instances', () => Promise<unknown>]> = [
    ['indicator', () => scenarioIndicator(ds, bare)],
    ['filtered', () => scenarioFiltered(ds, bare)],
    ['filtered-uncached', () => scenarioFiltered(ds, bare, true)],
    ['source', () => scenarioSource(ds, bare)],
    ['deep-page', () => scenarioDeepPage(ds, bare)],
    ['not-modified', () => scenarioNotModified(ds, bare)],
    ['as-of', () => scenarioAsOf(ds, bare)],
    ['vintages', () => scenarioVintages(ds, bare)],
    ...(instances ? [['two instances', instances] as ['two instances', () => Promise<void>]] : []),
    ['changes', () => scenarioChanges(ds)],
    ['csv', () => scenarioCsv(ds)],
    ['csv-coded', () => scenarioCsvCoded(ds)],
    // Last: it writes 100 000 observations.
    ['import', () => scenarioImport(ds)],
  ]
  let served = false
  for (const [name, step] of steps) {
    if (name === 'two instances' ? !ONLY.has('indicator') && !ONLY.has('filtered-uncached') : !ONLY.has(name)) continue
    try {
      if (name === 'csv' && served) {
        // The export's memory is measured on a fresh process: what the earlier scenarios left (response cache, heap) is reported apart.
        const warm = memoryOf(ds.service.pid)
        results.rssAfterScenarios.push({ dataset: ds.name, backend: ds.backend, rssMiB: warm.rss, hwmMiB: warm.hwm })
        log(`  csv: the service's RSS after the earlier scenarios is ${warm.rss} MiB (peak ${warm.hwm}); restarting it so the export is measured alone`)
        await ds.restart()
      }
      served = true
      await step()
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      log(`  ${name} FAILED: ${message}`)
      results.errors.push({ scenario: name, dataset: ds.name, backend: ds.backend, error: message })
    }
  }
}

// ---------------------------------------------------------------- profile

const profileDir = join(projectRoot, 'data', 'profiles')

function summarizeProfile(file: string): { top: string[]; byModule: string[] } {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }> }
  const byFn = new Map<string, number>()
  const byModule = new Map<string, number>()
  let busy = 0
  const where = (url: string) => {
    const u = url.replace(/^file:\/\//, '')
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u)
    if (nm) return nm[1] as string
    if (u.startsWith(projectRoot)) return relative(projectRoot, u).replace(/^dist\//, '').split('/').slice(0, 3).join('/')
    if (u.startsWith('node:')) return 'node core'
    return u === '' ? '(native)' : u
  }
  for (const n of prof.nodes) {
    const hits = n.hitCount ?? 0
    const name = n.callFrame.functionName || '(anonymous)'
    if (hits === 0 || name === '(idle)') continue
    busy += hits
    const u = n.callFrame.url.replace(/^file:\/\//, '')
    const short = u.includes('node_modules/') ? u.slice(u.lastIndexOf('node_modules/') + 13) : u.startsWith(projectRoot) ? relative(projectRoot, u) : u
    const key = `${name}  ${short ? `${short}:${n.callFrame.lineNumber + 1}` : ''}`.trim()
    byFn.set(key, (byFn.get(key) ?? 0) + hits)
    const mod = ['(garbage collector)', '(program)'].includes(name) ? name : where(n.callFrame.url)
    byModule.set(mod, (byModule.get(mod) ?? 0) + hits)
  }
  const fmt = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key, hits]) => `${((hits / busy) * 100).toFixed(1).padStart(5)} %  ${key}`)
  return { top: fmt(byFn, 20), byModule: fmt(byModule, 12) }
}

// ---------------------------------------------------------------- targets and tables

function evaluateTargets(): void {
  const t = results.targets
  // The targets of earlier issues are SQLite's; PostgreSQL is held to issue 10's, below.
  for (const row of results.latency) {
    if (row.backend !== 'sqlite') continue
    if (row.scenario === 'filtered') {
      const need = row.dataset === 'seed' ? 0.6 : 0.5
      t.push({ target: 'filtered query req/s vs bare', dataset: row.dataset, backend: row.backend, measured: `${row.ratio}`, required: `≥ ${need}`, met: row.ratio >= need })
      t.push({ target: 'filtered query p99 vs bare p99', dataset: row.dataset, backend: row.backend, measured: `${row.p99Ratio}×`, required: '< 3×', met: row.p99Ratio < 3 })
    }
    if (row.scenario === 'not-modified') t.push({ target: '304 req/s vs bare', dataset: row.dataset, backend: row.backend, measured: `${row.ratio}`, required: '≥ 0.8', met: row.ratio >= 0.8 })
  }
  for (const row of results.throughput) {
    if (row.backend !== 'sqlite') continue
    const big = row.dataset !== 'seed'
    if (row.scenario === 'changes' && big) t.push({ target: 'change feed catch-up', dataset: row.dataset, backend: row.backend, measured: `${row.value} rev/s`, required: '≥ 70000 rev/s', met: row.value >= 70_000 })
    if (row.scenario === 'csv' && big) {
      t.push({ target: 'CSV export rate', dataset: row.dataset, backend: row.backend, measured: `${row.value} rows/s`, required: '≥ 150000 rows/s', met: row.value >= 150_000 })
      const peak = row.details.serverPeakRssMiB as number
      t.push({ target: 'server peak RSS during CSV export', dataset: row.dataset, backend: row.backend, measured: `${peak} MiB = ${r1(peak * 1.048576)} MB`, required: '< 200 MB', met: peak * 1.048576 < 200 })
    }
    if ((row.scenario === 'csv-gzip' || row.scenario === 'csv-br') && big) {
      t.push({ target: `CSV export rate, ${row.scenario.slice(4)}`, dataset: row.dataset, backend: row.backend, measured: `${row.value} rows/s`, required: '≥ 150000 rows/s', met: row.value >= 150_000 })
      const peak = row.details.serverPeakRssMiB as number
      t.push({ target: `server peak RSS during CSV export, ${row.scenario.slice(4)}`, dataset: row.dataset, backend: row.backend, measured: `${peak} MiB = ${r1(peak * 1.048576)} MB`, required: '< 200 MB', met: peak * 1.048576 < 200 })
    }
    if (row.scenario === 'csv' && !(row.details.stalledClient as Stall).endedBeforePause) {
      const s = row.details.stalledClient as Stall
      const growth = r1(s.rssPeakWhilePaused - s.rssBefore)
      t.push({ target: 'stalled CSV client: server RSS growth', dataset: row.dataset, backend: row.backend, measured: `+${growth} MiB`, required: '< 50 MiB (no buffering)', met: growth < 50 })
    }
    if (row.scenario === 'import') {
      t.push({ target: '100k-row import rate', dataset: row.dataset, backend: row.backend, measured: `${row.value} rows/s`, required: '≥ 20000 rows/s', met: row.value >= 20_000 })
      const h = row.details.healthz as ProbeStats
      t.push({ target: '/healthz p99 during 100k import', dataset: row.dataset, backend: row.backend, measured: `${h.p99Ms} ms${h.failed ? ` (${h.failed} failed)` : ''}`, required: '< 200 ms', met: h.p99Ms < 200 && h.failed === 0 })
    }
  }
  for (const c of results.coldStart) if (c.targetMs !== null) t.push({ target: `cold start: ${c.what}`, dataset: c.dataset, backend: c.backend, measured: `${Math.round(c.ms)} ms`, required: `< ${c.targetMs} ms`, met: c.met === true })

  // Issue 10 at the big dataset: PostgreSQL against SQLite in the same run. Judged on each backend's
  // ratio to the bare route measured just before it (what drifts between the two runs cancels); raw req/s shown too.
  for (const row of results.latency) {
    if (row.backend !== 'postgres' || row.dataset === 'seed') continue
    const lite = results.latency.find((r) => r.backend === 'sqlite' && r.dataset === row.dataset && r.scenario === row.scenario)
    const need = { indicator: 0.8, 'not-modified': 0.8, 'filtered-uncached': 0.5 }[row.scenario]
    if (need === undefined) continue
    const what = { indicator: 'cached read (indicator) vs SQLite', 'not-modified': '304 vs SQLite', 'filtered-uncached': 'uncached filtered page vs SQLite' }[row.scenario] as string
    if (!lite) {
      t.push({ target: what, dataset: row.dataset, backend: 'postgres', measured: 'no SQLite run to compare (use --backend both)', required: `≥ ${need}× SQLite`, met: false })
      continue
    }
    const normalized = r2(row.ratio / lite.ratio)
    t.push({ target: what, dataset: row.dataset, backend: 'postgres', measured: `${normalized}× (vs bare ${row.ratio} / ${lite.ratio}; raw ${row.service.rps} / ${lite.service.rps} req/s = ${r2(row.service.rps / lite.service.rps)}×)`, required: `≥ ${need}× SQLite`, met: normalized >= need })
  }
  for (const row of results.throughput) {
    if (row.backend !== 'postgres' || row.dataset === 'seed') continue
    if (row.scenario === 'import') t.push({ target: '100k-row import rate, audit chain included', dataset: row.dataset, backend: 'postgres', measured: `${row.value} rows/s`, required: '≥ 10000 rows/s', met: row.value >= 10_000 })
    if (row.scenario === 'changes') t.push({ target: 'change feed catch-up', dataset: row.dataset, backend: 'postgres', measured: `${row.value} rev/s`, required: '≥ 50000 rev/s', met: row.value >= 50_000 })
  }
}

/** Columns up to `left` are text (left-aligned), the rest figures. */
function table(header: string[], rows: Array<Array<string | number>>, left = 1): string {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) => r.map((c, i) => (i <= left ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ')
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n')
}

function stallText(s: Stall): string {
  return s.endedBeforePause ? 'stalled client: n/a (export smaller than the read-ahead)' : `stalled client: +${r1(s.rssPeakWhilePaused - s.rssBefore)} MiB after 2 s paused`
}

/** Every scenario measured on both backends: one row each, figures of both. */
function sideBySide(): Array<Array<string | number>> {
  const rows: Array<Array<string | number>> = []
  for (const p of results.latency.filter((r) => r.backend === 'postgres')) {
    const l = results.latency.find((r) => r.backend === 'sqlite' && r.dataset === p.dataset && r.scenario === p.scenario)
    if (!l) continue
    rows.push([p.scenario, p.dataset, `${l.service.rps} req/s`, `${p.service.rps} req/s`, r2(p.service.rps / l.service.rps), l.ratio, p.ratio, r2(p.ratio / l.ratio), p.service.p99, l.service.p99])
  }
  for (const p of results.throughput.filter((r) => r.backend === 'postgres')) {
    const l = results.throughput.find((r) => r.backend === 'sqlite' && r.dataset === p.dataset && r.scenario === p.scenario)
    if (!l) continue
    rows.push([p.scenario, p.dataset, `${l.value} ${l.metric}`, `${p.value} ${p.metric}`, r2(p.value / l.value), '', '', '', '', ''])
  }
  return rows
}

function report(): string {
  const out: string[] = []
  out.push(
    `Machine: ${results.machine.cpus} CPUs (${results.machine.model}), ${results.machine.memoryGiB} GiB, Node ${results.machine.node}. ${results.pinning}`,
    `Hypervisor steal over the run: ${results.stealPercent} % of the machine's CPU time (it slows the service and the bare route alike: ratios hold, absolute rates drop).`,
    `Code: src/ digest ${results.code.srcDigest}, dist/src/server.js built ${results.code.distBuiltAt}. Service env: ${Object.entries(results.serviceEnv).map(([k, v]) => `${k}=${v}`).join(' ')}.`,
    `autocannon: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s measured per target; "bare" = a bare Fastify route answering a precomputed body of the same size, measured just before the service.`,
    'hdr B = response header bytes, service/bare (the bare route matches the body size only). CPU = cores the service process used during its run (1 = CPU 0 saturated); noise = cores used meanwhile by other processes on the machine (pairs above 0.1 are re-measured, at most twice).',
    '',
    table(
      ['scenario', 'dataset', 'backend', 'body B', 'hdr B', 'req/s', 'p50 ms', 'p99 ms', 'CPU', 'DB CPU', 'bare req/s', 'bare p99', 'ratio', 'p99 ratio', 'noise', 'note'],
      results.latency.map((r) => [
        r.scenario,
        r.dataset,
        r.backend,
        r.bodyBytes,
        `${r.headerBytes}/${r.bareHeaderBytes}`,
        r.service.rps,
        r.service.p50,
        r.service.p99,
        r.service.serverCpu,
        r.service.dbCpu,
        r.bare.rps,
        r.bare.p99,
        r.ratio,
        r.p99Ratio,
        Math.max(r.service.otherCpu, r.bare.otherCpu),
        r.note ?? '',
      ]),
      2,
    ),
    '',
    table(
      ['scenario', 'dataset', 'backend', 'result', 'details'],
      results.throughput.map((r) => {
        const d = r.details
        const detail =
          r.scenario === 'changes'
            ? `${d.revisions} revisions, ${d.pages} pages of 1000 in ${d.seconds} s (page p50 ${d.pageP50Ms} ms, p99 ${d.pageP99Ms} ms)`
            : r.scenario === 'csv-gzip' || r.scenario === 'csv-br'
              ? `${d.rows} rows, ${d.wireMiB} MiB on the wire = ${d.sizeRatio} of identity (${(d.identity as { wireMiB: number }).wireMiB} MiB), ${d.seconds} s = ${d.rateRatio} of identity's rate (${(d.identity as { rowsPerSecond: number }).rowsPerSecond} rows/s, same run); server peak RSS ${d.serverPeakRssMiB} MiB (identity ${(d.identity as { serverPeakRssMiB: number }).serverPeakRssMiB})`
              : r.scenario === 'csv'
              ? `${d.rows} rows, ${d.mib} MiB in ${d.seconds} s; server RSS ${d.serverRssBeforeMiB} → peak ${d.serverPeakRssMiB} MiB; ` +
                `/healthz meanwhile p99 ${(d.healthzDuringExport as ProbeStats).p99Ms} ms, max ${(d.healthzDuringExport as ProbeStats).maxMs} ms; ` +
                `next request: HTTP ${(d.afterExport as { firstStatus: number }).firstStatus}${(d.afterExport as { firstStatus: number }).firstStatus === 200 ? '' : `, 200 after ${(d.afterExport as { okAfterMs: number }).okAfterMs} ms`}; ${stallText(d.stalledClient as Stall)}`
              : `${d.rows} rows in ${d.batches} batches, ${d.seconds} s, hypervisor steal ${d.stealPercent} %; /healthz p50 ${(d.healthz as { p50Ms: number }).p50Ms} ms, p99 ${(d.healthz as { p99Ms: number }).p99Ms} ms, max ${(d.healthz as { maxMs: number }).maxMs} ms`
        return [r.scenario, r.dataset, r.backend, `${r.value} ${r.metric}`, detail]
      }),
      4,
    ),
    '',
    table(
      ['cold start', 'dataset', 'backend', 'median ms', 'samples ms', 'target ms', 'met', 'RSS at ready MiB'],
      results.coldStart.map((c) => [c.what, c.dataset, c.backend, Math.round(c.ms), c.samplesMs.join(' '), c.targetMs ?? 'n/a', c.met === null ? 'n/a' : c.met ? 'met' : 'MISSED', c.rssMiB]),
      2,
    ),
  )
  const side = sideBySide()
  if (side.length) {
    out.push(
      '',
      'SQLite and PostgreSQL side by side (same data, same run; "vs bare" = req/s over the bare route measured just before; PG/SQLite judged on vs bare):',
      table(['scenario', 'dataset', 'SQLite', 'PostgreSQL', 'PG/SQLite raw', 'SQLite vs bare', 'PG vs bare', 'PG/SQLite vs bare', 'PG p99 ms', 'SQLite p99 ms'], side, 1),
    )
  }
  if (results.instances.length) {
    out.push(
      '',
      `PostgreSQL, one instance against two on one database (${CONNECTIONS} connections in all, split across the instances; both pinned like the single one):`,
      table(
        ['scenario', 'dataset', 'one req/s', 'one p99 ms', 'one CPU', 'one DB CPU', 'two req/s', 'two p99 ms', 'two CPU', 'two DB CPU', 'two/one'],
        results.instances.map((i) => [i.scenario, i.dataset, i.one.rps, i.one.p99, i.one.serverCpu, i.one.dbCpu, i.two.rps, i.two.p99, i.two.serverCpu, i.two.dbCpu, i.gain]),
      ),
    )
  }
  if (results.postgresCopies.length) out.push('', `PostgreSQL databases filled by copySqliteToPostgres: ${results.postgresCopies.map((c) => `${c.dataset} ${c.rows} rows in ${c.copySeconds} s (+ VACUUM ANALYZE ${c.analyzeSeconds} s)`).join('; ')}.`)
  out.push(
    '',
    table(
      ['target', 'dataset', 'backend', 'measured', 'required', 'met/missed'],
      results.targets.map((t) => [t.target, t.dataset, t.backend, t.measured, t.required, t.met ? 'met' : 'MISSED']),
      4,
    ),
  )
  if (results.rssAfterScenarios.length) out.push('', `Service RSS after the latency and change-feed scenarios (before the CSV restart): ${results.rssAfterScenarios.map((r) => `${r.dataset} ${r.backend} ${r.rssMiB} MiB (peak ${r.hwmMiB})`).join(', ')}.`)
  if (results.disturbances.length) out.push('', `Disturbed runs (other processes used CPU meanwhile): ${results.disturbances.map((d) => `${d.url.replace(/^http:\/\/[^/]+/, '')} (${d.otherCpu} CPU, mostly ${d.top})`).join('; ')}`)
  if (results.errors.length) out.push('', 'Errors:', ...results.errors.map((e) => `  ${e.dataset} ${e.backend} ${e.scenario}: ${e.error}`))
  return out.join('\n')
}

// ---------------------------------------------------------------- main

/** Cold starts are short and noisy: each is measured COLD_STARTS times and the median is judged. */
const COLD_STARTS = opt.profile ? 1 : 3

/** targetMs null: measured and shown, not judged (the start-up targets are SQLite's). */
function recordColdStart(dataset: string, backend: Backend, what: string, targetMs: number | null, samples: ServerProc[]): void {
  const ms = samples.map((s) => s.readyMs).sort((a, b) => a - b)
  const median = ms[Math.floor(ms.length / 2)] as number
  const rss = samples.map((s) => s.rssAtReady).sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number
  results.coldStart.push({ dataset, backend, what, ms: r1(median), samplesMs: ms.map((x) => Math.round(x)), targetMs, met: targetMs === null ? null : median < targetMs, rssMiB: rss })
  log(`${dataset} dataset (${backend}): cold start ${ms.map((x) => Math.round(x)).join(', ')} ms (median ${Math.round(median)}), RSS at ready ${rss} MiB`)
}

/** One dataset on PostgreSQL: a fresh database filled from the SQLite file, the scenarios, then one instance against two. */
async function runPostgres(name: string, sqliteFile: string, small: boolean, bare: ServerProc, tmp: string, servers: ServerProc[]): Promise<void> {
  log(`${name} dataset on PostgreSQL: a new database filled from ${relative(projectRoot, sqliteFile) || sqliteFile}`)
  const copy = await postgresCopyOf(sqliteFile, name)
  results.postgresCopies.push({ dataset: name, database: copy.database, rows: copy.rows, copySeconds: copy.copySeconds, analyzeSeconds: copy.analyzeSeconds })
  const secret = await prepareDatabase(copy.url)
  const label = `service-${name}-pg`
  let service: ServerProc | undefined
  if (small) {
    service = await startService(label, copy.url, tmp)
    servers.push(service)
  } else {
    const samples: ServerProc[] = []
    for (let i = 0; i < COLD_STARTS; i++) {
      if (service) await service.stop()
      service = await startService(label, copy.url, tmp)
      servers.push(service)
      samples.push(service)
    }
    recordColdStart(name, 'postgres', `existing ${name}-observation database, to /readyz 200`, null, samples)
  }
  const ds: Dataset = {
    name,
    backend: 'postgres',
    url: copy.url,
    query: postgresQuery(copy.url),
    service: service as ServerProc,
    secret,
    small,
    async restart() {
      await ds.service.stop()
      ds.service = await startService(label, copy.url, tmp)
      servers.push(ds.service)
    },
  }
  await runScenarios(ds, bare, () => twoInstances(ds, tmp, servers))
  await ds.service.stop()
}

/**
 * The cached read and the uncached filtered page against one instance, then against two processes
 * on the same database with the connections split across them, the answers summed.
 */
async function twoInstances(ds: Dataset, tmp: string, servers: ServerProc[]): Promise<void> {
  const second = await startService(`service-${ds.name}-pg-b`, ds.url, tmp)
  servers.push(second)
  try {
    for (const scenario of ['indicator', 'filtered-uncached']) {
      const row = results.latency.find((r) => r.scenario === scenario && r.dataset === ds.name && r.backend === ds.backend)
      if (!row) continue
      const headers: Record<string, string> = scenario === 'filtered-uncached' ? { 'cache-control': 'no-cache' } : {}
      log(`  two instances, ${scenario}: ${row.path}, one instance then two (${CONNECTIONS} connections in all)`)
      const one = await measure(ds.service, row.path, headers)
      const two = await measure([ds.service, second], row.path, headers)
      for (const [what, load] of [['one instance', one], ['two instances', two]] as const) {
        const wrong = Object.keys(load.statuses).filter((st) => Number(st) !== 200)
        if (wrong.length > 0) results.errors.push({ scenario: `${scenario}, ${what}`, dataset: ds.name, backend: ds.backend, error: `unexpected statuses under load: ${JSON.stringify(load.statuses)}` })
      }
      const gain = r2(two.rps / one.rps)
      log(`    one ${one.rps} req/s p99 ${one.p99} ms (service CPU ${one.serverCpu}, PostgreSQL ${one.dbCpu}) | two ${two.rps} req/s p99 ${two.p99} ms (services CPU ${two.serverCpu}, PostgreSQL ${two.dbCpu}) | ×${gain}`)
      results.instances.push({ scenario, dataset: ds.name, path: row.path, one, two, gain })
    }
  } finally {
    await second.stop()
  }
}

async function main(): Promise<void> {
  pinSelf()
  results.pinning = pinned
    ? 'Pinning: servers on CPU 0 (taskset -c 0), this load generator on CPU 1 (taskset -a -p -c 1).'
    : `Pinning: NOT used (${opt['no-pin'] ? '--no-pin' : os.availableParallelism() < 2 ? 'fewer than 2 CPUs' : 'taskset unavailable'}); servers and load generator share the CPUs.`
  log(results.pinning)

  if (!opt['no-build']) {
    const t = performance.now()
    log('building: npm run build')
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: projectRoot, stdio: 'inherit' })
    results.build = { seconds: r1((performance.now() - t) / 1000) }
    log(`built in ${results.build.seconds} s`)
  }
  if (!existsSync(join(projectRoot, 'dist', 'src', 'server.js'))) throw new Error('dist/src/server.js is missing: run without --no-build')
  results.code = { srcDigest: srcDigest(), distBuiltAt: statSync(join(projectRoot, 'dist', 'src', 'server.js')).mtime.toISOString() }
  results.serviceEnv = { LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: RATE_LIMIT, NODE_ENV: 'production', ...SERVICE_ENV }
  log(`code under test: src/ digest ${results.code.srcDigest}, dist built ${results.code.distBuiltAt}`)
  if (opt.profile) mkdirSync(profileDir, { recursive: true })
  const profilesBefore = new Set(opt.profile ? readdirSync(profileDir) : [])

  const tmp = mkdtempSync(join(os.tmpdir(), 'bayantala-bench-'))
  const servers: ServerProc[] = []
  try {
    const bare = await startProcess('bare', join('scripts', 'bench', 'bare-server.mjs'), {}, '/bare/0', [], tmp)
    servers.push(bare)
    log(`bare Fastify server on ${bare.base} (pid ${bare.pid})`)

    if (!opt['skip-seed']) {
      if (BACKENDS.includes('sqlite')) {
        // Seed size: fresh databases, migrated and seeded by the server on start; those starts are the cold starts measured.
        // The last one stays up for the scenarios.
        let service: ServerProc | undefined
        let file = ''
        const samples: ServerProc[] = []
        for (let i = 0; i < COLD_STARTS; i++) {
          if (service) await service.stop()
          file = join(tmp, `seed-${i}.db`)
          service = await startService('service-seed', file, tmp)
          samples.push(service)
        }
        const s = service as ServerProc
        servers.push(s)
        recordColdStart('seed', 'sqlite', 'fresh database, migrate + seed, to /readyz 200', 3000, samples)
        const secret = await prepareDatabase(file)
        const ds: Dataset = {
          name: 'seed',
          backend: 'sqlite',
          url: file,
          query: sqliteQuery(file),
          service: s,
          secret,
          small: true,
          async restart() {
            await ds.service.stop()
            ds.service = await startService('service-seed', file, tmp)
            servers.push(ds.service)
          },
        }
        await runScenarios(ds, bare)
        await ds.service.stop()
      }
      if (BACKENDS.includes('postgres')) {
        // The cold starts: fresh empty databases, migrated and seeded by the server on start, as on SQLite.
        let service: ServerProc | undefined
        const samples: ServerProc[] = []
        for (let i = 0; i < COLD_STARTS; i++) {
          if (service) await service.stop()
          service = await startService('service-seed-pg', postgresUrlOf(await createDatabase('seed_cold')), tmp)
          servers.push(service)
          samples.push(service)
        }
        await service?.stop()
        recordColdStart('seed', 'postgres', 'fresh database, migrate + seed, to /readyz 200', null, samples)
        // The scenarios' database: a SQLite store seeded by the service, copied in, so the data is the SQLite run's.
        const source = join(tmp, 'seed-source.db')
        await (await startService('service-seed-source', source, tmp)).stop()
        await runPostgres('seed', source, true, bare, tmp, servers)
      }
    }

    if (!opt['skip-1m']) {
      const existing = existsSync(BIG.file)
        ? readOnly(BIG.file, (db) => {
            try {
              return {
                n: (db.prepare('SELECT count(*) AS n FROM observation').get() as { n: number }).n,
                revised: (db.prepare('SELECT count(*) AS n FROM observation_revision WHERE revision = 2').get() as { n: number }).n,
              }
            } catch {
              return { n: 0, revised: 0 }
            }
          })
        : { n: 0, revised: 0 }
      if (existing.n >= BIG.observations && existing.revised > 0) {
        log(`${BIG.name} dataset: reusing ${relative(projectRoot, BIG.file)} (${existing.n} observations)`)
        // A file made before a newer migration would make the first start run it (an index over 1M rows takes a second or more):
        // bring it up to date first, so that the cold start measures a start, not a one-time migration.
        const storage = createSqliteStorage(BIG.file)
        try {
          const state = await storage.health.migrations()
          if (state.applied < state.expected) {
            const tm = performance.now()
            await storage.migrate()
            sqliteConnection(storage).$client.pragma('wal_checkpoint(TRUNCATE)')
            log(`${BIG.name} dataset: had ${state.applied} of ${state.expected} migrations; migrated in ${r1((performance.now() - tm) / 1000)} s before measuring`)
            results.migratedBeforeRun = { from: state.applied, to: state.expected, seconds: r1((performance.now() - tm) / 1000) }
          }
        } finally {
          await storage.close()
        }
      } else {
        log(`${BIG.name} dataset: ${relative(projectRoot, BIG.file)} ${existsSync(BIG.file) ? `has ${existing.n} observations` : 'does not exist'}; running the synth (${BIG.observations} observations)`)
        const synth = await synthesize({ observations: BIG.observations, db: BIG.file, revise: 0.05, seed: 1, perSource: 250, log: (l) => log(`  ${l.trim()}`) })
        results.synth = { ...synth, reused: false }
        log(`synth: ${synth.observations} observations in ${synth.seconds.total} s (${synth.observationsPerSecond} observations/s)`)
      }
      if (BACKENDS.includes('sqlite')) {
        // A private copy: the import scenario writes 100 000 rows, and the reused file must stay as made.
        const file = join(tmp, 'big.db')
        const tc = performance.now()
        copyFileSync(BIG.file, file)
        if (existsSync(`${BIG.file}-wal`) && statSync(`${BIG.file}-wal`).size > 0) copyFileSync(`${BIG.file}-wal`, `${file}-wal`)
        // Flushed before the cold start, so that write-back of the copy does not slow the server's start.
        for (const f of [file, `${file}-wal`]) {
          if (!existsSync(f)) continue
          const fd = openSync(f, 'r+')
          fsyncSync(fd)
          closeSync(fd)
        }
        log(`copied to ${file} (${r1(statSync(file).size / 2 ** 20)} MiB) and flushed in ${r1((performance.now() - tc) / 1000)} s`)
        const secret = await prepareDatabase(file)
        let service: ServerProc | undefined
        const samples: ServerProc[] = []
        for (let i = 0; i < COLD_STARTS; i++) {
          if (service) await service.stop()
          service = await startService(`service-${BIG.name}`, file, tmp)
          samples.push(service)
        }
        servers.push(service as ServerProc)
        recordColdStart(BIG.name, 'sqlite', `existing ${BIG.name}-observation database, to /readyz 200`, 1500, samples)
        const ds: Dataset = {
          name: BIG.name,
          backend: 'sqlite',
          url: file,
          query: sqliteQuery(file),
          service: service as ServerProc,
          secret,
          small: false,
          async restart() {
            await ds.service.stop()
            ds.service = await startService(`service-${BIG.name}`, file, tmp)
            servers.push(ds.service)
          },
        }
        await runScenarios(ds, bare)
        await ds.service.stop()
      }
      // The reused file is never written by a run: PostgreSQL gets what the SQLite run started from.
      if (BACKENDS.includes('postgres')) await runPostgres(BIG.name, BIG.file, false, bare, tmp, servers)
    }
    await bare.stop()
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined)
    if (!opt.keep) {
      rmSync(tmp, { recursive: true, force: true })
      await dropDatabases()
    } else log(`kept ${tmp}${madeDatabases.length ? ` and databases ${madeDatabases.join(', ')}` : ''}`)
  }

  if (opt.profile) {
    await sleep(500)
    for (const f of readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile') && !profilesBefore.has(f))) {
      const file = join(profileDir, f)
      const s = summarizeProfile(file)
      results.profiles.push({ file: relative(projectRoot, file), ...s })
    }
  }

  evaluateTargets()
  results.stealPercent = stealPercent(runCpuTimes)
  results.finishedAt = new Date().toISOString()
  results.seconds = Math.round((performance.now() - t0) / 1000)
  const text = report()
  process.stdout.write(`\n${text}\n`)
  for (const p of results.profiles) process.stdout.write(`\nCPU profile ${p.file} (self time, % of non-idle samples)\n${p.top.join('\n')}\nby module:\n${p.byModule.join('\n')}\n`)
  const dir = join(projectRoot, 'bench', 'results')
  mkdirSync(dir, { recursive: true })
  const name = `${results.startedAt.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`
  const json = `${JSON.stringify({ ...results, table: text.split('\n') }, null, 2)}\n`
  writeFileSync(join(dir, name), json)
  writeFileSync(join(dir, 'latest.json'), json)
  process.stdout.write(`\nwritten: bench/results/${name} and bench/results/latest.json; total ${results.seconds} s${results.seconds > 600 ? ' (OVER the 10-minute budget)' : ''}\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})

