// The catalog lookups the observation rules need, read inside the write
// transaction and cached for its duration (a batch asks the same questions often).
import { eq } from 'drizzle-orm'
import type { Queryable } from '../../db/client.js'
import { areas, indicators, reportingPeriods, sources } from '../../db/schema.js'
import type { RuleContext } from './observation-rules.js'

function cached<K, V>(load: (key: K) => V): (key: K) => V {
  const memo = new Map<K, V>()
  return (key) => {
    if (!memo.has(key)) memo.set(key, load(key))
    return memo.get(key) as V
  }
}

export function createRuleContext(tx: Queryable): RuleContext {
  return {
    indicatorUnit: cached((code: string) => tx.select({ unit: indicators.unit }).from(indicators).where(eq(indicators.code, code)).limit(1).all()[0]?.unit),
    areaExists: cached((code: string) => tx.select({ code: areas.code }).from(areas).where(eq(areas.code, code)).limit(1).all().length > 0),
    periodExists: cached(
      (code: string) => tx.select({ code: reportingPeriods.code }).from(reportingPeriods).where(eq(reportingPeriods.code, code)).limit(1).all().length > 0,
    ),
    sourceText: cached((id: string) => tx.select({ content: sources.content }).from(sources).where(eq(sources.id, id)).limit(1).all()[0]?.content),
  }
}
