// Seeds the declared relations of each report (seeds/<report>/relations.json):
// after the report, in one write transaction, each relation created or, when
// its file entry changed, updated, both audited as entity `relation`. Every
// indicator a relation names must exist. Idempotent: an unchanged file writes nothing.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { canonicalJson, type JsonValue } from '../domain/canonical-json.js'
import { relationIndicators } from '../domain/relations.js'
import { SeedError } from '../errors.js'
import { seedsFolder } from '../paths.js'
import { INTERNAL_ACTORS } from '../modules/audit/actors.js'
import { definitionProblems, toRelation } from '../modules/relations/relations.schemas.js'
import type { RelationRecord, Storage } from '../storage/ports.js'
import { writeUnit } from '../writes/write-unit.js'

interface RelationsFile {
  relations: Array<{ code: string; type: string; definition: JsonValue; description: string }>
}

/** The audit log's form of a relation: its definition as an object, not as text. */
export function relationSnapshot(r: RelationRecord): Record<string, JsonValue> {
  return { code: r.code, type: r.type, definition: JSON.parse(r.definition) as JsonValue, description: r.description }
}

/** Every relations.json under the seeds folder, checked; throws SeedError naming each bad entry. */
export function readRelationSeeds(folder = seedsFolder): RelationRecord[] {
  const problems: string[] = []
  const records: RelationRecord[] = []
  const seen = new Set<string>()
  const files = readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(folder, d.name, 'relations.json')))
    .map((d) => join(folder, d.name, 'relations.json'))
    .sort()
  for (const file of files) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as RelationsFile
    parsed.relations.forEach((r, i) => {
      const name = `${file} relations[${i}] (${r.code})`
      if (!/^[a-z][a-z0-9_]{1,63}$/.test(r.code)) problems.push(`${name}: code must be lowercase snake_case`)
      if (seen.has(r.code)) problems.push(`${name}: code defined twice`)
      seen.add(r.code)
      const bad = definitionProblems(r.type, r.definition)
      for (const p of bad) problems.push(`${name}: ${p}`)
      if (typeof r.description !== 'string' || r.description.trim() === '') problems.push(`${name}: description is required`)
      if (bad.length === 0) records.push({ code: r.code, type: r.type, definition: canonicalJson(r.definition), description: r.description })
    })
  }
  if (problems.length > 0) throw new SeedError('relations', `refused, ${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
  return records
}

/** Creates or updates the seeded relations; returns how many were written. */
export async function loadRelationSeeds(storage: Storage, folder = seedsFolder): Promise<number> {
  const wanted = readRelationSeeds(folder)
  if (wanted.length === 0) return 0
  return writeUnit(storage, async (tx, audit) => {
    const stored = new Map((await tx.relations()).map((r) => [r.code, r]))
    const indicators = await tx.indicatorUnits([...new Set(wanted.flatMap((r) => relationIndicators(toRelation(r))))])
    const missing = wanted.flatMap((r) => relationIndicators(toRelation(r)).filter((c) => !indicators.has(c)).map((c) => `${r.code}: indicator "${c}" is not defined`))
    if (missing.length > 0) throw new SeedError('relations', `refused:\n  ${missing.join('\n  ')}`)
    let written = 0
    for (const r of wanted) {
      const old = stored.get(r.code)
      if (old && old.type === r.type && old.definition === r.definition && old.description === r.description) continue
      if (old) await tx.updateRelation(r)
      else await tx.insertRelation(r)
      audit.append({
        actor: INTERNAL_ACTORS.seed,
        action: old ? 'relation.update' : 'relation.create',
        entityType: 'relation',
        entityId: r.code,
        before: old ? relationSnapshot(old) : null,
        after: relationSnapshot(r),
      })
      written++
    }
    return written
  })
}
