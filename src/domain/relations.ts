// Declared relations between indicators and the validation rules they imply.
// Pure: figures in, rule states out, exact decimals throughout. A rule over
// inexact figures (gt, approx…) is judged on the bounds the qualifiers give:
// it fails only when no values within those bounds could satisfy it.
import { compareDecimal, sumDecimals } from './decimal.js'
import type { Kind, Qualifier } from './observation.js'

export const RELATION_TYPES = ['components_total', 'target_actual', 'amount_recipients', 'same_scope'] as const
export type RelationType = (typeof RELATION_TYPES)[number]

export interface ComponentsTotalDefinition {
  total: string
  components: string[]
  /** Parts the source names without a figure in the total's unit (e.g. a greening site counted, not measured). */
  unmeasuredComponents: string[]
  kinds: Kind[]
}
export interface TargetActualDefinition {
  target: { indicator: string; kind: Kind }
  actual: { indicator: string; kind: Kind }
  /** How observations pair: an actual whose period lies within the target's period, same area. */
  pairing: 'actual_period_within_target_period'
}
export interface AmountRecipientsDefinition {
  amount: string
  recipients: string
  derived: { code: string; nameZh: string; nameEn: string; unit: string; scale: number }
}
export interface SameScopeDefinition {
  indicators: [string, string]
  kinds: Kind[]
}

export type Relation =
  | { code: string; type: 'components_total'; definition: ComponentsTotalDefinition; description: string }
  | { code: string; type: 'target_actual'; definition: TargetActualDefinition; description: string }
  | { code: string; type: 'amount_recipients'; definition: AmountRecipientsDefinition; description: string }
  | { code: string; type: 'same_scope'; definition: SameScopeDefinition; description: string }

/** Every indicator a relation names. */
export function relationIndicators(r: Relation): string[] {
  switch (r.type) {
    case 'components_total':
      return [r.definition.total, ...r.definition.components, ...r.definition.unmeasuredComponents]
    case 'target_actual':
      return [r.definition.target.indicator, r.definition.actual.indicator]
    case 'amount_recipients':
      return [r.definition.amount, r.definition.recipients]
    case 'same_scope':
      return [...r.definition.indicators]
  }
}

export const RULE_OPERATORS = ['==', '<=', '>=', '<', '>'] as const
export type RuleOperator = (typeof RULE_OPERATORS)[number]
export type RuleState = 'pass' | 'fail' | 'incomplete'

/** A validation rule: sum(left) operator sum(right), per area, period and kind. */
export interface Rule {
  code: string
  relation: string
  description: string
  left: string[]
  operator: RuleOperator
  right: string[]
  kinds: Kind[]
}

/** The rules a relation implies; progress pairs and amount/recipient pairs imply none (an actual may exceed its target). */
export function rulesOf(r: Relation): Rule[] {
  switch (r.type) {
    case 'components_total':
      return [
        {
          code: r.code,
          relation: r.code,
          description: `${r.definition.total} equals the sum of its measured components (${r.definition.components.join(' + ')}).`,
          left: [...r.definition.components],
          operator: '==',
          right: [r.definition.total],
          kinds: r.definition.kinds,
        },
      ]
    case 'same_scope':
      return [
        {
          code: r.code,
          relation: r.code,
          description: `${r.definition.indicators[0]} and ${r.definition.indicators[1]} describe the same land: equal, and never to be added.`,
          left: [r.definition.indicators[0]],
          operator: '==',
          right: [r.definition.indicators[1]],
          kinds: r.definition.kinds,
        },
      ]
    default:
      return []
  }
}

export interface Figure {
  value: string
  qualifier: Qualifier
}

/** The values a figure allows: null bound = unbounded; open = the bound itself excluded. */
interface Bounds {
  lo: string | null
  loOpen: boolean
  hi: string | null
  hiOpen: boolean
}

/** eq is its value; gt/gte bound from below, lt/lte from above; approx (about) bounds nothing. */
export function boundsOf(f: Figure): Bounds {
  switch (f.qualifier) {
    case 'eq':
      return { lo: f.value, loOpen: false, hi: f.value, hiOpen: false }
    case 'gt':
      return { lo: f.value, loOpen: true, hi: null, hiOpen: false }
    case 'gte':
      return { lo: f.value, loOpen: false, hi: null, hiOpen: false }
    case 'lt':
      return { lo: null, loOpen: false, hi: f.value, hiOpen: true }
    case 'lte':
      return { lo: null, loOpen: false, hi: f.value, hiOpen: false }
    default:
      return { lo: null, loOpen: false, hi: null, hiOpen: false }
  }
}

function sumBounds(all: Bounds[]): Bounds {
  const los = all.map((b) => b.lo)
  const his = all.map((b) => b.hi)
  return {
    lo: los.includes(null) ? null : sumDecimals(los as string[]),
    loOpen: all.some((b) => b.loOpen),
    hi: his.includes(null) ? null : sumDecimals(his as string[]),
    hiOpen: all.some((b) => b.hiOpen),
  }
}

/** Whether some x ≥ lo (> when open) can be ≤ some y ≤ hi (< when open); `strict` asks for x < y. */
function canBeBelow(lo: string | null, loOpen: boolean, hi: string | null, hiOpen: boolean, strict: boolean): boolean {
  if (lo === null || hi === null) return true
  const c = compareDecimal(lo, hi)
  return c < 0 || (c === 0 && !strict && !loOpen && !hiOpen)
}

function possible(l: Bounds, op: RuleOperator, r: Bounds): boolean {
  switch (op) {
    case '==':
      return canBeBelow(l.lo, l.loOpen, r.hi, r.hiOpen, false) && canBeBelow(r.lo, r.loOpen, l.hi, l.hiOpen, false)
    case '<=':
      return canBeBelow(l.lo, l.loOpen, r.hi, r.hiOpen, false)
    case '<':
      return canBeBelow(l.lo, l.loOpen, r.hi, r.hiOpen, true)
    case '>=':
      return canBeBelow(r.lo, r.loOpen, l.hi, l.hiOpen, false)
    case '>':
      return canBeBelow(r.lo, r.loOpen, l.hi, l.hiOpen, true)
  }
}

export interface RuleOutcome {
  state: RuleState
  /** Every figure involved is exact (eq): pass and fail are certain; otherwise pass means "possible within the bounds". */
  exact: boolean
  /** Sums of the stated values of each side; null when a figure is missing. */
  leftValue: string | null
  rightValue: string | null
}

/** Evaluates a rule over the figures in force for one area, period and kind (missing indicator: no figure). */
export function evaluateRule(rule: Rule, figures: ReadonlyMap<string, Figure>): RuleOutcome {
  const side = (codes: string[]) => codes.map((c) => figures.get(c))
  const left = side(rule.left)
  const right = side(rule.right)
  const sum = (fs: Array<Figure | undefined>) => (fs.every((f) => f) ? sumDecimals(fs.map((f) => (f as Figure).value)) : null)
  const leftValue = sum(left)
  const rightValue = sum(right)
  if (leftValue === null || rightValue === null) return { state: 'incomplete', exact: false, leftValue, rightValue }
  const all = [...left, ...right] as Figure[]
  const ok = possible(sumBounds((left as Figure[]).map(boundsOf)), rule.operator, sumBounds((right as Figure[]).map(boundsOf)))
  return { state: ok ? 'pass' : 'fail', exact: all.every((f) => f.qualifier === 'eq'), leftValue, rightValue }
}

/** The expression text of one side: its indicator codes joined by +. */
export const sideExpression = (codes: string[]) => codes.join(' + ')
