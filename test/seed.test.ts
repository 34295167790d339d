// The seed loader: what it loads, and what it refuses (naming the entry).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { locateQuote } from '../src/domain/citation.js'
import { SeedError } from '../src/errors.js'
import { verifyAuditChain } from '../src/modules/audit/integrity.js'
import { seedsFolder } from '../src/paths.js'
import { readSeedExclusions } from '../src/seed/exclusions.js'
import { loadSeeds } from '../src/seed/seed-loader.js'
import { freshDb, openStore } from './helpers.js'

const EXTRACTION = join(seedsFolder, 'bayantala-2023h1', 'extraction.json')
const SOURCE = join(seedsFolder, 'bayantala-2023h1', 'source.txt')
const extraction = JSON.parse(readFileSync(EXTRACTION, 'utf8'))
const sourceText = readFileSync(SOURCE)
const corrections = JSON.parse(readFileSync(join(seedsFolder, 'bayantala-2023h1', 'corrections.json'), 'utf8')).corrections
const keyOf = (o: any) => `${o.indicator} ${o.area} ${o.period} ${o.kind}`

const temps: string[] = []
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })))

/** A copy of the seeds with the extraction edited by `edit`. */
function tamperedSeeds(edit: (e: any) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'seeds-'))
  temps.push(dir)
  cpSync(seedsFolder, dir, { recursive: true })
  const e = structuredClone(extraction)
  edit(e)
  writeFileSync(join(dir, 'bayantala-2023h1', 'extraction.json'), JSON.stringify(e))
  return dir
}

async function refusal(folder: string): Promise<SeedError> {
  const { storage, db } = await openStore(':memory:', { seed: false })
  try {
    await loadSeeds(storage, { folder })
  } catch (err) {
    // Nothing of a refused report is written (the unit catalogue, loaded first in its own transaction, stays).
    expect(db.$client.prepare('SELECT count(*) AS n FROM observation').get()).toEqual({ n: 0 })
    expect(db.$client.prepare("SELECT count(*) AS n FROM audit_entry WHERE entity_type <> 'unit'").get()).toEqual({ n: 0 })
    db.$client.close()
    expect(err).toBeInstanceOf(SeedError)
    return err as SeedError
  }
  db.$client.close()
  throw new Error('the seed was not refused')
}

const dibao = () => extraction.observations.findIndex((o: any) => o.indicator === 'dibao_paid')

describe('seed loader', () => {
  it('keeps the source bytes exactly as published', async () => {
    expect(sourceText.length).toBe(14486)
    expect(extraction.source.sha256).toBe('697197996068763bf95affb7f798ca9cccfce8ac30dd553c5abaad300da8abe9')
  })

  it('loads every observation once, and starting twice changes nothing', async () => {
    const { storage, db, cleanup } = await freshDb({ seed: false })
    const first = await loadSeeds(storage)
    expect(first.sources).toEqual([{ id: 'bayantala-2023h1', loaded: true, observations: extraction.observations.length }])
    const counts = () =>
      db.$client
        .prepare(
          `SELECT (SELECT count(*) FROM observation) o, (SELECT count(*) FROM observation_revision) r, (SELECT count(*) FROM audit_entry) a,
                  (SELECT count(*) FROM area) ar, (SELECT count(*) FROM indicator) i, (SELECT count(*) FROM reporting_period) p`,
        )
        .get()
    const before = counts()
    expect((await loadSeeds(storage)).sources[0]?.loaded).toBe(false)
    expect(counts()).toEqual(before)
    // The reviewed corrections (corrections.json) add their revisions and indicators on top of the extraction.
    const entries = corrections.flatMap((c: any) => c.observations ?? [])
    const created = new Set(entries.map(keyOf).filter((k: string) => !extraction.observations.some((o: any) => keyOf(o) === k)))
    const indicatorCodes = new Set([...extraction.indicators, ...corrections.flatMap((c: any) => c.indicators ?? [])].map((i: any) => i.code))
    expect(before).toMatchObject({ o: extraction.observations.length + created.size, r: extraction.observations.length + entries.length, i: indicatorCodes.size })
    expect((await verifyAuditChain(storage)).ok).toBe(true)
    cleanup()
  })

  it('stores a byte span that is exactly the quote, for every observation', async () => {
    const { db, cleanup } = await freshDb()
    const rows = db.$client.prepare('SELECT quote, byte_start AS s, byte_end AS e, reported_value AS v, reported_text AS t FROM observation_revision').all() as Array<{
      quote: string
      s: number
      e: number
      v: string
      t: string | null
    }>
    expect(rows.length).toBe(extraction.observations.length + corrections.flatMap((c: any) => c.observations ?? []).length)
    for (const r of rows) {
      expect(sourceText.subarray(r.s, r.e).toString('utf8')).toBe(r.quote)
      expect(r.quote).toContain(r.t ?? r.v)
    }
    cleanup()
  })

  it('covers every number written in digits: each lies in a cited quote or a reviewed exclusion', async () => {
    const spans: Array<[number, number]> = []
    for (const q of [...extraction.observations.map((o: any) => o.quote), ...extraction.exclusions.map((x: any) => x.quote)]) {
      const at = locateQuote(sourceText, q)
      expect(at.kind, q).toBe('found')
      if (at.kind === 'found') spans.push([at.byteStart, at.byteEnd])
    }
    const text = sourceText.toString('latin1') // byte-indexed; ASCII digits are single bytes
    const uncovered: string[] = []
    for (const m of text.matchAll(/\d+(?:\.\d+)?/g)) {
      const start = m.index
      const end = start + m[0].length
      if (!spans.some(([s, e]) => s <= start && end <= e)) uncovered.push(`${m[0]} at byte ${start}`)
    }
    expect(uncovered).toEqual([])
  })

  it('refuses a tampered quote, naming the entry', async () => {
    const i = dibao()
    const err = await refusal(tamperedSeeds((e) => (e.observations[i].quote = '发放城乡低保金484.753万元')))
    expect(err.message).toContain(`observations[${i}] (dibao_paid bayantala 2023-H1 actual)`)
    expect(err.message).toContain('quote not found')
  })

  it('refuses a wrong multiplier', async () => {
    const i = dibao()
    const err = await refusal(tamperedSeeds((e) => (e.observations[i].value = '484752')))
    expect(err.message).toContain(`observations[${i}]`)
    expect(err.message).toMatch(/is not reported value 484.752 × 10000/)
  })

  it('refuses a unit that does not convert to the indicator\'s unit', async () => {
    const i = dibao()
    const err = await refusal(tamperedSeeds((e) => (e.observations[i].reported.unit = '万亩')))
    expect(err.message).toContain('converts to mu, but indicator "dibao_paid" is in CNY')
  })

  it('refuses an ambiguous quote', async () => {
    const i = extraction.observations.findIndex((o: any) => o.indicator === 'dibao_beneficiaries')
    const err = await refusal(tamperedSeeds((e) => (e.observations[i].quote = '受益')))
    expect(err.message).toMatch(/quote occurs 3 times/)
  })

  it('refuses a quote that does not state the reported number', async () => {
    const i = dibao()
    const err = await refusal(
      tamperedSeeds((e) => {
        e.observations[i].reported.value = '48'
        e.observations[i].value = '480000'
      }),
    )
    expect(err.message).toContain('quote does not state the number "48"')
  })

  it('refuses a Chinese numeral that says another number', async () => {
    const i = extraction.observations.findIndex((o: any) => o.reported.text === '四')
    const err = await refusal(
      tamperedSeeds((e) => {
        e.observations[i].reported.value = '5'
        e.observations[i].value = '5'
      }),
    )
    expect(err.message).toContain('reported text "四" is 4, not 5')
  })

  it('refuses unknown areas, periods and indicators, and duplicate keys', async () => {
    const err = await refusal(
      tamperedSeeds((e) => {
        e.observations[0].area = 'atlantis'
        e.observations[1].period = '2023-H3'
        e.observations[2].indicator = 'nope'
        e.observations.push(structuredClone(e.observations[5]))
      }),
    )
    expect(err.message).toContain('unknown area "atlantis"')
    expect(err.message).toContain('"2023-H3" is not a reporting period')
    expect(err.message).toContain('unknown indicator "nope"')
    expect(err.message).toContain(`same indicator, area, period and kind as observations[5]`)
  })

  it('refuses a source whose bytes do not match its SHA-256', async () => {
    const err = await refusal(tamperedSeeds((e) => (e.source.sha256 = '0'.repeat(64))))
    expect(err.message).toContain('has SHA-256 697197996068763bf95affb7f798ca9cccfce8ac30dd553c5abaad300da8abe9')
  })
})

describe('reviewed exclusions', () => {
  /** Every exclusion of every seeded report, as its extraction.json states it. */
  const seeded = readdirSync(seedsFolder)
    .filter((d) => existsSync(join(seedsFolder, d, 'extraction.json')))
    .flatMap((d) => (JSON.parse(readFileSync(join(seedsFolder, d, 'extraction.json'), 'utf8')).exclusions ?? []).map((x: any) => ({ report: d, ...x })))
  const HAN = /\p{Script=Han}/u

  it('gives every seeded exclusion a Chinese reason beside its English one', () => {
    expect(seeded.length).toBeGreaterThan(20)
    for (const x of seeded) {
      const at = `${x.report}: ${x.quote}`
      expect(typeof x.reason === 'string' && x.reason.trim().length > 0, at).toBe(true)
      expect(typeof x.reasonZh === 'string' && x.reasonZh.trim().length > 0, at).toBe(true)
      expect(x.reasonZh, at).toMatch(HAN)
      expect(x.reasonZh, at).not.toBe(x.reason)
    }
  })

  it('keeps in the Chinese reason, as written, the source words and the ids the English one quotes', () => {
    for (const x of seeded) {
      const quoted = [...(x.reason as string).matchAll(/[\p{Script=Han}\d]*\p{Script=Han}[\p{Script=Han}\d]*|[a-z0-9-]+\/[a-z0-9-]+|[a-z]+(?:_[a-z]+)+/gu)].map((m) => m[0])
      for (const term of quoted) expect(x.reasonZh, `${x.report}: ${x.quote}`).toContain(term)
    }
  })

  it('reads the Chinese reason, and leaves none (readers fall back to English) where a report gives none or an empty one', () => {
    const folder = tamperedSeeds((e) => {
      delete e.exclusions[0].reasonZh
      e.exclusions[1].reasonZh = ''
    })
    const read = readSeedExclusions(folder).get('bayantala-2023h1') ?? []
    expect(read).toHaveLength(extraction.exclusions.length)
    expect(read[0]).toEqual({ quote: extraction.exclusions[0].quote, reason: extraction.exclusions[0].reason, reasonZh: undefined })
    expect(read[1]?.reasonZh).toBeUndefined()
    expect(read.slice(2)).toEqual(extraction.exclusions.slice(2))
  })
})
