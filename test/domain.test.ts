import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runs } from './support/property-runs.js'
import { CanonicalText, canonicalJson } from '../src/domain/canonical-json.js'
import { chineseNumeralValue, parseChineseNumeral, writeChineseNumeral } from '../src/domain/chinese-numerals.js'
import { locateQuote } from '../src/domain/citation.js'
import { compareDecimal, isDecimal, MAX_DECIMAL_CHARS, MAX_DECIMAL_DIGITS, multiplyDecimal, normalizeDecimal } from '../src/domain/decimal.js'
import { parsePeriod, periodsOfYear } from '../src/domain/periods.js'
import { daysInMonth, isLeapYear, parseInstant } from '../src/domain/time.js'
import { SEED_CATALOGUE, SEED_UNITS } from './support/seed-units.js'

const reportedUnit = (code: string) => SEED_CATALOGUE.reportedUnit(code)
const isBaseUnit = (code: string) => SEED_CATALOGUE.isBaseUnit(code)
import { AppError } from '../src/errors.js'
import type { CheckedObservation } from '../src/modules/observations/observation-rules.js'
import { canonicalAuditSnapshot } from '../src/modules/observations/observation-writes.js'
import { parseByteRange } from '../src/http/byte-range.js'
import { negotiate } from '../src/http/negotiate.js'

describe('exact decimals', () => {
  it('converts reported figures without binary rounding', async () => {
    expect(multiplyDecimal('484.752', '10000')).toBe('4847520')
    expect(multiplyDecimal('1.35', '10000')).toBe('13500')
    expect(multiplyDecimal('0.15', '10000')).toBe('1500')
    expect(multiplyDecimal('76.5', '10000')).toBe('765000')
    // 0.1 × 3 in floats is 0.30000000000000004.
    expect(multiplyDecimal('0.1', '3')).toBe('0.3')
    expect(multiplyDecimal('-2.5', '0.2')).toBe('-0.5')
  })
  it('normalizes and compares', async () => {
    expect(normalizeDecimal('007.500')).toBe('7.5')
    expect(normalizeDecimal('-0.0')).toBe('0')
    expect(normalizeDecimal('0.05')).toBe('0.05')
    expect(compareDecimal('10', '9.99')).toBe(1)
    expect(compareDecimal('1.50', '1.5')).toBe(0)
    expect(compareDecimal('-1', '0')).toBe(-1)
  })
  it('rejects what is not a plain decimal', async () => {
    for (const bad of ['', '1e5', 'NaN', 'Infinity', '1,000', '.5', '5.', '+1', '0x10', ' 1', '1'.repeat(41)]) expect(isDecimal(bad)).toBe(false)
  })
})

describe('reporting periods', () => {
  it('parses canonical, SDMX and DHIS2 spellings to one canonical code', async () => {
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
  it('knows start and end dates, leap years included', async () => {
    expect(parsePeriod('2023-H1')).toEqual({ code: '2023-H1', type: 'half', startDate: '2023-01-01', endDate: '2023-06-30' })
    expect(parsePeriod('2024-02')?.endDate).toBe('2024-02-29')
    expect(parsePeriod('2023-Q4')).toMatchObject({ startDate: '2023-10-01', endDate: '2023-12-31' })
    expect(periodsOfYear(2023).map((p) => p.code)).toHaveLength(19)
  })
  it('rejects non-periods', async () => {
    for (const bad of ['2023-H3', '2023-Q5', '2023-13', '2023-00', '23', '2023-W01', '20231', 'abcd', '0999', '2023-S0']) expect(parsePeriod(bad), bad).toBeNull()
  })
})

describe('Chinese numerals', () => {
  it('reads the counts a report writes', async () => {
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
  it('finds a unique quote by UTF-8 byte offsets', async () => {
    const at = locateQuote(text, '受益2277人')
    expect(at.kind).toBe('found')
    if (at.kind === 'found') expect(text.subarray(at.byteStart, at.byteEnd).toString('utf8')).toBe('受益2277人')
  })
  it('tells absent from ambiguous', async () => {
    expect(locateQuote(text, '受益9人').kind).toBe('absent')
    expect(locateQuote(text, '受益').kind).toBe('ambiguous')
    expect(locateQuote(text, '').kind).toBe('absent')
  })
})

describe('byte ranges', () => {
  it('parses single ranges and refuses those outside the body', async () => {
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
  it('honours Accept with q-values and wildcards', async () => {
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
  it('sorts keys, drops whitespace and refuses non-integers', async () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: '万', y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":"万"}}')
    expect(() => canonicalJson({ a: 1.5 })).toThrow()
  })
})

// Whether a quote states the reported number, and in which unit: test/citation-rules.test.ts.

describe('the canonical audit snapshot of an observation', () => {
  // The snapshot as an object, canonicalized by the generic rule: what the specialized builder must equal.
  const auditSnapshot = (id: number, revision: number, status: string, o: CheckedObservation, reason: string, recordedAt: string) => ({
    ...(o.publishedAt !== null && o.publishedAt !== recordedAt ? { publishedAt: o.publishedAt } : {}),
    ...(o.referenceDate !== null ? { referenceDate: o.referenceDate } : {}),
    ...(o.temporality !== 'flow' ? { temporality: o.temporality } : {}),
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

  it('is the generic canonical JSON of the snapshot, for any content', async () => {
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
      temporality: fc.constantFrom('flow', 'stock'),
      referenceDate: fc.option(text, { nil: null }),
      publishedAt: fc.option(fc.constantFrom('2023-06-25T00:00:00.000Z', '2024-01-01T00:00:00.000Z'), { nil: null }),
    })
    const recordedAt = fc.constantFrom('2023-06-25T00:00:00.000Z', '2026-11-29T00:00:00.000Z')
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 1000 }), fc.constantFrom('active', 'withdrawn'), observation, text, recordedAt, (id, revision, status, o, reason, at) => {
        const generic = canonicalJson(auditSnapshot(id, revision, status as 'active' | 'withdrawn', o as CheckedObservation, reason, at))
        return canonicalAuditSnapshot(id, revision, status as 'active' | 'withdrawn', o as CheckedObservation, reason, at).text === generic
      }),
      { numRuns: runs(2000) },
    )
  })
})

// ---------------------------------------------------------------- edges the mutation run found untested

describe('reporting periods at their edges', () => {
  it('anchors every spelling at both ends and trims only surrounding space', async () => {
    for (const bad of ['x2023', '2023x', '12023', '2023-H12', '2023-Q34', '2023-071', '2023-M7', '2023-M13', '2023-A2', '2023A1', '2023--H1', '2023-HQ1', '2023 H1', '2023H', '2023-'])
      expect(parsePeriod(bad), bad).toBeNull()
    expect(parsePeriod(' 2023-h1 ')?.code).toBe('2023-H1')
    expect(parsePeriod('2023-a1')?.code).toBe('2023')
    expect(parsePeriod('2023-q4')?.code).toBe('2023-Q4')
    expect(parsePeriod('2023-m12')?.code).toBe('2023-12')
  })
  it('reads the DHIS2 months 202310 to 202312 and refuses 202300 and 202313', async () => {
    expect(parsePeriod('202310')).toEqual({ code: '2023-10', type: 'month', startDate: '2023-10-01', endDate: '2023-10-31' })
    expect(parsePeriod('202311')).toEqual({ code: '2023-11', type: 'month', startDate: '2023-11-01', endDate: '2023-11-30' })
    expect(parsePeriod('202312')).toEqual({ code: '2023-12', type: 'month', startDate: '2023-12-01', endDate: '2023-12-31' })
    expect(parsePeriod('202301')?.code).toBe('2023-01')
    expect(parsePeriod('202309')?.code).toBe('2023-09')
    for (const bad of ['202300', '202313', '202320', '2023010']) expect(parsePeriod(bad), bad).toBeNull()
  })
  it('keeps years from 1900 to 2199', async () => {
    expect(parsePeriod('1899')).toBeNull()
    expect(parsePeriod('1900-Q1')).toEqual({ code: '1900-Q1', type: 'quarter', startDate: '1900-01-01', endDate: '1900-03-31' })
    expect(parsePeriod('2199-12')).toEqual({ code: '2199-12', type: 'month', startDate: '2199-12-01', endDate: '2199-12-31' })
    expect(parsePeriod('2200')).toBeNull()
    expect(parsePeriod('1899-H1')).toBeNull()
    expect(parsePeriod('220001')).toBeNull()
  })
  it('lists the nineteen periods of a year with their exact spans', async () => {
    const year = periodsOfYear(2024)
    expect(year.map((p) => p.code)).toEqual([
      '2024', '2024-H1', '2024-H2', '2024-Q1', '2024-Q2', '2024-Q3', '2024-Q4',
      ...Array.from({ length: 12 }, (_, i) => `2024-${String(i + 1).padStart(2, '0')}`),
    ])
    expect(year[0]).toEqual({ code: '2024', type: 'year', startDate: '2024-01-01', endDate: '2024-12-31' })
    expect(year[2]).toEqual({ code: '2024-H2', type: 'half', startDate: '2024-07-01', endDate: '2024-12-31' })
    expect(year[4]).toEqual({ code: '2024-Q2', type: 'quarter', startDate: '2024-04-01', endDate: '2024-06-30' })
    expect(year.slice(7).map((p) => p.endDate.slice(8))).toEqual(['31', '29', '31', '30', '31', '30', '31', '31', '30', '31', '30', '31'])
    expect(parsePeriod('2100-02')?.endDate).toBe('2100-02-28')
    expect(parsePeriod('2000-02')?.endDate).toBe('2000-02-29')
  })
  it('round-trips every canonical code of every year', async () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2199 }), (y) => {
        for (const p of periodsOfYear(y)) expect(parsePeriod(p.code)).toEqual(p)
      }),
      { numRuns: runs(300) },
    )
  })
})

describe('RFC 3339 instants', () => {
  const bad = (text: string) => {
    try {
      parseInstant(text, 'asOf')
    } catch (err) {
      return err
    }
    return null
  }
  it('stores UTC with milliseconds, whatever the offset', async () => {
    expect(parseInstant('2023-06-25T08:00:00+08:00', 'asOf')).toBe('2023-06-25T00:00:00.000Z')
    expect(parseInstant('2023-06-25T00:30:00-05:30', 'asOf')).toBe('2023-06-25T06:00:00.000Z')
    expect(parseInstant('2023-06-25t00:00:00z', 'asOf')).toBe('2023-06-25T00:00:00.000Z')
    expect(parseInstant('2023-06-25 23:59:59Z', 'asOf')).toBe('2023-06-25T23:59:59.000Z')
    expect(parseInstant('2023-06-25T00:00:00.123456789Z', 'asOf')).toBe('2023-06-25T00:00:00.123Z')
    expect(parseInstant('2023-06-25T00:00:00.5+08:00', 'asOf')).toBe('2023-06-24T16:00:00.500Z')
    expect(parseInstant('1900-01-01T00:00:00Z', 'asOf')).toBe('1900-01-01T00:00:00.000Z')
    expect(parseInstant('9999-12-31T23:59:59Z', 'asOf')).toBe('9999-12-31T23:59:59.000Z')
  })
  it('refuses what is no RFC 3339 time, naming the parameter', async () => {
    const err = bad('2023-06-25') as AppError
    expect(err).toBeInstanceOf(AppError)
    expect(err.statusCode).toBe(400)
    expect(err.code).toBe('APP_ERR_VALIDATION')
    expect(err.message).toBe('asOf must be an RFC 3339 time such as 2023-06-25T00:00:00Z (a real calendar date, hours 00-23, offset within ±23:59, years 1900-9999), got "2023-06-25".')
    expect(err.extras).toEqual({ errors: [{ in: 'query', name: 'asOf', message: 'is not an RFC 3339 time' }] })
    for (const text of [
      '2023-06-25T00:00:00', '2023-06-25T00:00:00+0800', '2023-06-25T00:00Z', 'x2023-06-25T00:00:00Z', '2023-06-25T00:00:00Zx', '2023-06-25T00:00:00.Z',
      '2023-13-01T00:00:00Z', '2023-00-01T00:00:00Z', '2023-06-32T00:00:00Z', '2023-06-25T24:00:00Z', '2023-06-25T00:60:00Z', '2023-06-25T00:00:61Z',
      '1899-12-31T23:59:59Z', '+12023-06-25T00:00:00Z', '2023-06-25T00:00:00.1234567890Z', '2023-06-25X00:00:00Z',
    ]) {
      expect(bad(text), text).toBeInstanceOf(AppError)
    }
  })
})

describe('exact decimals at their edges', () => {
  it('holds forty significant digits and no more, sign and point not counted', async () => {
    expect(isDecimal('9'.repeat(40))).toBe(true)
    expect(isDecimal(`-${'9'.repeat(39)}.9`)).toBe(true)
    expect(isDecimal(`-${'9'.repeat(40)}.9`)).toBe(false)
    expect(isDecimal('1.')).toBe(false)
    expect(isDecimal('-')).toBe(false)
    expect(isDecimal('--1')).toBe(false)
    expect(isDecimal('1\n')).toBe(false)
    expect(() => normalizeDecimal('1e5')).toThrow(RangeError)
    expect(() => multiplyDecimal('1', 'x')).toThrow('not a decimal: "x"')
    expect(() => compareDecimal('x', '1')).toThrow(RangeError)
  })
  it('multiplies and compares as exact integers scaled by powers of ten', async () => {
    const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.nat({ max: 8 })).map(([units, scale]) => ({ units, scale }))
    const text = ({ units, scale }: { units: bigint; scale: number }) => {
      const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, '0')
      const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`
      return units < 0n ? `-${body}` : body
    }
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const product = { units: a.units * b.units, scale: a.scale + b.scale }
        expect(compareDecimal(multiplyDecimal(text(a), text(b)), text(product))).toBe(0)
        expect(normalizeDecimal(multiplyDecimal(text(a), text(b)))).toBe(multiplyDecimal(text(a), text(b)))
        const scale = Math.max(a.scale, b.scale)
        const x = a.units * 10n ** BigInt(scale - a.scale)
        const y = b.units * 10n ** BigInt(scale - b.scale)
        expect(compareDecimal(text(a), text(b))).toBe(x < y ? -1 : x > y ? 1 : 0)
        expect(compareDecimal(normalizeDecimal(text(a)), text(a))).toBe(0)
      }),
      { numRuns: runs(2000) },
    )
    expect(normalizeDecimal('-000.000')).toBe('0')
    expect(normalizeDecimal('-0.010')).toBe('-0.01')
    expect(normalizeDecimal('100')).toBe('100')
    expect(normalizeDecimal('100.0')).toBe('100')
    expect(multiplyDecimal('-0.5', '0')).toBe('0')
  })
})

describe('units', () => {
  it('knows the reported units and their base, and nothing inherited', async () => {
    expect(reportedUnit('万元')).toEqual({ base: 'CNY', multiplier: '10000' })
    expect(reportedUnit('个月')).toEqual({ base: 'month', multiplier: '1' })
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '']) {
      expect(reportedUnit(name), name).toBeUndefined()
      expect(isBaseUnit(name), name).toBe(false)
    }
    expect(isBaseUnit('CNY')).toBe(true)
    for (const u of SEED_UNITS) expect(isBaseUnit(u.base)).toBe(true)
  })
})

describe('canonical JSON at its edges', () => {
  it('writes every kind of value the way the README tells verifiers to', async () => {
    expect(canonicalJson(null)).toBe('null')
    expect(canonicalJson(false)).toBe('false')
    expect(canonicalJson(-0)).toBe('0')
    expect(canonicalJson([])).toBe('[]')
    expect(canonicalJson({})).toBe('{}')
    expect(canonicalJson([1, [2, []], { b: null, a: 'x"\n' }])).toBe('[1,[2,[]],{"a":"x\\"\\n","b":null}]')
    expect(canonicalJson({ b: 1, a: undefined as never, c: 2 })).toBe('{"b":1,"c":2}')
    expect(canonicalJson({ a: undefined as never, b: 1 })).toBe('{"b":1}')
    expect(canonicalJson({ é: 1, z: 2, A: 3 })).toBe('{"A":3,"z":2,"é":1}')
    expect(canonicalJson({ t: new CanonicalText('{"x":1}') })).toBe('{"t":{"x":1}}')
    expect(() => canonicalJson(2 ** 53)).toThrow('canonical JSON holds integers only, got 9007199254740992')
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError)
  })
})

describe('edges the mutation run found untested', () => {
  it('knows the Gregorian leap years and the length of every month', async () => {
    for (const [year, leap] of [[2024, true], [2023, false], [2000, true], [1900, false], [2100, false], [2400, true]] as const) {
      expect(isLeapYear(year), String(year)).toBe(leap)
      expect(daysInMonth(year, 2)).toBe(leap ? 29 : 28)
    }
    expect([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => daysInMonth(2023, m))).toEqual([31, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
  })
  it('holds instants to the calendar, the year range and the offset range, after the offset too', async () => {
    const ok = (t: string) => parseInstant(t, 'asOf')
    expect(ok('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z')
    expect(ok('2023-04-30T23:59:59Z')).toBe('2023-04-30T23:59:59.000Z')
    expect(ok('2023-06-25T08:00:00+08:00')).toBe('2023-06-25T00:00:00.000Z')
    expect(ok('2023-06-25T00:00:00-23:59')).toBe('2023-06-25T23:59:00.000Z')
    expect(ok('1900-01-01T00:00:00Z')).toBe('1900-01-01T00:00:00.000Z')
    expect(ok('9999-12-31T23:59:59Z')).toBe('9999-12-31T23:59:59.000Z')
    for (const t of ['2023-02-29T00:00:00Z', '2023-04-31T00:00:00Z', '2023-06-00T00:00:00Z', '1899-12-31T23:59:59Z', '2023-06-25T00:00:00+24:00', '2023-06-25T00:00:00+23:60',
      '1900-01-01T00:00:00+00:01', '9999-12-31T23:59:59-00:01']) {
      expect(() => parseInstant(t, 'asOf'), t).toThrow(AppError)
    }
  })
  it('normalizes negative decimals and keeps the longest accepted decimal within MAX_DECIMAL_CHARS', async () => {
    expect(normalizeDecimal('-5')).toBe('-5')
    expect(normalizeDecimal('-0.50')).toBe('-0.5')
    expect(normalizeDecimal('-0.000')).toBe('0')
    expect(normalizeDecimal('007.5')).toBe('7.5')
    expect(normalizeDecimal('0.005')).toBe('0.005')
    const longest = `-${'9'.repeat(MAX_DECIMAL_DIGITS - 1)}.9`
    expect(isDecimal(longest)).toBe(true)
    expect(longest.length).toBe(MAX_DECIMAL_CHARS)
    expect(isDecimal(`-${'9'.repeat(MAX_DECIMAL_DIGITS)}.9`)).toBe(false)
  })
  it('reads a period code only as a whole: nothing before it', async () => {
    for (const t of ['x2023-H1', '12023S1', 'x2023-Q3', 'x2023-07', 'x202307', 'x2023-M07']) expect(parsePeriod(t), t).toBeNull()
  })
  it('converts every reported unit exactly into its base unit', async () => {
    const expected: Record<string, [string, string]> = {
      元: ['CNY', '2.5'], 万元: ['CNY', '25000'], 亩: ['mu', '2.5'], 万亩: ['mu', '25000'], 公里: ['km', '2.5'], 公斤: ['kg', '2.5'],
      人: ['person', '2.5'], 名: ['person', '2.5'], 户: ['household', '2.5'], 头: ['head', '2.5'], 万头: ['head', '25000'], 株: ['plant', '2.5'],
      万株: ['plant', '25000'], 个: ['count', '2.5'], 份: ['count', '2.5'], 项: ['count', '2.5'], 次: ['count', '2.5'], 个月: ['month', '2.5'],
    }
    // The first report's units stay in the catalogue with the same meaning; the catalogue has more.
    expect(SEED_UNITS.map((u) => u.code)).toEqual(expect.arrayContaining(Object.keys(expected)))
    for (const [unit, [base, value]] of Object.entries(expected)) {
      const ru = reportedUnit(unit)
      expect(ru?.base, unit).toBe(base)
      expect(multiplyDecimal('2.5', ru?.multiplier as string), unit).toBe(value)
    }
  })
  it('reads and writes Chinese numerals with 零, 万 and 亿', async () => {
    expect(chineseNumeralValue('一百零五')).toBe('105')
    expect(chineseNumeralValue('一亿')).toBe('100000000')
    expect(chineseNumeralValue('一亿一千万')).toBe('110000000')
    expect(chineseNumeralValue('一亿零一千万')).toBeNull()
    expect(writeChineseNumeral(110_000_000n)).toBe('一亿一千万')
    expect(writeChineseNumeral(100_050_000n)).toBe('一亿零五万')
    expect(chineseNumeralValue('一x')).toBeNull()
  })
})
