// Adding reporting periods (admin). A period's dates follow from its code, so
// a PUT can only create it; there is nothing to change.
import { parsePeriod } from '../../domain/periods.js'
import { Errors } from '../../errors.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'
import type { PeriodRecord, Storage } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'

export async function putPeriod(storage: Storage, code: string, actor: string): Promise<{ period: PeriodRecord; outcome: PutOutcome }> {
  const period = parsePeriod(code)
  if (!period) throw Errors.badPeriod(`"${code}" is not a reporting period.`)
  const record: PeriodRecord = period
  return writeUnit(storage, async (tx, audit) => {
    const outcome = await auditedPut(audit, {
      entityType: 'reporting_period',
      entityId: period.code,
      actor,
      before: await tx.period(period.code),
      after: { ...record },
      insert: () => tx.insertPeriod(record),
      update: async () => undefined,
    })
    return { period: record, outcome }
  })
}
