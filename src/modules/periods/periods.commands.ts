// Adding reporting periods (admin). A period's dates follow from its code, so
// a PUT can only create it; there is nothing to change.
import { writeTransaction, type Db } from '../../storage/sqlite/client.js'
import { parsePeriod } from '../../domain/periods.js'
import { Errors } from '../../errors.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'
import { openAuditAppender } from '../audit/audit.repository.js'
import { findPeriod, insertPeriod, type PeriodRecord } from './periods.repository.js'

export function putPeriod(db: Db, code: string, actor: string): { period: PeriodRecord; outcome: PutOutcome } {
  const period = parsePeriod(code)
  if (!period) throw Errors.badPeriod(`"${code}" is not a reporting period.`)
  return writeTransaction(db, (tx) => {
    const outcome = auditedPut(openAuditAppender(tx), {
      entityType: 'reporting_period',
      entityId: period.code,
      actor,
      before: findPeriod(tx, period.code),
      after: { ...period },
      insert: () => insertPeriod(tx, period),
      update: () => undefined,
    })
    return { period, outcome }
  })
}
