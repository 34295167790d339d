// Incremental sync through the change feed, and the tamper-evident audit log.
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { auditHash } from '../src/domain/audit-chain.js'
import { createKey, revokeKey } from '../src/modules/keys/keys.js'
import { projectRoot } from '../src/paths.js'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { ChangePage } from '../src/modules/changes/changes.routes.js'
import type { ObservationFilter } from '../src/storage/ports.js'
import { IndicatorDetail } from '../src/modules/indicators/indicators.routes.js'
import { ObservationPage } from '../src/modules/observations/observations.routes.js'
import { Observation, ObservationRevision, toObservation, toObservationRevision } from '../src/modules/observations/observations.schemas.js'
import { CitedFigure, Progress } from '../src/modules/relations/relations.schemas.js'
import { buildTestApp, json, onPostgres, type TestContext } from './helpers.js'

let t: TestContext
let writer: string
let admin: string

beforeAll(async () => {
  // The walks below grow with the data (every instant, every page): past the default per-client limit.
  t = await buildTestApp({ file: true, build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
})
afterAll(() => t.close())

const withFormats = (ajv: Ajv): Ajv => (addFormats as unknown as (a: Ajv) => Ajv)(ajv)
/** The schema with every object closed, so that a field the schema lacks fails the check. */
function strictly(schema: unknown): object {
  if (Array.isArray(schema)) return schema.map(strictly)
  if (schema === null || typeof schema !== 'object') return schema as object
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strictly(s)])) : strictly(v)
  if (out.type === 'object' && out.properties) out.additionalProperties = false
  return out
}

/** A strict validator that resolves the pages' `$ref`s to the named Observation and Revision schemas. */
const withNamedSchemas = (): Ajv => withFormats(new Ajv({ strict: false, allErrors: true })).addSchema([strictly(Observation), strictly(ObservationRevision), strictly(CitedFigure), strictly(Progress)])

const auth = (secret: string) => ({ authorization: `Bearer ${secret}` })

async function current(id: number) {
  const res = await t.app.inject({ url: `/v1/observations/${id}` })
  return { body: json(res.body), etag: res.headers.etag as string }
}

/** A mixed workload: corrections, withdrawals, imports of new and changed rows, catalog writes. */
async function someWrites(round: number) {
  const list = json((await t.app.inject({ url: '/v1/observations?limit=60' })).body).data
  const o = list[(round * 7) % list.length]
  const { body, etag } = await current(o.id)
  if (round % 3 === 2) {
    await t.app.inject({ method: 'DELETE', url: `/v1/observations/${o.id}?reason=round${round}`, headers: { ...auth(writer), 'if-match': etag } })
  } else {
    await t.app.inject({
      method: 'PUT',
      url: `/v1/observations/${o.id}`,
      headers: { ...auth(writer), 'if-match': etag },
      payload: { qualifier: body.qualifier === 'approx' ? 'eq' : 'approx', reported: { value: body.reported.value, unit: body.reported.unit, ...(body.reported.text ? { text: body.reported.text } : {}) }, citation: { sourceId: body.source.id, quote: body.source.quote }, involvedAreas: body.involvedAreas, note: `round ${round}`, reason: `round ${round}` },
    })
  }
  const p = list[(round * 11 + 3) % list.length]
  await t.app.inject({
    method: 'POST',
    url: '/v1/imports',
    headers: auth(writer),
    payload: {
      reason: `import ${round}`,
      observations: [{ indicator: p.indicator, area: p.area, period: '2023', kind: 'forecast', qualifier: round % 2 ? 'approx' : 'eq', reported: { value: p.reported.value, unit: p.reported.unit, ...(p.reported.text ? { text: p.reported.text } : {}) }, citation: { sourceId: p.source.id, quote: p.source.quote } }],
    },
  })
  await t.app.inject({ method: 'PUT', url: `/v1/periods/${2024 + round}`, headers: auth(admin) })
}

describe('change feed', () => {
  it('runs on a database file (or PostgreSQL), so writes go through the writer thread', async () => {
    expect(json((await t.app.inject({ url: '/readyz' })).body).writer).toBe('thread')
  })

  it('lets a second system mirror the observations exactly, with every revision once, while writes go on', async () => {
    const mirror = new Map<number, any>()
    const seen: number[] = []
    let after = 0
    const readSomePages = async () => {
      for (let pages = 0; pages < 2; pages++) {
        const page = json((await t.app.inject({ url: `/v1/changes?after=${after}&limit=25` })).body)
        for (const change of page.data) {
          seen.push(change.seq)
          mirror.set(change.id, change)
        }
        after = page.nextAfter
        if (!page.hasMore) break
      }
    }
    // One reader (as a client would have) runs concurrently with the writers, interleaving at every await.
    for (let round = 0; round < 12; round++) await Promise.all([readSomePages(), someWrites(round)])
    for (;;) {
      const page = json((await t.app.inject({ url: `/v1/changes?after=${after}&limit=1000` })).body)
      for (const change of page.data) {
        seen.push(change.seq)
        mirror.set(change.id, change)
      }
      after = page.nextAfter
      if (!page.hasMore) break
    }
    // Strictly increasing: nothing twice, nothing out of order; and nothing missed.
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] as number)
    const [total] = (await t.query<{ n: number }>('SELECT count(*) AS n FROM observation_revision')) as [{ n: number }]
    expect(seen.length).toBe(total.n)

    const truth: any[] = []
    let cursor: string | null = null
    do {
      const page: { data: any[]; nextCursor: string | null } = json((await t.app.inject({ url: `/v1/observations?includeWithdrawn=true&limit=50${cursor ? `&cursor=${cursor}` : ''}` })).body)
      truth.push(...page.data)
      cursor = page.nextCursor
    } while (cursor)
    const strip = ({ seq: _s, reason: _r, actor: _a, ruleChanges: _c, ...rest }: any) => rest
    expect([...mirror.values()].map(strip).sort((a, b) => a.id - b.id)).toEqual(truth)
    expect(truth.some((o) => o.status === 'withdrawn')).toBe(true)
    expect(truth.some((o) => o.revision > 1)).toBe(true)
  })

  it('builds each page in SQL byte for byte as the schema serializer would, tricky text included', async () => {
    const list = json((await t.app.inject({ url: '/v1/observations?limit=1' })).body).data
    const { body, etag } = await current(list[0].id)
    const note = 'He said "5万元" \\ then\nleft\ttabs, é, 😀, \u2028 and </script>'
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/observations/${body.id}`,
      headers: { ...auth(writer), 'if-match': etag },
      payload: { qualifier: body.qualifier, reported: body.reported.text ? body.reported : { value: body.reported.value, unit: body.reported.unit }, citation: { sourceId: body.source.id, quote: body.source.quote }, involvedAreas: body.involvedAreas, note, reason: 'serializer check' },
    })
    expect(res.statusCode, res.body).toBe(200)
    const repo = t.storage.observations
    const checkPage = withNamedSchemas().compile(strictly(ChangePage))
    let after = 0
    let checked = 0
    for (;;) {
      const res = await t.app.inject({ url: `/v1/changes?after=${after}&limit=1000` })
      const rows = await repo.changes(after, 1000)
      const page = json(res.body)
      const expected = `{"data":[${rows.map((r) => JSON.stringify(toObservationRevision(r))).join(',')}],"nextAfter":${page.nextAfter},"hasMore":${page.hasMore}}`
      expect(res.body).toBe(expected)
      expect(checkPage(page), JSON.stringify(checkPage.errors)).toBe(true)
      checked += rows.length
      after = page.nextAfter
      if (!page.hasMore) break
    }
    expect(checked).toBeGreaterThan(59)
    const last = json((await t.app.inject({ url: `/v1/changes?after=${after - 1}` })).body).data[0]
    expect(last.note).toBe(note)
  })

  it('builds observation pages in SQL byte for byte as the schema serializer would, now and as of any time', async () => {
    const repo = t.storage.observations
    const checkPage = withNamedSchemas().compile(strictly(ObservationPage))
    const firstRevision = (await t.query<{ recorded_at: string }>('SELECT recorded_at FROM observation_revision WHERE revision = 2 ORDER BY seq LIMIT 1'))[0]!.recorded_at
    const queries: Array<[string, ObservationFilter]> = [
      ['includeWithdrawn=true', { includeWithdrawn: true }],
      ['', {}],
      [`asOf=${firstRevision}`, { asOf: firstRevision }],
      [`knownAt=${firstRevision}`, { knownAt: firstRevision }],
      [`asOf=2023-07-01&knownAt=${firstRevision}`, { asOf: '2023-07-01T23:59:59.999Z', knownAt: firstRevision }],
      ['category=social_security&category=agriculture&kind=actual', { categories: ['social_security', 'agriculture'], kinds: ['actual'] }],
    ]
    for (const [query, filter] of queries) {
      let cursor: string | null = null
      let after = 0
      let pages = 0
      do {
        const res: { statusCode: number; body: string } = await t.app.inject({ url: `/v1/observations?limit=9&${query}${cursor ? `&cursor=${cursor}` : ''}` })
        expect(res.statusCode, res.body).toBe(200)
        const page: { nextCursor: string | null } = json(res.body)
        expect(checkPage(page), JSON.stringify(checkPage.errors)).toBe(true)
        const rows = await repo.page(filter, after, 9)
        expect(res.body).toBe(`{"data":[${rows.map((r) => JSON.stringify(toObservation(r))).join(',')}],"nextCursor":${JSON.stringify(page.nextCursor)}}`)
        after = rows[rows.length - 1]?.id ?? after
        cursor = page.nextCursor
        pages++
      } while (cursor)
      expect(pages, query).toBeGreaterThan(1)
    }
  })

  it('builds an indicator with its observations byte for byte as the schema serializer would', async () => {
    const repo = t.storage.observations
    const checkDetail = withNamedSchemas().compile(strictly(IndicatorDetail))
    const revised = (await t.query<{ code: string; at: string }>('SELECT o.indicator_code AS code, r.recorded_at AS at FROM observation_revision r JOIN observation o ON o.id = r.observation_id WHERE r.revision = 2 ORDER BY r.seq LIMIT 1'))[0]!
    for (const asOf of [undefined, revised.at]) {
      const res = await t.app.inject({ url: `/v1/indicators/${revised.code}${asOf ? `?asOf=${asOf}` : ''}` })
      expect(res.statusCode, res.body).toBe(200)
      const detail = json(res.body)
      expect(checkDetail(detail), JSON.stringify(checkDetail.errors)).toBe(true)
      const { observations: _o, observationsTruncated: _t, observationsUrl: _u, progress, ...indicator } = detail
      const rows = await repo.page({ indicators: [revised.code], asOf }, 0, 1000)
      expect(rows.length).toBeGreaterThan(0)
      const expected = { ...indicator, observations: rows.map(toObservation), observationsTruncated: false, observationsUrl: `/v1/observations?indicator=${revised.code}`, progress }
      expect(res.body).toBe(JSON.stringify(expected))
    }
  })

  it('answers updatedSince from the revision log exactly as the time predicate would, at every instant', async () => {
    const truth = { all: async (since: string) => (await t.query<{ id: number }>('SELECT o.id FROM observation o JOIN observation_revision r ON r.seq = o.current_seq WHERE r.recorded_at >= ? ORDER BY o.id', since)).map((r) => r.id) }
    const instants = (await t.query<{ recorded_at: string }>('SELECT DISTINCT recorded_at FROM observation_revision ORDER BY recorded_at')).map((r) => r.recorded_at)
    expect(instants.length).toBeGreaterThan(10)
    const probes = [...instants, '2000-01-01T00:00:00.000Z', '2099-01-01T00:00:00.000Z', instants[3]!.replace(/Z$/, '1Z')].filter((x) => /Z$/.test(x))
    const sizes = new Set<number>()
    for (const since of probes) {
      const ids: number[] = []
      let cursor: string | null = null
      do {
        const res: { statusCode: number; body: string } = await t.app.inject({ url: `/v1/observations?limit=7&updatedSince=${encodeURIComponent(since)}${cursor ? `&cursor=${cursor}` : ''}` })
        expect(res.statusCode, res.body).toBe(200)
        const page: { data: Array<{ id: number }>; nextCursor: string | null } = json(res.body)
        ids.push(...page.data.map((o) => o.id))
        cursor = page.nextCursor
      } while (cursor)
      expect(ids, since).toEqual(await truth.all(since))
      sizes.add(ids.length)
    }
    // Both ways were taken: a few revisions since (read from the log) and most of them (walked by id).
    expect(Math.min(...sizes)).toBe(0)
    expect(Math.max(...sizes)).toBe((await t.query<{ n: number }>('SELECT count(*) AS n FROM observation'))[0]!.n)
  })

  it('names a page by the range of revisions it holds; a full page is immutable', async () => {
    const full = await t.app.inject({ url: '/v1/changes?after=0&limit=2' })
    expect(full.headers.etag).toBe('"changes.0.2.2.1"')
    expect(full.headers['cache-control']).toContain('immutable')
    const again = await t.app.inject({ url: '/v1/changes?after=0&limit=2', headers: { 'if-none-match': full.headers.etag as string } })
    expect(again.statusCode).toBe(304)
    const tail = await t.app.inject({ url: '/v1/changes?after=0&limit=1000' })
    expect(tail.headers['cache-control'] ?? '').not.toContain('immutable')
  })

  it('validates its parameters', async () => {
    expect((await t.app.inject({ url: '/v1/changes?after=-1' })).statusCode).toBe(400)
    expect((await t.app.inject({ url: '/v1/changes?limit=1001' })).statusCode).toBe(400)
    const end = json((await t.app.inject({ url: '/v1/changes?after=99999999' })).body)
    expect(end).toEqual({ data: [], nextAfter: 99999999, hasMore: false })
  })

  it('serves clients that sync by time with updatedSince, withdrawals included', async () => {
    const since = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    expect(json((await t.app.inject({ url: `/v1/observations?updatedSince=${since}` })).body).data).toEqual([])
    await someWrites(100)
    const victim = json((await t.app.inject({ url: '/v1/observations?limit=1' })).body).data[0]
    const { etag } = await current(victim.id)
    await t.app.inject({ method: 'DELETE', url: `/v1/observations/${victim.id}?reason=sync-test`, headers: { ...auth(writer), 'if-match': etag } })
    const changed = json((await t.app.inject({ url: `/v1/observations?updatedSince=${since}` })).body).data
    expect(changed.length).toBeGreaterThanOrEqual(2)
    expect(changed.every((o: any) => o.recordedAt >= since)).toBe(true)
    expect(changed.find((o: any) => o.id === victim.id)?.status).toBe('withdrawn')
  })
})

describe('audit log', () => {
  it('verifies after the mixed workload, through the API and the CLI, and its head is the last entry', async () => {
    await revokeKey(t.storage, 'admin')
    const verify = json((await t.app.inject({ url: '/v1/audit/verify' })).body)
    expect(verify.ok).toBe(true)
    const head = json((await t.app.inject({ url: '/v1/audit/head' })).body)
    expect(head.seq).toBe(verify.entries)
    expect(head.hash).toBe(verify.headHash)
    const actions = new Set<string>()
    let after = 0
    for (;;) {
      const page = json((await t.app.inject({ url: `/v1/audit?after=${after}&limit=500` })).body)
      for (const e of page.data) actions.add(e.action)
      after = page.nextAfter
      if (!page.hasMore) break
    }
    for (const a of ['source.create', 'area.create', 'indicator.create', 'reporting_period.create', 'observation.create', 'observation.revise', 'observation.withdraw', 'api_key.create', 'api_key.revoke']) expect(actions).toContain(a)
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', dbPath()], { cwd: projectRoot, encoding: 'utf8' })
    expect(cli.status, cli.stderr).toBe(0)
    expect(cli.stdout).toMatch(/audit chain OK/)
  })

  it('can be recomputed by a short independent script (Python, standard library) from the public API', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    // Asynchronously: the server answering the script runs in this process.
    const py = await promisify(execFile)('python3', ['scripts/verify_audit_chain.py', address], { cwd: projectRoot, encoding: 'utf8' })
    expect(py.stdout).toMatch(/^OK: \d+ entries/)
  })

  it('refuses UPDATE and DELETE on revisions and audit entries at the database level', async () => {
    for (const sql of ['UPDATE observation_revision SET value = 1', 'DELETE FROM observation_revision', "UPDATE audit_entry SET actor = 'x'", 'DELETE FROM audit_entry', 'DELETE FROM observation', "UPDATE observation SET kind = 'target'"]) {
      await expect(t.query(sql), sql).rejects.toThrow(/append-only|never/)
    }
  })
})

/** What the offline tools are given: the SQLite file, or the PostgreSQL URL. */
function dbPath(): string {
  return onPostgres ? t.storage.description : t.db.$client.name
}

describe.skipIf(onPostgres)('tampering with the database file', () => {
  function tamper(sql: string[]) {
    const raw = new Database(dbPath())
    raw.exec('DROP TRIGGER IF EXISTS audit_entry_no_update; DROP TRIGGER IF EXISTS observation_revision_no_update; DROP TRIGGER IF EXISTS observation_revision_no_delete')
    for (const s of sql) raw.exec(s)
    raw.close()
  }
  const cli = () => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', dbPath()], { cwd: projectRoot, encoding: 'utf8' })
  // An edit of an entry the process already verified is found by a full pass (admin), not by the incremental public check.
  let auditor = ''
  const full = async () => {
    auditor ||= (await createKey(t.storage, 'auditor', ['admin'])).secret
    return json((await t.app.inject({ url: '/v1/audit/verify/full', headers: { authorization: `Bearer ${auditor}` } })).body)
  }

  it('is caught when a revision value is edited directly, naming the entry', async () => {
    const target = t.db.$client.prepare("SELECT a.seq, json_extract(a.after, '$.id') AS id, json_extract(a.after, '$.revision') AS rev FROM audit_entry a WHERE entity_type = 'observation' ORDER BY seq LIMIT 1 OFFSET 20").get() as { seq: number; id: number; rev: number }
    await full()
    tamper([`UPDATE observation_revision SET value = '9999999' WHERE observation_id = ${target.id} AND revision = ${target.rev}`])
    const verify = await full()
    expect(verify).toMatchObject({ ok: false, brokenSeq: target.seq })
    expect((await t.app.inject({ url: '/readyz' })).statusCode).toBe(503)
    const res = cli()
    expect(res.status).toBe(1)
    expect(res.stdout).toContain(`BROKEN at seq ${target.seq}`)
  })

  it('is caught when an audit entry is rewritten: at the entry, or at the next link when its own hash is recomputed', async () => {
    tamper([`UPDATE audit_entry SET actor = 'someone-else' WHERE seq = 5`])
    expect(await full()).toMatchObject({ ok: false, brokenSeq: 5 })
    expect(cli().stdout).toContain('BROKEN at seq 5')
    const row = t.db.$client.prepare('SELECT * FROM audit_entry WHERE seq = 5').get() as any
    const rehashed = auditHash({ seq: 5, recordedAt: row.recorded_at, actor: row.actor, action: row.action, entityType: row.entity_type, entityId: row.entity_id, before: row.before && JSON.parse(row.before), after: row.after && JSON.parse(row.after), prevHash: row.prev_hash })
    tamper([`UPDATE audit_entry SET hash = '${rehashed}' WHERE seq = 5`])
    expect(await full()).toMatchObject({ ok: false, brokenSeq: 6, reason: expect.stringMatching(/prevHash/) })
  })
})
