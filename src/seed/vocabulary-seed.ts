// Loads the search vocabulary: the topics (seeds/topics.json) with their member indicators, and
// each report's indicator synonyms (seeds/<report>/synonyms.json). Runs after the reports (and
// any corrections) on every start, in one audited transaction: each entry is applied once (recorded
// in seed_correction), so a member indicator that a later correction creates joins its topic at the
// next start, and what an admin removed later is not put back.
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
export function readVocabulary(folder = seedsFolder): { topics: TopicRecord[]; synonyms: Map<string, { words: string[]; file: string }> } {
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
  // Each indicator's words from every report, with the first file that lists it (the record's source).
  const synonyms = new Map<string, { words: string[]; file: string }>()
  const reports = readdirSync(folder, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(folder, d.name, 'synonyms.json')))
  for (const d of reports.map((r) => r.name).sort()) {
    for (const [code, words] of Object.entries((JSON.parse(readFileSync(join(folder, d, 'synonyms.json'), 'utf8')) as SynonymsFile).synonyms)) {
      if (!Array.isArray(words) || !words.every((w) => typeof w === 'string' && w !== '')) problems.push(`${d}/synonyms.json ${code}: synonyms must be non-empty strings`)
      else synonyms.set(code, { words: [...new Set([...(synonyms.get(code)?.words ?? []), ...words])], file: synonyms.get(code)?.file ?? `${d}/synonyms.json` })
    }
  }
  if (problems.length > 0) throw new SeedError('vocabulary', `refused, ${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
  return { topics: topics.map((t) => ({ ...t, indicators: [...new Set(t.indicators)].sort() })), synonyms }
}

/** The seed_correction ids that record what the vocabulary seed applied, each once. */
export const vocabularyMark = {
  topicMember: (topic: string, indicator: string) => `vocabulary/topics/${topic}/${indicator}`,
  synonyms: (indicator: string) => `vocabulary/synonyms/${indicator}`,
}

/**
 * Applies each seed entry once: a topic not stored yet, a member never applied before (its
 * indicator existing), an indicator's synonyms never applied before (and only onto an empty list).
 * What it applied is recorded in seed_correction, so an admin's later removal stays removed;
 * returns how many entities changed.
 */
export async function loadVocabulary(storage: Storage, folder = seedsFolder): Promise<number> {
  const { topics, synonyms } = readVocabulary(folder)
  const actor = INTERNAL_ACTORS.seed
  return writeUnit(storage, async (tx, audit) => {
    let changed = 0
    const mark = (id: string, sourceId: string) => tx.recordSeedCorrection({ id, sourceId, appliedAt: audit.recordedAt })
    const existing = await tx.indicatorUnits([...new Set([...topics.flatMap((t) => t.indicators), ...synonyms.keys()])])
    for (const t of topics) {
      const before = await tx.topic(t.code)
      const had = before?.indicators ?? []
      // Members not created yet (a later correction's indicator) are skipped now and applied at a later start.
      const due: string[] = []
      for (const c of t.indicators.filter((code) => existing.has(code))) if (!(await tx.seedCorrectionApplied(vocabularyMark.topicMember(t.code, c)))) due.push(c)
      for (const c of due) await mark(vocabularyMark.topicMember(t.code, c), 'topics.json')
      // A member already there (an older database, or an admin's) is only recorded.
      const missing = due.filter((c) => !had.includes(c))
      if (!before) {
        const { indicators: _all, ...row } = t
        await tx.insertTopic(row)
        await tx.addTopicMembers(t.code, missing)
        audit.append({ actor, action: 'topic.create', entityType: 'topic', entityId: t.code, before: null, after: { ...row, indicators: missing } as never })
        changed++
        continue
      }
      if (missing.length === 0) continue
      await tx.addTopicMembers(t.code, missing)
      const after = { ...before, indicators: [...had, ...missing].sort() }
      audit.append({ actor, action: 'topic.update', entityType: 'topic', entityId: t.code, before: before as never, after: after as never })
      changed++
    }
    for (const [code, { words, file }] of synonyms) {
      if (!existing.has(code) || (await tx.seedCorrectionApplied(vocabularyMark.synonyms(code)))) continue
      const before = await tx.indicator(code)
      if (!before) continue
      await mark(vocabularyMark.synonyms(code), file)
      // Synonyms an admin has set are theirs: the seed only fills an empty list.
      if ((before.synonyms ?? []).length > 0) continue
      const after = { ...before, synonyms: words }
      await tx.updateIndicator(after)
      audit.append({ actor, action: 'indicator.update', entityType: 'indicator', entityId: code, before: before as never, after: after as never })
      changed++
    }
    return changed
  })
}
