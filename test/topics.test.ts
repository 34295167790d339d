import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyAuditChain } from '../src/modules/audit/integrity.js'
import { putIndicator } from '../src/modules/indicators/indicators.commands.js'
import { createKey } from '../src/modules/keys/keys.js'
import { seedsFolder } from '../src/paths.js'
import { loadVocabulary } from '../src/seed/vocabulary-seed.js'
import { searchText } from '../src/storage/search.js'
import { buildTestApp, freshDb, json, type TestContext } from './helpers.js'

const extraction = JSON.parse(readFileSync(join(seedsFolder, 'bayantala-2023h1', 'extraction.json'), 'utf8'))
const seededCodes: string[] = extraction.indicators.map((i: any) => i.code)

/**
 * The brief's families, from a reading of the report (source.txt): every figure that belongs, and
 * only those. Borderline choices are explained in each topic's description (seeds/topics.json).
 */
const FAMILIES: Record<string, string[]> = {
  // 全镇养老保险参保7960人，医疗保险参保25110人
  insurance_enrolment: ['medical_insurance_enrolled', 'pension_insurance_enrolled'],
  // 城乡低保金…受益2277人；特困供养金…受益170人；残疾人护理补贴…受益1280人
  subsidies: ['dibao_beneficiaries', 'dibao_paid', 'disability_care_subsidy_beneficiaries', 'disability_care_subsidy_paid', 'tekun_beneficiaries', 'tekun_paid'],
  // 重点造林任务1.35万亩（旗本级人工造林0.15万亩，山水封沙育林0.9万亩、造林0.3万亩，村屯绿化1个）; H2: 义务植树基地100亩, 桑椹2万株
  afforestation: [
    'banner_planted_forest_area',
    'key_afforestation_area',
    'mulberry_trees_planted',
    'shanshui_afforestation_area',
    'shanshui_sand_closure_area',
    'village_greening_sites',
    'volunteer_tree_planting_base_area',
  ],
  // 29个嘎查村119公里排水渠建设维护项目
  drainage: ['drainage_channel_length', 'drainage_project_villages'],
}

let t: TestContext
let admin: string

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000, authFailuresPerWindow: 1_000_000 } } })
  admin = (await createKey(t.storage, 'topics-admin', ['admin'])).secret
})
afterAll(() => t.close())

const get = (url: string) => t.app.inject({ method: 'GET', url })
const body = async (url: string) => {
  const res = await get(url)
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
  return json(res.body)
}
const search = async (q: string) => ((await body(`/v1/indicators?q=${encodeURIComponent(q)}`)).data as any[]).map((i) => i.code as string)
const sorted = (codes: string[]) => [...codes].sort()

/** Every observation of a filter, page by page (small pages, so the keyset walk is exercised). */
async function allObservations(query: string): Promise<any[]> {
  const rows: any[] = []
  let cursor: string | null = null
  do {
    const page: any = await body(`/v1/observations?${query}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    rows.push(...page.data)
    cursor = page.nextCursor
  } while (cursor)
  return rows
}

describe('topics', () => {
  it('lists the brief\'s four families first, then the rest in position order, with their members', async () => {
    const topics = (await body('/v1/topics')).data as any[]
    expect(topics.slice(0, 4).map((x) => x.code)).toEqual(['insurance_enrolment', 'subsidies', 'afforestation', 'drainage'])
    expect(topics.map((x) => x.position)).toEqual([...topics.map((x) => x.position)].sort((a, b) => a - b))
    for (const topic of topics) {
      expect(topic.indicatorCount).toBe(topic.indicators.length)
      expect(topic.indicators).toEqual(sorted(topic.indicators))
      for (const m of ['nameZh', 'nameEn', 'descriptionZh', 'descriptionEn']) expect(topic[m], `${topic.code}.${m}`).not.toBe('')
    }
  })

  it('holds exactly every figure of each family of the brief', async () => {
    for (const [code, members] of Object.entries(FAMILIES)) expect((await body(`/v1/topics/${code}`)).indicators.map((i: any) => i.code), code).toEqual(members)
  })

  it('gives every indicator of the report at least one topic, and every category a topic of its own', async () => {
    const topics = (await body('/v1/topics')).data as any[]
    const covered = new Set(topics.flatMap((x) => x.indicators))
    expect(seededCodes.filter((c) => !covered.has(c))).toEqual([])
    for (const category of new Set(extraction.indicators.map((i: any) => i.category))) {
      const inCategory = extraction.indicators.filter((i: any) => i.category === category).map((i: any) => i.code)
      expect(topics.some((x) => inCategory.every((c: string) => x.indicators.includes(c))), String(category)).toBe(true)
    }
  })

  it('serves one topic bilingually with its members as indicators, and 404 for an unknown one', async () => {
    const all = new Map(((await body('/v1/indicators')).data as any[]).map((i) => [i.code, i]))
    for (const summary of (await body('/v1/topics')).data as any[]) {
      const detail = await body(`/v1/topics/${summary.code}`)
      expect(detail).toMatchObject({ code: summary.code, nameZh: summary.nameZh, nameEn: summary.nameEn, synonyms: summary.synonyms, observationsUrl: `/v1/observations?topic=${summary.code}` })
      expect(detail.indicators.map((i: any) => i.code)).toEqual(summary.indicators)
      for (const m of detail.indicators) {
        const i = all.get(m.code)
        expect(m).toEqual({ code: i.code, nameZh: i.nameZh, nameEn: i.nameEn, unit: i.unit, category: i.category, url: `/v1/indicators/${i.code}` })
      }
    }
    const missing = await get('/v1/topics/no_such_topic')
    expect(missing.statusCode).toBe(404)
    expect(json(missing.body).detail).toMatch(/no_such_topic/)
    expect((await get('/v1/topics/Not-A-Code')).statusCode).toBe(400)
  })

  it('filters indicators by topic: the union of the topics named, intersected with a category; an unknown topic matches nothing, as an unknown category does', async () => {
    const topics = (await body('/v1/topics')).data as any[]
    const byCode = new Map(topics.map((x) => [x.code, x.indicators as string[]]))
    await fc.assert(
      fc.asyncProperty(fc.subarray(topics.map((x) => x.code as string), { minLength: 1, maxLength: 4 }), fc.boolean(), async (codes, commas) => {
        const query = commas ? `topic=${codes.join(',')}` : codes.map((c) => `topic=${c}`).join('&')
        const union = sorted([...new Set(codes.flatMap((c) => byCode.get(c) ?? []))])
        expect(((await body(`/v1/indicators?${query}`)).data as any[]).map((i) => i.code)).toEqual(union)
      }),
      { numRuns: 30 },
    )
    const ecology = ((await body('/v1/indicators?topic=afforestation&category=ecology')).data as any[]).map((i) => i.code)
    expect(ecology).toEqual(FAMILIES.afforestation?.filter((c) => extraction.indicators.find((i: any) => i.code === c)?.category === 'ecology'))
    expect((await body('/v1/indicators?topic=no_such_topic')).data).toEqual([])
    expect((await body('/v1/indicators?category=no_such_category')).data).toEqual([])
  })

  it('filters observations by topic (JSON pages and CSV): exactly the observations of its members', async () => {
    const topics = (await body('/v1/topics')).data as any[]
    const all = await allObservations('includeWithdrawn=false')
    await fc.assert(
      fc.asyncProperty(fc.subarray(topics.map((x) => x.code as string), { minLength: 1, maxLength: 3 }), async (codes) => {
        const members = new Set(topics.filter((x) => codes.includes(x.code)).flatMap((x) => x.indicators))
        const expected = all.filter((o) => members.has(o.indicator)).map((o) => o.id)
        const query = codes.map((c) => `topic=${c}`).join('&')
        expect((await allObservations(query)).map((o) => o.id)).toEqual(expected)
        const csv = await get(`/v1/observations?${query}&format=csv`)
        expect(csv.statusCode).toBe(200)
        expect(csv.body.trimEnd().split('\r\n').length - 1).toBe(expected.length)
      }),
      { numRuns: 15 },
    )
    expect((await body('/v1/observations?topic=no_such_topic')).data).toEqual([])
    // With another filter: the intersection.
    const subsidiesH1 = await allObservations('topic=subsidies&period=2023-H1&kind=actual')
    expect(subsidiesH1.map((o) => o.indicator).sort()).toEqual(FAMILIES.subsidies)
  })
})

describe('search', () => {
  it('finds each family of the brief by its words, in English and Chinese, whatever the spelling or number', async () => {
    const insurance = FAMILIES.insurance_enrolment as string[]
    const subsidies = FAMILIES.subsidies as string[]
    expect(sorted(await search('enrollment'))).toEqual(insurance)
    expect(sorted(await search('enrolment'))).toEqual(insurance)
    expect(sorted(await search('ENROLLMENT'))).toEqual(insurance)
    expect(sorted(await search('参保'))).toEqual(insurance)
    // 医保 is medical insurance only.
    expect(await search('医保')).toEqual(['medical_insurance_enrolled'])
    expect(sorted(await search('救助'))).toEqual(subsidies)
    expect(sorted(await search('social assistance'))).toEqual(subsidies)
    expect(sorted(await search('Social Assistance'))).toEqual(subsidies)
    // The calf price is stated "excluding subsidies": found by its description, after every member.
    for (const q of ['subsidies', 'subsidy', 'Subsidies']) {
      const found = await search(q)
      expect(sorted(found.slice(0, subsidies.length)), q).toEqual(subsidies)
      expect(found.slice(subsidies.length), q).toEqual(['wagyu_calf_base_price'])
    }
    expect(sorted(await search('造林'))).toEqual(FAMILIES.afforestation)
    expect(sorted(await search('afforestation'))).toEqual(FAMILIES.afforestation)
    expect(sorted(await search('drainage'))).toEqual(FAMILIES.drainage)
    expect(sorted(await search('排水'))).toEqual(FAMILIES.drainage)
  })

  it('finds multi-word queries by every word, and Chinese queries that hold a name or synonym, without widening single terms', async () => {
    const { insurance_enrolment: insurance, subsidies, drainage } = FAMILIES as Record<string, string[]>
    expect(await search('medical insurance enrollment')).toEqual(['medical_insurance_enrolled'])
    expect(await search('pension enrollment')).toEqual(['pension_insurance_enrolled'])
    expect(sorted(await search('insurance enrolment persons'))).toEqual(insurance)
    for (const q of ['social assistance payments', 'subsidy payments', 'subsidised payments', 'subsidized payments', 'Subsidies, payments']) expect(sorted(await search(q)), q).toEqual(subsidies)
    // The unit code counts beside other words: drainage km is the length, not the villages.
    for (const q of ['drainage km', 'drainage (km)', 'km drainage', 'drainage ditches km']) expect(await search(q), q).toEqual(['drainage_channel_length'])
    expect(sorted(await search('drainage ditches'))).toEqual(drainage)
    for (const q of ['农田排水渠', '排水渠长度']) expect(sorted(await search(q)), q).toEqual(drainage)
    for (const q of ['城乡居民医保', '居民医保']) expect(await search(q), q).toEqual(['medical_insurance_enrolled'])
    // A single word or term finds what it did: km alone is no unit search, 低保 is the dibao figures.
    expect(await search('km')).not.toContain('drainage_channel_length')
    expect(sorted(await search('低保'))).toEqual(['dibao_beneficiaries', 'dibao_paid'])
    // Words that no one indicator holds together find nothing.
    expect(await search('pension drainage')).toEqual([])
    expect(await search('医保排水渠x')).toEqual(sorted(['drainage_channel_length', 'drainage_project_villages', 'medical_insurance_enrolled']))
  })

  it('finds an indicator by the words of its English name in any order and punctuation, after every phrase match', async () => {
    const indicators = (await body('/v1/indicators')).data as any[]
    const named = fc.constantFrom(...indicators.filter((i) => i.nameEn.split(' ').length >= 2))
    await fc.assert(
      fc.asyncProperty(named, fc.nat(), fc.constantFrom(' ', ', ', ' (', ') ', '  '), async (i, seed, sep) => {
        const words = (i.nameEn as string).split(/\s+/)
        const shuffled = words.map((w, k) => ({ w, key: (k * 7919 + seed) % 101 })).sort((a, b) => a.key - b.key).map((x) => x.w)
        const q = shuffled.join(sep)
        const found = await search(q)
        expect(found, q).toContain(i.code)
        // Phrase matches (the query as one piece of text) come before word matches.
        const phrase = indicators.filter((x) => [x.code, x.nameZh, x.nameEn, x.description].some((f: string) => searchText(f).includes(searchText(q)) || searchText(f, false).includes(searchText(q, false)))).map((x) => x.code)
        for (const code of phrase) expect(found.indexOf(code), q).toBeLessThan(found.length)
        const firstWordOnly = found.findIndex((c) => !phrase.includes(c))
        if (firstWordOnly !== -1) for (const code of found.slice(firstWordOnly)) expect(phrase, q).not.toContain(code)
      }),
      { numRuns: 40 },
    )
  })

  it('ranks an exact code first, for every indicator', async () => {
    for (const code of seededCodes) expect((await search(code))[0], code).toBe(code)
  })

  it('ranks an exact name (Chinese or English, any case) first, for every indicator', async () => {
    const indicators = (await body('/v1/indicators')).data as any[]
    for (const i of indicators) {
      for (const name of [i.nameZh, i.nameEn, i.nameEn.toUpperCase()]) {
        const found = await search(name)
        // Names are unique in the seed, so the exact one leads.
        expect(found[0], name).toBe(i.code)
      }
    }
  })

  it('finds every indicator whose name holds the text, before any found only by synonyms, topics or description, by code within a rank', async () => {
    const indicators = (await body('/v1/indicators')).data as any[]
    const plain = (s: string) => searchText(s, false)
    const piece = fc
      .tuple(fc.constantFrom(...indicators.flatMap((i) => [i.nameZh as string, i.nameEn as string])), fc.nat(), fc.integer({ min: 2, max: 8 }))
      .map(([name, start, length]) => name.slice(start % name.length, (start % name.length) + length))
      .filter((s) => plain(s).length >= 2)
    await fc.assert(
      fc.asyncProperty(piece, async (q) => {
        const found = await search(q)
        // As typed, or with plurals and spellings folded on both sides (docs/search.md): "ections" finds "inspection".
        const holds = (n: string) => plain(n).includes(plain(q)) || searchText(n).includes(searchText(q))
        const byName = indicators.filter((i) => [i.nameZh, i.nameEn, i.code].some(holds)).map((i) => i.code)
        const exact = indicators.filter((i) => [i.nameZh, i.nameEn].some((n) => plain(n) === plain(q) || searchText(n) === searchText(q)) || i.code === q.trim().toLowerCase()).map((i) => i.code)
        for (const code of byName) expect(found, q).toContain(code)
        // Name matches lead; the rest of them (after exact ones) in code order.
        const head = found.slice(0, byName.length)
        expect(sorted(head), q).toEqual(sorted(byName))
        const rest = head.filter((c) => !exact.includes(c))
        expect(rest, q).toEqual(sorted(rest))
      }),
      { numRuns: 150 },
    )
  })

  it('matches indicator synonyms: an admin\'s synonyms are stored, served and found, and a PUT without them clears them', async () => {
    const auth = { authorization: `Bearer ${admin}` }
    const definition = { nameZh: '临时救助金发放', nameEn: 'Temporary assistance paid', description: 'Temporary assistance paid out.', category: 'social_security', unit: 'CNY', additive: true }
    const created = await t.app.inject({ method: 'PUT', url: '/v1/indicators/temporary_assistance_paid', headers: auth, payload: { ...definition, synonyms: ['临时救助', 'emergency relief'] } })
    expect(created.statusCode, created.body).toBe(201)
    expect(json(created.body).synonyms).toEqual(['临时救助', 'emergency relief'])
    expect((await body('/v1/indicators/temporary_assistance_paid')).synonyms).toEqual(['临时救助', 'emergency relief'])
    expect(await search('emergency reliefs')).toEqual(['temporary_assistance_paid'])
    const cleared = await t.app.inject({ method: 'PUT', url: '/v1/indicators/temporary_assistance_paid', headers: auth, payload: definition })
    expect(cleared.statusCode).toBe(200)
    expect(json(cleared.body).synonyms).toEqual([])
    expect(await search('emergency relief')).toEqual([])
    const entries = (await t.query<{ after: string }>("SELECT after FROM audit_entry WHERE entity_type = 'indicator' AND entity_id = 'temporary_assistance_paid' ORDER BY seq")).map((r) => JSON.parse(r.after))
    expect(entries.map((e) => e.synonyms)).toEqual([['临时救助', 'emergency relief'], []])
    expect((await verifyAuditChain(t.storage)).ok).toBe(true)
  })
})

describe('the vocabulary seed and the audit log', () => {
  it('is audited: the log verifies with the seeded topics and synonyms, and a second load changes nothing', async () => {
    expect(await verifyAuditChain(t.storage)).toMatchObject({ ok: true })
    const topics = await t.query<{ n: number }>("SELECT count(*) AS n FROM audit_entry WHERE entity_type = 'topic'")
    expect(Number(topics[0]?.n)).toBe(((await body('/v1/topics')).data as any[]).length)
    expect(await loadVocabulary(t.storage)).toBe(0)
  })

  it('skips a member indicator that does not exist yet and adds it, audited, once it does', async () => {
    const db = await freshDb()
    // The seed's vocabulary with one member whose indicator no report has defined yet.
    const folder = mkdtempSync(join(tmpdir(), 'vocabulary-'))
    cpSync(seedsFolder, folder, { recursive: true })
    const topics = JSON.parse(readFileSync(join(folder, 'topics.json'), 'utf8'))
    const agricultureSeed = topics.topics.find((t: { code: string }) => t.code === 'agriculture')
    agricultureSeed.indicators.push('maize_silage_area_planned')
    writeFileSync(join(folder, 'topics.json'), JSON.stringify(topics))
    try {
      expect(await loadVocabulary(db.storage, folder)).toBe(0)
      expect((await db.storage.catalog.topic('agriculture'))?.indicators).not.toContain('maize_silage_area_planned')
      const before = (await db.storage.audit.head())?.seq ?? 0
      // Created later (as a seed correction would), audited.
      const created = await putIndicator(db.storage, { code: 'maize_silage_area_planned', nameZh: '青贮玉米计划面积', nameEn: 'Silage maize area planned', description: 'd', category: 'agriculture', unit: 'mu', additive: true }, 'seed')
      expect(created.outcome).toBe('created')
      expect(await loadVocabulary(db.storage, folder)).toBe(1)
      expect(await verifyAuditChain(db.storage)).toMatchObject({ ok: true })
      expect((await db.storage.catalog.topic('agriculture'))?.indicators).toContain('maize_silage_area_planned')
      const logged = await db.query<{ action: string; after: string }>("SELECT action, after FROM audit_entry WHERE seq > ? AND entity_type = 'topic'", before)
      expect(logged.map((r) => r.action)).toEqual(['topic.update'])
      expect(JSON.parse(logged[0]?.after as string).indicators).toContain('maize_silage_area_planned')
      expect(await loadVocabulary(db.storage, folder)).toBe(0)
    } finally {
      rmSync(folder, { recursive: true, force: true })
      await db.cleanup()
    }
  })

  it('verifies indicators logged before synonyms existed, and catches synonyms or topic members changed outside the log', async () => {
    const db = await freshDb()
    try {
      // The seed logs its indicators without a synonyms member (as every entry before synonyms existed): they read as [].
      const old = await db.query<{ after: string }>("SELECT after FROM audit_entry WHERE entity_type = 'indicator' AND entity_id = 'cooperatives_formed'")
      expect(old).toHaveLength(1)
      expect(JSON.parse(old[0]?.after as string)).not.toHaveProperty('synonyms')
      expect(await verifyAuditChain(db.storage)).toMatchObject({ ok: true })

      await db.query("UPDATE indicator SET synonyms = ? WHERE code = 'cooperatives_formed'", '["合作社"]')
      expect(await verifyAuditChain(db.storage)).toMatchObject({ ok: false, reason: expect.stringMatching(/indicator "cooperatives_formed": synonyms/) })
      await db.query("UPDATE indicator SET synonyms = '[]' WHERE code = 'cooperatives_formed'")
      expect(await verifyAuditChain(db.storage)).toMatchObject({ ok: true })

      await db.query("UPDATE indicator SET synonyms = ? WHERE code = 'medical_insurance_enrolled'", '["医保"]')
      expect(await verifyAuditChain(db.storage)).toMatchObject({ ok: false, reason: expect.stringMatching(/medical_insurance_enrolled": synonyms/) })
      await db.query("UPDATE indicator SET synonyms = ? WHERE code = 'medical_insurance_enrolled'", JSON.stringify((await loadSynonyms()).medical_insurance_enrolled))
      expect(await verifyAuditChain(db.storage)).toMatchObject({ ok: true })

      await db.query("DELETE FROM topic_indicator WHERE topic_code = 'drainage' AND indicator_code = 'drainage_channel_length'")
      expect(await verifyAuditChain(db.storage)).toMatchObject({ ok: false, reason: expect.stringMatching(/topic "drainage": indicators/) })
    } finally {
      await db.cleanup()
    }
  })
})

async function loadSynonyms(): Promise<Record<string, string[]>> {
  return JSON.parse(readFileSync(join(seedsFolder, 'bayantala-2023h1', 'synonyms.json'), 'utf8')).synonyms
}
