// Creating and changing areas (admin).
import { bodyErrors, Errors, type BodyProblem } from '../../errors.js'
import type { AreaRecord, Storage } from '../../storage/ports.js'
import { writeUnit } from '../../writes/write-unit.js'
import { auditedPut, type PutOutcome } from '../audit/audited-put.js'

/** Levels from the top down; a village and a reserve are peers, both inside a town. */
export const AREA_RANK: Record<AreaRecord['level'], number> = { province: 0, prefecture: 1, banner: 2, town: 3, village: 4, reserve: 4 }

/** What is wrong with where an area sits: levels nest strictly downward, and a division code names one area. */
export function hierarchyProblems(record: AreaRecord, parent: AreaRecord | null, children: AreaRecord[], sameDivisionCode: AreaRecord[]): BodyProblem[] {
  const problems: BodyProblem[] = []
  if (parent && AREA_RANK[parent.level] >= AREA_RANK[record.level]) {
    problems.push({ pointer: '/parent', message: `a ${record.level} cannot be inside ${parent.level} "${parent.code}": levels nest downward (province > prefecture > banner > town > village or reserve)` })
  }
  for (const child of children) {
    if (AREA_RANK[record.level] >= AREA_RANK[child.level]) problems.push({ pointer: '/level', message: `${child.level} "${child.code}" is inside it and would no longer be below a ${record.level}` })
  }
  for (const other of sameDivisionCode) problems.push({ pointer: '/divisionCode', message: `division code ${record.divisionCode} already belongs to area "${other.code}"` })
  return problems
}

export function putArea(storage: Storage, record: AreaRecord, actor: string): Promise<{ area: AreaRecord; outcome: PutOutcome }> {
  return writeUnit(storage, async (tx, audit) => {
    // The parent must exist, and the area must not end up inside itself.
    for (let code = record.parentCode, depth = 0; code !== null; depth++) {
      if (code === record.code || depth > 64) throw Errors.unprocessable(`Area "${record.code}" would contain itself.`, { errors: bodyErrors([{ pointer: '/parent', message: 'cycle in the area hierarchy' }]) })
      const parent = await tx.area(code)
      if (!parent) throw Errors.unprocessable(`Parent area "${code}" does not exist.`, { errors: bodyErrors([{ pointer: '/parent', message: `unknown parent "${code}"` }]) })
      code = parent.parentCode
    }
    const parent = record.parentCode === null ? null : await tx.area(record.parentCode)
    const children = await tx.areaChildren(record.code)
    const sameDivisionCode = record.divisionCode === null ? [] : await tx.areasWithDivisionCode(record.divisionCode, record.code)
    const problems = hierarchyProblems(record, parent, children, sameDivisionCode)
    if (problems.length) throw Errors.unprocessable(`Area "${record.code}": ${problems.map((q) => q.message).join('; ')}.`, { errors: bodyErrors(problems) })
    const outcome = await auditedPut(audit, {
      entityType: 'area',
      entityId: record.code,
      actor,
      before: await tx.area(record.code),
      after: record,
      insert: () => tx.insertArea(record),
      update: () => tx.updateArea(record),
    })
    return { area: record, outcome }
  })
}
