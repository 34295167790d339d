// Loads the search vocabulary: the topics (seeds/topics.json) with their member indicators, and
// each report's indicator synonyms (seeds/<report>/synonyms.json). Runs after the reports (and
// any corrections) on every start, in one audited transaction: it only adds what is missing, so
// a member indicator that a later correction creates joins its topic at the next start.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { SeedError } from '../errors.js'
import { seedsFolder } from '../paths.js'
import { INTERNAL_ACTORS } from '../modules/audit/actors.js'
import type { Storage, TopicRecord } from '../storage/ports.js'
import { writeUnit } from '../writes/write-unit.js'

const CODE = /^[a-z][a-z0-9_]{0,63}$/

interface TopicsFile {
  topics: Array<Omit<TopicRecord, 'indicators'> & { indicators: string[] }>
}
interface SynonymsFile {
  synonyms: Record<string, string[]>
}

/** The topics and every report's synonyms, checked; throws SeedError naming each bad entry. */
export function readVocabulary(folder = seedsFolder): { topics: TopicRecord[]; synonyms: Map<string, string[]> } {
  const problems: string[] = []
  const file = join(folder, 'topics.json')
  const topics = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as TopicsFile).topics : []
  const codes = new Set<string>()
  topics.forEach((t, i) => {
    if (!CODE.test(t.code)) problems.push(`topics[${i}]: code "${t.code}" must be lowercase snake_case`)
    if (codes.has(t.code)) problems.push(`topics[${i}]: code "${t.code}" twice`)
    codes.add(t.code)
    if (!Number.isInteger(t.position)) problems.push(`topics[${i}] (${t.code}): position must be an integer`)
    for (const m of ['nameZh', 'nameEn', 'descriptionZh', 'descriptionEn'] as const) if (typeof t[m] !== 'string' || t[m] === '') problems.push(`topics[${i}] (${t.code}): ${m} is missing`)
    if (!Array.isArray(t.synonyms) || !t.synonyms.every((s) => typeof s === 'string')) problems.push(`topics[${i}] (${t.code}): synonyms must be strings`)
    if (!Array.isArray(t.indicators) || !t.indicators.every((c) => CODE.test(c))) problems.push(`topics[${i}] (${t.code}): indicators must be indicator codes`)
  })
  const synonyms = new Map<string, string[]>()
  const reports = readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(folder, d.name, 'synonyms.json')))
  for (const d of reports.map((r) => r.name).sort()) {
    for (const [code, words] of Object.entries((JSON.parse(readFileSync(join(folder, d, 'synonyms.json'), 'utf8')) as SynonymsFile).synonyms)) {
      if (!Array.isArray(words) || !words.every((w) => typeof w === 'string' && w !== '')) problems.push(`${d}/synonyms.json ${code}: synonyms must be non-empty strings`)
      else synonyms.set(code, [...new Set([...(synonyms.get(code) ?? []), ...words])])
    }
  }
  if (problems.length > 0) throw new SeedError('vocabulary', `refused, ${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
  return { topics: topics.map((t) => ({ ...t, indicators: [...new Set(t.indicators)].sort() })), synonyms }
}

/** Adds missing topics, topic members (of indicators that exist) and synonyms (of indicators that have none); returns how many entities changed. */
export async function loadVocabulary(storage: Storage, folder = seedsFolder): Promise<number> {
  const { topics, synonyms } = readVocabulary(folder)
  const actor = INTERNAL_ACTORS.seed
  return writeUnit(storage, async (tx, audit) => {
    let changed = 0
    const existing = await tx.indicatorUnits([...new Set([...topics.flatMap((t) => t.indicators), ...synonyms.keys()])])
    for (const t of topics) {
      const before = await tx.topic(t.code)
      // Members not created yet (a later correction's indicator) are skipped now and added at a later start.
      const wanted = t.indicators.filter((c) => existing.has(c))
      if (!before) {
        const { indicators: _all, ...row } = t
        await tx.insertTopic(row)
        await tx.addTopicMembers(t.code, wanted)
        audit.append({ actor, action: 'topic.create', entityType: 'topic', entityId: t.code, before: null, after: { ...row, indicators: wanted } as never })
        changed++
        continue
      }
      const missing = wanted.filter((c) => !before.indicators.includes(c))
      if (missing.length === 0) continue
      await tx.addTopicMembers(t.code, missing)
      const after = { ...before, indicators: [...before.indicators, ...missing].sort() }
      audit.append({ actor, action: 'topic.update', entityType: 'topic', entityId: t.code, before: before as never, after: after as never })
      changed++
    }
    for (const [code, words] of synonyms) {
      const before = existing.has(code) ? await tx.indicator(code) : null
      // Synonyms an admin has set are theirs: the seed only fills an empty list.
      if (!before || (before.synonyms ?? []).length > 0) continue
      const after = { ...before, synonyms: words }
      await tx.updateIndicator(after)
      audit.append({ actor, action: 'indicator.update', entityType: 'indicator', entityId: code, before: before as never, after: after as never })
      changed++
    }
    return changed
  })
}
