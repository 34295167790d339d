// Concurrent clients over real HTTP on a database file (writes in the writer thread).
// Every answer from the running service is checked against openapi.yaml, as inject's are in buildTestApp.
import { checkedFetch as fetch } from './support/contract.js'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, type TestContext } from './helpers.js'

let t: TestContext
let base: string
let writer: string
const auth = () => ({ authorization: `Bearer ${writer}`, 'content-type': 'application/json' })

beforeAll(async () => {
  t = await buildTestApp({ file: true, build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  base = await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(() => t.close())

async function getJson(path: string): Promise<{ status: number; body: any; etag: string | null }> {
  const res = await fetch(base + path)
  return { status: res.status, body: res.status === 304 ? null : await res.json(), etag: res.headers.get('etag') }
}

function correctionOf(o: any, note: string) {
  return JSON.stringify({
    qualifier: o.qualifier,
    reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) },
    citation: { sourceId: o.source.id, quote: o.source.quote },
    involvedAreas: o.involvedAreas,
    note,
    reason: note,
  })
}

/** Rows for an import of `n` forecasts by (indicator, area, period), reusing the seed's citations. */
async function importRows(n: number, tag: string) {
  const obs = (await getJson('/v1/observations?limit=100')).body.data
  const areas = (await getJson('/v1/areas')).body.data.map((a: any) => a.code)
  const periods = (await getJson('/v1/periods')).body.data.map((p: any) => p.code)
  const seen = new Set<string>()
  const rows = []
  for (const area of areas)
    for (const period of periods)
      for (const o of obs) {
        if (rows.length >= n) return rows
        const key = `${o.indicator}|${area}|${period}`
        if (seen.has(key)) continue
        seen.add(key)
        rows.push({ indicator: o.indicator, area, period, kind: 'forecast', note: tag, reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) }, citation: { sourceId: o.source.id, quote: o.source.quote } })
      }
  return rows
}

describe('concurrent clients', () => {
  it('eight writers and readers for a bounded time: no 5xx, one revision per acknowledged write, no gaps, a complete feed', async () => {
    const revisionsBefore = (await t.query<{ n: number }>('SELECT count(*) AS n FROM observation_revision'))[0]!.n
    const ids = (await getJson('/v1/observations?limit=60')).body.data.map((o: any) => o.id)
    const deadline = Date.now() + 3000
    const statuses: number[] = []
    let acknowledgedRevisions = 0
    let counter = 0
    const writerLoop = async (w: number) => {
      while (Date.now() < deadline) {
        const id = ids[(counter++ * 7 + w) % ids.length]
        const current = await getJson(`/v1/observations/${id}`)
        const res = await fetch(`${base}/v1/observations/${id}`, { method: 'PUT', headers: { ...auth(), 'if-match': current.etag as string }, body: correctionOf(current.body, `writer ${w} #${counter}`) })
        statuses.push(res.status)
        const body = (await res.json()) as { revision: number }
        if (res.status === 200) {
          expect(body.revision).toBe(current.body.revision + 1)
          acknowledgedRevisions++
        } else expect(res.status).toBe(412)
      }
    }
    const readerLoop = async (r: number) => {
      while (Date.now() < deadline) {
        const paths = ['/v1/observations?limit=50', '/v1/changes?after=0&limit=200', `/v1/indicators/dibao_paid`, '/v1/observations?format=csv', `/v1/observations/${ids[r]}`]
        for (const p of paths) {
          const res = await fetch(base + p)
          statuses.push(res.status)
          await res.arrayBuffer()
        }
      }
    }
    await Promise.all([0, 1, 2, 3].map(writerLoop).concat([0, 1, 2, 3].map(readerLoop)))
    expect(statuses.filter((s) => s >= 500)).toEqual([])
    expect(acknowledgedRevisions).toBeGreaterThan(20)

    const revisionsAfter = (await t.query<{ n: number }>('SELECT count(*) AS n FROM observation_revision'))[0]!.n
    expect(revisionsAfter - revisionsBefore).toBe(acknowledgedRevisions)
    const gaps = await t.query('SELECT observation_id FROM observation_revision GROUP BY observation_id HAVING max(revision) != count(*) OR min(revision) != 1')
    expect(gaps).toEqual([])
    const seqs: number[] = []
    let after = 0
    for (;;) {
      const page = (await getJson(`/v1/changes?after=${after}&limit=1000`)).body
      seqs.push(...page.data.map((c: any) => c.seq))
      after = page.nextAfter
      if (!page.hasMore) break
    }
    expect(new Set(seqs).size).toBe(seqs.length)
    expect(seqs.length).toBe(revisionsAfter)
  }, 30_000)

  it('fifty concurrent PUTs with the same If-Match: exactly one succeeds, the rest get 412', async () => {
    const id = (await getJson('/v1/observations?indicator=medical_insurance_enrolled')).body.data[0].id
    const current = await getJson(`/v1/observations/${id}`)
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${base}/v1/observations/${id}`, { method: 'PUT', headers: { ...auth(), 'if-match': current.etag as string }, body: correctionOf(current.body, `racer ${i}`) }).then(async (r) => {
          await r.arrayBuffer()
          return r.status
        }),
      ),
    )
    expect(results.filter((s) => s === 200)).toHaveLength(1)
    expect(results.filter((s) => s === 412)).toHaveLength(49)
    expect((await getJson(`/v1/observations/${id}`)).body.revision).toBe(current.body.revision + 1)
  })

  it('keeps /healthz responsive during a 10 000-row import and a full export', async () => {
    const rows = await importRows(10_000, 'load')
    const loop = monitorEventLoopDelay({ resolution: 10 })
    const latencies: number[] = []
    let running = true
    const prober = (async () => {
      while (running) {
        const t0 = performance.now()
        const res = await fetch(`${base}/healthz`)
        await res.arrayBuffer()
        latencies.push(performance.now() - t0)
        await new Promise((r) => setTimeout(r, 5))
      }
    })()
    loop.enable()
    try {
      const imported = await fetch(`${base}/v1/imports?reason=load`, { method: 'POST', headers: auth(), body: JSON.stringify({ observations: rows }) })
      expect(imported.status).toBe(200)
      const summary = (await imported.json()) as { created: number; updated: number; unchanged: number }
      expect(summary.created + summary.updated + summary.unchanged).toBe(10_000)
      const exported = await fetch(`${base}/v1/observations?format=csv`)
      const csv = await exported.text()
      expect(csv.split('\r\n').length).toBeGreaterThan(10_000)
    } finally {
      loop.disable()
      running = false
      await prober
    }
    latencies.sort((a, b) => a - b)
    const p99 = latencies[Math.floor(latencies.length * 0.99)] as number
    const maxStallMs = loop.max / 1e6
    console.log(`healthz during import+export: n=${latencies.length} p50=${latencies[Math.floor(latencies.length / 2)]?.toFixed(1)}ms p99=${p99.toFixed(1)}ms; longest event-loop stall ${maxStallMs.toFixed(0)}ms`)
    expect(latencies.length).toBeGreaterThan(5)
    expect(p99).toBeLessThan(500)
    expect(maxStallMs).toBeLessThan(500)
  }, 60_000)
})
