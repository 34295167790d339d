// The reviewed exclusions of each seeded report: numbers of the text deliberately not extracted, with the reviewer's reason.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { seedsFolder } from '../paths.js'

export interface SeedExclusion {
  quote: string
  /** Why it was not extracted, in English. */
  reason: string
  /** The same reason in Simplified Chinese; a report may lack it, and readers then fall back to the English `reason`. */
  reasonZh?: string | undefined
}

/** Exclusions by source id, as each report's extraction.json lists them (corrections.json states none today). */
export function readSeedExclusions(folder = seedsFolder): Map<string, SeedExclusion[]> {
  const out = new Map<string, SeedExclusion[]>()
  if (!existsSync(folder)) return out
  for (const d of readdirSync(folder, { withFileTypes: true })) {
    const file = join(folder, d.name, 'extraction.json')
    if (!d.isDirectory() || !existsSync(file)) continue
    const extraction = JSON.parse(readFileSync(file, 'utf8')) as { source: { id: string }; exclusions?: SeedExclusion[] }
    // An empty Chinese reason is no reason: it falls back like a missing one.
    out.set(extraction.source.id, (extraction.exclusions ?? []).map((x) => ({ quote: x.quote, reason: x.reason, reasonZh: x.reasonZh || undefined })))
  }
  return out
}
