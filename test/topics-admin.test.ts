// Topics written through the API (PUT /v1/topics/{code}), and a vocabulary seed that applies each
// entry once: what an admin removed (a member, a synonym list) stays removed across restarts.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyAuditChain } from '../src/modules/audit/integrity.js'
import { createKey } from '../src/modules/keys/keys.js'
import { loadSeeds } from '../src/seed/seed-loader.js'
import { loadVocabulary } from '../src/seed/vocabulary-seed.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
let admin: { authorization: string }
let writer: { authorization: string }

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  admin = { authorization: `Bearer ${(await createKey(t.storage, 'topics-admin', ['admin', 'write'])).secret}` }
  writer = { authorization: `Bearer ${(await createKey(t.storage, 'topics-writer', ['write'])).secret}` }
})
afterAll(() => t.close())

const send = (opts: { method?: 'GET' | 'PUT' | 'POST'; url: string; headers?: Record<string, string>; payload?: object }) => t.app.inject(opts)
const get = async (url: string) => {
  const res = await send({ url })
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
  return json(res.body)
}
const put = (url: string, payload: unknown, headers: Record<string, string> = admin) => send({ method: 'PUT', url, headers, payload: payload as object })
const auditSeq = async () => (await t.storage.audit.head())?.seq ?? 0
const topicEntries = async (code: string) =>
  (await t.query<{ action: string; actor: string; after: string }>("SELECT action, actor, after FROM audit_entry WHERE entity_type = 'topic' AND entity_id = ? ORDER BY seq", code)).map((r) => ({ ...r, after: JSON.parse(r.after) }))

/** Every observation a filter selects (pages of 100). */
async function observations(query: string): Promise<any[]> {
  const rows: any[] = []
  let cursor: string | null = null
  do {
    const page: any = await get(`/v1/observations?${query}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    rows.push(...page.data)
    cursor = page.nextCursor
  } while (cursor)
  return rows
}
const observationIdsOfTopic = async (topic: string) => (await observations(`topic=${topic}&`)).map((o) => o.id as number).sort((a, b) => a - b)

const definition = (indicators: string[], over: Record<string, unknown> = {}) => ({
  nameZh: '测试主题',
  nameEn: 'Test topic',
  descriptionZh: '测试用。',
  descriptionEn: 'For the test.',
  indicators,
  ...over,
})

describe('PUT /v1/topics/{code}', () => {
  it('creates a topic (201, Location, after the last), audited with its sorted members; an identical PUT changes nothing', async () => {
    const last = Math.max(...((await get('/v1/topics')).data as any[]).map((x) => x.position))
    const res = await put('/v1/topics/social_relief', definition(['tekun_paid', 'dibao_paid', 'dibao_paid'], { synonyms: ['救助'] }))
    expect(res.statusCode, res.body).toBe(201)
    expect(res.headers.location).toBe('/v1/topics/social_relief')
    expect(json(res.body)).toMatchObject({ code: 'social_relief', position: last + 1, indicators: ['dibao_paid', 'tekun_paid'], indicatorCount: 2, synonyms: ['救助'] })
    const served = await get('/v1/topics/social_relief')
    expect(served.indicators.map((i: any) => i.code)).toEqual(['dibao_paid', 'tekun_paid'])
    expect(((await get('/v1/topics')).data as any[]).at(-1).code).toBe('social_relief')
    expect((await get('/v1/indicators?q=救助')).data.map((i: any) => i.code)).toEqual(expect.arrayContaining(['dibao_paid', 'tekun_paid']))

    const entries = await topicEntries('social_relief')
    expect(entries.map((e) => e.action)).toEqual(['topic.create'])
    expect(entries[0]?.after.indicators).toEqual(['dibao_paid', 'tekun_paid'])

    const seq = await auditSeq()
    const again = await put('/v1/topics/social_relief', definition(['dibao_paid', 'tekun_paid'], { synonyms: ['救助'] }))
    expect(again.statusCode).toBe(200)
    expect(await auditSeq()).toBe(seq)
    expect((await verifyAuditChain(t.storage)).ok).toBe(true)
  })

  it('replaces the member list (adding and removing); the topic filter on observations and the audit log follow every change', async () => {
    const indicators = ((await get('/v1/indicators')).data as any[]).map((i) => i.code as string)
    const all = await observations('')
    await fc.assert(
      fc.asyncProperty(fc.subarray(indicators, { minLength: 0, maxLength: 8 }), async (members) => {
        const res = await put('/v1/topics/social_relief', definition(members, { synonyms: ['救助'] }))
        expect([200]).toContain(res.statusCode)
        expect(json(res.body).indicators).toEqual([...members].sort())
        expect((await t.storage.catalog.topic('social_relief'))?.indicators).toEqual([...members].sort())
        const expected = all.filter((o) => members.includes(o.indicator)).map((o) => o.id as number).sort((a, b) => a - b)
        expect(await observationIdsOfTopic('social_relief')).toEqual(expected)
        expect((await topicEntries('social_relief')).at(-1)?.after.indicators).toEqual([...members].sort())
      }),
      { numRuns: 12 },
    )
    expect((await verifyAuditChain(t.storage)).ok).toBe(true)
  })

  it('keeps an existing topic\'s position when none is sent, and moves it when one is', async () => {
    const before = await get('/v1/topics/drainage')
    const members = before.indicators.map((i: any) => i.code)
    const body = { nameZh: before.nameZh, nameEn: before.nameEn, descriptionZh: before.descriptionZh, descriptionEn: before.descriptionEn, synonyms: before.synonyms, indicators: members }
    expect((await put('/v1/topics/drainage', body)).statusCode).toBe(200)
    expect((await get('/v1/topics/drainage')).position).toBe(before.position)
    expect(json((await put('/v1/topics/drainage', { ...body, position: 99 })).body).position).toBe(99)
    expect(json((await put('/v1/topics/drainage', { ...body, position: before.position })).body).position).toBe(before.position)
  })

  it('refuses a key without admin (403), unknown indicators (422, each named) and a bad body (400), changing nothing', async () => {
    const seq = await auditSeq()
    const topic = await t.storage.catalog.topic('social_relief')
    expect((await put('/v1/topics/social_relief', definition(['dibao_paid']), writer)).statusCode).toBe(403)
    expect((await send({ method: 'PUT', url: '/v1/topics/social_relief', payload: definition(['dibao_paid']) })).statusCode).toBe(401)

    const unknown = await put('/v1/topics/social_relief', definition(['dibao_paid', 'no_such_a', 'no_such_b']))
    expect(unknown.statusCode).toBe(422)
    const problem = json(unknown.body)
    expect(problem.detail).toContain('no_such_a')
    expect(problem.detail).toContain('no_such_b')
    expect(problem.errors.map((e: any) => e.name)).toEqual(['/indicators/1', '/indicators/2'])

    const bad: unknown[] = [
      { ...definition(['dibao_paid']), nameEn: '' },
      (({ nameEn: _n, ...rest }) => rest)(definition(['dibao_paid'])),
      { ...definition(['dibao_paid']), extra: 1 },
      definition(['Not A Code']),
      { ...definition(['dibao_paid']), position: 1.5 },
      { ...definition(['dibao_paid']), synonyms: [''] },
    ]
    for (const b of bad) expect((await put('/v1/topics/social_relief', b)).statusCode, JSON.stringify(b)).toBe(400)
    expect((await put('/v1/topics/Bad-Code', definition(['dibao_paid']))).statusCode).toBe(400)
    expect((await put('/v1/topics/brand_new', definition(['no_such_a']))).statusCode).toBe(422)
    expect(await t.storage.catalog.topic('brand_new')).toBeNull()
    expect(await t.storage.catalog.topic('social_relief')).toEqual(topic)
    expect(await auditSeq()).toBe(seq)
  })

  it('lets an indicator of another town, imported through the API, join drainage: filter and search find it', async () => {
    const text = '青山湾镇2024年上半年工作报告。疏浚排水沟渠45公里。\n'
    expect((await send({ method: 'POST', url: '/v1/sources', headers: admin, payload: { id: 'qingshanwan-2024h1-drain', title: '青山湾镇2024年上半年工作报告', issuer: '青山湾镇人民政府', issuedOn: '2024-07-05', text } })).statusCode).toBe(201)
    expect((await put('/v1/areas/qingshanwan', { nameZh: '青山湾镇', nameEn: 'Qingshanwan Town', level: 'town', parent: null })).statusCode).toBe(201)
    expect([200, 201]).toContain((await send({ method: 'PUT', url: '/v1/periods/2024-H1', headers: admin })).statusCode)
    const indicator = { nameZh: '疏浚排水沟渠', nameEn: 'Drainage ditches dredged', description: 'Qingshanwan Town (test).', category: 'other_town', unit: 'km', additive: true }
    expect((await put('/v1/indicators/drainage_ditches_dredged', indicator)).statusCode).toBe(201)
    const imported = await send({
      method: 'POST',
      url: '/v1/imports',
      headers: admin,
      payload: { reason: 'Qingshanwan 2024 H1', observations: [{ indicator: 'drainage_ditches_dredged', area: 'qingshanwan', period: '2024-H1', kind: 'actual', qualifier: 'eq', reported: { value: '45', unit: '公里' }, citation: { sourceId: 'qingshanwan-2024h1-drain', quote: '疏浚排水沟渠45公里' } }] },
    })
    expect(imported.statusCode, imported.body).toBe(200)
    expect(json(imported.body).created).toBe(1)

    const before = await get('/v1/topics/drainage')
    const beforeIds = await observationIdsOfTopic('drainage')
    expect((await get(`/v1/indicators?q=${encodeURIComponent('排干')}`)).data.map((i: any) => i.code)).not.toContain('drainage_ditches_dredged')
    const members = [...before.indicators.map((i: any) => i.code), 'drainage_ditches_dredged']
    const res = await put('/v1/topics/drainage', { nameZh: before.nameZh, nameEn: before.nameEn, descriptionZh: before.descriptionZh, descriptionEn: before.descriptionEn, synonyms: before.synonyms, indicators: members })
    expect(res.statusCode, res.body).toBe(200)
    const ids = await observationIdsOfTopic('drainage')
    expect(ids.length).toBe(beforeIds.length + 1)
    const added = (await get(`/v1/observations?topic=drainage&area=qingshanwan`)).data
    expect(added.map((o: any) => [o.indicator, o.value])).toEqual([['drainage_ditches_dredged', '45']])
    // The topic's synonyms (排干, a word the indicator's own text lacks) now find the new town's indicator through its topic.
    expect((await get(`/v1/indicators?q=${encodeURIComponent('排干')}`)).data.map((i: any) => i.code)).toContain('drainage_ditches_dredged')
    expect((await topicEntries('drainage')).at(-1)).toMatchObject({ action: 'topic.update', after: { indicators: [...members].sort() } })
    expect((await verifyAuditChain(t.storage)).ok).toBe(true)
  })
})

describe('the vocabulary seed applies each entry once', () => {
  it('on a database seeded before the bookkeeping, records what is there without changing or logging anything', async () => {
    // An older database: the same vocabulary applied, no record of it.
    await t.query("DELETE FROM seed_correction WHERE id LIKE 'vocabulary/%'")
    const seq = await auditSeq()
    const topics = await t.storage.catalog.topics()
    expect(await loadVocabulary(t.storage)).toBe(0)
    expect(await auditSeq()).toBe(seq)
    expect(await t.storage.catalog.topics()).toEqual(topics)
    const marks = await t.query<{ id: string }>("SELECT id FROM seed_correction WHERE id LIKE 'vocabulary/%'")
    expect(marks.map((m) => m.id)).toContain('vocabulary/synonyms/tekun_paid')
    expect(marks.map((m) => m.id)).toContain('vocabulary/topics/subsidies/dibao_paid')
  })

  it('never puts back synonyms an admin cleared, nor a member an admin removed: restart changes nothing and logs nothing', async () => {
    const dibao = await get('/v1/indicators/dibao_paid')
    expect(dibao.synonyms.length).toBeGreaterThan(0)
    const { code: _c, ...rest } = dibao
    const cleared = await put('/v1/indicators/dibao_paid', { nameZh: rest.nameZh, nameEn: rest.nameEn, description: rest.description, category: rest.category, unit: rest.unit, additive: rest.additive, synonyms: [] })
    expect(cleared.statusCode, cleared.body).toBe(200)

    const drainage = await get('/v1/topics/drainage')
    const removed = 'drainage_project_villages'
    const kept = drainage.indicators.map((i: any) => i.code).filter((c: string) => c !== removed)
    expect(kept.length).toBe(drainage.indicators.length - 1)
    const { indicators: _i, observationsUrl: _o, code: _d, ...head } = drainage
    expect((await put('/v1/topics/drainage', { ...head, indicators: kept })).statusCode).toBe(200)

    const seq = await auditSeq()
    expect(await loadVocabulary(t.storage)).toBe(0)
    expect((await loadSeeds(t.storage)).corrections).toEqual([])
    expect(await auditSeq()).toBe(seq)
    expect((await get('/v1/indicators/dibao_paid')).synonyms).toEqual([])
    expect((await t.storage.catalog.topic('drainage'))?.indicators).toEqual(kept)
    expect((await verifyAuditChain(t.storage)).ok).toBe(true)
  })
})
