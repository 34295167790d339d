// The catalog answers the observation rules need, fetched inside the transaction
// for every code a batch names (a few bulk reads), then answered from maps: the
// rules stay synchronous. A source's quote index outlives the transaction: see quoteIndexCache.
import { buildQuoteIndex, type QuoteIndex } from '../../domain/citation.js'
import type { ObservationDraft } from '../../domain/observation.js'
import { parsePeriod } from '../../domain/periods.js'
import { UnitCatalogue } from '../../domain/units.js'
import type { WriteTx } from '../../storage/ports.js'
import type { RuleContext } from './observation-rules.js'

/** Memory the quote indexes of all sources may hold together (texts included); the least recently used go first. */
export const QUOTE_INDEX_CACHE_BYTES = 128 * 1024 * 1024

/**
 * Quote indexes by source id and SHA-256, shared by every transaction and request of the process:
 * sources never change, and a source stored again under a new hash gets a new entry.
 */
export class QuoteIndexCache {
  private readonly entries = new Map<string, QuoteIndex>()
  private held = 0

  constructor(readonly maxBytes: number) {}

  get size(): number {
    return this.entries.size
  }

  get bytes(): number {
    return this.held
  }

  has(id: string, sha256: string): boolean {
    return this.entries.has(`${id}\u0000${sha256}`)
  }

  get(id: string, sha256: string, text: () => Buffer): QuoteIndex {
    const key = `${id}\u0000${sha256}`
    let index = this.entries.get(key)
    if (index) this.entries.delete(key)
    else {
      index = buildQuoteIndex(text())
      this.held += index.bytes
    }
    // A Map iterates in insertion order: re-inserting marks the entry most recently used.
    this.entries.set(key, index)
    for (const [oldKey, old] of this.entries) {
      if (this.held <= this.maxBytes || oldKey === key) break
      this.entries.delete(oldKey)
      this.held -= old.bytes
    }
    return index
  }
}

export const quoteIndexCache = new QuoteIndexCache(QUOTE_INDEX_CACHE_BYTES)

/** What writes through the API also ask: when a cited source was issued (its publication rule, next to the clock's). */
export interface WriteRuleContext extends RuleContext {
  /** The source's issue date (YYYY-MM-DD), or undefined for an unknown source. */
  sourceIssuedOn(id: string): string | undefined
}

/** Every catalog code the rules may ask about for these drafts. */
function codesNamed(drafts: ObservationDraft[]) {
  const indicators = new Set<string>()
  const areas = new Set<string>()
  const periods = new Set<string>()
  const sources = new Set<string>()
  for (const d of drafts) {
    indicators.add(d.indicator)
    areas.add(d.area)
    for (const code of d.involvedAreas ?? []) areas.add(code)
    const period = typeof d.period === 'string' ? parsePeriod(d.period) : null
    if (period) periods.add(period.code)
    sources.add(d.citation.sourceId)
  }
  return { indicators: [...indicators], areas: [...areas], periods: [...periods], sources: [...sources] }
}

/** A question about a code the prefetch did not cover: a bug, never a silent "unknown". */
function unasked(what: string, code: string): never {
  throw new Error(`rule context: ${what} "${code}" was not prefetched`)
}

/** Fetches what the rules will ask about `drafts`, and answers from it. */
export async function prefetchRuleContext(tx: WriteTx, drafts: ObservationDraft[], indexes: QuoteIndexCache = quoteIndexCache): Promise<WriteRuleContext> {
  const codes = codesNamed(drafts)
  // One after another: a transaction is one connection, and node-postgres refuses overlapping queries on one from pg 9.
  const units = await tx.indicatorUnits(codes.indicators)
  const areas = await tx.existingAreas(codes.areas)
  const periods = await tx.existingPeriods(codes.periods)
  const hashes = await tx.sourceHashes(codes.sources)
  const issuedOn = await tx.sourceIssueDates(codes.sources)
  // The whole unit catalogue: a few dozen rows, and the citation rule needs every unit word.
  const catalogue = new UnitCatalogue(await tx.units())
  const words = [...catalogue.words]
  const asked = { indicators: new Set(codes.indicators), areas: new Set(codes.areas), periods: new Set(codes.periods), sources: new Set(codes.sources) }
  const quoteIndexes = new Map<string, QuoteIndex>()
  for (const [id, sha256] of hashes) {
    // Only a source not indexed yet (or evicted) has its bytes read.
    const content = indexes.has(id, sha256) ? null : await tx.sourceContent(id)
    quoteIndexes.set(id, indexes.get(id, sha256, () => content as Buffer))
  }
  return {
    indicatorUnit: (code) => (asked.indicators.has(code) ? units.get(code) : unasked('indicator', code)),
    areaExists: (code) => (asked.areas.has(code) ? areas.has(code) : unasked('area', code)),
    periodExists: (code) => (asked.periods.has(code) ? periods.has(code) : unasked('period', code)),
    source: (id) => quoteIndexes.get(id),
    sourceIssuedOn: (id) => (asked.sources.has(id) ? issuedOn.get(id) : unasked('source', id)),
    unitBase: (code) => catalogue.reportedUnit(code)?.base,
    unitMultiplier: (code) => catalogue.reportedUnit(code)?.multiplier,
    unitWords: () => words,
  }
}
