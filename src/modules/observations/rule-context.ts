// The catalog lookups the observation rules need, read inside the write
// transaction and cached for its duration (a batch asks the same questions often).
// A source's quote index outlives the transaction: see quoteIndexCache.
import { eq } from 'drizzle-orm'
import type { Queryable } from '../../storage/sqlite/client.js'
import { buildQuoteIndex, type QuoteIndex } from '../../domain/citation.js'
import { areas, indicators, reportingPeriods, sources } from '../../storage/sqlite/schema.js'
import type { RuleContext } from './observation-rules.js'

function cached<K, V>(load: (key: K) => V): (key: K) => V {
  const memo = new Map<K, V>()
  return (key) => {
    if (!memo.has(key)) memo.set(key, load(key))
    return memo.get(key) as V
  }
}

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

export function createRuleContext(tx: Queryable, indexes: QuoteIndexCache = quoteIndexCache): RuleContext {
  return {
    indicatorUnit: cached((code: string) => tx.select({ unit: indicators.unit }).from(indicators).where(eq(indicators.code, code)).limit(1).all()[0]?.unit),
    areaExists: cached((code: string) => tx.select({ code: areas.code }).from(areas).where(eq(areas.code, code)).limit(1).all().length > 0),
    periodExists: cached(
      (code: string) => tx.select({ code: reportingPeriods.code }).from(reportingPeriods).where(eq(reportingPeriods.code, code)).limit(1).all().length > 0,
    ),
    source: cached((id: string) => {
      const row = tx.select({ sha256: sources.sha256 }).from(sources).where(eq(sources.id, id)).limit(1).all()[0]
      if (!row) return undefined
      return indexes.get(id, row.sha256, () => tx.select({ content: sources.content }).from(sources).where(eq(sources.id, id)).limit(1).all()[0]?.content as Buffer)
    }),
  }
}
