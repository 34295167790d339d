// The same data answers the same bytes on both backends, route by route: a SQLite store with a
// history (seed, corrections, a withdrawal, an import, catalog writes) is copied verbatim into
// PostgreSQL (npm run db:copy's function), and every GET the API serves is compared: status,
// media type, ETag and body, JSON and CSV alike.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.js'
import { withContract } from './support/contract.js'
import { createKey } from '../src/modules/keys/keys.js'
import { loadSeeds } from '../src/seed/seed-loader.js'
import { openStorage } from '../src/storage/open.js'
import { copySqliteToPostgres } from '../src/storage/postgres/copy-from-sqlite.js'
import { createTestDatabase, dropTestDatabase, postgresAvailable } from './support/postgres.js'

const available = await postgresAvailable()

describe.skipIf(!available)('SQLite and PostgreSQL, route by route', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indicators-backends-'))
  const file = join(dir, 'history.db')
  const config = { rateLimitPerMinute: 100_000_000, authFailuresPerWindow: 100_000_000, auditSigningKeyFile: join(dir, 'audit-key.pem') }
  let database: { name: string; url: string }
  let sqlite: App
  let postgres: App

  beforeAll(async () => {
    // The history, written through the API on SQLite.
    const store = await openStorage(file)
    await store.migrate()
    await loadSeeds(store)
    const { secret } = await createKey(store, 'editor', ['write', 'admin'])
    await store.close()
    const writerApp = withContract(await buildApp({ logger: false, seed: false, config: { ...config, databaseUrl: file } }))
    await writerApp.ready()
    const auth = { authorization: `Bearer ${secret}` }
    const list = JSON.parse((await writerApp.inject({ url: '/v1/observations?limit=30' })).body).data as any[]
    for (const [i, o] of list.slice(0, 12).entries()) {
      const body = { qualifier: i % 2 ? 'approx' : 'gte', reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) }, citation: { sourceId: o.source.id, quote: o.source.quote }, reason: `correction ${i}`, note: i % 3 ? null : `note "${i}", with, commas` }
      const res = await writerApp.inject({ method: 'PUT', url: `/v1/observations/${o.id}`, headers: { ...auth, 'if-match': `"obs-${o.id}-r${o.revision}"` }, payload: body })
      expect(res.statusCode, res.body).toBe(200)
    }
    const gone = list[20]
    expect((await writerApp.inject({ method: 'DELETE', url: `/v1/observations/${gone.id}?reason=withdrawn`, headers: { ...auth, 'if-match': `"obs-${gone.id}-r${gone.revision}"` } })).statusCode).toBe(200)
    const rows = list.slice(0, 8).map((o) => ({ indicator: o.indicator, area: o.area, period: '2023', kind: 'forecast', reported: { value: o.reported.value, unit: o.reported.unit, ...(o.reported.text ? { text: o.reported.text } : {}) }, citation: { sourceId: o.source.id, quote: o.source.quote } }))
    expect((await writerApp.inject({ method: 'POST', url: '/v1/imports?reason=forecasts', headers: auth, payload: { observations: rows } })).statusCode).toBe(200)
    expect((await writerApp.inject({ method: 'PUT', url: '/v1/indicators/new_indicator', headers: auth, payload: { nameZh: '新指标', nameEn: 'New, "quoted"', description: 'd', category: 'other', unit: 'person', additive: true } })).statusCode).toBe(201)
    await writerApp.close()

    database = await createTestDatabase('bt_equal')
    const target = await openStorage(database.url)
    await target.migrate()
    await target.close()
    await copySqliteToPostgres(file, database.url)
    sqlite = withContract(await buildApp({ logger: false, seed: false, config: { ...config, databaseUrl: file } }))
    postgres = withContract(await buildApp({ logger: false, seed: false, config: { ...config, databaseUrl: database.url } }))
    await Promise.all([sqlite.ready(), postgres.ready()])
  }, 120_000)

  afterAll(async () => {
    await sqlite?.close()
    await postgres?.close()
    if (database) await dropTestDatabase(database.name)
    rmSync(dir, { recursive: true, force: true })
  })

  /** Every GET URL the data offers: lists and their filters, each resource, pages followed to the end. */
  async function urls(): Promise<string[]> {
    const get = async (url: string) => JSON.parse((await sqlite.inject({ url })).body)
    const out = ['/v1/sources', '/v1/indicators', '/v1/areas', '/v1/periods', '/v1/audit/head', '/v1/audit/public-key', '/problems', '/v1/indicators?q=insur', '/v1/indicators?q=%E4%BD%8F', '/v1/indicators?category=agriculture', '/v1/areas?level=village', '/v1/periods?type=month', '/v1/topics']
    // Search ranks in one shared matcher: both backends must give the same order.
    for (const q of ['enrollment', '医保', '救助', 'social assistance', 'subsidies', '造林', 'drainage', '排水', 'dibao_paid', 'Village', 'a', '村', 'drainage (km)', 'medical insurance enrollment', 'subsidised payments', '居民医保', '农田排水渠']) out.push(`/v1/indicators?q=${encodeURIComponent(q)}`)
    for (const topic of (await get('/v1/topics')).data) out.push(`/v1/topics/${topic.code}`, `/v1/indicators?topic=${topic.code}`)
    out.push('/v1/units', '/v1/units?base=mu&base=CNY', `/v1/units/${encodeURIComponent('公顷')}`, '/v1/units/%25', `/v1/observations?indicator=dibao_paid,tekun_paid&unit=${encodeURIComponent('亿元')}`, `/v1/observations?indicator=dibao_paid&unit=${encodeURIComponent('亿元')}&format=csv`)
    for (const s of (await get('/v1/sources')).data) out.push(`/v1/sources/${s.id}`, `/v1/sources/${s.id}/text`)
    for (const i of (await get('/v1/indicators')).data) out.push(`/v1/indicators/${i.code}`, `/v1/indicators/${i.code}?asOf=2030-01-01T00:00:00Z`)
    for (const a of (await get('/v1/areas')).data) out.push(`/v1/areas/${a.code}`)
    out.push('/v1/relations', '/v1/progress', '/v1/validation', '/v1/derived')
    for (const r of (await get('/v1/relations')).data) out.push(`/v1/relations/${r.code}`)
    for (const d of (await get('/v1/derived')).data) out.push(`/v1/derived/${d.code}`, `/v1/derived/${d.code}/revisions`)
    for (const p of (await get('/v1/periods')).data.slice(0, 10)) out.push(`/v1/periods/${p.code}`)
    const queries = ['limit=7', 'limit=1000', 'includeWithdrawn=true&limit=9', 'kind=forecast', 'category=social_security&category=agriculture', 'topic=subsidies&topic=drainage&limit=3', 'topic=afforestation&category=ecology', 'period=2023-H1', 'periodFrom=2023-H1&periodTo=2023', 'updatedSince=2020-01-01T00:00:00Z&limit=11', 'format=csv', 'format=csv&kind=actual']
    for (const q of queries) {
      let url: string | null = `/v1/observations?${q}`
      while (url) {
        out.push(url)
        const res: { headers: Record<string, unknown>; body: string } = await sqlite.inject({ url })
        const next: string | null = String(res.headers['content-type'] ?? '').startsWith('application/json') ? JSON.parse(res.body).nextCursor : null
        url = next ? `/v1/observations?${q}&cursor=${encodeURIComponent(next)}` : null
      }
    }
    const all = (await get('/v1/observations?includeWithdrawn=true&limit=1000')).data
    for (const o of all) out.push(`/v1/observations/${o.id}`, `/v1/observations/${o.id}/revisions`)
    const times = [...new Set(all.map((o: any) => o.recordedAt))].slice(0, 4) as string[]
    for (const t of times) out.push(`/v1/observations?asOf=${encodeURIComponent(t)}&limit=1000`, `/v1/observations/${all[0].id}?asOf=${encodeURIComponent(t)}`)
    for (let after = 0; ; ) {
      const url = `/v1/changes?after=${after}&limit=50`
      out.push(url)
      const page = await get(url)
      if (!page.hasMore) break
      after = page.nextAfter
    }
    for (let after = 0; ; ) {
      const url = `/v1/audit?after=${after}&limit=200`
      out.push(url)
      const page = await get(url)
      if (!page.hasMore) break
      after = page.nextAfter
    }
    return out
  }

  it('answers every GET with the same status, media type, ETag and bytes', async () => {
    // Two backends indeed.
    expect(sqlite.startReport.database).toBe(file)
    expect(postgres.startReport.database).toBe(database.url)
    const list = await urls()
    expect(list.length).toBeGreaterThan(200)
    const differences: string[] = []
    for (const url of list) {
      const [a, b] = await Promise.all([sqlite.inject({ url }), postgres.inject({ url })])
      const same = a.statusCode === b.statusCode && a.headers['content-type'] === b.headers['content-type'] && a.headers.etag === b.headers.etag && a.body === b.body
      if (!same) differences.push(`${url}: ${a.statusCode} ${a.headers['content-type']} ${a.headers.etag} ${a.body.slice(0, 120)} | ${b.statusCode} ${b.headers['content-type']} ${b.headers.etag} ${b.body.slice(0, 120)}`)
    }
    expect(differences).toEqual([])
  }, 120_000)
})
