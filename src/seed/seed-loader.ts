// Loads the report seeds: every area, period, indicator and observation of a
// reviewed extraction, checked against the stored source text before anything
// is written. One transaction per run; a source already loaded is left alone,
// so starting twice changes nothing and later corrections are never reverted.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parsePeriod, periodsOfYear } from '../domain/periods.js'
import { buildQuoteIndex } from '../domain/citation.js'
import { UnitCatalogue } from '../domain/units.js'
import { SeedError } from '../errors.js'
import { seedsFolder } from '../paths.js'
import type { AuditAppender } from '../modules/audit/audit-appender.js'
import { INTERNAL_ACTORS } from '../modules/audit/actors.js'
import { checkObservation, type CheckedObservation } from '../modules/observations/observation-rules.js'
import { writeObservations } from '../modules/observations/observation-writes.js'
import { storeSource } from '../modules/sources/sources.commands.js'
import type { AreaRecord, IndicatorRecord, Storage, WriteTx } from '../storage/ports.js'
import { writeUnit } from '../writes/write-unit.js'
import { applySeedCorrections } from './corrections.js'
import { seedDraft, type SeedObservationFile } from './seed-draft.js'
import { loadRelationSeeds } from './relations.js'
import { ensureUnits, readSeedUnits } from './seed-units.js'
import { loadVocabulary } from './vocabulary-seed.js'

export const SEED_ACTOR = INTERNAL_ACTORS.seed

interface SeedSourceFile {
  id: string
  file: string
  title: string
  titleEn?: string
  documentNumber?: string
  issuer: string
  recipient?: string
  issuedOn: string
  mediaType: string
  sha256: string
}

interface Extraction {
  source: SeedSourceFile
  indicators: Array<Omit<IndicatorRecord, 'additive'> & { additive: boolean }>
  observations: SeedObservationFile[]
}

export interface SeedReport {
  sources: Array<{ id: string; loaded: boolean; observations: number }>
  /** Ids of the reviewed corrections (corrections.json) applied by this run. */
  corrections: string[]
}

export interface SeedOptions {
  /** Folder holding areas.json and one folder per report; defaults to the project's seeds/. */
  folder?: string
}

/** Reads and checks every seed without writing; throws SeedError naming each bad entry. */
export function readSeeds(folder = seedsFolder): { areas: AreaRecord[]; extractions: Array<{ extraction: Extraction; text: Buffer; folder: string }> } {
  const areasFile = JSON.parse(readFileSync(join(folder, 'areas.json'), 'utf8')) as { areas: Array<AreaRecord & { parent: string | null }> }
  const areas = areasFile.areas.map((a) => ({
    code: a.code,
    nameZh: a.nameZh,
    nameEn: a.nameEn,
    level: a.level,
    parentCode: a.parent,
    divisionCode: a.divisionCode ?? null,
  }))
  const extractions = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(folder, d.name, 'extraction.json')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const extraction = JSON.parse(readFileSync(join(folder, name, 'extraction.json'), 'utf8')) as Extraction
      const text = readFileSync(join(folder, name, extraction.source.file))
      return { extraction, text, folder: join(folder, name) }
    })
  return { areas, extractions }
}

function describe(o: SeedObservationFile, index: number): string {
  return `observations[${index}] (${o.indicator} ${o.area} ${o.period} ${o.kind})`
}

function checkExtraction(extraction: Extraction, text: Buffer, known: { areas: Set<string>; indicators: Map<string, string>; periods: Set<string>; units: UnitCatalogue }): CheckedObservation[] {
  const problems: string[] = []
  const s = extraction.source
  const sha = createHash('sha256').update(text).digest('hex')
  if (sha !== s.sha256) problems.push(`source ${s.id}: file ${s.file} has SHA-256 ${sha}, the extraction says ${s.sha256}`)

  const units = new Map(known.indicators)
  extraction.indicators.forEach((ind, i) => {
    const name = `indicators[${i}] (${ind.code})`
    if (!/^[a-z][a-z0-9_]{1,63}$/.test(ind.code)) problems.push(`${name}: code must be lowercase snake_case`)
    if (!known.units.isBaseUnit(ind.unit)) problems.push(`${name}: unit "${ind.unit}" is not a base unit of the unit catalogue`)
    if (units.has(ind.code) && units.get(ind.code) !== ind.unit) problems.push(`${name}: already defined in ${units.get(ind.code)}`)
    units.set(ind.code, ind.unit)
  })

  const index = buildQuoteIndex(text)
  const ctx = {
    indicatorUnit: (code: string) => units.get(code),
    areaExists: (code: string) => known.areas.has(code),
    periodExists: (code: string) => known.periods.has(code),
    source: (id: string) => (id === s.id ? index : undefined),
    unitBase: (code: string) => known.units.reportedUnit(code)?.base,
    unitMultiplier: (code: string) => known.units.reportedUnit(code)?.multiplier,
    unitWords: () => known.units.words,
  }
  const keys = new Map<string, number>()
  const checked: CheckedObservation[] = []
  extraction.observations.forEach((o, i) => {
    const name = describe(o, i)
    // Published by the authority on its issue date (a UTC day, as every date this service reads).
    const draft = seedDraft(o, s.id, `${s.issuedOn}T00:00:00Z`)
    const result = checkObservation(draft, ctx)
    if (!result.ok) {
      for (const p of result.problems) problems.push(`${name}${p.pointer}: ${p.message}`)
      return
    }
    const key = [result.observation.indicator, result.observation.area, result.observation.period, result.observation.kind].join(' ')
    if (keys.has(key)) problems.push(`${name}: same indicator, area, period and kind as observations[${keys.get(key)}]`)
    keys.set(key, i)
    checked.push(result.observation)
  })
  if (problems.length > 0) throw new SeedError(`seed ${s.id}`, `refused, ${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
  return checked
}

function auditedInsert(audit: AuditAppender, entityType: string, entityId: string, after: object): void {
  audit.append({
    actor: SEED_ACTOR,
    action: `${entityType}.create`,
    entityType,
    entityId,
    before: null,
    after: after as never,
  })
}

async function ensureAreas(tx: WriteTx, audit: AuditAppender, areas: AreaRecord[]): Promise<void> {
  const pending = [...areas]
  const existing = await tx.existingAreas([...new Set(areas.flatMap((a) => (a.parentCode === null ? [a.code] : [a.code, a.parentCode])))])
  // Parents first, whatever the file's order.
  while (pending.length > 0) {
    const i = pending.findIndex((a) => a.parentCode === null || existing.has(a.parentCode))
    if (i < 0) throw new SeedError(`area ${pending[0]?.code}`, `parent "${pending[0]?.parentCode}" is not defined`)
    const [area] = pending.splice(i, 1) as [AreaRecord]
    if (existing.has(area.code)) continue
    await tx.insertArea(area)
    existing.add(area.code)
    auditedInsert(audit, 'area', area.code, area)
  }
}

async function ensurePeriods(tx: WriteTx, audit: AuditAppender, codes: Iterable<string>): Promise<void> {
  const years = new Set<number>()
  for (const code of codes) {
    const p = parsePeriod(code)
    if (p) years.add(Number(p.startDate.slice(0, 4)))
  }
  for (const year of [...years].sort()) {
    const periods = periodsOfYear(year)
    const existing = await tx.existingPeriods(periods.map((p) => p.code))
    for (const period of periods) {
      if (existing.has(period.code)) continue
      await tx.insertPeriod(period)
      auditedInsert(audit, 'reporting_period', period.code, { ...period })
    }
  }
}

/** Migrated database in, seeds loaded; idempotent. */
export async function loadSeeds(storage: Storage, options: SeedOptions = {}): Promise<SeedReport> {
  const { areas, extractions } = readSeeds(options.folder)
  const units = readSeedUnits(options.folder)
  const report: SeedReport = { sources: [], corrections: [] }
  // The catalogue first, in its own transaction: a report, and the corrections of a report loaded before units were data, are checked against it.
  await writeUnit(storage, (tx, audit) => ensureUnits(tx, audit, units))
  for (const { extraction, text, folder } of extractions) {
    const s = extraction.source
    // Checked inside the transaction, so two processes starting at once cannot both load it.
    const count = await writeUnit(storage, async (tx, audit) => {
      const existing = await tx.source(s.id)
      if (existing) {
        if (existing.sha256 !== s.sha256) {
          throw new SeedError(`source ${s.id}`, `stored with SHA-256 ${existing.sha256}, the seed has ${s.sha256}; a changed report needs a new source id`)
        }
        return null
      }
      await ensureAreas(tx, audit, areas)
      await ensurePeriods(tx, audit, extraction.observations.map((o) => o.period))
      const named = extraction.observations
      const indicatorCodes = [...new Set([...named.map((o) => o.indicator), ...extraction.indicators.map((i) => i.code)])]
      const known = {
        areas: await tx.existingAreas([...new Set(named.flatMap((o) => [o.area, ...(o.involvedAreas ?? [])]))]),
        indicators: await tx.indicatorUnits(indicatorCodes),
        periods: await tx.existingPeriods([...new Set(named.map((o) => parsePeriod(o.period)?.code ?? o.period))]),
        units: new UnitCatalogue(await tx.units()),
      }
      const checked = checkExtraction(extraction, text, known)
      await storeSource(tx, audit, { ...s, content: text }, SEED_ACTOR)
      for (const ind of extraction.indicators) {
        if (known.indicators.has(ind.code)) continue
        await tx.insertIndicator(ind)
        auditedInsert(audit, 'indicator', ind.code, ind)
      }
      // Citations are checked against the bytes now stored, not only the file.
      const stored = await tx.sourceContent(s.id)
      if (!stored?.equals(text)) throw new SeedError(`source ${s.id}`, 'stored bytes differ from the seed file')
      const currents = await tx.currentByKeys(checked)
      await writeObservations(
        tx,
        audit,
        checked.map((o, i) => ({ observation: o, status: 'active', reason: `initial load from seed ${s.id}`, actor: SEED_ACTOR, current: currents[i] ?? null })),
      )
      return checked.length
    })
    report.sources.push({ id: s.id, loaded: count !== null, observations: count ?? 0 })
    report.corrections.push(...(await applySeedCorrections(storage, { folder, sourceId: s.id })))
  }
  await loadVocabulary(storage, options.folder)
  await loadRelationSeeds(storage, options.folder)
  return report
}
