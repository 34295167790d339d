// Reviewed corrections of a seeded report (seeds/<report>/corrections.json): each
// one is checked in full, applied once in its own write transaction as audited
// indicator puts and observation revisions, and recorded in seed_correction, so a
// restart never applies it again (nor reverts what a user corrected after it) and
// a database seeded before it existed receives it on its next start.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildQuoteIndex } from '../domain/citation.js'
import { parsePeriod } from '../domain/periods.js'
import { parseInstantOrNull } from '../domain/time.js'
import { UnitCatalogue } from '../domain/units.js'
import { SeedError } from '../errors.js'
import { INTERNAL_ACTORS } from '../modules/audit/actors.js'
import { auditedPut } from '../modules/audit/audited-put.js'
import { checkObservation, type CheckedObservation } from '../modules/observations/observation-rules.js'
import { rowToChecked, writeObservations, type ObservationStatus } from '../modules/observations/observation-writes.js'
import type { IndicatorRecord, NaturalKey, ObservationRow, Storage } from '../storage/ports.js'
import { writeUnit } from '../writes/write-unit.js'
import { seedDraft } from './seed-draft.js'

export const CORRECTIONS_FILE = 'corrections.json'

/** An observation as extraction.json states it, plus the time fields a correction may set. */
export interface CorrectedObservation extends NaturalKey {
  value: string
  qualifier: string
  reported: { value: string; unit: string; text?: string }
  quote: string
  involvedAreas?: string[]
  note?: string
  temporality?: 'flow' | 'stock'
  referenceDate?: string
  /** This entry's own reason; the correction's reason when absent. */
  reason?: string
}

/** Withdraws the observation with this natural key (its current content stays, marked withdrawn). */
export interface WithdrawnObservation extends NaturalKey {
  withdraw: true
  reason?: string
}

export interface SeedCorrection {
  /** Unique across every report; the key of seed_correction. */
  id: string
  /** When this service publishes the reviewed correction (RFC 3339): the valid time of its revisions. */
  publishedAt: string
  reason: string
  indicators?: IndicatorRecord[]
  observations?: Array<CorrectedObservation | WithdrawnObservation>
}

const CORRECTION_KEYS = ['id', 'publishedAt', 'reason', 'indicators', 'observations']
const INDICATOR_KEYS = ['code', 'nameZh', 'nameEn', 'description', 'category', 'unit', 'additive']
const KEY_FIELDS = ['indicator', 'area', 'period', 'kind'] as const
const OBSERVATION_KEYS = [...KEY_FIELDS, 'value', 'qualifier', 'reported', 'quote', 'involvedAreas', 'note', 'temporality', 'referenceDate', 'reason']
const WITHDRAW_KEYS = [...KEY_FIELDS, 'withdraw', 'reason']

/** The corrections of one report folder, in file order; none when the file is absent. */
export function readCorrections(reportFolder: string): SeedCorrection[] {
  const path = join(reportFolder, CORRECTIONS_FILE)
  if (!existsSync(path)) return []
  let file: { corrections?: unknown } | null
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as { corrections?: unknown } | null
  } catch (err) {
    throw new SeedError(path, `is not JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!Array.isArray(file?.corrections)) throw new SeedError(path, 'must hold { "corrections": [...] }')
  return file.corrections as SeedCorrection[]
}

const isWithdrawal = (o: CorrectedObservation | WithdrawnObservation): o is WithdrawnObservation => 'withdraw' in o
const keyText = (k: NaturalKey) => `${k.indicator} ${k.area} ${k.period} ${k.kind}`
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== ''

function unknownKeys(value: object, allowed: string[]): string[] {
  return Object.keys(value).filter((k) => !allowed.includes(k))
}

/** What can be told from the file alone: shapes, unknown keys, ids, times, indicator records. */
function shapeProblems(corrections: SeedCorrection[]): string[] {
  const problems: string[] = []
  const ids = new Set<string>()
  corrections.forEach((c, i) => {
    const name = `corrections[${i}] (${String(c?.id)})`
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return void problems.push(`${name}: not an object`)
    for (const k of unknownKeys(c, CORRECTION_KEYS)) problems.push(`${name}: unknown key "${k}"`)
    if (!isText(c.id)) problems.push(`${name}: id is required`)
    else if (ids.has(c.id)) problems.push(`${name}: id used twice`)
    ids.add(c.id)
    if (!isText(c.reason)) problems.push(`${name}: reason is required`)
    if (typeof c.publishedAt !== 'string' || parseInstantOrNull(c.publishedAt) === null) problems.push(`${name}: publishedAt "${String(c.publishedAt)}" is not an RFC 3339 time`)
    for (const list of ['indicators', 'observations'] as const) {
      const items: unknown = c[list]
      if (items !== undefined && !(Array.isArray(items) && items.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x)))) {
        problems.push(`${name}: ${list} must be a list of objects`)
        return
      }
    }
    if (!(c.indicators ?? []).length && !(c.observations ?? []).length) problems.push(`${name}: corrects nothing`)
    ;(c.indicators ?? []).forEach((ind, j) => {
      const at = `${name} indicators[${j}] (${String(ind.code)})`
      for (const k of unknownKeys(ind, INDICATOR_KEYS)) problems.push(`${at}: unknown key "${k}"`)
      for (const k of INDICATOR_KEYS.filter((k) => k !== 'additive')) if (!isText((ind as unknown as Record<string, unknown>)[k])) problems.push(`${at}: ${k} is required`)
      if (typeof ind.additive !== 'boolean') problems.push(`${at}: additive must be true or false`)
      if (!/^[a-z][a-z0-9_]{1,63}$/.test(String(ind.code))) problems.push(`${at}: code must be lowercase snake_case`)
    })
    const keys = new Set<string>()
    ;(c.observations ?? []).forEach((o, j) => {
      const at = `${name} observations[${j}] (${keyText(o)})`
      for (const k of unknownKeys(o, isWithdrawal(o) ? WITHDRAW_KEYS : OBSERVATION_KEYS)) problems.push(`${at}: unknown key "${k}"`)
      for (const k of KEY_FIELDS) if (!isText(o[k])) problems.push(`${at}: ${k} is required`)
      if (isWithdrawal(o) && o.withdraw !== true) problems.push(`${at}: withdraw must be true`)
      if (o.reason !== undefined && !isText(o.reason)) problems.push(`${at}: reason must be a non-empty text`)
      const canonical = keyText({ ...o, period: parsePeriod(o.period)?.code ?? o.period })
      if (keys.has(canonical)) problems.push(`${at}: the same observation twice in one correction`)
      keys.add(canonical)
    })
  })
  return problems
}

function refuse(entry: string, problems: string[]): never {
  throw new SeedError(entry, `refused, ${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
}

/**
 * Applies the corrections of one report not yet applied, in file order, each in its own
 * transaction; returns the ids applied by this call. Throws SeedError naming the entry.
 */
export async function applySeedCorrections(storage: Storage, report: { folder: string; sourceId: string }): Promise<string[]> {
  const corrections = readCorrections(report.folder)
  const shape = shapeProblems(corrections)
  if (shape.length > 0) refuse(`corrections of ${report.sourceId}`, shape)
  const applied: string[] = []
  for (const c of corrections) {
    // Checked inside the write transaction, so two processes starting at once cannot both apply it.
    const done = await writeUnit(storage, async (tx, audit) => {
      if (await tx.seedCorrectionApplied(c.id)) return false
      const problems: string[] = []
      const name = `correction ${c.id}`
      const observations = c.observations ?? []
      const indicators = c.indicators ?? []

      const units = await tx.indicatorUnits([...new Set([...observations.map((o) => o.indicator), ...indicators.map((i) => i.code)])])
      const catalogue = new UnitCatalogue(await tx.units())
      const befores = new Map<string, IndicatorRecord | null>()
      for (const ind of indicators) {
        if (!catalogue.isBaseUnit(ind.unit)) problems.push(`${name} indicators (${ind.code}): unit "${ind.unit}" is not a base unit of the unit catalogue`)
        const before = await tx.indicator(ind.code)
        befores.set(ind.code, before)
        // Stored values are in the old unit: changing it would silently change every figure.
        if (before && before.unit !== ind.unit && (await tx.indicatorInUse(ind.code))) problems.push(`${name} indicators (${ind.code}): has observations in ${before.unit}; its unit cannot change`)
        units.set(ind.code, ind.unit)
      }
      const stated = observations.filter((o): o is CorrectedObservation => !isWithdrawal(o))
      const areas = await tx.existingAreas([...new Set(stated.flatMap((o) => [o.area, ...(o.involvedAreas ?? [])]))])
      const periods = await tx.existingPeriods([...new Set(stated.map((o) => parsePeriod(o.period)?.code ?? o.period))])
      const content = await tx.sourceContent(report.sourceId)
      if (!content) refuse(name, [`source ${report.sourceId} is not stored`])
      const index = buildQuoteIndex(content)
      const ctx = {
        indicatorUnit: (code: string) => units.get(code),
        areaExists: (code: string) => areas.has(code),
        periodExists: (code: string) => periods.has(code),
        source: (id: string) => (id === report.sourceId ? index : undefined),
        unitBase: (code: string) => catalogue.reportedUnit(code)?.base,
        unitMultiplier: (code: string) => catalogue.reportedUnit(code)?.multiplier,
        unitWords: () => catalogue.words,
      }
      const publishedAt = parseInstantOrNull(c.publishedAt) as string
      const entries: Array<{ key: NaturalKey; status: ObservationStatus; observation: CheckedObservation | null; reason: string; at: string }> = []
      observations.forEach((o, j) => {
        const at = `${name} observations[${j}] (${keyText(o)})`
        const reason = `seed correction ${c.id}: ${o.reason ?? c.reason}`
        if (isWithdrawal(o)) {
          entries.push({ key: { ...o, period: parsePeriod(o.period)?.code ?? o.period }, status: 'withdrawn', observation: null, reason, at })
          return
        }
        const draft = seedDraft(o, report.sourceId, c.publishedAt)
        const result = checkObservation(draft, ctx)
        if (!result.ok) for (const p of result.problems) problems.push(`${at}${p.pointer}: ${p.message}`)
        else entries.push({ key: result.observation, status: 'active', observation: result.observation, reason, at })
      })
      const currents = await tx.currentByKeys(entries.map((e) => ({ indicator: e.key.indicator, area: e.key.area, period: e.key.period, kind: e.key.kind })))
      const items = entries.flatMap((e, j) => {
        const current: ObservationRow | null = currents[j] ?? null
        if (e.observation) return [{ observation: e.observation, status: e.status, reason: e.reason, actor: INTERNAL_ACTORS.seed, current }]
        if (!current) {
          problems.push(`${e.at}: no such observation to withdraw`)
          return []
        }
        return [{ observation: { ...rowToChecked(current), publishedAt }, status: e.status, reason: e.reason, actor: INTERNAL_ACTORS.seed, current }]
      })
      if (problems.length > 0) refuse(name, problems)

      for (const ind of indicators) {
        // A correction restates the definition, not the search words: synonyms an indicator has keep.
        const kept = befores.get(ind.code)?.synonyms ?? []
        const record: IndicatorRecord = { code: ind.code, nameZh: ind.nameZh, nameEn: ind.nameEn, description: ind.description, category: ind.category, unit: ind.unit, additive: ind.additive, ...(kept.length ? { synonyms: kept } : {}) }
        await auditedPut(audit, {
          entityType: 'indicator',
          entityId: record.code,
          actor: INTERNAL_ACTORS.seed,
          before: befores.get(record.code) ?? null,
          after: record,
          insert: () => tx.insertIndicator(record),
          update: () => tx.updateIndicator(record),
        })
      }
      await writeObservations(tx, audit, items)
      await tx.recordSeedCorrection({ id: c.id, sourceId: report.sourceId, appliedAt: audit.recordedAt })
      return true
    })
    if (done) applied.push(c.id)
  }
  return applied
}
