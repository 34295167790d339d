// The unit catalogue's seed (seeds/units.json), loaded before any report: a unit
// already stored is left alone (an admin may have changed its names), as areas are.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { isDecimal } from '../domain/decimal.js'
import { SeedError } from '../errors.js'
import { seedsFolder } from '../paths.js'
import type { AuditAppender } from '../modules/audit/audit-appender.js'
import { INTERNAL_ACTORS } from '../modules/audit/actors.js'
import type { UnitRecord, WriteTx } from '../storage/ports.js'

/** The seed's units, checked: bases exist and are base units, multipliers positive exact decimals. */
export function readSeedUnits(folder: string = seedsFolder): UnitRecord[] {
  // A seeds folder without its own units.json (a test's) uses the project's catalogue.
  const path = existsSync(join(folder, 'units.json')) ? join(folder, 'units.json') : join(seedsFolder, 'units.json')
  const file = JSON.parse(readFileSync(path, 'utf8')) as { units: Array<Partial<UnitRecord> & Pick<UnitRecord, 'code' | 'base' | 'multiplier'>> }
  const units = file.units.map((u) => ({ code: u.code, nameZh: u.nameZh ?? u.code, nameEn: u.nameEn ?? u.code, base: u.base, multiplier: u.multiplier, description: u.description ?? '' }))
  const byCode = new Map(units.map((u) => [u.code, u]))
  const problems: string[] = []
  for (const u of units) {
    if (!isDecimal(u.multiplier) || !/[1-9]/.test(u.multiplier) || u.multiplier.startsWith('-')) problems.push(`${u.code}: multiplier "${u.multiplier}" is not a positive decimal`)
    const base = byCode.get(u.base)
    if (!base || base.base !== base.code) problems.push(`${u.code}: base "${u.base}" is not a base unit of the file`)
    if (u.base === u.code && u.multiplier !== '1') problems.push(`${u.code}: a base unit has multiplier 1`)
  }
  if (byCode.size !== units.length) problems.push('a unit code appears twice')
  if (problems.length) throw new SeedError('units.json', problems.join('; '))
  return units
}

/**
 * Inserts the seed's units not stored yet (base units first), each audited. Run inside each report's
 * transaction (its rules need them, and a refused report leaves nothing behind) and once more on its own.
 */
export async function ensureUnits(tx: WriteTx, audit: AuditAppender, units: UnitRecord[]): Promise<number> {
  const stored = new Set((await tx.units()).map((u) => u.code))
  const missing = units.filter((u) => !stored.has(u.code)).sort((a, b) => Number(a.base !== a.code) - Number(b.base !== b.code))
  for (const unit of missing) {
    await tx.insertUnit(unit)
    audit.append({ actor: INTERNAL_ACTORS.seed, action: 'unit.create', entityType: 'unit', entityId: unit.code, before: null, after: { ...unit } })
  }
  return missing.length
}
