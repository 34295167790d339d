// Operations, with real processes: npm start and its signal, start-up failures and the start-up line,
// one-line CLI errors, restore refusing a database in use, and CLI writers waiting for the write lock.
// Every answer from the running service is checked against openapi.yaml, as inject's are in buildTestApp.
import { checkedFetch as fetch } from './support/contract.js'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, LOG_LEVELS, loadConfig } from '../src/config.js'
import Database from 'better-sqlite3'
import { openStore } from './helpers.js'
import { DatabasePathError, prepareDatabasePath } from '../src/storage/sqlite/database-path.js'
import { heldByAnotherConnection, processesHolding } from '../src/storage/sqlite/open-by.js'
import { projectRoot } from '../src/paths.js'
import { exited, freePort, startServer, waitReady } from './support/process.js'

const dir = mkdtempSync(join(tmpdir(), 'indicators-operations-'))
// Traversable by the unprivileged user of the unwritable-folder cases.
chmodSync(dir, 0o755)
afterAll(async () => {
  chmodSync(dir, 0o755)
  rmSync(dir, { recursive: true, force: true })
})

const asRoot = process.getuid?.() === 0
// Root ignores file modes: the unwritable-folder cases run as nobody, so that the mode is what refuses.
const unprivileged = asRoot ? { uid: 65534, gid: 65534 } : {}
// A node binary under root's home (CI's Node 24 in ~/.cache) cannot be run as nobody: those cases need a runnable node.
const unprivilegedCanRun = !asRoot || spawnSync(process.execPath, ['-e', '0'], { ...unprivileged, cwd: projectRoot }).status === 0

interface Outcome {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

/** Runs a command to its end (or kills it after `timeoutMs`), collecting its output. */
function runProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; uid?: number; gid?: number; onStderr?: (soFar: string) => void } = {},
): Promise<Outcome> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], uid: options.uid, gid: options.gid })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => {
      stderr += d
      options.onStderr?.(stderr)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', (err) => {
      clearTimeout(timer)
      resolve({ code: -1, signal: null, stdout, stderr: `${stderr}spawn failed: ${err.message}`, ms: Date.now() - started })
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started })
    })
  })
}

/** A CLI script, run the way `npm run` runs it (tsx), without npm's own noise on stderr. */
const cli = (script: string, args: string[], env: Record<string, string>, timeoutMs = 90_000, onStderr?: (soFar: string) => void) =>
  runProcess(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], env, { timeoutMs, onStderr })

function expectOneLineFailure(o: Outcome, ...mentions: string[]): void {
  expect(o.signal, `killed: ${o.stderr}`).toBeNull()
  expect(o.code, o.stderr).not.toBe(0)
  const lines = o.stderr.trimEnd().split('\n')
  expect(lines, o.stderr).toHaveLength(1)
  expect(o.stderr).not.toMatch(/^\s+at /m)
  for (const m of mentions) expect(lines[0]).toContain(m)
}

async function seeded(name: string): Promise<string> {
  const path = join(dir, name)
  const { storage } = await openStore(path)
  await storage.close()
  return path
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A process that holds `file` open, started with `code` (CommonJS, `file` in argv[1]); resolves once it says "ready". */
async function holder(code: string, file: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', code, file], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d) => String(d).includes('ready') && resolve())
    child.once('exit', (c) => reject(new Error(`holder exited ${c}`)))
  })
  return child
}

describe('npm start', () => {
  it('builds, starts with one start-up line, and a SIGTERM to the npm process ends the node server cleanly', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const database = join(dir, 'fresh', 'npm-start.db')
    const child = spawn('npm', ['start'], { cwd: projectRoot, env: { ...process.env, PORT: String(port), DATABASE_URL: database, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout?.on('data', (d) => (stdout += d))
    child.stderr?.on('data', (d) => (stderr += d))
    try {
      await waitReady(base, child, 240_000)
    } catch (err) {
      child.kill('SIGKILL')
      throw err
    }
    const logs = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; pid: number })
    const startLines = logs.filter((l) => /listening/i.test(l.msg))
    expect(startLines).toHaveLength(1)
    const start = startLines[0] as { msg: string; pid: number }
    expect(start.msg).toContain(`listening on ${base}`)
    expect(start.msg).toContain(`database ${database}`)
    expect(start.msg).toMatch(/migrated 0000_init, 0001_/)
    expect(start.msg).toContain('seeded bayantala-2023h1')
    expect(start.msg).toContain(`${base}/docs`)
    const nodePid = start.pid
    expect(nodePid).not.toBe(child.pid)
    // Only the npm process gets the signal, as a process manager or `kill PID` would send it.
    child.kill('SIGTERM')
    const npmCode = await exited(child)
    const deadline = Date.now() + 15_000
    while (alive(nodePid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(alive(nodePid), 'the node server outlived npm').toBe(false)
    expect(npmCode).toBe(0)
    expect(stdout).toMatch(/"signal":"SIGTERM".*"closing"/)
    expect(stderr).not.toMatch(/error/i)
    await expect(fetch(`${base}/healthz`)).rejects.toThrow()

    // Started again on the same database: nothing to migrate, nothing to seed, and it says so.
    const again = await runProcess(process.execPath, ['-e', `
      const { spawn } = require('node:child_process')
      const c = spawn(process.execPath, ['dist/src/server.js'], { stdio: ['ignore', 'pipe', 'inherit'] })
      c.stdout.on('data', (d) => { process.stdout.write(d); if (String(d).includes('listening')) c.kill('SIGTERM') })
      c.on('exit', (code) => process.exit(code))`], { PORT: String(port), DATABASE_URL: database, LOG_LEVEL: 'info' })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('schema current, nothing migrated')
    expect(again.stdout).toContain('seeds already loaded')
  }, 300_000)
})

describe('start-up on a DATABASE_URL that cannot hold a database', () => {
  it('fails at once, in one line naming the path and the reason, for pseudo file systems, non-folders and unwritable folders', async () => {
    const file = join(dir, 'a-file')
    writeFileSync(file, 'not a folder')
    const notDb = join(dir, 'not-a-database.db')
    writeFileSync(notDb, 'plain text, not SQLite '.repeat(100))
    const readOnly = join(dir, 'read-only')
    mkdirSync(join(readOnly, 'existing'), { recursive: true })
    copyFileSync(await seeded('ro-source.db'), join(readOnly, 'existing', 'indicators.db'))
    chmodSync(join(readOnly, 'existing'), 0o555)
    chmodSync(readOnly, 0o555)
    const cases: Array<{ url: string; reason: RegExp; asNobody?: boolean }> = [
      { url: '/proc/no-such-process/indicators.db', reason: /proc pseudo file system/ },
      { url: '/proc/self/deeper/still/x.db', reason: /proc pseudo file system/ },
      { url: '/proc/1/indicators.db', reason: /proc pseudo file system/ },
      { url: '/sys/kernel/indicators.db', reason: /sysfs pseudo file system/ },
      { url: '/sys/no-such/dir/x.db', reason: /sysfs pseudo file system/ },
      { url: '/dev/null/indicators.db', reason: /is not a folder/ },
      { url: '/dev/null', reason: /not a regular file/ },
      { url: join(file, 'sub', 'x.db'), reason: /is not a folder/ },
      { url: dir, reason: /not a regular file/ },
      { url: notDb, reason: /not a database/ },
      { url: join(readOnly, 'new', 'x.db'), reason: /cannot create folder .*EACCES/, asNobody: true },
      { url: join(readOnly, 'x.db'), reason: /not writable .*EACCES/, asNobody: true },
      { url: join(readOnly, 'existing', 'indicators.db'), reason: /not writable|not readable and writable/, asNobody: true },
    ]
    // A few at a time: the machine is shared, and a killed run must mean a spin, not a queue.
    if (!unprivilegedCanRun) cases.splice(0, cases.length, ...cases.filter((c) => !c.asNobody))
    const outcomes: Outcome[] = []
    for (let i = 0; i < cases.length; i += 3) {
      outcomes.push(
        ...(await Promise.all(
          cases.slice(i, i + 3).map((c) => runProcess(process.execPath, ['dist/src/server.js'], { DATABASE_URL: c.url, PORT: '0' }, { timeoutMs: 60_000, ...(c.asNobody ? unprivileged : {}) })),
        )),
      )
    }
    cases.forEach((c, i) => {
      const o = outcomes[i] as Outcome
      expectOneLineFailure(o, c.url)
      expect(o.stderr, c.url).toMatch(c.reason)
    })
    // Nothing was created under the pseudo file systems or beside the file.
    expect(existsSync(join(file, 'sub'))).toBe(false)
  }, 400_000)

  it('refuses any path under a pseudo file system or a file, in-process, without creating anything (property)', async () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,12}$/)
    const file = join(dir, 'plain-file')
    writeFileSync(file, 'x')
    fc.assert(
      fc.property(fc.constantFrom('/proc', '/proc/self', '/proc/1', '/sys', '/sys/kernel', '/sys/fs', file, '/dev/null'), fc.array(segment, { minLength: 1, maxLength: 4 }), (root, parts) => {
        const url = join(root, ...parts) + '.db'
        expect(() => prepareDatabasePath(url)).toThrow(DatabasePathError)
        expect(() => prepareDatabasePath(url)).toThrow(url)
      }),
      { numRuns: 300 },
    )
  })
})

describe('configuration errors', () => {
  const variables = ['PORT', 'HOST', 'DATABASE_URL', 'LOG_LEVEL', 'TRUST_PROXY', 'RATE_LIMIT_PER_MINUTE', 'RESPONSE_CACHE_MB', 'LOCK_WAIT_SECONDS']

  it('an empty or invalid variable is one line naming it and what it accepts (property)', async () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...variables),
        fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 200_000_000 }).map(String)),
        (name, value) => {
          let error: unknown
          try {
            loadConfig({ [name]: value })
          } catch (err) {
            error = err
          }
          if (error === undefined) {
            // Accepted values are the valid ones only.
            if (name === 'LOG_LEVEL') expect(LOG_LEVELS).toContain(value)
            if (name === 'PORT') expect(Number(value)).toBeLessThanOrEqual(65535)
            expect(value).not.toBe('')
            return
          }
          expect(error).toBeInstanceOf(ConfigError)
          const message = (error as Error).message
          expect(message).toContain(name)
          expect(message).not.toContain('\n')
          if (value === '') expect(message).toContain('empty')
          if (name === 'LOG_LEVEL') expect(message).toContain(LOG_LEVELS.join(', '))
          if (name === 'PORT') expect(message).toContain('0 to 65535')
        },
      ),
      { numRuns: 500 },
    )
    expect(() => loadConfig({ LOG_LEVEL: 'Info' })).toThrow(/LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/)
    expect(() => loadConfig({ PORT: '' })).toThrow(/PORT is set but empty/)
  })

  it('the server exits 2 with that one line', async () => {
    const outcomes = await Promise.all(
      [
        ['PORT', ''],
        ['LOG_LEVEL', 'verbose'],
        ['LOG_LEVEL', ''],
        ['LOCK_WAIT_SECONDS', '0'],
      ].map(([name, value]) => runProcess(process.execPath, ['dist/src/server.js'], { [name as string]: value as string }, { timeoutMs: 30_000 }).then((o) => ({ name, o }))),
    )
    for (const { name, o } of outcomes) {
      expectOneLineFailure(o, name as string)
      expect(o.code).toBe(2)
    }
  }, 60_000)
})

describe('command-line tools', () => {
  it('fail in one line with an exit code, never a stack trace', async () => {
    const live = await seeded('cli-errors.db')
    const text = join(dir, 'cli-text.db')
    writeFileSync(text, 'not a database at all '.repeat(200))
    const runs = await Promise.all([
      cli('db-backup', [join(dir, 'missing-folder', 'deeper', 'b.db')], { DATABASE_URL: live }).then((o) => [o, 'missing-folder']),
      cli('db-backup', [live], { DATABASE_URL: live }).then((o) => [o, 'exists']),
      cli('db-backup', [join(dir, 'b-of-nothing.db')], { DATABASE_URL: join(dir, 'no-such.db') }).then((o) => [o, 'no-such.db']),
      cli('db-restore', [join(dir, 'no-such-backup.db')], { DATABASE_URL: live }).then((o) => [o, 'usage']),
      cli('db-restore', [text], { DATABASE_URL: join(dir, 'restore-target.db') }).then((o) => [o, 'not a database']),
      cli('keys', ['create', '--bogus'], { DATABASE_URL: live }).then((o) => [o, '--bogus']),
      cli('keys', ['list'], { DATABASE_URL: '/proc/none/keys.db' }).then((o) => [o, '/proc/none/keys.db']),
      cli('keys', ['list'], { DATABASE_URL: live, LOG_LEVEL: 'loud' }).then((o) => [o, 'LOG_LEVEL']),
      cli('audit-verify', [join(dir, 'never-made.db')], { DATABASE_URL: live }).then((o) => [o, 'never-made.db']),
    ] as Array<Promise<[Outcome, string]>>)
    for (const [o, mention] of runs) expectOneLineFailure(o, mention)
    expect(existsSync(join(dir, 'restore-target.db'))).toBe(false)
    expect(existsSync(join(dir, 'never-made.db'))).toBe(false)
  }, 180_000)
})

describe('db:restore on a database in use', () => {
  it('refuses while the server runs, naming its pid and command, and leaves the live database untouched; restores once it has stopped', async () => {
    const live = await seeded('restore-live.db')
    const backup = join(dir, 'restore-backup.db')
    const server = await startServer(live)
    try {
      const made = await cli('db-backup', [backup], { DATABASE_URL: live })
      expect(made.code, made.stderr).toBe(0)
      const inode = statSync(live).ino
      const refused = await cli('db-restore', [backup], { DATABASE_URL: live })
      expectOneLineFailure(refused, `pid ${server.child.pid}`, 'dist/src/server.js', 'nothing restored')
      expect(statSync(live).ino).toBe(inode)
      expect(existsSync(`${live}.restoring`)).toBe(false)
      expect((await fetch(`${server.base}/readyz`)).status).toBe(200)
    } finally {
      server.child.kill('SIGTERM')
      await exited(server.child)
    }
    // Any process, SQLite or not: a plain open file handle is enough to refuse.
    const plain = await holder(`require('node:fs').openSync(process.argv[1], 'r'); console.log('ready'); setInterval(() => {}, 1000)`, live)
    try {
      const refused = await cli('db-restore', [backup], { DATABASE_URL: live })
      expectOneLineFailure(refused, `pid ${plain.pid}`)
    } finally {
      plain.kill()
      await exited(plain)
    }
    const restored = await cli('db-restore', [backup], { DATABASE_URL: live })
    expect(restored.code, restored.stderr).toBe(0)
    expect(restored.stdout).toMatch(/integrity_check ok; audit chain OK/)
  }, 240_000)

  it('sees SQLite connections of other processes by their locks, idle or not, and every process holding the file in /proc', async () => {
    const live = await seeded('restore-lock.db')
    expect(heldByAnotherConnection(live)).toBe(false)
    expect(processesHolding(live)).toEqual([])
    const reader = await holder(
      `const D = require('better-sqlite3'); const db = new D(process.argv[1], { readonly: true }); db.prepare('SELECT count(*) FROM observation').get(); console.log('ready'); setInterval(() => {}, 1000)`,
      live,
    )
    try {
      expect(heldByAnotherConnection(live, 200)).toBe(true)
      expect(processesHolding(live)?.map((h) => h.pid)).toEqual([reader.pid])
    } finally {
      reader.kill()
      await exited(reader)
    }
    expect(heldByAnotherConnection(live)).toBe(false)
  }, 60_000)
})

describe('command-line writers and the write lock', () => {
  /** Another process that takes the write lock, says "ready", and keeps it until SIGUSR2 (or `maxMs`). */
  const lockHolder = (file: string, maxMs: number) =>
    holder(
      `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec('BEGIN IMMEDIATE'); console.log('ready')
       const release = () => { db.exec('COMMIT'); db.close(); process.exit(0) }
       process.on('SIGUSR2', release); setTimeout(release, ${maxMs})`,
      file,
    )

  it('waits its turn, saying so after a second, and fails in one line when the wait exceeds LOCK_WAIT_SECONDS', async () => {
    const live = await seeded('lock-wait.db')
    const first = await lockHolder(live, 60_000)
    let released = false
    // The lock is let go only once the CLI has said it waits: before that, it has to be waiting.
    const waited = await cli('keys', ['create', '--name', 'patient'], { DATABASE_URL: live, LOCK_WAIT_SECONDS: '120' }, 150_000, (soFar) => {
      if (!released && soFar.includes('waiting for the write lock')) {
        released = true
        first.kill('SIGUSR2')
      }
    })
    first.kill()
    await exited(first)
    expect(waited.code, waited.stderr).toBe(0)
    expect(waited.stdout).toContain('created key "patient"')
    expect(waited.stderr).toContain('waiting for the write lock')
    expect(released).toBe(true)

    const second = await lockHolder(live, 120_000)
    try {
      const gaveUp = await cli('keys', ['create', '--name', 'impatient'], { DATABASE_URL: live, LOCK_WAIT_SECONDS: '2' })
      expect(gaveUp.code).toBe(75)
      const lines = gaveUp.stderr.trimEnd().split('\n')
      expect(lines).toHaveLength(2)
      expect(lines[0]).toContain('waiting for the write lock')
      expect(lines[1]).toMatch(/gave up waiting for the write lock .* after 2 s/)
    } finally {
      second.kill()
      await exited(second)
    }
    const list = await cli('keys', ['list'], { DATABASE_URL: live })
    expect(list.stdout).toContain('patient')
    expect(list.stdout).not.toContain('impatient')
  }, 300_000)

  it('a server starting while another process writes waits for the lock to seed, says so, then serves', async () => {
    const live = await seeded('lock-start.db')
    const lock = await lockHolder(live, 120_000)
    const port = await freePort()
    const child = spawn(process.execPath, ['dist/src/server.js'], { cwd: projectRoot, env: { ...process.env, PORT: String(port), DATABASE_URL: live, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (d) => {
      stderr += d
      if (stderr.includes('waiting for the write lock')) lock.kill('SIGUSR2')
    })
    try {
      await waitReady(`http://127.0.0.1:${port}`, child, 150_000)
      expect(stderr).toContain('waiting for the write lock')
    } finally {
      lock.kill()
      child.kill('SIGTERM')
      await exited(child)
    }
  }, 200_000)

  it('keys revoke succeeds while a real server runs a long import', async () => {
    const live = await seeded('lock-import.db')
    const made = await cli('keys', ['create', '--name', 'importer', '--json'], { DATABASE_URL: live })
    expect(made.code, made.stderr).toBe(0)
    const { secret } = JSON.parse(made.stdout) as { secret: string }
    const victim = await cli('keys', ['create', '--name', 'victim'], { DATABASE_URL: live })
    expect(victim.code, victim.stderr).toBe(0)
    const server = await startServer(live)
    try {
      const rows = importRows(live, 10_000)
      const importing = fetch(`${server.base}/v1/imports?reason=long-import`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ observations: rows }),
      })
      const revoked = await cli('keys', ['revoke', '--name', 'victim'], { DATABASE_URL: live })
      expect(revoked.code, revoked.stderr).toBe(0)
      expect(revoked.stdout).toContain('revoked key "victim"')
      // Whatever the import's own limits decide, it is answered, not failed by the CLI's write.
      expect((await importing).status).toBeLessThan(500)
    } finally {
      server.child.kill('SIGTERM')
      await exited(server.child)
    }
  }, 240_000)
})

/** n forecast rows by (indicator, area, period), citing the seed's own quotes. */
function importRows(path: string, n: number): unknown[] {
  const c = new Database(path)
  const obs = c
    .prepare("SELECT o.indicator_code AS indicator, r.reported_value AS v, r.reported_unit AS u, r.reported_text AS t, r.quote AS q FROM observation o JOIN observation_revision r ON r.seq = o.current_seq WHERE o.kind = 'actual' GROUP BY o.indicator_code")
    .all() as Array<{ indicator: string; v: string; u: string; t: string | null; q: string }>
  const areas = (c.prepare('SELECT code FROM area').all() as Array<{ code: string }>).map((a) => a.code)
  const periods = (c.prepare('SELECT code FROM reporting_period').all() as Array<{ code: string }>).map((p) => p.code)
  c.close()
  const rows: unknown[] = []
  for (const area of areas)
    for (const period of periods)
      for (const o of obs) {
        if (rows.length >= n) return rows
        rows.push({ indicator: o.indicator, area, period, kind: 'forecast', note: 'long import', reported: { value: o.v, unit: o.u, ...(o.t ? { text: o.t } : {}) }, citation: { sourceId: 'bayantala-2023h1', quote: o.q } })
      }
  return rows
}
