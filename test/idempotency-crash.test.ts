// kill -9 during imports sent with an Idempotency-Key, then the retry: the
// key must never stay locked by the dead process (409 for a day), and the
// batch must be applied exactly once.
// Every answer from the running service is checked against openapi.yaml, as inject's are in buildTestApp.
import { checkedFetch as fetch } from './support/contract.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'

import { checkDatabaseFile } from '../src/modules/audit/file-check.js'
import { createKey } from '../src/modules/keys/keys.js'
import { openStore } from './helpers.js'
import { forecastRows } from './support/forecast-rows.js'
import { exited, startServer } from './support/process.js'

const dir = mkdtempSync(join(tmpdir(), 'indicators-idempotency-crash-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))


describe('Idempotency-Key across a crash', () => {
  it('after kill -9 at a random moment of an import, the retry with the same key answers 2xx and the batch is applied once', async () => {
    const path = join(dir, 'crash.db')
    const { storage } = await openStore(path)
    const key = (await createKey(storage, 'writer', ['write'])).secret
    await storage.close()
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
    const outcomes: string[] = []
    let server = await startServer(path)
    for (let round = 0; round < 6; round++) {
      const rows = forecastRows(path, 1000, `idem-crash-${round}`)
      const request = { method: 'POST', headers: { ...headers, 'idempotency-key': `crash-key-${round}` }, body: JSON.stringify({ observations: rows }) }
      const url = `/v1/imports?reason=idem-crash-${round}`
      const first = fetch(`${server.base}${url}`, request).then(
        (r) => r.status,
        () => 'killed',
      )
      await new Promise((r) => setTimeout(r, Math.random() * 1500))
      server.child.kill('SIGKILL')
      await exited(server.child)
      const firstStatus = await first

      server = await startServer(path)
      const retry = await fetch(`${server.base}${url}`, request)
      expect(retry.status, await retry.clone().text()).toBe(200)
      const again = await fetch(`${server.base}${url}`, request)
      expect(again.status).toBe(200)
      expect(again.headers.get('idempotent-replayed')).toBe('true')

      const check = new Database(path, { readonly: true })
      const { n } = check.prepare('SELECT count(*) AS n FROM observation_revision WHERE reason = ?').get(`idem-crash-${round}`) as { n: number }
      check.close()
      expect(n).toBe(rows.length)
      outcomes.push(firstStatus === 200 ? 'answered' : retry.headers.get('idempotent-replayed') === 'true' ? 'committed, replayed' : 'rolled back, re-run')
    }
    server.child.kill('SIGTERM')
    await exited(server.child)
    const check = (await checkDatabaseFile(path))
    expect(check.integrity).toBe('ok')
    expect(check.summary).toMatch(/audit chain OK/)
    console.log(`kill -9 during keyed imports, 6 rounds: ${outcomes.join('; ')}`)
  }, 300_000)
})
