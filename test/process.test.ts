// The real process: started with the README's command, queried over HTTP, stopped by signal.
// Every answer from the running service is checked against openapi.yaml, as inject's are in buildTestApp.
import { checkedFetch as fetch } from './support/contract.js'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { projectRoot } from '../src/paths.js'
import { exited, freePort, waitReady } from './support/process.js'

const dir = mkdtempSync(join(tmpdir(), 'indicators-process-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the server process', () => {
  it('starts with `npm start` on a fresh database (migrated and seeded), serves the report, and stops on SIGTERM', { timeout: 150_000 }, async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const env = { ...process.env, PORT: String(port), DATABASE_URL: join(dir, 'fresh', 'indicators.db'), LOG_LEVEL: 'warn' }
    // npm start, as the README says; in its own process group, so that SIGTERM reaches npm, sh and node alike.
    const child = spawn('npm', ['start'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    // A test that times out is abandoned mid-await, so its finally never runs: the server must not outlive it.
    onTestFinished(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL')
      } catch {
        // already gone
      }
    })
    let stderr = ''
    child.stderr?.on('data', (d) => (stderr += d))
    try {
      await waitReady(base, child, 90_000)
      const sources = (await (await fetch(`${base}/v1/sources`)).json()) as { data: Array<{ sha256: string; id: string }> }
      const text = Buffer.from(await (await fetch(`${base}/v1/sources/${sources.data[0]?.id}/text`)).arrayBuffer())
      const { createHash } = await import('node:crypto')
      expect(createHash('sha256').update(text).digest('hex')).toBe(sources.data[0]?.sha256)
      const page = (await (await fetch(`${base}/v1/observations?indicator=dibao_paid`)).json()) as { data: Array<{ value: string }> }
      expect(page.data[0]?.value).toBe('4847520')
    } finally {
      process.kill(-(child.pid as number), 'SIGTERM')
    }
    await exited(child)
    // The server itself has gone: nothing listens any more.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow()
    expect(stderr).not.toMatch(/error/i)
  })

  it('restarts on the same database without seeding twice, and exits 0 on SIGTERM and SIGINT', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const env = { ...process.env, PORT: String(port), DATABASE_URL: join(dir, 'again.db'), LOG_LEVEL: 'warn' }
    const counts: number[] = []
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, ['dist/src/server.js'], { cwd: projectRoot, env, stdio: 'ignore' })
      await waitReady(base, child)
      const csv = await (await fetch(`${base}/v1/observations?format=csv`)).text()
      counts.push(csv.trim().split('\r\n').length)
      child.kill(i === 0 ? 'SIGTERM' : 'SIGINT')
      expect(await exited(child)).toBe(0)
    }
    expect(counts[0]).toBeGreaterThan(50)
    expect(counts[1]).toBe(counts[0])
  })

  it('refuses to start on a bad setting with a one-line message naming the variable', async () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['PORT', '70000'],
      ['LOG_LEVEL', 'loud'],
    ]) {
      const res = spawnSync(process.execPath, ['dist/src/server.js'], { cwd: projectRoot, env: { ...process.env, [name as string]: value }, encoding: 'utf8' })
      expect(res.status).toBe(2)
      const lines = res.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(name)
    }
  })
})
