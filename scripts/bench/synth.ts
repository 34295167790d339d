// npm run synth -- --observations 1000000 [--db ./data/synth.db] [--revise 0.05] [--seed 1] [--json]
//
// Fills a fresh SQLite database with realistic synthetic data through the same
// code path as the service's writes: migrate, load the seeds, then the command
// functions (putArea, putPeriod, putIndicator, createSource) and batches of
// 10 000 rows through createObservationCommands(storage).import(), exactly what
// POST /v1/imports runs in the writer thread. Every row cites a verbatim,
// unique sentence of a small synthetic report stored with createSource, so the
// citation rules (quote found once, states the number, value = reported ×
// unit) are all exercised. About 5 % of the observations then get a second
// revision (a corrected value, or the same figure qualified as approximate)
// from "correction notice" sources.
import { existsSync, rmSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { createSqliteStorage, sqliteConnection } from '../../src/storage/sqlite/index.js'
import { multiplyDecimal } from '../../src/domain/decimal.js'
import { putArea } from '../../src/modules/areas/areas.commands.js'
import { putIndicator } from '../../src/modules/indicators/indicators.commands.js'
import { createObservationCommands, MAX_IMPORT_ROWS, type ImportRow } from '../../src/modules/observations/observation-commands.js'
import { putPeriod } from '../../src/modules/periods/periods.commands.js'
import { createSource } from '../../src/modules/sources/sources.commands.js'
import { periodsOfYear } from '../../src/domain/periods.js'
import { loadSeeds } from '../../src/seed/seed-loader.js'
import { INTERNAL_ACTORS } from '../../src/modules/audit/actors.js'
import { KIND_WORDS, periodWords, reportedPeriods, synthIndicators, synthVillages, type SynthIndicator } from './catalog.js'

export interface SynthOptions {
  observations: number
  db: string
  /** Fraction of observations that get a second revision. */
  revise: number
  seed: number
  /** Cited sentences per synthetic source. */
  perSource: number
  log?: (line: string) => void
}

export interface SynthResult {
  db: string
  observations: number
  revisions: number
  revised: number
  auditEntries: number
  sources: number
  indicators: number
  areas: number
  periods: number
  years: string
  seconds: { setup: number; import: number; total: number }
  observationsPerSecond: number
  rowsPerSecond: number
  fileBytes: number
}

const ACTOR = INTERNAL_ACTORS.synth
const LAST_YEAR = 2025

/** mulberry32: small, fast, reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Area {
  code: string
  label: string
  issuer: string
  /** Size relative to one village. */
  weight: number
}

interface Figure {
  reported: { value: string; unit: string }
  value: string
  qualifier: 'eq' | 'gt' | 'gte' | 'approx'
  /** The figure as written in a sentence: number, unit and 余/以上/约 where they go. */
  words: string
}

/** Decimal text of n / 10^k, trailing zeros removed (exact: n is an integer). */
function shift(n: number, k: number): string {
  const digits = String(n).padStart(k + 1, '0')
  const int = digits.slice(0, digits.length - k)
  const frac = digits.slice(digits.length - k).replace(/0+$/, '')
  return frac ? `${int}.${frac}` : int
}

function countWord(ind: SynthIndicator): string {
  if (ind.nameZh.includes('次') || ind.nameZh.includes('场')) return '次'
  if (ind.nameZh.includes('事项') || ind.nameZh.includes('项目')) return '项'
  return '个'
}

/** A figure as a report would write it; value = reported × unit multiplier exactly. */
function figure(ind: SynthIndicator, amount: number, random: () => number, qualifier: Figure['qualifier']): Figure {
  let reportedValue: string
  let unit: string
  switch (ind.unit) {
    case 'CNY': {
      const yuan = Math.max(10, Math.round(amount / (random() < 0.8 ? 100 : 10)) * (amount >= 1000 ? 100 : 10))
      if (yuan >= 10_000 && random() < 0.85) {
        reportedValue = shift(yuan, 4)
        unit = '万元'
      } else {
        reportedValue = String(yuan)
        unit = '元'
      }
      break
    }
    case 'mu':
    case 'head': {
      const n = Math.max(1, Math.round(amount))
      if (n >= 10_000 && random() < 0.7) {
        reportedValue = shift(Math.round(n / 100), 2)
        unit = ind.unit === 'mu' ? '万亩' : '万头'
      } else {
        reportedValue = String(n)
        unit = ind.unit === 'mu' ? '亩' : '头'
      }
      break
    }
    case 'km':
      reportedValue = shift(Math.max(1, Math.round(amount * 10)), 1)
      unit = '公里'
      break
    case 'person':
      reportedValue = String(Math.max(1, Math.round(amount)))
      unit = random() < 0.7 ? '人' : '名'
      break
    case 'household':
      reportedValue = String(Math.max(1, Math.round(amount)))
      unit = '户'
      break
    case 'count':
      reportedValue = String(Math.max(1, Math.round(amount)))
      unit = countWord(ind)
      break
  }
  const multiplier = unit.startsWith('万') ? '10000' : '1'
  const value = multiplyDecimal(reportedValue, multiplier)
  // 余 (more than) and 以上 (at least) only on whole numbers, as reports write them.
  const whole = !reportedValue.includes('.')
  const q = (qualifier === 'gt' || qualifier === 'gte') && !whole ? 'eq' : qualifier
  const words =
    q === 'gt'
      ? `${reportedValue}余${unit}`
      : q === 'gte'
        ? `${reportedValue}${unit}以上`
        : q === 'approx'
          ? `约${reportedValue}${unit}`
          : `${reportedValue}${unit}`
  return { reported: { value: reportedValue, unit }, value, qualifier: q, words }
}

const PERIOD_FACTOR: Record<string, number> = { month: 1 / 12, quarter: 1 / 4, half: 1 / 2, year: 1 }

function periodType(code: string): string {
  if (/^\d{4}$/.test(code)) return 'year'
  if (code.includes('-H')) return 'half'
  if (code.includes('-Q')) return 'quarter'
  return 'month'
}

interface PendingSource {
  id: string
  title: string
  issuer: string
  issuedOn: string
  documentNumber: string
  header: string
  sentences: string[]
  rows: ImportRow[]
}

function sourceText(s: PendingSource): Buffer {
  return Buffer.from(`${s.header}\n\n${s.sentences.map((x) => `${x}。`).join('\n')}\n`, 'utf8')
}

export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`))
  const t0 = performance.now()
  const file = resolve(options.db)
  for (const suffix of ['', '-wal', '-shm', '-journal']) if (existsSync(file + suffix)) rmSync(file + suffix)
  const storage = createSqliteStorage(file)
  await storage.migrate()
  await loadSeeds(storage)
  const db = sqliteConnection(storage)

  const random = rng(options.seed)
  const indicators = synthIndicators()
  const villages = synthVillages()
  for (const v of villages) await putArea(storage, v, ACTOR)
  for (const ind of indicators) {
    const { granularity: _g, scale: _s, ...record } = ind
    await putIndicator(storage, record, ACTOR)
  }

  const allVillages = db.$client.prepare("SELECT code, name_zh AS nameZh FROM area WHERE level = 'village' ORDER BY code").all() as Array<{ code: string; nameZh: string }>
  const areas: Area[] = [
    { code: 'bayantala', label: '全镇', issuer: '巴彦塔拉镇人民政府', weight: allVillages.length * 0.8 },
    ...allVillages.map((v) => ({ code: v.code, label: `${v.nameZh}嘎查`, issuer: `巴彦塔拉镇${v.nameZh}嘎查村民委员会`, weight: 0.5 + random() }) satisfies Area),
  ]
  // A quote starts with its area's label; no label may end with another one, or a quote could match inside another sentence.
  for (const a of areas) for (const b of areas) if (a !== b && b.label.endsWith(a.label)) throw new Error(`area label ${a.label} is a suffix of ${b.label}`)
  const names = new Set(indicators.map((i) => i.nameZh))
  if (names.size !== indicators.length) throw new Error('indicator names must be distinct')

  // Keys per area and year; enough years, ending in LAST_YEAR, to hold the requested number.
  const perAreaYear = indicators.reduce((n, ind) => n + reportedPeriods(2000, ind.granularity).reduce((k, p) => k + p.kinds.length, 0), 0)
  const perYear = perAreaYear * areas.length
  // The seed's observations count towards the total: the database ends with exactly the number asked for.
  const seeded = (db.$client.prepare('SELECT count(*) AS n FROM observation').get() as { n: number }).n
  const wanted = Math.max(0, options.observations - seeded)
  const years = Math.max(1, Math.ceil(wanted / perYear))
  const firstYear = LAST_YEAR - years + 1
  let periods = 0
  for (let y = firstYear; y <= LAST_YEAR; y++) {
    for (const period of periodsOfYear(y)) {
      await putPeriod(storage, period.code, ACTOR)
      periods++
    }
  }
  const setupSeconds = (performance.now() - t0) / 1000
  log(
    `synth: ${indicators.length} indicators, ${areas.length} areas (${allVillages.length} villages + town), ${periods} periods ${firstYear}-${LAST_YEAR}; ` +
      `${perYear} keys a year, ${wanted} to create besides the seed's ${seeded}; setup ${setupSeconds.toFixed(1)} s`,
  )

  const commands = createObservationCommands(storage)
  const tImport = performance.now()
  let created = 0
  let revised = 0
  let rowsImported = 0
  let sourcesCreated = 0
  let batches = 0
  let lastReport = tImport

  const importBatch = async (rows: ImportRow[], reason: string) => {
    const summary = await commands.import(rows, { dryRun: false, reason, actor: ACTOR })
    created += summary.created
    revised += summary.updated
    rowsImported += rows.length
    batches++
    if (summary.created + summary.updated !== rows.length) throw new Error(`batch ${batches}: ${summary.unchanged} rows unchanged, expected none`)
    const now = performance.now()
    if (now - lastReport > 5000) {
      lastReport = now
      const s = (now - tImport) / 1000
      log(`  ${created} observations, ${revised} revised, ${sourcesCreated} sources, ${s.toFixed(1)} s, ${Math.round(rowsImported / s)} rows/s`)
    }
  }
  const store = async (s: PendingSource) => {
    await createSource(storage, { id: s.id, title: s.title, issuer: s.issuer, issuedOn: s.issuedOn, documentNumber: s.documentNumber, recipient: '巴彦塔拉镇人民政府', content: sourceText(s) }, ACTOR)
    sourcesCreated++
  }

  const pending: ImportRow[] = []
  const pendingRevisions: Array<{ row: ImportRow; ind: SynthIndicator; area: Area; amount: number }> = []
  const reviseEvery = options.revise > 0 ? Math.max(1, Math.round(1 / options.revise)) : 0
  let corrections = 0

  const flushRevisions = async (all: boolean) => {
    while (pendingRevisions.length >= MAX_IMPORT_ROWS || (all && pendingRevisions.length > 0)) {
      const take = pendingRevisions.splice(0, MAX_IMPORT_ROWS)
      const rows: ImportRow[] = []
      for (let i = 0; i < take.length; i += options.perSource) {
        corrections++
        const s: PendingSource = {
          id: `synth-correction-${String(corrections).padStart(4, '0')}`,
          title: `关于部分嘎查统计数据的更正说明（第${corrections}号）`,
          issuer: '巴彦塔拉镇统计站',
          issuedOn: `${LAST_YEAR}-12-${String(1 + (corrections % 28)).padStart(2, '0')}`,
          documentNumber: `巴统更〔${LAST_YEAR}〕${corrections}号`,
          header: `关于部分嘎查统计数据的更正说明\n巴统更〔${LAST_YEAR}〕${corrections}号\n\n经复核，下列数据更正如下：`,
          sentences: [],
          rows: [],
        }
        for (const { row, ind, area, amount } of take.slice(i, i + options.perSource)) {
          // Half of the corrections change the figure, half keep it but mark it approximate.
          const changeValue = random() < 0.5
          const f = changeValue ? figure(ind, amount * (0.9 + random() * 0.2) + 1, random, 'eq') : figure(ind, amount, random, 'approx')
          const quote = `${area.label}${periodWords(row.period)}${KIND_WORDS[row.kind]}${ind.nameZh}更正为${f.words}`
          s.sentences.push(`经核实，${quote}`)
          const corrected: ImportRow = { ...row, value: f.value, qualifier: f.qualifier, reported: f.reported, citation: { sourceId: s.id, quote } }
          // A "corrected" figure equal to the old one would be unchanged: nudge it to an approximate one instead.
          if (corrected.value === row.value && corrected.qualifier === row.qualifier) {
            const g = figure(ind, amount, random, 'approx')
            const q2 = `${area.label}${periodWords(row.period)}${KIND_WORDS[row.kind]}${ind.nameZh}更正为${g.words}`
            s.sentences[s.sentences.length - 1] = `经核实，${q2}`
            Object.assign(corrected, { value: g.value, qualifier: g.qualifier, reported: g.reported, citation: { sourceId: s.id, quote: q2 } })
          }
          s.rows.push(corrected)
        }
        await store(s)
        rows.push(...s.rows)
      }
      await importBatch(rows, 'synthetic correction notice')
    }
  }

  const flush = async (all: boolean) => {
    while (pending.length >= MAX_IMPORT_ROWS || (all && pending.length > 0)) {
      await importBatch(pending.splice(0, MAX_IMPORT_ROWS), 'synthetic load: village statistics ledgers')
      await flushRevisions(false)
    }
  }

  let generated = 0
  let index = 0
  outer: for (let year = firstYear; year <= LAST_YEAR; year++) {
    for (const area of areas) {
      let volume = 0
      let current: PendingSource | null = null
      const close = async () => {
        const done = current as PendingSource | null
        if (!done) return
        current = null
        await store(done)
        pending.push(...done.rows)
        await flush(false)
      }
      for (const ind of indicators) {
        for (const { period, kinds } of reportedPeriods(year, ind.granularity)) {
          for (const kind of kinds) {
            if (generated >= wanted) {
              await close()
              break outer
            }
            if (!current || current.sentences.length >= options.perSource) {
              await close()
              volume++
              current = {
                id: `synth-${area.code}-${year}-${String(volume).padStart(2, '0')}`,
                title: `${area.label === '全镇' ? '巴彦塔拉镇' : area.label}${year}年工作统计台账（第${volume}册）`,
                issuer: area.issuer,
                issuedOn: `${year + 1}-01-${String(10 + (volume % 18)).padStart(2, '0')}`,
                documentNumber: `巴统〔${year + 1}〕${volume}号`,
                header: `${area.label === '全镇' ? '巴彦塔拉镇' : area.label}${year}年工作统计台账（第${volume}册）\n${area.issuer}\n\n一、主要指标完成情况`,
                sentences: [],
                rows: [],
              }
            }
            const factor = PERIOD_FACTOR[periodType(period)] as number
            const kindFactor = kind === 'actual' ? 1 : kind === 'target' ? 1.1 : 1.05
            const amount = ind.scale * factor * area.weight * kindFactor * Math.exp((random() - 0.5) * 0.8) * (1 + (year - firstYear) * 0.04)
            const r = random()
            const f = figure(ind, amount, random, r < 0.06 ? 'gt' : r < 0.09 ? 'gte' : 'eq')
            const quote = `${area.label}${periodWords(period)}${KIND_WORDS[kind]}${ind.nameZh}${f.words}`
            current.sentences.push(quote)
            const row: ImportRow = {
              indicator: ind.code,
              area: area.code,
              period,
              kind,
              value: f.value,
              qualifier: f.qualifier,
              reported: f.reported,
              citation: { sourceId: current.id, quote },
            }
            current.rows.push(row)
            if (reviseEvery > 0 && index % reviseEvery === reviseEvery - 1) pendingRevisions.push({ row, ind, area, amount })
            index++
            generated++
          }
        }
      }
      await close()
    }
  }
  await flush(true)
  await flushRevisions(true)
  const importSeconds = (performance.now() - tImport) / 1000

  db.$client.pragma('wal_checkpoint(TRUNCATE)')
  const count = (sql: string) => (db.$client.prepare(sql).get() as { n: number }).n
  const result: SynthResult = {
    db: file,
    observations: count('SELECT count(*) AS n FROM observation'),
    revisions: count('SELECT count(*) AS n FROM observation_revision'),
    revised: count('SELECT count(*) AS n FROM observation_revision WHERE revision = 2'),
    auditEntries: count('SELECT count(*) AS n FROM audit_entry'),
    sources: count('SELECT count(*) AS n FROM source'),
    indicators: count('SELECT count(*) AS n FROM indicator'),
    areas: count('SELECT count(*) AS n FROM area'),
    periods: count('SELECT count(*) AS n FROM reporting_period'),
    years: `${firstYear}-${LAST_YEAR}`,
    seconds: { setup: round(setupSeconds), import: round(importSeconds), total: round((performance.now() - t0) / 1000) },
    observationsPerSecond: Math.round(created / importSeconds),
    rowsPerSecond: Math.round(rowsImported / importSeconds),
    fileBytes: 0,
  }
  await storage.close()
  result.fileBytes = ['', '-wal'].reduce((n, s) => n + (existsSync(file + s) ? statSync(file + s).size : 0), 0)
  return result
}

function round(x: number): number {
  return Math.round(x * 10) / 10
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      observations: { type: 'string', default: '1000000' },
      db: { type: 'string', default: './data/synth.db' },
      revise: { type: 'string', default: '0.05' },
      seed: { type: 'string', default: '1' },
      'per-source': { type: 'string', default: '250' },
      json: { type: 'boolean', default: false },
    },
  })
  const observations = Number(values.observations)
  if (!Number.isInteger(observations) || observations < 1) throw new Error('--observations must be a positive integer')
  const options: SynthOptions = {
    observations,
    db: values.db as string,
    revise: Number(values.revise),
    seed: Number(values.seed),
    perSource: Number(values['per-source']),
    log: values.json ? (line) => process.stderr.write(`${line}\n`) : undefined,
  }
  const r = await synthesize(options)
  if (values.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`)
    return
  }
  const mb = (r.fileBytes / 1024 / 1024).toFixed(1)
  process.stdout.write(
    [
      `database      ${r.db}`,
      `observations  ${r.observations} (${r.years}; ${r.indicators} indicators, ${r.areas} areas, ${r.periods} periods, ${r.sources} sources)`,
      `revisions     ${r.revisions} (${r.revised} observations at revision 2)`,
      `audit entries ${r.auditEntries}`,
      `time          setup ${r.seconds.setup} s, import ${r.seconds.import} s, total ${r.seconds.total} s`,
      `rate          ${r.observationsPerSecond} observations/s created; ${r.rowsPerSecond} import rows/s (creations + revisions, sources included)`,
      `file size     ${mb} MiB`,
    ].join('\n') + '\n',
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    await main()
  } catch (err) {
    // A rejected batch carries every bad row; show the first few, not all of them.
    const summary = (err as { extras?: { summary?: { errors?: unknown[] } } }).extras?.summary
    process.stderr.write(`synth failed: ${err instanceof Error ? err.message : String(err)}\n`)
    if (summary?.errors) process.stderr.write(`${JSON.stringify(summary.errors.slice(0, 5), null, 1)}\n`)
    else if (err instanceof Error) process.stderr.write(`${err.stack}\n`)
    process.exit(1)
  }
}
