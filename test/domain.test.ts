import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from '../src/domain/canonical-json.js'
import { parseChineseNumeral } from '../src/domain/chinese-numerals.js'
import { locateQuote } from '../src/domain/citation.js'
import { compareDecimal, isDecimal, multiplyDecimal, normalizeDecimal } from '../src/domain/decimal.js'
import { parsePeriod, periodsOfYear } from '../src/domain/periods.js'
import type { CheckedObservation } from '../src/modules/observations/observation-rules.js'
import { canonicalAuditSnapshot } from '../src/modules/observations/observation-writes.js'
import { parseByteRange } from '../src/http/byte-range.js'
import { negotiate } from '../src/http/negotiate.js'

describe('exact decimals', () => {
  it('converts reported figures without binary rounding', () => {
    expect(multiplyDecimal('484.752', '10000')).toBe('4847520')
    expect(multiplyDecimal('1.35', '10000')).toBe('13500')
    expect(multiplyDecimal('0.15', '10000')).toBe('1500')
    expect(multiplyDecimal('76.5', '10000')).toBe('765000')
    // 0.1 × 3 in floats is 0.30000000000000004.
    expect(multiplyDecimal('0.1', '3')).toBe('0.3')
    expect(multiplyDecimal('-2.5', '0.2')).toBe('-0.5')
  })
  it('normalizes and compares', () => {
    expect(normalizeDecimal('007.500')).toBe('7.5')
    expect(normalizeDecimal('-0.0')).toBe('0')
    expect(normalizeDecimal('0.05')).toBe('0.05')
    expect(compareDecimal('10', '9.99')).toBe(1)
    expect(compareDecimal('1.50', '1.5')).toBe(0)
    expect(compareDecimal('-1', '0')).toBe(-1)
  })
  it('rejects what is not a plain decimal', () => {
    for (const bad of ['', '1e5', 'NaN', 'Infinity', '1,000', '.5', '5.', '+1', '0x10', ' 1', '1'.repeat(41)]) expect(isDecimal(bad)).toBe(false)
  })
})

describe('reporting periods', () => {
  it('parses canonical, SDMX and DHIS2 spellings to one canonical code', () => {
    for (const [input, code] of [
      ['2023', '2023'],
      ['2023-A1', '2023'],
      ['2023-H1', '2023-H1'],
      ['2023-S1', '2023-H1'],
      ['2023S2', '2023-H2'],
      ['2023h2', '2023-H2'],
      ['2023-Q3', '2023-Q3'],
      ['2023Q3', '2023-Q3'],
      ['2023-07', '2023-07'],
      ['2023-M07', '2023-07'],
      ['202307', '2023-07'],
    ]) expect(parsePeriod(input as string)?.code, input).toBe(code)
  })
  it('knows start and end dates, leap years included', () => {
    expect(parsePeriod('2023-H1')).toEqual({ code: '2023-H1', type: 'half', startDate: '2023-01-01', endDate: '2023-06-30' })
    expect(parsePeriod('2024-02')?.endDate).toBe('2024-02-29')
    expect(parsePeriod('2023-Q4')).toMatchObject({ startDate: '2023-10-01', endDate: '2023-12-31' })
    expect(periodsOfYear(2023).map((p) => p.code)).toHaveLength(19)
  })
  it('rejects non-periods', () => {
    for (const bad of ['2023-H3', '2023-Q5', '2023-13', '2023-00', '23', '2023-W01', '20231', 'abcd', '0999', '2023-S0']) expect(parsePeriod(bad), bad).toBeNull()
  })
})

describe('Chinese numerals', () => {
  it('reads the counts a report writes', () => {
    expect(parseChineseNumeral('四')).toBe(4)
    expect(parseChineseNumeral('十')).toBe(10)
    expect(parseChineseNumeral('十一')).toBe(11)
    expect(parseChineseNumeral('二十五')).toBe(25)
    expect(parseChineseNumeral('两')).toBe(2)
    expect(parseChineseNumeral('一百零五')).toBe(105)
    expect(parseChineseNumeral('四五')).toBeNull()
    expect(parseChineseNumeral('个')).toBeNull()
  })
})

describe('quotes and byte spans', () => {
  const text = Buffer.from('上半年发放城乡低保金484.752万元、受益2277人；受益170人', 'utf8')
  it('finds a unique quote by UTF-8 byte offsets', () => {
    const at = locateQuote(text, '受益2277人')
    expect(at.kind).toBe('found')
    if (at.kind === 'found') expect(text.subarray(at.byteStart, at.byteEnd).toString('utf8')).toBe('受益2277人')
  })
  it('tells absent from ambiguous', () => {
    expect(locateQuote(text, '受益9人').kind).toBe('absent')
    expect(locateQuote(text, '受益').kind).toBe('ambiguous')
    expect(locateQuote(text, '').kind).toBe('absent')
  })
})

describe('byte ranges', () => {
  it('parses single ranges and refuses those outside the body', () => {
    expect(parseByteRange('bytes=0-9', 100)).toEqual({ kind: 'range', start: 0, end: 9 })
    expect(parseByteRange('bytes=90-', 100)).toEqual({ kind: 'range', start: 90, end: 99 })
    expect(parseByteRange('bytes=-10', 100)).toEqual({ kind: 'range', start: 90, end: 99 })
    expect(parseByteRange('bytes=95-200', 100)).toEqual({ kind: 'range', start: 95, end: 99 })
    expect(parseByteRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' })
    expect(parseByteRange('bytes=0-1,5-6', 100)).toEqual({ kind: 'none' })
    expect(parseByteRange(undefined, 100)).toEqual({ kind: 'none' })
  })
})

describe('content negotiation', () => {
  const offers = { json: 'application/json', csv: 'text/csv' }
  it('honours Accept with q-values and wildcards', () => {
    expect(negotiate(undefined, offers)).toBe('json')
    expect(negotiate('text/csv', offers)).toBe('csv')
    expect(negotiate('text/*', offers)).toBe('csv')
    expect(negotiate('application/json;q=0.5, text/csv', offers)).toBe('csv')
    expect(negotiate('*/*', offers)).toBe('json')
    expect(negotiate('text/html', offers, 'csv')).toBe('csv')
    expect(() => negotiate('text/html', offers)).toThrow(/Accept/)
  })
})

describe('canonical JSON', () => {
  it('sorts keys, drops whitespace and refuses non-integers', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: '万', y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":"万"}}')
    expect(() => canonicalJson({ a: 1.5 })).toThrow()
  })
})

// Whether a quote states the reported number, and in which unit: test/citation-rules.test.ts.

describe('the canonical audit snapshot of an observation', () => {
  // The snapshot as an object, canonicalized by the generic rule: what the specialized builder must equal.
  const auditSnapshot = (id: number, revision: number, status: string, o: CheckedObservation, reason: string) => ({
    id,
    revision,
    status,
    indicator: o.indicator,
    area: o.area,
    period: o.period,
    kind: o.kind,
    value: o.value,
    qualifier: o.qualifier,
    reported: { value: o.reported.value, unit: o.reported.unit, text: o.reported.text },
    citation: { sourceId: o.citation.sourceId, quote: o.citation.quote, byteStart: o.citation.byteStart, byteEnd: o.citation.byteEnd },
    involvedAreas: o.involvedAreas,
    note: o.note,
    reason,
  })

  it('is the generic canonical JSON of the snapshot, for any content', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 20 })
    const observation = fc.record({
      indicator: text,
      area: text,
      period: text,
      kind: fc.constantFrom('actual', 'target', 'forecast'),
      value: text,
      qualifier: fc.constantFrom('eq', 'gt', 'gte', 'lt', 'lte', 'approx'),
      reported: fc.record({ value: text, unit: text, text: fc.option(text, { nil: null }) }),
      citation: fc.record({ sourceId: text, quote: text, byteStart: fc.nat(), byteEnd: fc.nat() }),
      involvedAreas: fc.array(text, { maxLength: 4 }),
      note: fc.option(text, { nil: null }),
    })
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 1000 }), fc.constantFrom('active', 'withdrawn'), observation, text, (id, revision, status, o, reason) => {
        const generic = canonicalJson(auditSnapshot(id, revision, status as 'active' | 'withdrawn', o as CheckedObservation, reason))
        return canonicalAuditSnapshot(id, revision, status as 'active' | 'withdrawn', o as CheckedObservation, reason).text === generic
      }),
      { numRuns: 2000 },
    )
  })
})
