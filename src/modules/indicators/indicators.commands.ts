// Creating and changing indicators (admin).
import { isBaseUnit, BASE_UNITS } from '../../domain/units.js'
import { bodyErrors, Errors } from '../../errors.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'
import type { IndicatorRecord, Storage } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'

export async function putIndicator(storage: Storage, record: IndicatorRecord, actor: string): Promise<{ indicator: IndicatorRecord; outcome: PutOutcome }> {
  if (!isBaseUnit(record.unit)) {
    throw Errors.unprocessable(`unit "${record.unit}" is not a base unit; use one of ${Object.keys(BASE_UNITS).join(', ')}.`, {
      errors: bodyErrors([{ pointer: '/unit', message: `unknown unit "${record.unit}"` }]),
    })
  }
  return writeUnit(storage, async (tx, audit) => {
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
