// Creating and changing units of the catalogue (admin).
import { compareDecimal, isDecimal, normalizeDecimal } from '../../domain/decimal.js'
import { bodyErrors, Errors, type BodyProblem } from '../../errors.js'
import type { Storage, UnitRecord } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'

/** What is wrong with a unit's definition on its own: a positive exact multiplier, 1 for a base unit. */
export function definitionProblems(record: UnitRecord): BodyProblem[] {
  const problems: BodyProblem[] = []
  if (!isDecimal(record.multiplier) || compareDecimal(record.multiplier, '0') <= 0) {
    problems.push({ pointer: '/multiplier', message: `multiplier "${record.multiplier}" is not a positive exact decimal` })
  } else if (record.base === record.code && compareDecimal(record.multiplier, '1') !== 0) {
    problems.push({ pointer: '/multiplier', message: `a base unit (base = its own code) has multiplier 1, not ${record.multiplier}` })
  }
  return problems
}

export function putUnit(storage: Storage, input: UnitRecord, actor: string): Promise<{ unit: UnitRecord; outcome: PutOutcome }> {
  const problems = definitionProblems(input)
  if (problems.length) throw Errors.unprocessable(`Unit "${input.code}": ${problems.map((p) => p.message).join('; ')}.`, { errors: bodyErrors(problems) })
  // Stored canonical, so that 10000.0 and 10000 are one definition.
  const record: UnitRecord = { ...input, multiplier: normalizeDecimal(input.multiplier) }
  return writeUnit(storage, async (tx, audit) => {
    if (record.base !== record.code) {
      const base = await tx.unit(record.base)
      if (!base || base.base !== base.code) {
        const why = base ? `"${record.base}" is itself a reported unit of base ${base.base}` : `no unit "${record.base}"`
        throw Errors.unprocessable(`Unit "${record.code}": its base must be a base unit of the catalogue (${why}).`, { errors: bodyErrors([{ pointer: '/base', message: why }]) })
      }
    }
    const before = await tx.unit(record.code)
    if (before && (before.base !== record.base || before.multiplier !== record.multiplier)) {
      // Stored values and reported figures were converted with the old definition: changing it would silently change them.
      const use = await tx.unitUse(record.code)
      const users = [use.observations && 'observations are reported in it', use.indicators && 'indicators store their values in it', use.units && 'other units convert to it'].filter(Boolean)
      if (users.length) {
        throw Errors.conflict(`Unit "${record.code}" cannot change its base or multiplier: ${users.join(', ')}. Its names and description may change; add a new unit for a new definition.`)
      }
    }
    const outcome = await auditedPut(audit, {
      entityType: 'unit',
      entityId: record.code,
      actor,
      before,
      after: record,
      insert: () => tx.insertUnit(record),
      update: () => tx.updateUnit(record),
    })
    return { unit: record, outcome }
  })
}
