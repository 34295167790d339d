// Creating and changing indicators (admin).
import { UnitCatalogue } from '../../domain/units.js'
import { bodyErrors, Errors } from '../../errors.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'
import type { IndicatorRecord, Storage } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'

export async function putIndicator(storage: Storage, record: IndicatorRecord, actor: string): Promise<{ indicator: IndicatorRecord; outcome: PutOutcome }> {
  return writeUnit(storage, async (tx, audit) => {
    // Values are stored in a base unit of the catalogue; reported units convert to it.
    const units = new UnitCatalogue(await tx.units())
    if (!units.isBaseUnit(record.unit)) {
      const base = units.reportedUnit(record.unit)?.base
      throw Errors.unprocessable(`unit "${record.unit}" is not a base unit of the catalogue${base ? ` (it converts to ${base})` : ''}; use one of ${units.baseUnits().join(', ')}.`, {
        errors: bodyErrors([{ pointer: '/unit', message: base ? `"${record.unit}" is a reported unit of base ${base}` : `unknown unit "${record.unit}"` }]),
      })
    }
    const before = await tx.indicator(record.code)
    if (before && before.unit !== record.unit && (await tx.indicatorInUse(record.code))) {
      // Stored values are in the old unit: changing it would silently change every figure.
      throw Errors.conflict(`Indicator "${record.code}" has observations in ${before.unit}; its unit cannot change. Create a new indicator instead.`)
    }
    const outcome = await auditedPut(audit, {
      entityType: 'indicator',
      entityId: record.code,
      actor,
      before,
      after: record,
      insert: () => tx.insertIndicator(record),
      update: () => tx.updateIndicator(record),
    })
    return { indicator: record, outcome }
  })
}
