// Relations between indicators (issue 12 §4-5): declared and served, progress of
// actuals against targets, validation rules and their state changes in the change
// feed, derived per-recipient values with their revision trail.
import fc from 'fast-check'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { InjectOptions } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { divideDecimal, sumDecimals } from '../src/domain/decimal.js'
import { evaluateRule, type Figure, type Rule } from '../src/domain/relations.js'
import { QUALIFIERS } from '../src/domain/observation.js'
import { createKey } from '../src/modules/keys/keys.js'
import { loadRelationSeeds, readRelationSeeds } from '../src/seed/relations.js'
import { rowToChecked, writeObservations } from '../src/modules/observations/observation-writes.js'
import type { WriteTx } from '../src/storage/ports.js'
import { writeUnit } from '../src/writes/write-unit.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
let writer: string
let admin: string
const auth = (secret: string) => ({ authorization: `Bearer ${secret}` })

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
})
afterAll(() => t.close())

const inject = (options: InjectOptions) => t.app.inject(options)

const get = async (url: string) => {
  const res = await inject({ url })
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200)
  return json(res.body)
}

let sourceText: Buffer | undefined
async function expectCited(f: { id: number; revision: number; value: string; quote: string; textUrl: string; byteStart: number; byteEnd: number }) {
  sourceText ??= (await inject({ url: f.textUrl })).rawPayload
  expect(sourceText.subarray(f.byteStart, f.byteEnd).toString('utf8')).toBe(f.quote)
  const o = await get(`/v1/observations/${f.id}`)
  expect({ revision: o.revision, value: o.value, quote: o.source.quote }).toEqual({ revision: f.revision, value: f.value, quote: f.quote })
}

/** The reported figure as a write takes it (the served text is null when digits were written). */
const reportedOf = (o: any) => ({ value: o.reported.value, unit: o.reported.unit })

async function observationOf(indicator: string) {
  return (await get(`/v1/observations?indicator=${indicator}`)).data[0]
}

/** Corrects an observation to the figure another quote states (the citation rules hold: it is in the source). */
async function correct(id: number, reported: { value: string; unit: string }, quote: string, reason: string) {
  const etag = (await inject({ url: `/v1/observations/${id}` })).headers.etag as string
  const res = await inject({
    method: 'PUT',
    url: `/v1/observations/${id}`,
    headers: { ...auth(writer), 'if-match': etag },
    payload: { reported, citation: { sourceId: 'bayantala-2023h1', quote }, reason },
  })
  expect(res.statusCode, res.body).toBe(200)
  return json(res.body)
}

async function lastChange(id: number) {
  const revisions = (await get(`/v1/observations/${id}/revisions`)).data
  const last = revisions[revisions.length - 1]
  const feed = (await get(`/v1/changes?after=${last.seq - 1}&limit=1`)).data[0]
  expect(feed.seq).toBe(last.seq)
  expect(feed.ruleChanges).toEqual(last.ruleChanges)
  return last
}

describe('declared relations', () => {
  it('serves every seeded relation, each naming only existing indicators, audited as entity relation', async () => {
    const seeded = readRelationSeeds()
    const served = (await get('/v1/relations')).data
    expect(served.map((r: any) => r.code)).toEqual(seeded.map((r) => r.code).sort())
    expect(new Set(served.map((r: any) => r.type))).toEqual(new Set(['components_total', 'target_actual', 'amount_recipients', 'same_scope']))
    for (const r of served) {
      expect(await get(`/v1/relations/${r.code}`)).toEqual(r)
      for (const code of r.indicators) expect((await inject({ url: `/v1/indicators/${code}` })).statusCode).toBe(200)
    }
    const audited = await t.query("SELECT entity_id FROM audit_entry WHERE entity_type = 'relation' ORDER BY entity_id")
    expect(audited.map((a) => a.entity_id)).toEqual(seeded.map((r) => r.code).sort())
    expect((await inject({ url: '/v1/relations/no_such_relation' })).statusCode).toBe(404)
  })

  it('says the village greening site is an unmeasured component of the afforestation total', async () => {
    const r = await get('/v1/relations/afforestation_components')
    expect(r.definition.unmeasuredComponents).toEqual(['village_greening_sites'])
    expect(r.definition.components).not.toContain('village_greening_sites')
    expect(r.description).toMatch(/village greening site/)
    expect(r.rules).toEqual(['afforestation_components'])
  })

  it('loading the seeds again writes nothing', async () => {
    const before = await t.query('SELECT count(*) n FROM audit_entry')
    expect(await loadRelationSeeds(t.storage)).toBe(0)
    expect(await t.query('SELECT count(*) n FROM audit_entry')).toEqual(before)
  })
})

describe('progress', () => {
  it('pairs 80 head of wagyu now with 200 planned for the year: 0.4, 40 %, both cited', async () => {
    const { data } = await get('/v1/progress')
    expect(data).toHaveLength(1)
    const p = data[0]
    expect(p.relation).toBe('wagyu_surrogacy_progress')
    expect({ target: [p.target.value, p.target.period, p.target.kind], actual: [p.actual.value, p.actual.period, p.actual.kind] }).toEqual({
      target: ['200', '2023', 'target'],
      actual: ['80', '2023-H1', 'actual'],
    })
    expect([p.ratio, p.percent, p.exact]).toEqual(['0.4', '40', true])
    await expectCited(p.target)
    await expectCited(p.actual)
    // On the indicator, and through the filters.
    expect((await get('/v1/indicators/wagyu_surrogate_cattle')).progress).toEqual(data)
    expect((await get('/v1/indicators/dibao_paid')).progress).toEqual([])
    expect((await get('/v1/progress?indicator=wagyu_surrogate_cattle&period=2023-H1&area=bayantala')).data).toEqual(data)
    expect((await get('/v1/progress?period=2023')).data).toEqual(data)
    expect((await get('/v1/progress?area=houguaxi')).data).toEqual([])
    expect((await get('/v1/progress?indicator=dibao_paid')).data).toEqual([])
    // Both time axes pass through to the observation reads: before anything was published or recorded, no pair.
    expect((await get('/v1/progress?asOf=2000-01-01T00:00:00Z')).data).toEqual([])
    expect((await get('/v1/progress?knownAt=2030-01-01T00:00:00Z&asOf=2030-01-01T00:00:00Z')).data).toEqual(data)
    expect((await get('/v1/validation?asOf=2000-01-01T00:00:00Z')).data).toEqual([])
    expect((await get('/v1/derived?asOf=2000-01-01T00:00:00Z')).data).toEqual([])
    expect((await inject({ url: '/v1/progress?asOf=yesterday' })).statusCode).toBe(400)
  })

  it('has no pair between the H1 maize core area and the H2 drive target (different scopes)', async () => {
    const { data } = await get('/v1/progress')
    expect(data.some((p: any) => p.target.indicator.includes('maize') || p.actual.indicator.includes('maize'))).toBe(false)
  })
})

describe('validation', () => {
  it('passes every rule on the seed, each side summing its cited observations', async () => {
    const { data, summary } = await get('/v1/validation')
    expect(summary).toEqual({ pass: data.length, fail: 0, incomplete: 0 })
    expect(data.map((r: any) => r.rule).sort()).toEqual(['afforestation_components', 'maize_core_area_same_land'])
    for (const r of data) {
      expect(r.result).toBe('pass')
      expect(r.exact).toBe(true)
      for (const side of [r.left, r.right]) {
        expect(side.value).toBe(sumDecimals(side.observations.map((o: any) => o.value)))
        expect(side.observations.map((o: any) => o.indicator).join(' + ')).toBe(side.expression)
        for (const o of side.observations) await expectCited(o)
      }
    }
    const afforestation = data.find((r: any) => r.rule === 'afforestation_components')
    expect([afforestation.left.value, afforestation.operator, afforestation.right.value]).toEqual(['13500', '==', '13500'])
    expect((await get('/v1/validation?rule=maize_core_area_same_land')).data).toEqual(data.filter((r: any) => r.rule === 'maize_core_area_same_land'))
    expect((await get('/v1/validation?area=houguaxi')).data).toEqual([])
    expect((await inject({ url: '/v1/validation?rule=no_rule' })).statusCode).toBe(404)
  })

  it('a correction that breaks the afforestation total is accepted, fails validation, and its revision carries pass→fail; restoring flips it back', async () => {
    const banner = await observationOf('banner_planted_forest_area')
    const sand = await observationOf('shanshui_sand_closure_area')
    const broken = await correct(banner.id, { value: '0.9', unit: '万亩' }, sand.source.quote, 'test: a wrong figure')
    expect(broken.value).toBe('9000')
    const rule = (await get('/v1/validation?rule=afforestation_components')).data[0]
    expect([rule.result, rule.left.value, rule.right.value]).toEqual(['fail', '21000', '13500'])
    const change = { rule: 'afforestation_components', area: 'bayantala', period: '2023-H1', kind: 'actual' }
    expect((await lastChange(banner.id)).ruleChanges).toEqual([{ ...change, before: 'pass', after: 'fail' }])

    await correct(banner.id, { value: banner.reported.value, unit: banner.reported.unit }, banner.source.quote, 'test: restored')
    expect((await get('/v1/validation?rule=afforestation_components')).data[0].result).toBe('pass')
    expect((await lastChange(banner.id)).ruleChanges).toEqual([{ ...change, before: 'fail', after: 'pass' }])
  })

  it('a withdrawal makes the rule incomplete; a revision of an unrelated indicator carries no rule change', async () => {
    const total = await observationOf('key_afforestation_area')
    const etag = (await inject({ url: `/v1/observations/${total.id}` })).headers.etag as string
    const res = await inject({ method: 'DELETE', url: `/v1/observations/${total.id}?reason=test`, headers: { ...auth(writer), 'if-match': etag } })
    expect(res.statusCode).toBe(200)
    expect((await get('/v1/validation?rule=afforestation_components')).data[0].result).toBe('incomplete')
    expect((await lastChange(total.id)).ruleChanges).toEqual([{ rule: 'afforestation_components', area: 'bayantala', period: '2023-H1', kind: 'actual', before: 'pass', after: 'incomplete' }])
    await correct(total.id, reportedOf(total), total.source.quote, 'test: restored')
    expect((await lastChange(total.id)).ruleChanges[0]).toMatchObject({ before: 'incomplete', after: 'pass' })

    const drainage = await observationOf('drainage_channel_length')
    await correct(drainage.id, { value: '119', unit: '公里' }, drainage.source.quote, 'test: unrelated, same figure, new reason')
    const unrelated = await get(`/v1/observations/${drainage.id}/revisions`)
    expect(unrelated.data.every((r: any) => r.ruleChanges.length === 0)).toBe(true)
  })

  it('within one import, each revision carries the change its own step caused', async () => {
    const banner = await observationOf('banner_planted_forest_area')
    const sand = await observationOf('shanshui_sand_closure_area')
    // Swap the two components: the first step breaks the total, the second mends it.
    const row = (o: any, from: any) => ({ indicator: o.indicator, area: o.area, period: o.period, kind: o.kind, reported: reportedOf(from), citation: { sourceId: 'bayantala-2023h1', quote: from.source.quote } })
    const res = await inject({ method: 'POST', url: '/v1/imports', headers: auth(writer), payload: { reason: 'test: swap', observations: [row(banner, sand), row(sand, banner)] } })
    expect(res.statusCode, res.body).toBeLessThan(300)
    const change = { rule: 'afforestation_components', area: 'bayantala', period: '2023-H1', kind: 'actual' }
    expect((await lastChange(banner.id)).ruleChanges).toEqual([{ ...change, before: 'pass', after: 'fail' }])
    expect((await lastChange(sand.id)).ruleChanges).toEqual([{ ...change, before: 'fail', after: 'pass' }])
    expect((await get('/v1/validation?rule=afforestation_components')).data[0].result).toBe('pass')
  })
})

describe('derived values', () => {
  /** The oracle: amount / recipients as a rational, rounded half to even at 2 places by the definition. */
  function perRecipient(amount: string, recipients: string): string {
    return checkRounding(amount, recipients, 2)
  }

  it('are exact on the seed: dibao 2128.91, tekun 4500, disability care 600 CNY per person, inputs cited, never among observations', async () => {
    const { data } = await get('/v1/derived')
    const values = Object.fromEntries(data.map((d: any) => [d.indicator, d.value]))
    expect(values).toEqual({ dibao_per_recipient: '2128.91', tekun_per_recipient: '4500', disability_care_per_recipient: '600' })
    for (const d of data) {
      const [amount, recipients] = d.inputs
      expect([amount.role, recipients.role]).toEqual(['amount', 'recipients'])
      expect(d.value).toBe(perRecipient(amount.value, recipients.value))
      expect(d.formula).toBe(`${amount.indicator} / ${recipients.indicator}`)
      expect([d.unit, d.derived, d.rounding]).toEqual(['CNY/person', true, 'half to even at 2 decimal places'])
      for (const input of d.inputs) await expectCited(input)
      expect(await get(`/v1/derived/${d.code}`)).toEqual(d)
      expect((await get(`/v1/observations?indicator=${d.indicator}`)).data).toEqual([])
    }
    expect(data.find((d: any) => d.indicator === 'dibao_per_recipient').exact).toBe(false)
    expect(data.find((d: any) => d.indicator === 'tekun_per_recipient').exact).toBe(true)
    expect((await inject({ url: '/v1/derived/dibao_per_recipient.bayantala.2023-H2.actual' })).statusCode).toBe(404)
  })

  it('are recomputed when an input is corrected, with a two-entry trail', async () => {
    const code = 'tekun_per_recipient.bayantala.2023-H1.actual'
    const before = await get(`/v1/derived/${code}`)
    expect((await get(`/v1/derived/${code}/revisions`)).data).toHaveLength(1)
    const recipients = await observationOf('tekun_beneficiaries')
    const dibaoRecipients = await observationOf('dibao_beneficiaries')
    // A wrong reading: the dibao recipients quoted for tekun.
    await correct(recipients.id, reportedOf(dibaoRecipients), dibaoRecipients.source.quote, 'test: wrong recipients')
    const after = await get(`/v1/derived/${code}`)
    expect(after.value).toBe(perRecipient('765000', dibaoRecipients.value))
    expect(after.value).toBe('335.97')
    const trail = (await get(`/v1/derived/${code}/revisions`)).data
    expect(trail.map((e: any) => [e.revision, e.value, e.inputs.map((i: any) => `${i.id}r${i.revision}`)])).toEqual([
      [1, before.value, [`${before.inputs[0].id}r1`, `${recipients.id}r1`]],
      [2, after.value, [`${before.inputs[0].id}r1`, `${recipients.id}r2`]],
    ])
    expect(after.revision).toBe(2)
    expect(trail[1].seq).toBeGreaterThan(trail[0].seq)
  })

  /** The plain rule: the revision a reader sees is the latest by seq published by asOf and recorded by knownAt. */
  const bound = (text: string) => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T23:59:59.999Z` : new Date(text).toISOString())
  const visible = (r: any, asOf?: string, knownAt?: string) => (asOf === undefined || r.publishedAt <= bound(asOf)) && (knownAt === undefined || r.recordedAt <= bound(knownAt))
  const query = (asOf?: string, knownAt?: string) => [asOf && `asOf=${encodeURIComponent(asOf)}`, knownAt && `knownAt=${encodeURIComponent(knownAt)}`].filter(Boolean).join('&')

  /** Checks one derived value at one time against its inputs' histories read through the observation API. */
  async function expectDerivedAt(code: string, asOf?: string, knownAt?: string) {
    const q = query(asOf, knownAt)
    const d = await get(`/v1/derived/${code}?${q}`)
    const trail = (await get(`/v1/derived/${code}/revisions?${q}`)).data
    const histories = await Promise.all(d.inputs.map(async (i: any) => (await get(`/v1/observations/${i.id}/revisions`)).data))
    const inForce = histories.map((h: any[]) => h.filter((r) => visible(r, asOf, knownAt)).at(-1))
    const [amount, recipients] = inForce
    expect(d.inputs.map((i: any) => [i.revision, i.status, i.value]), q).toEqual(inForce.map((r: any) => [r.revision, r.status, r.value]))
    // The trail as it stood then: one entry per visible input revision once both exist; the value's revision is its length.
    const steps = histories.flat().filter((r: any) => visible(r, asOf, knownAt)).sort((a: any, b: any) => a.seq - b.seq)
    const firstBoth = Math.max(...histories.map((h: any[]) => h.find((r) => visible(r, asOf, knownAt)).seq))
    expect(trail.map((e: any) => e.seq), q).toEqual(steps.filter((r: any) => r.seq >= firstBoth).map((r: any) => r.seq))
    expect(d.revision, q).toBe(trail.length)
    const last = trail.at(-1)
    expect([last.value, last.qualifier, last.exact, last.inputs.map((i: any) => `${i.id}r${i.revision}:${i.status}`)], q).toEqual([d.value, d.qualifier, d.exact, d.inputs.map((i: any) => `${i.id}r${i.revision}:${i.status}`)])
    const later = (a: string, b: string) => (a > b ? a : b)
    expect([last.publishedAt, last.recordedAt], q).toEqual([later(amount.publishedAt, recipients.publishedAt), later(amount.recordedAt, recipients.recordedAt)])
    for (const e of trail) expect(visible(e, asOf, knownAt), q).toBe(true)
    // The value, its exactness and its qualifier from the inputs: eq only for an exact quotient of eq inputs; null when one is withdrawn.
    const active = amount.status === 'active' && recipients.status === 'active'
    const expected = active ? divideDecimal(amount.value, recipients.value, 2) : null
    expect(d.value, q).toBe(expected?.value ?? null)
    expect(d.exact, q).toBe(expected?.exact ?? false)
    expect(d.qualifier, q).toBe(expected?.exact && amount.qualifier === 'eq' && recipients.qualifier === 'eq' ? 'eq' : 'approx')
    return d
  }

  it('read at an earlier time: value, inputs, revision and trail are those in force then (asOf by publication, knownAt by recording)', async () => {
    const code = 'dibao_per_recipient.bayantala.2023-H1.actual'
    const before = await get(`/v1/derived/${code}`)
    expect([before.value, before.qualifier, before.exact, before.revision]).toEqual(['2128.91', 'approx', false, 1])
    const recipients = await observationOf('dibao_beneficiaries')
    const tekunRecipients = await observationOf('tekun_beneficiaries')
    await new Promise((r) => setTimeout(r, 5))
    const beforeRecording = new Date().toISOString()
    await new Promise((r) => setTimeout(r, 5))
    // A correction declared published on 2023-09-01: a reader of July still sees revision 1.
    const etag = (await inject({ url: `/v1/observations/${recipients.id}` })).headers.etag as string
    const fix = await inject({
      method: 'PUT',
      url: `/v1/observations/${recipients.id}`,
      headers: { ...auth(writer), 'if-match': etag },
      payload: { reported: reportedOf(tekunRecipients), citation: { sourceId: 'bayantala-2023h1', quote: tekunRecipients.source.quote }, reason: 'test: published later', publishedAt: '2023-09-01T00:00:00Z' },
    })
    expect(fix.statusCode, fix.body).toBe(200)
    const july = await expectDerivedAt(code, '2023-07-01')
    expect([july.value, july.revision, july.inputs[1].revision]).toEqual(['2128.91', 1, 1])
    expect((await expectDerivedAt(code, undefined, beforeRecording)).revision).toBe(1)
    expect((await expectDerivedAt(code, '2023-09-01', beforeRecording)).revision).toBe(1)
    const september = await expectDerivedAt(code, '2023-09-01')
    expect([september.value, september.revision]).toEqual([perRecipient(before.inputs[0].value, tekunRecipients.value), 2])
    expect((await get(`/v1/derived/${code}/revisions?asOf=2023-07-01`)).data).toEqual((await get(`/v1/derived/${code}/revisions`)).data.slice(0, 1))
    expect((await get(`/v1/derived/${code}/revisions`)).data[1].publishedAt).toBe('2023-09-01T00:00:00.000Z')
    expect((await get(`/v1/derived?asOf=2023-07-01`)).data.find((d: any) => d.code === code)).toEqual(july)
  })

  it('agree with the plain rule over random input histories (published out of order, qualifiers changed, an input withdrawn and restored)', async () => {
    const code = 'dibao_per_recipient.bayantala.2023-H1.actual'
    const amount = await observationOf('dibao_paid')
    const recipients = (await get(`/v1/derived/${code}`)).inputs[1]
    const quotes = [await observationOf('dibao_beneficiaries'), await observationOf('tekun_beneficiaries')].map((o) => ({ reported: reportedOf(o), quote: o.source.quote }))
    const published = fc.option(fc.integer({ min: 0, max: 120 }).map((d) => new Date(Date.parse('2023-06-25T00:00:00Z') + d * 86_400_000).toISOString()), { nil: undefined })
    const step = fc.record({ which: fc.nat({ max: 1 }), figure: fc.nat({ max: 1 }), qualifier: fc.constantFrom('eq', 'approx', 'gte'), published, withdraw: fc.boolean() })
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 3 })), { minLength: 5, maxLength: 5 }), async (steps, picks) => {
        for (const s of steps) {
          const target = s.which === 0 ? amount : recipients
          const current = await inject({ url: `/v1/observations/${target.id}` })
          const etag = current.headers.etag as string
          const isWithdrawn = current.statusCode !== 200 || json(current.body).status === 'withdrawn'
          if (s.withdraw && !isWithdrawn && s.which === 1) {
            const res = await inject({ method: 'DELETE', url: `/v1/observations/${target.id}?reason=test`, headers: { ...auth(writer), 'if-match': etag } })
            expect(res.statusCode, res.body).toBe(200)
            continue
          }
          const figure = s.which === 0 ? { reported: reportedOf(amount), quote: amount.source.quote } : (quotes[s.figure] as { reported: any; quote: string })
          const row = { indicator: target.indicator, area: 'bayantala', period: '2023-H1', kind: 'actual', reported: figure.reported, qualifier: s.qualifier, citation: { sourceId: 'bayantala-2023h1', quote: figure.quote }, note: `derived history ${n++}`, restore: true, ...(s.published ? { publishedAt: s.published } : {}) }
          const res = await inject({ method: 'POST', url: '/v1/imports', headers: auth(writer), payload: { reason: 'test: history', observations: [row] } })
          expect(res.statusCode, res.body).toBe(200)
        }
        const histories = [...(await get(`/v1/observations/${amount.id}/revisions`)).data, ...(await get(`/v1/observations/${recipients.id}/revisions`)).data]
        const times = [...new Set(histories.flatMap((r: any) => [r.publishedAt, r.recordedAt]))] as string[]
        const candidates = [...times, ...times.map((x) => new Date(Date.parse(x) - 1).toISOString()), ...times.map((x) => x.slice(0, 10))]
        await expectDerivedAt(code)
        for (const [i, j, how] of picks) {
          const asOf = how === 1 || how === 3 ? candidates[i % candidates.length] : undefined
          const knownAt = how === 2 || how === 3 ? candidates[j % candidates.length] : undefined
          const q = query(asOf, knownAt)
          // Before both inputs were visible there is no derived value.
          const both = [amount.id, recipients.id].every((id) => histories.some((r: any) => r.id === id && visible(r, asOf, knownAt)))
          if (both) await expectDerivedAt(code, asOf, knownAt)
          else expect((await inject({ url: `/v1/derived/${code}?${q}` })).statusCode, q).toBe(404)
        }
      }),
      { numRuns: 8, seed: 12 },
    )
    // Withdrawn: the value is null and the input says so.
    const etag = (await inject({ url: `/v1/observations/${recipients.id}` })).headers.etag as string
    const last = (await get(`/v1/derived/${code}`)).inputs[1]
    if (last.status === 'active') expect((await inject({ method: 'DELETE', url: `/v1/observations/${recipients.id}?reason=test`, headers: { ...auth(writer), 'if-match': etag } })).statusCode).toBe(200)
    const gone = await expectDerivedAt(code)
    expect([gone.value, gone.inputs[1].status, gone.qualifier]).toEqual([null, 'withdrawn', 'approx'])
    expect((await get(`/v1/derived/${code}/revisions`)).data.at(-1).inputs[1].status).toBe('withdrawn')
    // Restored to the reported figure, as the seed had it.
    const restore = { indicator: recipients.indicator, area: 'bayantala', period: '2023-H1', kind: 'actual', reported: quotes[0]!.reported, citation: { sourceId: 'bayantala-2023h1', quote: quotes[0]!.quote }, restore: true }
    expect((await inject({ method: 'POST', url: '/v1/imports', headers: auth(writer), payload: { reason: 'test: restore', observations: [restore] } })).statusCode).toBe(200)
    expect((await expectDerivedAt(code)).value).toBe('2128.91')
  })
})

describe('the write path\'s cost', () => {
  /** Writes a note on each of these indicators' observations through writeObservations, counting the port calls it makes. */
  async function noteOn(indicators: string[], note: string) {
    const calls = { relations: 0, currentByKeys: 0 }
    await writeUnit(t.storage, async (tx, audit) => {
      const rows = await Promise.all(indicators.map(async (code) => (await tx.currentByKeys([{ indicator: code, area: 'bayantala', period: '2023-H1', kind: 'actual' }]))[0]!))
      const counted = new Proxy(tx, {
        get(target, name, receiver) {
          const member = Reflect.get(target, name, receiver)
          if (name !== 'relations' && name !== 'currentByKeys') return member
          return (...args: unknown[]) => {
            calls[name]++
            return (member as (...a: unknown[]) => unknown).apply(target, args)
          }
        },
      }) as WriteTx
      await writeObservations(counted, audit, rows.map((row) => ({ observation: { ...rowToChecked(row), note }, status: 'active' as const, reason: 'test: cost', actor: 'test', current: row })))
    })
    return calls
  }

  it('reads the relations once per transaction; a batch touching no rule reads nothing more, one touching a rule one lookup', async () => {
    expect(await noteOn(['drainage_channel_length', 'pension_insurance_enrolled', 'dibao_paid'], 'cost probe 1')).toEqual({ relations: 1, currentByKeys: 0 })
    expect(await noteOn(['drainage_channel_length', 'banner_planted_forest_area', 'key_afforestation_area'], 'cost probe 2')).toEqual({ relations: 1, currentByKeys: 1 })
    // A note changes no figure: no rule changed state.
    const banner = await observationOf('banner_planted_forest_area')
    expect((await lastChange(banner.id)).ruleChanges).toEqual([])
  })
})

describe('audit', () => {
  it('a changed relations.json updates the relation once, audited as relation.update', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relations-seed-'))
    try {
      const file = JSON.parse(readFileSync('seeds/bayantala-2023h1/relations.json', 'utf8'))
      file.relations[0].description += ' Checked again.'
      mkdirSync(join(dir, 'report'))
      writeFileSync(join(dir, 'report', 'relations.json'), JSON.stringify(file))
      expect(await loadRelationSeeds(t.storage, dir)).toBe(1)
      expect(await loadRelationSeeds(t.storage, dir)).toBe(0)
      expect((await get(`/v1/relations/${file.relations[0].code}`)).description).toBe(file.relations[0].description)
      const [entry] = await t.query("SELECT action FROM audit_entry WHERE entity_type = 'relation' ORDER BY seq DESC LIMIT 1")
      expect(entry!.action).toBe('relation.update')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the full verification passes, and a tampered relation is found', async () => {
    const ok = json((await inject({ url: '/v1/audit/verify/full', headers: auth(admin) })).body)
    expect(ok.ok, ok.reason).toBe(true)
    await t.query("UPDATE indicator_relation SET definition = replace(definition, 'village_greening_sites', 'drainage_channel_length') WHERE code = 'afforestation_components'")
    const bad = json((await inject({ url: '/v1/audit/verify/full', headers: auth(admin) })).body)
    expect(bad.ok).toBe(false)
    expect(bad.reason).toMatch(/relation "afforestation_components": definition differs/)
  })
})

/** Checks divideDecimal(a, b, scale) against the definition over rationals (BigInt); returns its value. */
function checkRounding(a: string, b: string, scale: number): string {
  const got = divideDecimal(a, b, scale)
  const rational = (x: string) => {
    const [i, f = ''] = x.split('.')
    return { n: BigInt(`${i}${f}`), d: 10n ** BigInt(f.length) }
  }
  const x = rational(a)
  const y = rational(b)
  const v = rational(got.value)
  // Exact quotient q = (x.n·y.d) / (x.d·y.n); error e = q − v as a fraction over D.
  let qn = x.n * y.d
  let qd = x.d * y.n
  if (qd < 0n) {
    qn = -qn
    qd = -qd
  }
  const D = qd * v.d
  const e = qn * v.d - v.n * qd
  const abs = e < 0n ? -e : e
  const unit = 10n ** BigInt(scale)
  // |e|/D ≤ 1/(2·10^scale)  ⇔  2·|e|·10^scale ≤ D
  expect(2n * abs * unit <= D, `${a}/${b} → ${got.value} is off by more than half a unit`).toBe(true)
  expect((got.value.split('.')[1] ?? '').length).toBeLessThanOrEqual(scale)
  if (2n * abs * unit === D) {
    // A tie goes to the even last digit at `scale` places.
    const units = (v.n * unit) / v.d
    expect(units % 2n, `${a}/${b} tie → ${got.value}`).toBe(0n)
  }
  expect(got.exact).toBe(e === 0n)
  return got.value
}

describe('exact division and rule bounds (properties)', () => {
  const decimal = fc
    .tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 6 }))
    .map(([n, s]) => {
      const neg = n < 0n
      const digits = (neg ? -n : n).toString().padStart(s + 1, '0')
      const text = s ? `${digits.slice(0, -s)}.${digits.slice(-s)}` : digits
      return (neg ? '-' : '') + text
    })

  it('divideDecimal rounds half to even at the scale, exactly', () => {
    fc.assert(
      fc.property(decimal, decimal.filter((d) => /[1-9]/.test(d)), fc.integer({ min: 0, max: 8 }), (a, b, scale) => {
        checkRounding(a, b, scale)
      }),
      { numRuns: 500 },
    )
    // Ties in both directions, and negative quotients.
    expect(divideDecimal('5', '2', 0).value).toBe('2')
    expect(divideDecimal('7', '2', 0).value).toBe('4')
    expect(divideDecimal('-5', '2', 0).value).toBe('-2')
    expect(divideDecimal('0.125', '1', 2).value).toBe('0.12')
  })

  it('an exact rule passes iff the sums compare as the operator says; loosening a qualifier never turns pass into fail', () => {
    const rule: Rule = { code: 'r', relation: 'r', description: '', left: ['a', 'b'], operator: '==', right: ['c'], kinds: ['actual'] }
    const small = fc.integer({ min: 0, max: 50 }).map(String)
    fc.assert(
      fc.property(small, small, small, fc.constantFrom('==', '<=', '>=', '<', '>'), fc.constantFrom(...QUALIFIERS), fc.constantFrom('a', 'b', 'c'), (a, b, c, op, q, which) => {
        const r = { ...rule, operator: op as Rule['operator'] }
        const exact = new Map<string, Figure>([
          ['a', { value: a, qualifier: 'eq' }],
          ['b', { value: b, qualifier: 'eq' }],
          ['c', { value: c, qualifier: 'eq' }],
        ])
        const outcome = evaluateRule(r, exact)
        const l = Number(a) + Number(b)
        const rv = Number(c)
        const holds = { '==': l === rv, '<=': l <= rv, '>=': l >= rv, '<': l < rv, '>': l > rv }[op as '==']
        expect(outcome.state).toBe(holds ? 'pass' : 'fail')
        expect(outcome.exact).toBe(true)
        // The same values with one qualifier loosened to bounds that still contain the value: what held can still hold.
        const loose = new Map(exact)
        loose.set(which, { value: (exact.get(which) as Figure).value, qualifier: q })
        const looser = evaluateRule(r, loose)
        if (holds && q !== 'gt' && q !== 'lt') expect(looser.state).toBe('pass')
        expect(looser.exact).toBe(q === 'eq')
        expect(evaluateRule(r, new Map([...exact].filter(([k]) => k !== which))).state).toBe('incomplete')
      }),
      { numRuns: 500 },
    )
  })
})
