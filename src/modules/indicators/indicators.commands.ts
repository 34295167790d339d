// Creating and changing indicators (admin).
import { eq } from 'drizzle-orm'
import { writeTransaction, type Db } from '../../storage/sqlite/client.js'
import { observations } from '../../storage/sqlite/schema.js'
import { isBaseUnit, BASE_UNITS } from '../../domain/units.js'
import { Errors } from '../../errors.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'
import { openAuditAppender } from '../audit/audit.repository.js'
import { findIndicator, insertIndicator, updateIndicator, type IndicatorRecord } from './indicators.repository.js'

export function putIndicator(db: Db, record: IndicatorRecord, actor: string): { indicator: IndicatorRecord; outcome: PutOutcome } {
  if (!isBaseUnit(record.unit)) {
    throw Errors.unprocessable(`unit "${record.unit}" is not a base unit; use one of ${Object.keys(BASE_UNITS).join(', ')}.`, {
      problems: [`unknown unit "${record.unit}"`],
    })
  }
  return writeTransaction(db, (tx) => {
    const before = findIndicator(tx, record.code)
    if (before && before.unit !== record.unit && tx.select({ id: observations.id }).from(observations).where(eq(observations.indicatorCode, record.code)).limit(1).all().length > 0) {
      // Stored values are in the old unit: changing it would silently change every figure.
      throw Errors.conflict(`Indicator "${record.code}" has observations in ${before.unit}; its unit cannot change. Create a new indicator instead.`)
    }
    const outcome = auditedPut(openAuditAppender(tx), {
      entityType: 'indicator',
      entityId: record.code,
      actor,
      before,
      after: record,
      insert: () => insertIndicator(tx, record),
      update: () => updateIndicator(tx, record),
    })
    return { indicator: record, outcome }
  })
}
