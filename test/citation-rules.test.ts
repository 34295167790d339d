// A citation states a figure only as a whole numeric token of the quote, equal to the
// reported value and written with the reported unit (issue 9, items 11 and 12).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { runs } from './support/property-runs.js'
import { chineseNumeralValue, parseChineseNumeral, writeChineseNumeral } from '../src/domain/chinese-numerals.js'
import { buildQuoteIndex, locateQuote, QUOTE_KEY_BYTES } from '../src/domain/citation.js'
import { normalizeDecimal } from '../src/domain/decimal.js'
import { arabicValue, findStatedNumber, NON_NUMERIC_WORDS, numberTokens, unitAfter } from '../src/domain/quote-numbers.js'
import { SEED_CATALOGUE, seedUnitContext } from './support/seed-units.js'
import { checkObservation, type ObservationDraft, type RuleContext } from '../src/modules/observations/observation-rules.js'
import { QuoteIndexCache } from '../src/modules/observations/rule-context.js'

// The unit words a quote writes after a number, Latin codes (km, ha, mu) included: written right after digits they end the number.
const UNITS = [...SEED_CATALOGUE.words]
const FULL_WIDTH = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)))
// Characters that end a token and are no unit, numeral, sign or glue (a full-width comma between digits is glue: see the traps).
const SEPARATORS = ['、', '；', '（', '）', '和', '及', '共', '为', '。']

const states = (quote: string, value: string, unit: string, text?: string) => findStatedNumber(quote, value, unit, text, SEED_CATALOGUE.words).ok

describe('the examples of issue 9', () => {
  it('refuses numeral characters that are part of a word or of a larger numeral', async () => {
    expect(states('要进一步加强', '1', '个')).toBe(false)
    expect(states('学习二十大精神', '20', '个')).toBe(false)
    expect(states('玉米高产“千亩方”核心区', '1000', '亩')).toBe(false)
    expect(states('共一百零五个', '5', '个')).toBe(false)
    expect(states('共一百零五个', '105', '个')).toBe(true)
  })
  it('takes no sign from a date and no digits out of a larger written number', async () => {
    expect(states('于2023-06-25完成', '-6', '个')).toBe(false)
    expect(states('于2023-06-25个', '-6', '个')).toBe(false)
    expect(states('于2023-06-25个', '25', '个')).toBe(false)
    expect(states('共1,234个', '234', '个')).toBe(false)
    expect(states('共1,234个', '1234', '个')).toBe(true)
    expect(states('共1e3个', '3', '个')).toBe(false)
    expect(states('共1e3个', '1000', '个')).toBe(false)
  })
  it('refuses a unit the quote does not write with the number', async () => {
    expect(states('发放城乡低保金484.752万元', '484.752', '元')).toBe(false)
    expect(states('发放城乡低保金484.752万元', '484.752', '万元')).toBe(true)
    expect(states('出生6个月后', '6', '个')).toBe(false)
    expect(states('出生6个月后', '6', '个月')).toBe(true)
    expect(states('服务3000人次', '3000', '人')).toBe(false)
    expect(states('造林0.3万亩', '0.3', '亩')).toBe(false)
    expect(findStatedNumber('发放484.752万元', '484.752', '元', undefined, SEED_CATALOGUE.words)).toEqual({
      ok: false,
      problem: 'quote writes "484.752万元": the number "484.752" is not followed by the reported unit "元"',
    })
    expect(findStatedNumber('进一步', '1', '个')).toEqual({ ok: false, problem: 'quote writes "一" inside a word (进一步, 统一…), which states no quantity' })
    expect(findStatedNumber('共1e3个', '1', '个')).toEqual({ ok: false, problem: 'quote does not state the number "1" as a whole number' })
  })
})

describe('the forms the report writes', () => {
  it('reads the seed forms: 余 and a space between number and unit, counters, Chinese counts', async () => {
    expect(states('稳定务工1210余人', '1210', '人')).toBe(true)
    expect(states('开展宣传教育培训10余次', '10', '次')).toBe(true)
    expect(states('十余个', '10', '个')).toBe(true)
    expect(states('共5 个', '5', '个')).toBe(true)
    expect(states('共5  个', '5', '个')).toBe(false)
    expect(states('孙国祥合作社等四个合作社', '4', '个', '四')).toBe(true)
    expect(states('十一个片区', '11', '个', '十一')).toBe(true)
    expect(states('十一个片区', '11', '个', '一十一')).toBe(false)
    expect(states('十一个片区', '11', '个')).toBe(true)
    expect(states('保证每周都有一名领导接待', '1', '名', '一')).toBe(true)
    expect(states('6月龄“和牛”按照200公斤/每头', '200', '公斤')).toBe(true)
    expect(states('18户39人', '39', '人')).toBe(true)
    expect(states('18户39人', '18', '户')).toBe(true)
    expect(states('18户39人', '18', '人')).toBe(false)
  })
  it('reads 余 or 多 between a multiplier and the rest of its unit, and Latin units written right after the digits', async () => {
    expect(states('造林4.5万余亩', '4.5', '万亩')).toBe(true)
    expect(states('收入3万多元', '3', '万元')).toBe(true)
    expect(states('投资1.2亿余元', '1.2', '亿元')).toBe(true)
    expect(states('造林200余亩', '200', '亩')).toBe(true)
    // The quote writes 4.5 with 万亩, not 45000 or 4.5 亩.
    expect(states('造林4.5万余亩', '45000', '亩')).toBe(false)
    expect(states('造林4.5万余亩', '4.5', '亩')).toBe(false)
    expect(states('造林4.5万余多亩', '4.5', '万亩')).toBe(false)
    expect(states('造林4.5余万亩', '4.5', '万亩')).toBe(true)
    for (const [quote, value, unit] of [['道路8.5km', '8.5', 'km'], ['道路8.5km，', '8.5', 'km'], ['面积100ha', '100', 'ha'], ['面积3km2', '3', 'km2'], ['面积3km²', '3', 'km²'], ['管网120m', '120', 'm'], ['装机5MW', '5', 'MW'], ['面积三km2', '3', 'km2'], ['容积5m3', '5', 'm3'], ['道路8.5 km', '8.5', 'km']]) {
      expect(states(quote as string, value as string, unit as string), quote).toBe(true)
    }
    // A longer unit is not its prefix (8.5km is no 8.5 m), a code glued on both sides states nothing, and a Latin word that is no unit keeps the run one token.
    expect(states('道路8.5km', '8.5', 'm')).toBe(false)
    expect(states('面积3km2', '3', 'km')).toBe(false)
    expect(states('型号G8.5km', '8.5', 'km')).toBe(false)
    expect(states('型号8.5kmx', '8.5', 'km')).toBe(false)
    expect(states('共1e3m', '1000', 'm')).toBe(false)
    expect(findStatedNumber('道路二8.5km', '8.5', 'km', undefined, SEED_CATALOGUE.words)).toEqual({
      ok: false,
      problem: 'quote writes "8.5" against numeral characters of the other script (一5, 二8.5), which states no quantity',
    })
  })
  it('reads signs, separators, full-width digits and trailing punctuation', async () => {
    expect(states('增长-5个', '-5', '个')).toBe(true)
    expect(states('增长−5个', '-5', '个')).toBe(true)
    expect(states('增长+5个', '5', '个')).toBe(true)
    expect(states('共1,234.50元', '1234.5', '元')).toBe(true)
    expect(states('共５０００亩', '5000', '亩')).toBe(true)
    expect(states('共１．５万元', '1.5', '万元')).toBe(true)
    expect(states('人口，2425人，', '2425', '人')).toBe(true)
    expect(states('人数5，共3个.', '3', '个')).toBe(true)
    expect(states('共5.个', '5', '个')).toBe(false)
  })
  it('refuses what is no quantity: ordinals, indefinite counts, fractions, mixed scripts, codes', async () => {
    expect(states('第一名', '1', '名')).toBe(false)
    expect(states('第5个', '5', '个')).toBe(false)
    expect(states('十几个', '10', '个')).toBe(false)
    expect(states('几十个', '10', '个')).toBe(false)
    expect(states('数百人', '100', '人')).toBe(false)
    expect(states('三点五万亩', '50000', '亩')).toBe(false)
    expect(states('三分之一个', '1', '个')).toBe(false)
    expect(states('一5个', '5', '个')).toBe(false)
    expect(states('5十个', '5', '个')).toBe(false)
    expect(states('一两个', '2', '个')).toBe(false)
    expect(states('统一名称', '1', '名')).toBe(false)
    expect(states('一次性补贴', '1', '次')).toBe(false)
    expect(states('A4纸5份', '4', '份')).toBe(false)
    expect(states('A4纸5份', '5', '份')).toBe(true)
    expect(states('共05个', '5', '个')).toBe(false)
    expect(states('共.5个', '0.5', '个')).toBe(false)
    expect(states('共1，234个', '234', '个')).toBe(false)
    expect(states('共1，234个', '1', '个')).toBe(false)
    expect(states('共12,34个', '34', '个')).toBe(false)
    expect(states('共1.2.3个', '3', '个')).toBe(false)
    expect(states('比例1/2个', '2', '个')).toBe(false)
    expect(states('五万元', '5', '万元')).toBe(false)
    expect(states('五万元', '50000', '元')).toBe(true)
    expect(states('百姓5人', '100', '人')).toBe(false)
  })
  it('tokenizes with offsets and tells the unit after each number', async () => {
    expect(numberTokens('共1,234.5个和２０人')).toEqual([
      { written: '1,234.5', value: '1234.5', script: 'arabic', start: 1, end: 8 },
      { written: '２０', value: '20', script: 'arabic', start: 10, end: 12 },
    ])
    expect(numberTokens('第三')).toEqual([{ written: '三', value: '3', script: 'chinese', start: 1, end: 2, notAQuantity: 'ordinal' }])
    expect(numberTokens('数十')).toEqual([{ written: '十', value: '10', script: 'chinese', start: 1, end: 2, notAQuantity: 'indefinite' }])
    expect(numberTokens('数据一个')[0]?.notAQuantity).toBeUndefined()
    expect(numberTokens('一般')[0]?.notAQuantity).toBe('word')
    expect(numberTokens('三点五')[1]?.notAQuantity).toBe('fraction')
    expect(numberTokens('点五')[0]?.notAQuantity).toBeUndefined()
    expect(numberTokens('5万')[0]?.notAQuantity).toBeUndefined()
    expect(numberTokens('abc')).toEqual([])
    expect(unitAfter('5万元', 1, SEED_CATALOGUE.words)).toBe('万元')
    expect(unitAfter('5余 人', 1, SEED_CATALOGUE.words)).toBe('人')
    expect(unitAfter('5 余人', 1, SEED_CATALOGUE.words)).toBeNull()
    expect(unitAfter('5', 1, SEED_CATALOGUE.words)).toBeNull()
    expect(arabicValue('-0.0')).toBe('0')
    expect(arabicValue('+1,000.10')).toBe('1000.1')
    expect(arabicValue('1,000,0')).toBeNull()
  })
})

describe('Chinese numerals', () => {
  const table: Array<[string, number]> = [
    ['零', 0], ['一', 1], ['两', 2], ['十', 10], ['十一', 11], ['二十', 20], ['二十五', 25], ['一百', 100], ['一百零五', 105], ['一百一十', 110],
    ['两百', 200], ['一千零五', 1005], ['一千零一十', 1010], ['一千零五十', 1050], ['三千二百', 3200], ['一万', 10000], ['一万零五', 10005],
    ['十万', 100000], ['十一万', 110000], ['十万零五百', 100500], ['一百零一万', 1010000], ['两万三千', 23000], ['一亿', 100000000],
    ['一亿二千万', 120000000], ['一亿零一千', 100001000], ['一亿零一万', 100010000], ['二〇', -1], ['一〇五', -1],
  ]
  it('reads the standard spellings', async () => {
    for (const [text, n] of table) expect(parseChineseNumeral(text), text).toBe(n < 0 ? null : n)
  })
  it('refuses what is no standard spelling', async () => {
    for (const bad of ['', '四五', '个', '十十', '百', '千', '万', '一百零零五', '一百五', '两十', '十两', '一十一', '零五', '一千零', '五万万', '二两', '百十']) {
      expect(chineseNumeralValue(bad), bad).toBeNull()
    }
  })
  it('writes and reads back every integer, and refuses every non-standard spelling of it', async () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n - 1n }), (n) => {
        const text = writeChineseNumeral(n)
        expect(chineseNumeralValue(text)).toBe(n.toString())
        // Dropping or doubling a character never yields another reading of the same text.
        for (let i = 0; i < text.length; i++) {
          const dropped = text.slice(0, i) + text.slice(i + 1)
          const value = chineseNumeralValue(dropped)
          if (value !== null) expect(writeChineseNumeral(BigInt(value))).toBe(dropped.replace(/两/g, '二'))
        }
      }),
      { numRuns: runs(3000) },
    )
  })
})

// ---------------------------------------------------------------- the property

interface Piece {
  text: string
  /** What the piece states: "value|unit" pairs. */
  stated: string[]
  /** Queries a loose rule would accept: digits cut out, signs borrowed, wrong units. */
  nearMisses: Array<[string, string]>
}

const decimalCut = (s: string): string | null => {
  const plain = s.replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10)).replace(/[,，]/g, '').replace('．', '.')
  return /^-?\d+(\.\d+)?$/.test(plain) ? normalizeDecimal(plain) : null
}

/** Every value a substring of `written` would read as, other than the whole. */
function cuts(written: string, chinese: boolean): string[] {
  const out = new Set<string>()
  for (let i = 0; i < written.length; i++) {
    for (let j = i + 1; j <= written.length; j++) {
      if (i === 0 && j === written.length) continue
      const part = written.slice(i, j)
      const value = chinese ? chineseNumeralValue(part) : decimalCut(part)
      if (value !== null) out.add(value)
      if (!chinese && value !== null && !part.startsWith('-')) out.add(normalizeDecimal(`-${value}`))
    }
  }
  return [...out]
}

const arabicNumber = fc
  .record({
    negative: fc.boolean(),
    int: fc.oneof(fc.bigInt({ min: 0n, max: 99n }), fc.bigInt({ min: 0n, max: 10n ** 10n })),
    frac: fc.option(fc.stringMatching(/^[0-9]{1,3}$/), { nil: undefined }),
    form: fc.constantFrom('plain', 'grouped', 'full-width', 'plus'),
  })
  .map(({ negative, int, frac, form }) => {
    const sign = negative ? '-' : form === 'plus' ? '+' : ''
    let digits = int.toString()
    if (form === 'grouped') digits = digits.replace(/\B(?=(\d{3})+$)/g, ',')
    let written = `${sign}${digits}${frac !== undefined ? `.${frac}` : ''}`
    if (form === 'full-width') written = FULL_WIDTH(written)
    return { written, value: normalizeDecimal(`${negative ? '-' : ''}${int}${frac !== undefined ? `.${frac}` : ''}`), chinese: false }
  })

const chineseNumber = fc.oneof(fc.bigInt({ min: 0n, max: 120n }), fc.bigInt({ min: 0n, max: 10n ** 9n })).map((n) => {
  const written = writeChineseNumeral(n)
  return { written: /^二[百千万亿]/.test(written) ? `两${written.slice(1)}` : written, value: n.toString(), chinese: true }
})

const cleanPiece: fc.Arbitrary<Piece> = fc
  .record({
    number: fc.oneof(arabicNumber, chineseNumber),
    unit: fc.oneof(fc.constantFrom(...UNITS), fc.constantFrom('人次', '个百分点', '大', '')),
    gap: fc.constantFrom('', '', '余', ' '),
    wrongUnit: fc.constantFrom(...UNITS),
  })
  // 三千米 reads as 3000 米: after a Chinese numeral, a unit that begins with a numeral character is part of the numeral.
  .filter(({ number, unit }) => !(number.chinese && /^[十百千万亿]/.test(unit)))
  // A numeral and unit that together write a word (十一起 holds 一起 "together", 四十一度 一度 "once") state nothing, by design.
  .filter(({ number, gap, unit }) => !NON_NUMERIC_WORDS.some((w) => (number.written + gap + unit).includes(w) && !number.written.includes(w) && !unit.includes(w)))
  .map(({ number, unit, gap, wrongUnit }) => ({
    text: number.written + gap + unit,
    stated: UNITS.includes(unit) ? [`${number.value}|${unit}`] : [],
    nearMisses: [...cuts(number.written, number.chinese).map((v): [string, string] => [v, unit || wrongUnit]), [number.value, wrongUnit]],
  }))

/** Text that looks numeric and states nothing, with the figures a substring rule would find in it. */
const trapPiece: fc.Arbitrary<Piece> = fc.oneof(
  fc.record({ y: fc.integer({ min: 1990, max: 2030 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 28 }), u: fc.constantFrom(...UNITS) }).map(({ y, m, d, u }) => {
    const date = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`
    return { text: `${date}${u}`, stated: [], nearMisses: [[`-${m}`, u], [`-${d}`, u], [String(d), u], [String(y), u], [String(m), u]] as Array<[string, string]> }
  }),
  fc.record({ a: fc.integer({ min: 1, max: 99 }), b: fc.integer({ min: 1, max: 9 }), u: fc.constantFrom(...UNITS), e: fc.constantFrom('e', 'E', 'e+', 'e-') }).map(({ a, b, u, e }) => ({
    text: `${a}${e}${b}${u}`,
    stated: [],
    nearMisses: [[String(a), u], [String(b), u], [`${a}${'0'.repeat(b)}`, u], [`-${b}`, u]] as Array<[string, string]>,
  })),
  fc.constantFrom<Piece>(
    { text: '进一步', stated: [], nearMisses: [['1', '个']] },
    { text: '一次性', stated: [], nearMisses: [['1', '次']] },
    { text: '统一名称', stated: [], nearMisses: [['1', '名']] },
    { text: '二十大', stated: [], nearMisses: [['20', '个']] },
    { text: '千亩方', stated: [], nearMisses: [['1000', '亩']] },
    { text: '百亩田', stated: [], nearMisses: [['100', '亩']] },
    { text: '第五个', stated: [], nearMisses: [['5', '个']] },
    { text: '第5名', stated: [], nearMisses: [['5', '名']] },
    { text: '十几人', stated: [], nearMisses: [['10', '人']] },
    { text: '数百户', stated: [], nearMisses: [['100', '户']] },
    { text: '一两个', stated: [], nearMisses: [['1', '个'], ['2', '个']] },
    { text: '三点五万亩', stated: [], nearMisses: [['5', '万亩'], ['50000', '亩'], ['3', '个']] },
    { text: '一5个', stated: [], nearMisses: [['5', '个'], ['1', '个']] },
    { text: '5G网络3个', stated: ['3|个'], nearMisses: [['5', '个']] },
    { text: '1，234个', stated: [], nearMisses: [['1', '个'], ['234', '个'], ['1234', '个']] },
    { text: '1,23个', stated: [], nearMisses: [['1', '个'], ['23', '个'], ['123', '个']] },
    { text: '484.752万元', stated: ['484.752|万元'], nearMisses: [['484.752', '元'], ['4847520', '元'], ['752', '万元'], ['4.752', '万元']] },
  ),
)

const piece = fc.oneof({ arbitrary: cleanPiece, weight: 3 }, { arbitrary: trapPiece, weight: 2 })

describe('a quote states a figure iff a whole token equals it and carries its unit', () => {
  it('holds over generated quotes with adversarial neighbours', async () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(piece, fc.constantFrom(...SEPARATORS)), { minLength: 1, maxLength: 5 }),
        fc.constantFrom(...SEPARATORS),
        fc.nat(),
        fc.boolean(),
        (pieces, lead, pick, askStated) => {
          const quote = lead + pieces.map(([p, sep]) => p.text + sep).join('')
          const stated = new Set(pieces.flatMap(([p]) => p.stated))
          const candidates: Array<[string, string]> = askStated
            ? [...stated].map((s) => s.split('|') as [string, string])
            : pieces.flatMap(([p]) => p.nearMisses).filter(([, u]) => UNITS.includes(u))
          if (candidates.length === 0) return
          const [value, unit] = candidates[pick % candidates.length] as [string, string]
          const expected = stated.has(`${normalizeDecimal(value)}|${unit}`)
          expect(states(quote, normalizeDecimal(value), unit), `${quote} ⊢ ${value} ${unit}`).toBe(expected)
        },
      ),
      { numRuns: runs(4000) },
    )
  })

  it('only ever accepts a token that no digit, letter or separator joins to its neighbours', async () => {
    const alphabet = fc.constantFrom('0', '1', '5', '.', ',', '，', '-', '+', 'e', '/', ' ', '一', '二', '十', '百', '千', '万', '零', '两', '第', '几', '个', '人', '元', '余', '进', '步', '的')
    const glued = /[0-9０-９A-Za-z]/
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 16 }), (quote) => {
        for (const t of numberTokens(quote)) {
          if (t.notAQuantity !== undefined || t.value === null) continue
          const before = quote[t.start - 1] ?? ''
          const after = quote[t.end] ?? ''
          if (t.script === 'arabic') {
            expect(glued.test(before) || glued.test(after) || /[.+\-]/.test(before)).toBe(false)
            if (/[.,，]/.test(after)) expect(glued.test(quote[t.end + 1] ?? '')).toBe(false)
            if (/[,，]/.test(before)) expect(glued.test(quote[t.start - 2] ?? '')).toBe(false)
            expect(normalizeDecimal(t.value)).toBe(t.value)
          } else {
            expect('零〇一二两三四五六七八九十百千万亿'.includes(before) && before !== '').toBe(false)
            expect('零〇一二两三四五六七八九十百千万亿'.includes(after) && after !== '').toBe(false)
            expect(chineseNumeralValue(t.written)).toBe(t.value)
          }
          expect(quote.slice(t.start, t.end)).toBe(t.written)
        }
      }),
      { numRuns: runs(5000) },
    )
  })
})

// ---------------------------------------------------------------- the rules around the quote

const SOURCE = Buffer.from('发放城乡低保金484.752万元，受益2277人；受益170人。十一个片区检查评比', 'utf8')
const SOURCE_INDEX = buildQuoteIndex(SOURCE)
const ctx: RuleContext = {
  indicatorUnit: (code) => ({ dibao_paid: 'CNY', dibao_beneficiaries: 'person', districts: 'count' })[code],
  areaExists: (code) => ['bayantala', 'xiba', 'beiba'].includes(code),
  periodExists: (code) => ['2023-H1', '2023'].includes(code),
  source: (id) => (id === 'src' ? SOURCE_INDEX : undefined),
  ...seedUnitContext,
}
const draft = (over: Partial<ObservationDraft> = {}): ObservationDraft => ({
  indicator: 'dibao_paid',
  area: 'bayantala',
  period: '2023-H1',
  kind: 'actual',
  value: '4847520',
  qualifier: 'eq',
  reported: { value: '484.752', unit: '万元' },
  citation: { sourceId: 'src', quote: '低保金484.752万元' },
  ...over,
})
const problems = (over: Partial<ObservationDraft>) => {
  const r = checkObservation(draft(over), ctx)
  return r.ok ? [] : r.problems.map((p) => p.message)
}

describe('the observation rules', () => {
  it('accepts a draft that keeps every rule, with its period canonical and its quote located', async () => {
    const r = checkObservation(draft({ period: '2023S1', value: '4847520.0', involvedAreas: ['xiba', 'beiba'], note: 'n' }), ctx)
    expect(r).toEqual({
      ok: true,
      observation: {
        indicator: 'dibao_paid',
        area: 'bayantala',
        period: '2023-H1',
        kind: 'actual',
        value: '4847520',
        qualifier: 'eq',
        reported: { value: '484.752', unit: '万元', text: null },
        citation: { sourceId: 'src', quote: '低保金484.752万元', byteStart: 12, byteEnd: 34 },
        involvedAreas: ['xiba', 'beiba'],
        note: 'n',
        temporality: 'flow',
        referenceDate: null,
        publishedAt: null,
      },
    })
    const stock = checkObservation(draft({ temporality: 'stock', referenceDate: '2023-06-25', publishedAt: '2023-06-25T08:00:00+08:00' }), ctx)
    expect(stock.ok && [stock.observation.temporality, stock.observation.referenceDate, stock.observation.publishedAt]).toEqual(['stock', '2023-06-25', '2023-06-25T00:00:00.000Z'])
    const chinese = checkObservation(
      draft({ indicator: 'districts', value: '11', reported: { value: '11', unit: '个', text: '十一' }, citation: { sourceId: 'src', quote: '十一个片区' } }),
      ctx,
    )
    expect(chinese.ok && chinese.observation.reported).toEqual({ value: '11', unit: '个', text: '十一' })
  })

  it('names each broken rule', async () => {
    expect(problems({ kind: 'guess' as never })).toEqual(['kind "guess" is not one of actual, target, forecast'])
    expect(problems({ qualifier: 'about' as never })).toEqual(['qualifier "about" is not one of eq, gt, gte, lt, lte, approx'])
    expect(problems({ indicator: 'nope' })).toEqual(['unknown indicator "nope"'])
    expect(problems({ area: 'atlantis' })).toEqual(['unknown area "atlantis"'])
    expect(problems({ period: '2023-H3' })).toEqual(['"2023-H3" is not a reporting period'])
    expect(problems({ period: '2024' })).toEqual(['unknown reporting period "2024"'])
    expect(problems({ temporality: 'level' as never })).toEqual(['temporality "level" is not one of flow, stock'])
    expect(problems({ temporality: 'stock' })).toEqual(['a stock is measured at a date: referenceDate is required'])
    expect(problems({ referenceDate: '2023-06-25' })).toEqual(['a flow runs over its period: referenceDate is only for a stock'])
    expect(problems({ temporality: 'stock', referenceDate: '2023-02-30' })).toEqual(['referenceDate "2023-02-30" is not a calendar date (YYYY-MM-DD)'])
    expect(problems({ publishedAt: '2023-06-25' })).toEqual(['publishedAt "2023-06-25" is not an RFC 3339 time such as 2023-06-25T00:00:00+08:00'])
    expect(problems({ involvedAreas: ['xiba', 'nowhere'] })).toEqual(['unknown involved area "nowhere"'])
    expect(problems({ involvedAreas: ['xiba', 'xiba'] })).toEqual(['involvedAreas lists an area twice'])
    expect(problems({ value: '4.8e6' })).toEqual(['value "4.8e6" is not a decimal number'])
    expect(problems({ reported: { value: '484,752', unit: '万元' } })).toEqual(['reported value "484,752" is not a decimal number'])
    expect(problems({ reported: { value: '484.752', unit: '万块' } })).toEqual([
      'reported unit "万块" is not in the unit catalogue (GET /v1/units; an admin adds one with PUT /v1/units/{code})',
      'quote writes "484.752万元": the number "484.752" is not followed by the reported unit "万块"',
    ])
    expect(problems({ reported: { value: '484.752', unit: '万亩' }, value: '4847520' })).toEqual([
      'reported unit "万亩" converts to mu, but indicator "dibao_paid" is in CNY',
      'quote writes "484.752万元": the number "484.752" is not followed by the reported unit "万亩"',
    ])
    expect(problems({ value: '484.752' })).toEqual(['value 484.752 is not reported value 484.752 × 10000 (万元) = 4847520'])
    expect(problems({ citation: { sourceId: 'other', quote: '低保金484.752万元' } })).toEqual(['unknown source "other"'])
    expect(problems({ citation: { sourceId: 'src', quote: '低保金484.752万' } })).toEqual(['quote writes "484.752": the number "484.752" is not followed by the reported unit "万元"'])
    expect(problems({ citation: { sourceId: 'src', quote: '低保金484.75万元' } })[0]).toMatch(/^quote not found in source "src": /)
    expect(problems({ indicator: 'dibao_beneficiaries', value: '2277', reported: { value: '2277', unit: '人' }, citation: { sourceId: 'src', quote: '受益' } })).toEqual([
      'quote occurs 2 times in source "src" (at bytes 37, 53); extend it until it is unique',
      'quote does not state the number "2277" as a whole number',
    ])
    expect(problems({ indicator: 'districts', value: '11', reported: { value: '11', unit: '个', text: '十二' }, citation: { sourceId: 'src', quote: '十一个片区' } })).toEqual([
      'reported text "十二" is 12, not 11',
      'quote does not state the number "十二" as a whole number',
    ])
    expect(problems({ indicator: 'districts', value: '11', reported: { value: '11', unit: '个', text: '十1' }, citation: { sourceId: 'src', quote: '十一个片区' } })).toEqual([
      'reported text "十1" is not a Chinese numeral',
      'quote does not state the number "十1" as a whole number',
    ])
  })
})

// ---------------------------------------------------------------- the quote index (item 14)

describe('the quote index of a source', () => {
  // Few distinct characters, so that quotes repeat, overlap and share their first bytes.
  const alphabet = fc.constantFrom('受', '益', '人', '元', '1', '2', '0', '.', '，', 'a', '\n', '😀', '\u00e9')
  const texts = fc.string({ unit: alphabet, maxLength: 300 })

  it('finds exactly what the plain scan finds: found, absent and ambiguous, at the same byte offsets', async () => {
    fc.assert(
      fc.property(texts, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 24 }), fc.string({ unit: alphabet, maxLength: 12 })), { minLength: 1, maxLength: 20 }), (t, asks) => {
        const text = Buffer.from(t, 'utf8')
        const index = buildQuoteIndex(text)
        const chars = [...t]
        for (const [from, length, random] of asks) {
          // A piece of the text (found or ambiguous), that piece altered at its end (often absent), or a random string.
          const start = chars.length === 0 ? 0 : from % chars.length
          const piece = chars.slice(start, start + length).join('')
          for (const quote of [piece, `${piece}${random}`, random, piece.slice(0, -1) + '益']) {
            expect(index.locate(quote), JSON.stringify(quote)).toEqual(locateQuote(text, quote))
          }
        }
      }),
      { numRuns: runs(1500) },
    )
  })

  it('agrees with the scan on a real source, for every quote of the seed and their neighbours', async () => {
    const text = Buffer.from('开展宣传教育培训10余次。受益2277人；受益170人；受益1280人。'.repeat(3) + '全镇养老保险参保7960人', 'utf8')
    const index = buildQuoteIndex(text)
    for (const quote of ['受益2277人', '受益', '全镇养老保险参保7960人', '参保7960人。', '受益1280人。受益', '', '人', '不存在的引文内容', text.toString('utf8')]) {
      expect(index.locate(quote), quote).toEqual(locateQuote(text, quote))
    }
    expect(locateQuote(text, '全镇养老保险参保7960人').kind).toBe('found')
    expect(Buffer.byteLength('受益', 'utf8')).toBeLessThan(QUOTE_KEY_BYTES)
    expect(index.bytes).toBeGreaterThan(text.length)
  })

  it('is built once per source and hash, and keeps the memory it may hold', async () => {
    let reads = 0
    const text = (n: number) => () => {
      reads++
      return Buffer.from('受益2277人'.repeat(n), 'utf8')
    }
    const small = buildQuoteIndex(text(20)()).bytes
    const large = buildQuoteIndex(text(60)()).bytes
    expect(large).toBeGreaterThan(small)
    const cache = new QuoteIndexCache(2 * small + large - 1)
    reads = 0
    const a = cache.get('a', 'h1', text(20))
    expect(cache.get('a', 'h1', text(20))).toBe(a)
    expect(reads).toBe(1)
    expect(cache.get('a', 'h2', text(20))).not.toBe(a)
    expect(reads).toBe(2)
    expect([cache.size, cache.bytes]).toEqual([2, 2 * small])
    // a/h1 is used again, so the large one pushes out a/h2, the least recently used.
    expect(cache.get('a', 'h1', text(20))).toBe(a)
    expect(cache.get('b', 'h1', text(60)).locate('受益2277人').kind).toBe('ambiguous')
    expect([cache.size, cache.bytes]).toEqual([2, small + large])
    expect(cache.get('a', 'h1', text(20))).toBe(a)
    expect(reads).toBe(3)
    cache.get('a', 'h2', text(20))
    expect(reads).toBe(4)
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes)
    // One index larger than the bound is still served, alone.
    expect(new QuoteIndexCache(10).get('c', 'h', text(5)).locate('受益2277人受益').kind).toBe('ambiguous')
    const tiny = new QuoteIndexCache(10)
    tiny.get('c', 'h', text(5))
    tiny.get('d', 'h', text(5))
    expect(tiny.size).toBe(1)
  })
})

describe('every separator, sign and unit word the tokenizer knows', () => {
  it('glues each separator and sign into the token', async () => {
    for (const [quote, value] of [['共10:30个', '30'], ['共1_000个', '1000'], ['共1．2．3个', '3'], ['共1/2个', '2'], ['共5-3个', '3'], ['共5+3个', '3'], ['共5−3个', '3'], ['共5－3个', '3'], ['共5＋3个', '3'], ['共5，3个', '3'], ['共5,3个', '3'], ['共5.3个', '3']]) {
      expect(states(quote as string, value as string, '个'), quote).toBe(false)
    }
    expect(states('共－5个', '-5', '个')).toBe(true)
    expect(states('共＋5个', '5', '个')).toBe(true)
    expect(states('共５个', '5', '个')).toBe(true)
    expect(states('共９个', '9', '个')).toBe(true)
    expect(states('共5a个', '5', '个')).toBe(false)
    expect(states('共Z5个', '5', '个')).toBe(false)
  })
  it('drops the punctuation that ends or begins a token', async () => {
    for (const p of ['.', ',', '．', '，', ':', '/', '_']) expect(numberTokens(`共5${p}`)[0]?.written, p).toBe('5')
    for (const p of [',', '，', ':', '/', '_']) expect(numberTokens(`共${p}5`)[0]?.written, p).toBe('5')
    expect(numberTokens('共.5')[0]?.written).toBe('.5')
    expect(numberTokens('共.5')[0]?.value).toBeNull()
    expect(numberTokens('，，')).toEqual([])
    expect(numberTokens('5,,')[0]?.written).toBe('5')
  })
  it('knows 多 and the ideographic space between number and unit, and the unit words that are not reported units', async () => {
    expect(states('十多个', '10', '个')).toBe(true)
    expect(states('共5\u3000个', '5', '个')).toBe(true)
    expect(states('共5余多个', '5', '个')).toBe(false)
    for (const [quote, value, unit] of [['服务30户次', '30', '户'], ['服务3万人次', '3', '万元'], ['增长5个百分点', '5', '个'], ['服务30人次', '30', '人']]) {
      expect(states(quote as string, value as string, unit as string), quote).toBe(false)
    }
    expect(unitAfter('3万人次', 1, SEED_CATALOGUE.words)).toBe('万人次')
    expect(unitAfter('5个百分点', 1, SEED_CATALOGUE.words)).toBe('个百分点')
    expect(unitAfter('30户次', 2, SEED_CATALOGUE.words)).toBe('户次')
  })
  it('tells each way a Chinese run is no quantity', async () => {
    const why = (quote: string) => numberTokens(quote).map((t) => t.notAQuantity ?? t.value)
    expect(why('第三个')).toEqual(['ordinal'])
    expect(why('几十个')).toEqual(['indefinite'])
    expect(why('十几个')).toEqual(['indefinite'])
    expect(why('数十个')).toEqual(['indefinite'])
    expect(why('数三个')).toEqual(['3'])
    expect(why('进一步')).toEqual(['word'])
    expect(why('十万一千')).toEqual(['101000'])
    expect(why('一万一')).toEqual([null])
    expect(why('三点五')).toEqual(['3', 'fraction'])
    expect(why('地点五个')).toEqual(['5'])
    expect(why('三分之一')).toEqual(['3', 'word'])
    expect(why('五分之三')).toEqual(['5', 'fraction'])
    expect(why('一5')).toEqual(['mixed', 'mixed'])
    expect(why('5一')).toEqual(['mixed', 'mixed'])
    expect(why('5万')).toEqual(['5', null])
    expect(why('5亿')).toEqual(['5', null])
    expect(why('5 一')).toEqual(['5', '1'])
    expect(why('第5')).toEqual(['ordinal'])
  })
})
