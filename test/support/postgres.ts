// A fresh PostgreSQL database per test file, dropped after, and the fixtures the storage suites
// share. The server is the one at PG_TEST_URL (or the local postgres://postgres@127.0.0.1:5432/postgres).
// When it cannot be reached the PostgreSQL suites skip with a plain line, unless REQUIRE_POSTGRES=1
// makes that a failure.
import { createHash, randomBytes } from 'node:crypto'
import fc from 'fast-check'
import pg from 'pg'
import type { CheckedObservation, Kind } from '../../src/domain/observation.js'
import type { AreaRecord, IndicatorRecord, ObservationFilter, PeriodRecord, SourceRecord } from '../../src/storage/ports.js'

const ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** The server's URL with another database in place of its own. */
export function databaseUrl(database: string): string {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${database}`
  return u.toString()
}

async function admin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    return await body(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Whether the server answers; asked once per file, before its suites are declared (top-level await). */
export async function postgresAvailable(): Promise<boolean> {
  try {
    await admin((c) => c.query('SELECT 1'))
    return true
  } catch (err) {
    if (process.env.REQUIRE_POSTGRES === '1') throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${new URL(ADMIN_URL).host} cannot be reached: ${(err as Error).message}`)
    console.log(`PostgreSQL at ${new URL(ADMIN_URL).host} cannot be reached: skipping the PostgreSQL tests (set REQUIRE_POSTGRES=1 to fail instead)`)
    return false
  }
}

export async function createTestDatabase(prefix = 'bt_test'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE "${name}"`))
  return { name, url: databaseUrl(name) }
}

export async function dropTestDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
}

// ------------------------------------------------------------------ fixtures both backends are held to

/** Binary (UTF-8 byte) order: what COLLATE "C" and SQLite's BINARY sort by. */
export const binary = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))

export const AREAS: AreaRecord[] = [
  { code: 'banner', nameZh: '旗', nameEn: 'Banner', level: 'banner', parentCode: null, divisionCode: '150000' },
  { code: 'town', nameZh: '巴彦塔拉镇', nameEn: 'Bayantala', level: 'town', parentCode: 'banner', divisionCode: '150001' },
  { code: 'Zeta', nameZh: '泽塔', nameEn: 'Zeta', level: 'village', parentCode: 'town', divisionCode: null },
  { code: 'alpha', nameZh: '阿尔法', nameEn: 'Alpha', level: 'village', parentCode: 'town', divisionCode: null },
  { code: 'beta_2', nameZh: '贝塔', nameEn: 'Beta', level: 'village', parentCode: 'town', divisionCode: '150001' },
  { code: 'reserve', nameZh: '保护区', nameEn: 'Reserve', level: 'reserve', parentCode: 'banner', divisionCode: null },
]
export const PERIODS: PeriodRecord[] = [
  { code: '2023', type: 'year', startDate: '2023-01-01', endDate: '2023-12-31' },
  { code: '2023-H1', type: 'half', startDate: '2023-01-01', endDate: '2023-06-30' },
  { code: '2023-H2', type: 'half', startDate: '2023-07-01', endDate: '2023-12-31' },
  ...[1, 2, 3, 4].map((q): PeriodRecord => ({ code: `2023-Q${q}`, type: 'quarter', startDate: `2023-${String(q * 3 - 2).padStart(2, '0')}-01`, endDate: `2023-${String(q * 3).padStart(2, '0')}-${q === 1 || q === 4 ? 31 : 30}` })),
  ...[1, 6, 7, 12].map((m): PeriodRecord => ({ code: `2023-${String(m).padStart(2, '0')}`, type: 'month', startDate: `2023-${String(m).padStart(2, '0')}-01`, endDate: `2023-${String(m).padStart(2, '0')}-${m === 6 ? 30 : 31}` })),
]
export const INDICATORS: IndicatorRecord[] = [
  { code: 'dibao_paid', nameZh: '低保金', nameEn: 'Minimum Living Allowance', description: 'Paid in CNY', category: 'social_security', unit: 'CNY', additive: true, synonyms: [] },
  { code: 'tekun_paid', nameZh: '特困供养', nameEn: 'Extreme Poverty Support', description: 'ÉCOLE façade', category: 'social_security', unit: 'CNY', additive: true, synonyms: [] },
  { code: 'Wagyu_cattle', nameZh: '和牛', nameEn: 'WAGYU Surrogate Cattle', description: 'head of cattle', category: 'agriculture', unit: 'head', additive: true, synonyms: [] },
  { code: 'forest_rate', nameZh: '森林覆盖率', nameEn: 'Forest cover', description: '100%_share', category: 'ecology', unit: 'percent', additive: false, synonyms: [] },
  { code: 'grain', nameZh: '粮食', nameEn: 'Grain output', description: 'tonnes', category: 'agriculture', unit: 't', additive: true, synonyms: [] },
]
export const SOURCE_TEXT = Buffer.from('巴彦塔拉镇 2023 年上半年工作总结 "quoted" \\ back', 'utf8')
export const SOURCE: SourceRecord = {
  id: 'bayantala-2023h1',
  title: '巴彦塔拉镇工作总结',
  titleEn: null,
  documentNumber: '巴政发〔2023〕38号',
  issuer: '巴彦塔拉镇人民政府',
  recipient: null,
  issuedOn: '2023-06-25',
  mediaType: 'text/plain; charset=utf-8',
  byteLength: SOURCE_TEXT.length,
  sha256: createHash('sha256').update(SOURCE_TEXT).digest('hex'),
  content: SOURCE_TEXT,
  recordedAt: '2023-07-01T00:00:00.000Z',
}
export const KINDS: Kind[] = ['actual', 'target', 'forecast']

/** Text no well-behaved client is expected to send: quotes, backslashes, controls, CJK, emoji, separators, formula leads. */
export const hostileText = fc.oneof(
  fc.constantFrom('=1+2', '+x', '-y', '@z', "'q", 'a"b', 'back\\slash', '\u2028line', 'para\u2029', '\u0001\u001f\u007f\u0085', '中文', '😀 emoji', 'a,b', 'cr\r\nlf', '\t', ' lead', '＝full', '\ufeffbom', ''),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('"', '\\', ',', '\n', '\r', '\u2028', '=', '+', '-', '@', 'a', '中', '😀', '\u0007', '\u009f', "'"), maxLength: 10 }),
).filter((s) => !s.includes('\u0000') && s.isWellFormed())

export const decimal = fc.tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.nat({ max: 4 })).map(([neg, n, scale]) => {
  const digits = n.toString().padStart(scale + 1, '0')
  return `${neg && n > 0n ? '-' : ''}${scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits}`
})

export const content = fc.record({
  value: decimal,
  qualifier: fc.constantFrom('eq', 'gt', 'gte', 'lt', 'lte', 'approx' as const),
  reportedValue: decimal,
  reportedUnit: hostileText,
  reportedText: fc.option(hostileText, { nil: null }),
  quote: hostileText,
  byteStart: fc.nat({ max: 1000 }),
  byteEnd: fc.nat({ max: 1000 }),
  involvedAreas: fc.array(hostileText, { maxLength: 3 }),
  note: fc.option(hostileText, { nil: null }),
  reason: hostileText,
  actor: hostileText,
  withdrawn: fc.boolean(),
  stock: fc.boolean(),
  /** A declared publication time, on the same few instants the filters use (so asOf and knownAt diverge); null: published when recorded. */
  publishedAt: fc.option(fc.integer({ min: 0, max: 11 }).map((n) => `2024-01-01T00:${String(n * 5).padStart(2, '0')}:00.000Z`), { nil: null }),
})
export type Content = typeof content extends fc.Arbitrary<infer T> ? T : never

export function checked(key: { indicator: string; area: string; period: string; kind: Kind }, c: Content): CheckedObservation {
  return {
    ...key,
    value: c.value,
    qualifier: c.qualifier,
    reported: { value: c.reportedValue, unit: c.reportedUnit, text: c.reportedText },
    citation: { sourceId: SOURCE.id, quote: c.quote, byteStart: c.byteStart, byteEnd: c.byteEnd },
    involvedAreas: c.involvedAreas,
    note: c.note,
    temporality: c.stock ? 'stock' : 'flow',
    referenceDate: c.stock ? '2023-06-25' : null,
    publishedAt: null,
  }
}

export const key = fc.record({
  indicator: fc.constantFrom(...INDICATORS.map((i) => i.code)),
  area: fc.constantFrom(...AREAS.map((a) => a.code)),
  period: fc.constantFrom(...PERIODS.map((p) => p.code)),
  kind: fc.constantFrom(...KINDS),
})

export const subset = <T>(values: readonly T[]) => fc.option(fc.subarray([...values], { minLength: 1 }), { nil: undefined })
export const instant = fc.integer({ min: 0, max: 11 }).map((n) => `2024-01-01T00:${String(n * 5).padStart(2, '0')}:00.000Z`)

export const filterArb: fc.Arbitrary<ObservationFilter> = fc.record(
  {
    indicators: subset(INDICATORS.map((i) => i.code)),
    areas: subset(AREAS.map((a) => a.code)),
    periods: subset(PERIODS.map((p) => p.code)),
    kinds: subset(KINDS),
    categories: subset([...new Set(INDICATORS.map((i) => i.category))]),
    // Every revision cites SOURCE; 'elsewhere' is cited by none (one code leads by its index, two are a set).
    sources: subset([SOURCE.id, 'elsewhere']),
    periodFrom: fc.option(fc.constantFrom(...PERIODS.map((p) => p.startDate)), { nil: undefined }),
    periodTo: fc.option(fc.constantFrom(...PERIODS.map((p) => p.endDate)), { nil: undefined }),
    asOf: fc.option(instant, { nil: undefined }),
    knownAt: fc.option(instant, { nil: undefined }),
    updatedSince: fc.option(instant, { nil: undefined }),
    includeWithdrawn: fc.option(fc.boolean(), { nil: undefined }),
  },
  { requiredKeys: [] },
)

