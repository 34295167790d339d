// Relations put to work on read: progress of actuals against targets, validation
// rule results, and derived per-recipient values with their revision trail. All
// computed from the observations in force (at asOf/knownAt when given), exactly.
import { divideDecimal, multiplyDecimal, normalizeDecimal } from '../../domain/decimal.js'
import { parsePeriod } from '../../domain/periods.js'
import { evaluateRule, relationIndicators, rulesOf, sideExpression, type Figure, type Relation, type Rule } from '../../domain/relations.js'
import type { Kind, Qualifier } from '../../domain/observation.js'
import { parseTimeBound } from '../../domain/time.js'
import { Errors } from '../../errors.js'
import { canonicalPeriod } from '../../http/period-param.js'
import { splitCodes } from '../../http/schemas.js'
import { sourceTextUrl } from '../../storage/fields.js'
import type { CatalogReads, ObservationFilter, ObservationReads, ObservationRow } from '../../storage/ports.js'
import { toRelation, type CitedFigureT, type DerivedRevisionT, type DerivedT, type ProgressT, type RelationT, type ValidationResultT } from './relations.schemas.js'

/** The two time axes, as observations take them (asOf: publication time, knownAt: recording time, once both exist). */
export interface TimeQuery {
  asOf?: string | undefined
  knownAt?: string | undefined
}
export interface ScopeQuery extends TimeQuery {
  area?: string[] | undefined
  period?: string[] | undefined
}

export const PROGRESS_SCALE = 6
export const PROGRESS_ROUNDING = `ratio = actual / target rounded half to even at ${PROGRESS_SCALE} decimal places; percent = ratio × 100 (${PROGRESS_SCALE - 2} places)`

/** Per page of the observation reads these computations make. */
const READ_PAGE = 1000

function timeFilter(q: TimeQuery): ObservationFilter {
  return {
    asOf: q.asOf === undefined ? undefined : parseTimeBound(q.asOf, 'asOf'),
    knownAt: q.knownAt === undefined ? undefined : parseTimeBound(q.knownAt, 'knownAt'),
  }
}

export function citedFigure(row: ObservationRow): CitedFigureT {
  return {
    id: row.id,
    revision: row.revision,
    indicator: row.indicator,
    period: row.period,
    kind: row.kind,
    value: row.value,
    unit: row.unit,
    qualifier: row.qualifier,
    quote: row.quote,
    textUrl: sourceTextUrl(row.sourceId),
    byteStart: row.byteStart,
    byteEnd: row.byteEnd,
  }
}

const periodWithin = (inner: string, outer: string): boolean => {
  const a = parsePeriod(inner)
  const b = parsePeriod(outer)
  return a !== null && b !== null && b.startDate <= a.startDate && a.endDate <= b.endDate
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export function toRelationT(r: Relation): RelationT {
  return { code: r.code, type: r.type, definition: r.definition as RelationT['definition'], description: r.description, indicators: [...new Set(relationIndicators(r))], rules: rulesOf(r).map((x) => x.code) }
}

export function createRelationService(catalog: CatalogReads, observations: ObservationReads) {
  async function relations(): Promise<Relation[]> {
    return (await catalog.relations()).map(toRelation)
  }

  /** Every observation in force of these indicators (and filter), in id order. */
  async function rowsOf(indicators: string[], filter: ObservationFilter): Promise<ObservationRow[]> {
    const rows: ObservationRow[] = []
    let after = 0
    for (;;) {
      const page = await observations.page({ ...filter, indicators: [...indicators].sort() }, after, READ_PAGE)
      rows.push(...page)
      if (page.length < READ_PAGE) return rows
      after = (page[page.length - 1] as ObservationRow).id
    }
  }

  function scope(q: ScopeQuery): { areas: Set<string> | null; periods: Set<string> | null } {
    const areas = splitCodes(q.area)
    const periods = splitCodes(q.period)?.map((p) => canonicalPeriod(p, 'period'))
    return { areas: areas ? new Set(areas) : null, periods: periods ? new Set(periods) : null }
  }

  async function progress(q: ScopeQuery & { indicator?: string[] | undefined }): Promise<ProgressT[]> {
    const { areas, periods } = scope(q)
    const wanted = splitCodes(q.indicator)
    const filter = timeFilter(q)
    const out: ProgressT[] = []
    for (const r of await relations()) {
      if (r.type !== 'target_actual') continue
      const d = r.definition
      if (wanted && !wanted.includes(d.target.indicator) && !wanted.includes(d.actual.indicator)) continue
      const rows = await rowsOf([d.target.indicator, d.actual.indicator], filter)
      const targets = rows.filter((o) => o.indicator === d.target.indicator && o.kind === d.target.kind)
      const actuals = rows.filter((o) => o.indicator === d.actual.indicator && o.kind === d.actual.kind)
      for (const t of targets) {
        // A zero target has no ratio.
        if (normalizeDecimal(t.value) === '0') continue
        for (const a of actuals) {
          if (a.area !== t.area || !periodWithin(a.period, t.period)) continue
          if (areas && !areas.has(a.area)) continue
          if (periods && !periods.has(a.period) && !periods.has(t.period)) continue
          const q6 = divideDecimal(a.value, t.value, PROGRESS_SCALE)
          out.push({
            relation: r.code,
            area: a.area,
            target: citedFigure(t),
            actual: citedFigure(a),
            ratio: q6.value,
            percent: multiplyDecimal(q6.value, '100'),
            rounding: PROGRESS_ROUNDING,
            exact: q6.exact && t.qualifier === 'eq' && a.qualifier === 'eq',
          })
        }
      }
    }
    return out
  }

  async function validation(q: ScopeQuery & { rule?: string[] | undefined }): Promise<{ data: ValidationResultT[]; summary: { pass: number; fail: number; incomplete: number } }> {
    const { areas, periods } = scope(q)
    const wanted = splitCodes(q.rule)
    const rules = (await relations()).flatMap(rulesOf).filter((r) => !wanted || wanted.includes(r.code))
    if (wanted) {
      const unknown = wanted.filter((code) => !rules.some((r) => r.code === code))
      if (unknown.length > 0) throw Errors.notFound(`No validation rule ${unknown.map((c) => `"${c}"`).join(', ')}.`)
    }
    const filter = timeFilter(q)
    const data: ValidationResultT[] = []
    for (const rule of rules) {
      const members = [...new Set([...rule.left, ...rule.right])]
      const groups = new Map<string, ObservationRow[]>()
      for (const row of await rowsOf(members, filter)) {
        if (!rule.kinds.includes(row.kind)) continue
        if (areas && !areas.has(row.area)) continue
        if (periods && !periods.has(row.period)) continue
        const key = `${row.area}\u0000${row.period}\u0000${row.kind}`
        groups.set(key, [...(groups.get(key) ?? []), row])
      }
      for (const [key, rows] of groups) {
        const [area, period, kind] = key.split('\u0000') as [string, string, Kind]
        data.push(resultOf(rule, area, period, kind, rows))
      }
    }
    data.sort((a, b) => byText(a.rule, b.rule) || byText(a.area, b.area) || byText(a.period, b.period) || byText(a.kind, b.kind))
    const count = (s: string) => data.filter((d) => d.result === s).length
    return { data, summary: { pass: count('pass'), fail: count('fail'), incomplete: count('incomplete') } }
  }

  function resultOf(rule: Rule, area: string, period: string, kind: Kind, rows: ObservationRow[]): ValidationResultT {
    const figures = new Map<string, Figure>(rows.map((r) => [r.indicator, { value: r.value, qualifier: r.qualifier }]))
    const outcome = evaluateRule(rule, figures)
    const side = (codes: string[], value: string | null) => ({ expression: sideExpression(codes), value, observations: rows.filter((r) => codes.includes(r.indicator)).map(citedFigure) })
    return {
      rule: rule.code,
      description: rule.description,
      area,
      period,
      kind,
      left: side(rule.left, outcome.leftValue),
      operator: rule.operator,
      right: side(rule.right, outcome.rightValue),
      result: outcome.state,
      exact: outcome.exact,
    }
  }

  type AmountRelation = Extract<Relation, { type: 'amount_recipients' }>
  type DerivedQualifier = DerivedT['qualifier']

  /** The quotient: `eq` only when no rounding happened and both inputs are exact (eq); otherwise `approx`. */
  function quotient(r: AmountRelation, amount: { value: string; qualifier: Qualifier; status: string }, recipients: { value: string; qualifier: Qualifier; status: string }) {
    if (amount.status !== 'active' || recipients.status !== 'active' || normalizeDecimal(recipients.value) === '0') return { value: null, exact: false, qualifier: 'approx' as DerivedQualifier }
    const q = divideDecimal(amount.value, recipients.value, r.definition.derived.scale)
    return { value: q.value, exact: q.exact, qualifier: (q.exact && amount.qualifier === 'eq' && recipients.qualifier === 'eq' ? 'eq' : 'approx') as DerivedQualifier }
  }

  /**
   * The trail as it stood at the time filter: one entry per input revision visible then (published by asOf,
   * recorded by knownAt), in seq order, from the first moment both inputs exist. Its last entry uses the
   * revisions in force then, so its length is the derived value's revision then.
   */
  async function trail(r: AmountRelation, amountId: number, recipientsId: number, filter: ObservationFilter): Promise<DerivedRevisionT[]> {
    const visible = (row: ObservationRow) => (filter.asOf === undefined || row.publishedAt <= filter.asOf) && (filter.knownAt === undefined || row.recordedAt <= filter.knownAt)
    const steps = [...(await observations.revisions(amountId)).map((row) => ({ role: 'amount' as const, row })), ...(await observations.revisions(recipientsId)).map((row) => ({ role: 'recipients' as const, row }))]
      .filter((step) => visible(step.row))
      .sort((a, b) => a.row.seq - b.row.seq)
    const inForce: { amount?: ObservationRow; recipients?: ObservationRow } = {}
    const out: DerivedRevisionT[] = []
    const later = (a: string, b: string) => (a > b ? a : b)
    for (const step of steps) {
      inForce[step.role] = step.row
      const { amount, recipients } = inForce
      if (!amount || !recipients) continue
      const q = quotient(r, amount, recipients)
      out.push({
        revision: out.length + 1,
        seq: step.row.seq,
        publishedAt: later(amount.publishedAt, recipients.publishedAt),
        recordedAt: later(amount.recordedAt, recipients.recordedAt),
        value: q.value,
        qualifier: q.qualifier,
        exact: q.exact,
        inputs: [
          { role: 'amount', id: amount.id, revision: amount.revision, value: amount.value, qualifier: amount.qualifier, status: amount.status },
          { role: 'recipients', id: recipients.id, revision: recipients.revision, value: recipients.value, qualifier: recipients.qualifier, status: recipients.status },
        ],
      })
    }
    return out
  }

  async function derivedItems(q: ScopeQuery & { indicator?: string[] | undefined }): Promise<Array<{ item: DerivedT; relation: AmountRelation; amountId: number; recipientsId: number }>> {
    const { areas, periods } = scope(q)
    const wanted = splitCodes(q.indicator)
    const filter = timeFilter(q)
    const out: Array<{ item: DerivedT; relation: AmountRelation; amountId: number; recipientsId: number }> = []
    for (const r of await relations()) {
      if (r.type !== 'amount_recipients') continue
      const d = r.definition
      if (wanted && !wanted.includes(d.derived.code)) continue
      // Withdrawn inputs included: the derived value then stays listed, its value null.
      const rows = await rowsOf([d.amount, d.recipients], { ...filter, includeWithdrawn: true })
      for (const amount of rows.filter((o) => o.indicator === d.amount)) {
        const recipients = rows.find((o) => o.indicator === d.recipients && o.area === amount.area && o.period === amount.period && o.kind === amount.kind)
        if (!recipients) continue
        if (areas && !areas.has(amount.area)) continue
        if (periods && !periods.has(amount.period)) continue
        const code = `${d.derived.code}.${amount.area}.${amount.period}.${amount.kind}`
        const q2 = quotient(r, amount, recipients)
        const history = await trail(r, amount.id, recipients.id, filter)
        out.push({
          relation: r,
          amountId: amount.id,
          recipientsId: recipients.id,
          item: {
            code,
            indicator: d.derived.code,
            relation: r.code,
            nameZh: d.derived.nameZh,
            nameEn: d.derived.nameEn,
            area: amount.area,
            period: amount.period,
            kind: amount.kind,
            value: q2.value,
            unit: d.derived.unit,
            qualifier: q2.qualifier,
            formula: `${d.amount} / ${d.recipients}`,
            rounding: `half to even at ${d.derived.scale} decimal places`,
            exact: q2.exact,
            derived: true,
            revision: history.length,
            inputs: [
              { ...citedFigure(amount), role: 'amount', status: amount.status },
              { ...citedFigure(recipients), role: 'recipients', status: recipients.status },
            ],
            revisionsUrl: `/v1/derived/${code}/revisions`,
          },
        })
      }
    }
    return out.sort((a, b) => byText(a.item.code, b.item.code))
  }

  async function derivedOne(code: string, q: TimeQuery) {
    const [indicator, area, period] = code.split('.')
    const found = (await derivedItems({ ...q, indicator: indicator ? [indicator] : [], area: area ? [area] : undefined, period: period ? [period] : undefined })).find((d) => d.item.code === code)
    if (!found) throw Errors.notFound(`No derived value "${code}".`)
    return found
  }

  return {
    async relations(): Promise<RelationT[]> {
      return (await relations()).map(toRelationT)
    },
    async relation(code: string): Promise<RelationT> {
      const r = (await relations()).find((x) => x.code === code)
      if (!r) throw Errors.notFound(`No relation "${code}".`)
      return toRelationT(r)
    },
    progress,
    validation,
    async derived(q: ScopeQuery & { indicator?: string[] | undefined }): Promise<DerivedT[]> {
      return (await derivedItems(q)).map((d) => d.item)
    },
    async derivedOne(code: string, q: TimeQuery): Promise<DerivedT> {
      return (await derivedOne(code, q)).item
    },
    async derivedRevisions(code: string, q: TimeQuery): Promise<DerivedRevisionT[]> {
      const found = await derivedOne(code, q)
      return trail(found.relation, found.amountId, found.recipientsId, timeFilter(q))
    },
  }
}

export type RelationService = ReturnType<typeof createRelationService>
