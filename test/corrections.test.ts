// Reviewed seed corrections (seeds/<report>/corrections.json): applied once each, audited,
// never reapplied or reverting later work, received by databases seeded before them.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SeedError } from '../src/errors.js'
import { verifyAuditChain } from '../src/modules/audit/integrity.js'
import { createKey } from '../src/modules/keys/keys.js'
import { seedsFolder } from '../src/paths.js'
import { loadSeeds } from '../src/seed/seed-loader.js'
import type { SeedCorrection } from '../src/seed/corrections.js'
import { openStorage } from '../src/storage/open.js'
import { buildTestApp, freshDb, json, onPostgres, type TestContext } from './helpers.js'

const REPORT = join(seedsFolder, 'bayantala-2023h1')
const extraction = JSON.parse(readFileSync(join(REPORT, 'extraction.json'), 'utf8'))
const corrections = (JSON.parse(readFileSync(join(REPORT, 'corrections.json'), 'utf8')) as { corrections: SeedCorrection[] }).corrections
const sourceText = readFileSync(join(REPORT, extraction.source.file), 'utf8')
const issuedAt = Date.parse(`${extraction.source.issuedOn}T00:00:00Z`)

type Key = { indicator: string; area: string; period: string; kind: string }
const keyOf = (o: Key) => `${o.indicator} ${o.area} ${o.period} ${o.kind}`
/** The last correction entry of every key a correction touches, with the correction it belongs to. */
const lastEntries = new Map<string, { correction: SeedCorrection; entry: any }>()
for (const c of corrections) for (const entry of c.observations ?? []) lastEntries.set(keyOf(entry), { correction: c, entry })
const seededKeys = new Set(extraction.observations.map(keyOf))

/**
 * 目前 (at present) and 已 (already) state a level at the report date; their scope runs from
 * the word to the end of its sentence, so a figure is a stock when its quote holds one or
 * follows one in the same sentence.
 */
function statedAsStock(quote: string): boolean {
  const at = sourceText.indexOf(quote)
  const sentenceStart = Math.max(sourceText.lastIndexOf('。', at), sourceText.lastIndexOf('\n', at)) + 1
  return /目前|已/.test(quote) || /目前|已/.test(sourceText.slice(sentenceStart, at))
}

const temps: string[] = []
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))
/** A copy of the seeds with corrections.json replaced (or removed, for null). */
function seedsWith(file: { corrections: unknown[] } | null): string {
  const dir = mkdtempSync(join(tmpdir(), 'seeds-'))
  temps.push(dir)
  cpSync(seedsFolder, dir, { recursive: true })
  const path = join(dir, 'bayantala-2023h1', 'corrections.json')
  if (file) writeFileSync(path, JSON.stringify(file))
  else rmSync(path)
  return dir
}

let t: TestContext
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

async function everyObservation(ctx: TestContext = t): Promise<any[]> {
  const rows: any[] = []
  let cursor: string | null = null
  do {
    const page: any = json((await ctx.app.inject({ url: `/v1/observations?includeWithdrawn=true&limit=1000${cursor ? `&cursor=${cursor}` : ''}` })).body)
    rows.push(...page.data)
    cursor = page.nextCursor
  } while (cursor)
  return rows
}
const revisionsOf = async (id: number) => json((await t.app.inject({ url: `/v1/observations/${id}/revisions` })).body).data as any[]

describe('seed corrections on a fresh seed', () => {
  it('applies every observation entry once: its last revision is the correction, by the seed, published when the correction says', async () => {
    const byKey = new Map((await everyObservation()).map((o) => [keyOf(o), o]))
    expect(lastEntries.size).toBeGreaterThan(0)
    for (const [key, { correction, entry }] of lastEntries) {
      const o = byKey.get(key)
      expect(o, key).toBeDefined()
      expect(o.status, key).toBe(entry.withdraw ? 'withdrawn' : 'active')
      // A seeded figure gets revision 2 (each key is corrected by one correction), a new one revision 1.
      expect(o.revision, key).toBe(seededKeys.has(key) ? 2 : 1)
      expect(Date.parse(o.publishedAt), key).toBe(Date.parse(correction.publishedAt))
      const history = await revisionsOf(o.id)
      const last = history.at(-1)
      expect(last).toMatchObject({ revision: o.revision, actor: 'seed', reason: `seed correction ${correction.id}: ${entry.reason ?? correction.reason}` })
      if (history.length > 1) expect(Date.parse(history[0].publishedAt)).toBe(issuedAt)
      if (!entry.withdraw) {
        expect(o).toMatchObject({ value: entry.value, qualifier: entry.qualifier, kind: entry.kind, reported: { value: entry.reported.value, unit: entry.reported.unit }, source: { quote: entry.quote } })
        expect(o.temporality).toBe(entry.temporality ?? 'flow')
        expect(o.referenceDate).toBe(entry.referenceDate ?? null)
      }
    }
    // Nothing else was revised: every other seeded observation is still its first revision.
    for (const o of byKey.values()) if (!lastEntries.has(keyOf(o))) expect(o.revision, keyOf(o)).toBe(1)
  })

  it('records each correction once, and audits every indicator and observation write it made', async () => {
    const rows = await t.query<{ id: string; source_id: string }>("SELECT id, source_id FROM seed_correction WHERE id NOT LIKE 'vocabulary/%' ORDER BY id")
    expect(rows.map((r) => r.id)).toEqual(corrections.map((c) => c.id).sort())
    expect(new Set(rows.map((r) => r.source_id))).toEqual(new Set([extraction.source.id]))
    // An indicator corrected twice is served as the later correction states it.
    const lastDefinitions = new Map(corrections.flatMap((c) => (c.indicators ?? []).map((ind) => [ind.code, ind] as const)))
    for (const c of [{ indicators: [...lastDefinitions.values()] }]) {
      for (const ind of c.indicators ?? []) {
        const served = json((await t.app.inject({ url: `/v1/indicators/${ind.code}` })).body)
        expect(served).toMatchObject({ ...ind })
        const entries = await t.query<{ after: string }>("SELECT after FROM audit_entry WHERE entity_type = 'indicator' AND entity_id = ? AND actor = 'seed' ORDER BY seq DESC", ind.code)
        expect(JSON.parse(entries[0]?.after ?? 'null'), ind.code).toMatchObject({ ...ind })
      }
    }
    const audited = await t.query<{ n: number }>("SELECT count(*) AS n FROM audit_entry WHERE entity_type = 'observation' AND actor = 'seed' AND action <> 'observation.create'")
    const revised = [...lastEntries.keys()].filter((k) => seededKeys.has(k)).length
    expect(Number(audited[0]?.n)).toBe(revised)
    expect((await verifyAuditChain(t.storage)).ok).toBe(true)
  })

  it('marks as stocks exactly the figures stated with 目前/已 (at the report date) and the levels by nature the corrections name', async () => {
    const active = (await everyObservation()).filter((o) => o.status === 'active')
    const byNature = new Map<string, string>(
      corrections
        .filter((c: any) => c.id.endsWith('/levels-by-their-nature'))
        .flatMap((c: any) => c.observations.map((o: any) => [`${o.indicator} ${o.area} ${o.period} ${o.kind}`, o.referenceDate])),
    )
    expect([...byNature.keys()]).toEqual(expect.arrayContaining(['medical_insurance_enrolled bayantala 2023-H1 actual', 'beef_cattle_stock bayantala 2023-H2 target']))
    const expected = active.filter((o) => statedAsStock(o.source.quote) || byNature.has(keyOf(o))).map(keyOf).sort()
    const stocks = active.filter((o) => o.temporality === 'stock')
    expect(stocks.map(keyOf).sort()).toEqual(expected)
    expect(expected).toContain('wagyu_surrogate_cattle bayantala 2023-H1 actual')
    for (const o of stocks) expect(o.referenceDate).toBe(byNature.get(keyOf(o)) ?? extraction.source.issuedOn)
  })

  it('splits the two maize scopes, with no H2 target left on the core-area indicator', async () => {
    const core = json((await t.app.inject({ url: '/v1/indicators/high_yield_dense_maize_area' })).body)
    expect(core.observations.map((o: any) => `${o.period} ${o.kind}`)).toEqual(['2023-H1 actual'])
    const drive = json((await t.app.inject({ url: '/v1/indicators/maize_dense_planting_drive_area' })).body)
    expect(drive.observations.map((o: any) => [o.period, o.kind, o.value])).toEqual([['2023-H2', 'target', '10000']])
    expect(drive.observations[0].source.quote).toBe(extraction.observations.find((o: any) => o.indicator === 'high_yield_dense_maize_area' && o.period === '2023-H2').quote)
  })

  it('keeps every number of the text covered: the withdrawn contract terms are exclusions of the extraction', () => {
    const excluded = new Set(extraction.exclusions.map((x: any) => x.quote))
    for (const [key, { entry }] of lastEntries) {
      if (!entry.withdraw) continue
      const seeded = extraction.observations.find((o: any) => keyOf(o) === key)
      if (/\d/.test(seeded.quote) && !key.startsWith('high_yield_dense_maize_area')) expect(excluded.has(seeded.quote), key).toBe(true)
    }
  })
})

describe('seed corrections over time', () => {
  it('starting again changes nothing, and does not revert a user correction made after the seed correction', async () => {
    const ctx = await buildTestApp()
    try {
      const counts = async () => ctx.query("SELECT (SELECT count(*) FROM observation_revision) AS r, (SELECT count(*) FROM audit_entry) AS a, (SELECT count(*) FROM seed_correction) AS c, (SELECT count(*) FROM indicator) AS i")
      const before = await counts()
      expect((await loadSeeds(ctx.storage)).corrections).toEqual([])
      expect(await counts()).toEqual(before)

      const writer = (await createKey(ctx.storage, 'county-stats', ['write'])).secret
      const wagyu = json((await ctx.app.inject({ url: '/v1/observations?indicator=wagyu_surrogate_cattle&period=2023-H1' })).body).data[0]
      expect(wagyu.temporality).toBe('stock')
      const res = await ctx.app.inject({
        method: 'PUT',
        url: `/v1/observations/${wagyu.id}`,
        headers: { authorization: `Bearer ${writer}`, 'if-match': `"obs-${wagyu.id}-r${wagyu.revision}"` },
        payload: { reported: { value: wagyu.reported.value, unit: wagyu.reported.unit }, citation: { sourceId: wagyu.source.id, quote: wagyu.source.quote }, qualifier: 'approx', reason: 'county count is approximate' },
      })
      expect(res.statusCode).toBe(200)
      const after = await counts()
      expect((await loadSeeds(ctx.storage)).corrections).toEqual([])
      expect(await counts()).toEqual(after)
      expect(json((await ctx.app.inject({ url: `/v1/observations/${wagyu.id}` })).body)).toMatchObject({ qualifier: 'approx', revision: wagyu.revision + 1 })
      expect((await verifyAuditChain(ctx.storage)).ok).toBe(true)
    } finally {
      await ctx.close()
    }
  })

  it('a database seeded before the corrections receives them on its next start, ending where a fresh seed does', async () => {
    const old = await freshDb({ seed: false })
    try {
      const first = await loadSeeds(old.storage, { folder: seedsWith(null) })
      expect(first.corrections).toEqual([])
      expect(await old.query('SELECT count(*) AS n FROM observation_revision')).toEqual([{ n: extraction.observations.length }])
      const next = await loadSeeds(old.storage)
      expect(next.sources[0]?.loaded).toBe(false)
      expect(next.corrections).toEqual(corrections.map((c) => c.id))
      const state = (q: typeof old.query) =>
        q(
          `SELECT o.id, o.indicator_code, r.revision, r.status, r.value, r.qualifier, r.temporality, r.reference_date, r.published_at, r.reason, r.actor
             FROM observation o JOIN observation_revision r ON r.seq = o.current_seq ORDER BY o.id`,
        )
      expect(await state(old.query)).toEqual(await state(t.query))
      expect(await old.query('SELECT code, description, additive FROM indicator ORDER BY code')).toEqual(await t.query('SELECT code, description, additive FROM indicator ORDER BY code'))
      expect((await verifyAuditChain(old.storage)).ok).toBe(true)
    } finally {
      await old.cleanup()
    }
  })

  it('two starts at once apply each correction once', async () => {
    const db = await freshDb({ seed: false })
    // PostgreSQL: a second pool on the same database, as a second process has. SQLite: one connection
    // serves a process, so two starts in it share it (a second connection in the same thread would wait on itself).
    const other = onPostgres ? await openStorage(db.path) : db.storage
    try {
      const [a, b] = await Promise.all([loadSeeds(db.storage), loadSeeds(other)])
      expect([...a.corrections, ...b.corrections].sort()).toEqual(corrections.map((c) => c.id).sort())
      expect(await db.query("SELECT count(*) AS n FROM seed_correction WHERE id NOT LIKE 'vocabulary/%'")).toEqual([{ n: corrections.length }])
      const revisions = extraction.observations.length + [...lastEntries.keys()].length
      expect(await db.query('SELECT count(*) AS n FROM observation_revision')).toEqual([{ n: revisions }])
    } finally {
      if (other !== db.storage) await other.close()
      await db.cleanup()
    }
  })
})

describe('a bad correction refuses the start, naming the entry, and writes nothing of it', () => {
  const target = corrections.findIndex((c) => (c.observations ?? []).some((o: any) => !o.withdraw))
  const tamperings: Array<[string, (c: any) => void, RegExp]> = [
    ['a quote not in the source', (c) => (c.observations.find((o: any) => !o.withdraw).quote = '这句话不在报告里80头'), /quote/],
    ['an unknown key', (c) => (c.observations[0].valeu = '1'), /unknown key "valeu"/],
    ['a withdrawal of nothing', (c) => c.observations.push({ indicator: 'dibao_paid', area: 'bayantala', period: '2023-H2', kind: 'actual', withdraw: true }), /no such observation to withdraw/],
    ['an unknown indicator', (c) => (c.observations.find((o: any) => !o.withdraw).indicator = 'no_such_indicator'), /unknown indicator/],
    ['a changed unit of an indicator in use', (c) => (c.indicators = [{ ...extraction.indicators.find((i: any) => i.code === 'dibao_paid'), unit: 'person' }]), /unit cannot change/],
    ['indicators that are not a list of records', (c) => (c.indicators = { code: 'x' }), /indicators must be a list of objects/],
    ['a publication time that is not one', (c) => (c.publishedAt = 'soon'), /publishedAt/],
    ['a stock without its date', (c) => (c.observations.find((o: any) => !o.withdraw).temporality = 'stock', delete c.observations.find((o: any) => !o.withdraw).referenceDate), /referenceDate/],
  ]
  it.each(tamperings)('%s', async (_, tamper, message) => {
    expect(target).toBeGreaterThanOrEqual(0)
    const file = structuredClone({ corrections })
    tamper(file.corrections[target])
    const db = await freshDb({ seed: false })
    try {
      const err = await loadSeeds(db.storage, { folder: seedsWith(file) }).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(SeedError)
      expect((err as Error).message).toMatch(message)
      expect((err as Error).message).toContain(String(file.corrections[target]?.id))
      // A mistake the file shows stops every correction; one found against the database stops its own and the later ones.
      const applied = (await db.query<{ id: string }>("SELECT id FROM seed_correction WHERE id NOT LIKE 'vocabulary/%'")).map((r) => r.id).sort()
      const before = (err as Error).message.startsWith('corrections of') ? [] : corrections.slice(0, target).map((c) => c.id).sort()
      expect(applied).toEqual(before)
    } finally {
      await db.cleanup()
    }
  })
})
