// Helpers for tests that run the real server process.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { projectRoot } from '../../src/paths.js'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

export async function waitReady(base: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode}`)
    try {
      const res = await fetch(`${base}/readyz`)
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('not ready in time')
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))))
}

/**
 * Starts the built server (dist/) on a free port with the given database. A port found free can be taken
 * before the child binds it (two servers started together may even be given the same one): a child that
 * exits with EADDRINUSE is started again on another port; any other exit fails with its stderr.
 */
export async function startServer(databaseUrl: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string; stderr: () => string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const child = spawn(process.execPath, ['dist/src/server.js'], {
      cwd: projectRoot,
      env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '1000000', AUTH_FAILURES_PER_WINDOW: '1000000', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr?.on('data', (d) => (stderr += d))
    const base = `http://127.0.0.1:${port}`
    try {
      await waitReady(base, child)
      return { child, base, stderr: () => stderr }
    } catch (err) {
      if (child.exitCode === null) child.kill('SIGKILL')
      else await exited(child)
      if (/EADDRINUSE/.test(stderr) && attempt < 5) continue
      throw new Error(`${(err as Error).message}; stderr: ${stderr.slice(-2000)}`)
    }
  }
}
