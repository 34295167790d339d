// Rule state changes on the write path: for each revision of an indicator that a
// validation rule reads, the rule's result for that area, period and kind before
// and after it. Each revision of a batch carries the change its own step caused,
// so replaying the change feed in seq order walks every state the rule passed
// through. Relations are read once per write transaction; a batch that touches
// no related indicator costs one set lookup per revision.
import { evaluateRule, rulesOf, type Figure, type Rule, type RuleState } from '../../domain/relations.js'
import type { Kind } from '../../domain/observation.js'
import type { Static } from '@sinclair/typebox'
import type { NaturalKey, NewRevision, WriteTx } from '../../storage/ports.js'
import type { RuleChange as RuleChangeSchema } from '../observations/observations.schemas.js'
import { toRelation } from './relations.schemas.js'

/** One change of a rule's state, as the Revision schema serves it (declared there once). */
export type RuleChange = Static<typeof RuleChangeSchema>

interface RuleIndex {
  byIndicator: Map<string, Rule[]>
}

const perTransaction = new WeakMap<WriteTx, Promise<RuleIndex>>()

function ruleIndexOf(tx: WriteTx): Promise<RuleIndex> {
  let index = perTransaction.get(tx)
  if (!index) {
    index = tx.relations().then((records) => {
      const byIndicator = new Map<string, Rule[]>()
      for (const rule of records.map(toRelation).flatMap(rulesOf)) {
        for (const code of new Set([...rule.left, ...rule.right])) byIndicator.set(code, [...(byIndicator.get(code) ?? []), rule])
      }
      return { byIndicator }
    })
    perTransaction.set(tx, index)
  }
  return index
}

/** Forget the relations read by this transaction (after it changed them). */
export function forgetRules(tx: WriteTx): void {
  perTransaction.delete(tx)
}

const keyText = (k: NaturalKey) => `${k.indicator}\u0000${k.area}\u0000${k.period}\u0000${k.kind}`

/** Sets `ruleChanges` on the revisions (in batch order) whose step changed a rule's result. */
export async function attributeRuleChanges(tx: WriteTx, revisions: NewRevision[]): Promise<void> {
  if (revisions.length === 0) return
  const { byIndicator } = await ruleIndexOf(tx)
  if (byIndicator.size === 0) return
  const instances = new Map<string, { rule: Rule; area: string; period: string; kind: Kind }>()
  const instancesOfKey = new Map<string, string[]>()
  for (const r of revisions) {
    const o = r.observation
    for (const rule of byIndicator.get(o.indicator) ?? []) {
      if (!rule.kinds.includes(o.kind)) continue
      const id = `${rule.code}\u0000${o.area}\u0000${o.period}\u0000${o.kind}`
      if (instances.has(id)) continue
      instances.set(id, { rule, area: o.area, period: o.period, kind: o.kind })
      for (const code of new Set([...rule.left, ...rule.right])) {
        const k = keyText({ indicator: code, area: o.area, period: o.period, kind: o.kind })
        instancesOfKey.set(k, [...(instancesOfKey.get(k) ?? []), id])
      }
    }
  }
  if (instances.size === 0) return
  // The figures in force before this batch (earlier chunks of it are already appended).
  const keys = [...instancesOfKey.keys()].map((k) => {
    const [indicator, area, period, kind] = k.split('\u0000') as [string, string, string, Kind]
    return { indicator, area, period, kind }
  })
  const currents = await tx.currentByKeys(keys)
  const figures = new Map<string, Figure>()
  currents.forEach((row, i) => {
    if (row && row.status === 'active') figures.set(keyText(keys[i] as NaturalKey), { value: row.value, qualifier: row.qualifier })
  })
  const figuresOf = (area: string, period: string, kind: Kind, rule: Rule) =>
    new Map([...new Set([...rule.left, ...rule.right])].flatMap((code) => {
      const f = figures.get(keyText({ indicator: code, area, period, kind }))
      return f ? [[code, f] as const] : []
    }))
  const states = new Map<string, RuleState>()
  for (const [id, inst] of instances) states.set(id, evaluateRule(inst.rule, figuresOf(inst.area, inst.period, inst.kind, inst.rule)).state)

  for (const r of revisions) {
    const o = r.observation
    const k = keyText(o)
    const affected = instancesOfKey.get(k)
    if (!affected) continue
    if (r.status === 'active') figures.set(k, { value: o.value, qualifier: o.qualifier })
    else figures.delete(k)
    const changes: RuleChange[] = []
    for (const id of affected) {
      const inst = instances.get(id) as { rule: Rule; area: string; period: string; kind: Kind }
      const before = states.get(id) as RuleState
      const after = evaluateRule(inst.rule, figuresOf(inst.area, inst.period, inst.kind, inst.rule)).state
      states.set(id, after)
      // Keys in the schema's order: the stored text is served as it is.
      if (after !== before) changes.push({ rule: inst.rule.code, area: inst.area, period: inst.period, kind: inst.kind, before, after })
    }
    if (changes.length > 0) r.ruleChanges = JSON.stringify(changes)
  }
}
