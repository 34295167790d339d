// Creating and changing areas (admin).
import { writeTransaction, type Db } from '../../db/client.js'
import { Errors } from '../../errors.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'
import { openAuditAppender } from '../audit/audit.repository.js'
import { findArea, insertArea, updateArea, type AreaRecord } from './areas.repository.js'

export function putArea(db: Db, record: AreaRecord, actor: string): { area: AreaRecord; outcome: PutOutcome } {
  return writeTransaction(db, (tx) => {
    // The parent must exist, and the area must not end up inside itself.
    for (let code = record.parentCode, depth = 0; code !== null; depth++) {
      if (code === record.code || depth > 64) throw Errors.unprocessable(`Area "${record.code}" would contain itself.`, { problems: ['cycle in the area hierarchy'] })
      const parent = findArea(tx, code)
      if (!parent) throw Errors.unprocessable(`Parent area "${code}" does not exist.`, { problems: [`unknown parent "${code}"`] })
      code = parent.parentCode
    }
    const outcome = auditedPut(openAuditAppender(tx), {
      entityType: 'area',
      entityId: record.code,
      actor,
      before: findArea(tx, record.code),
      after: record,
      insert: () => insertArea(tx, record),
      update: () => updateArea(tx, record),
    })
    return { area: record, outcome }
  })
}
