// Conversion on read (`unit=`): a stored value in its indicator's base unit, served
// exactly in a compatible unit of the catalogue. See docs/units.md.
import { convertFromBase } from '../../domain/units.js'
import { Errors } from '../../errors.js'
import type { CatalogReads, ObservationRow, UnitRecord } from '../../storage/ports.js'

export interface Conversion {
  from: string
  to: string
  divisor: string
  exact: boolean
}

export type ConvertedRow = ObservationRow & { conversion?: Conversion }

const refuse = (detail: string, message: string) => Errors.validation(detail, { errors: [{ in: 'query', name: 'unit', message }] })

/**
 * The catalogue's unit named by `unit=`, or a 400 naming what the catalogue has: with the bases of the
 * indicators asked about known, the units each of them can be served in.
 */
export async function targetUnit(catalog: Pick<CatalogReads, 'unit' | 'units'>, code: string, bases: readonly string[] = []): Promise<UnitRecord> {
  const unit = await catalog.unit(code)
  if (unit) return unit
  const lists: string[] = []
  for (const base of [...new Set(bases)].sort()) lists.push(`${base}: ${(await catalog.units({ base: [base] })).map((u) => u.code).join(', ')}`)
  if (lists.length === 0) throw refuse(`No unit "${code}" in the catalogue (GET /v1/units).`, `unknown unit "${code}"`)
  throw refuse(`No unit "${code}" in the catalogue (GET /v1/units). Compatible units: ${lists.join('; ')}.`, `unknown unit "${code}"; use one of ${lists.join('; ')}`)
}

/** A 400 naming the units that values in `base` can be served in. */
export async function incompatible(catalog: Pick<CatalogReads, 'units'>, target: UnitRecord, base: string, what: string): Promise<never> {
  const compatible = (await catalog.units({ base: [base] })).map((u) => u.code)
  throw refuse(
    `${what} is in ${base}; "${target.code}" converts to ${target.base}. Compatible units: ${compatible.join(', ')}.`,
    `"${target.code}" is not compatible with ${base}; use one of ${compatible.join(', ')}`,
  )
}

/** The row with `value` and `unit` in the target unit (same base, checked by the caller), saying how. */
export function convertRow(row: ObservationRow, target: UnitRecord): ConvertedRow {
  const { value, exact } = convertFromBase(row.value, target)
  return { ...row, value, unit: target.code, conversion: { from: row.unit, to: target.code, divisor: target.multiplier, exact } }
}

/** The conversion as a response header (RFC 8187 ext-value for the unit, which may be Chinese). */
export function conversionHeader(target: UnitRecord): string {
  return `base=${encodeURIComponent(target.base)}; to*=UTF-8''${encodeURIComponent(target.code)}; divisor=${target.multiplier}`
}
