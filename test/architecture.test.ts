// The shape of the code, checked: imports point one way (routes → services →
// ports → adapters) with no cycles, and only the storage folder speaks SQL or
// loads a database driver.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { projectRoot } from '../src/paths.js'

const SRC = join(projectRoot, 'src')

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : /\.(ts|mts|mjs)$/.test(name) ? [path] : []
  })
}

interface Import {
  specifier: string
  /** The file it names under src/, or null for a package. */
  target: string | null
  typeOnly: boolean
}

const IMPORT = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8')
  const found: Import[] = []
  const resolveSpecifier = (specifier: string) => (specifier.startsWith('.') ? relative(projectRoot, resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))) : null)
  for (const m of text.matchAll(IMPORT)) found.push({ specifier: m[3] as string, target: resolveSpecifier(m[3] as string), typeOnly: m[2] !== undefined })
  for (const m of text.matchAll(DYNAMIC)) found.push({ specifier: m[1] as string, target: resolveSpecifier(m[1] as string), typeOnly: false })
  return found
}

const files = filesUnder(SRC).map((f) => relative(projectRoot, f))
const graph = new Map(files.map((f) => [f, importsOf(join(projectRoot, f))]))

/** Strings and template literals of a file, comments left out. */
function stringsOf(file: string): string[] {
  const text = readFileSync(join(projectRoot, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '')
  return [...text.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)].map((m) => m[0])
}

const SQL = /\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|PRAGMA)\b/
const DRIVERS = /^(better-sqlite3|pg|pg-.*|@electric-sql\/pglite|drizzle-orm(\/.*)?|drizzle-kit)$/

describe('architecture', () => {
  it('has no import cycles', () => {
    const cycles: string[][] = []
    const state = new Map<string, 'visiting' | 'done'>()
    const stack: string[] = []
    const visit = (file: string) => {
      state.set(file, 'visiting')
      stack.push(file)
      for (const { target } of graph.get(file) ?? []) {
        if (!target || !graph.has(target)) continue
        if (state.get(target) === 'visiting') cycles.push([...stack.slice(stack.indexOf(target)), target])
        else if (!state.has(target)) visit(target)
      }
      stack.pop()
      state.set(file, 'done')
    }
    for (const file of files) if (!state.has(file)) visit(file)
    expect(cycles.map((c) => c.join(' → '))).toEqual([])
  })

  it('loads database drivers and writes SQL only under src/storage/', () => {
    const offenders: string[] = []
    for (const file of files) {
      if (file.startsWith('src/storage/')) continue
      for (const { specifier } of graph.get(file) ?? []) if (DRIVERS.test(specifier)) offenders.push(`${file} imports ${specifier}`)
      for (const s of stringsOf(file)) if (SQL.test(s)) offenders.push(`${file} holds SQL: ${s.slice(0, 80)}`)
    }
    expect(offenders).toEqual([])
  })

  it('keeps the storage folder below the modules and the HTTP layer', () => {
    const offenders: string[] = []
    for (const file of files) {
      if (!file.startsWith('src/storage/')) continue
      for (const { target } of graph.get(file) ?? []) {
        if (!target) continue
        const allowed = target === 'src/http/csv-export.ts' || target.startsWith('src/storage/') || target.startsWith('src/domain/') || target === 'src/paths.ts'
        if (!allowed && (target.startsWith('src/modules/') || target.startsWith('src/http/') || target.startsWith('src/plugins/') || target.startsWith('src/writes/') || target === 'src/app.ts'))
          offenders.push(`${file} imports ${target}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('lets no module reach into another module\'s routes', () => {
    const offenders: string[] = []
    for (const file of files) {
      const own = /^src\/modules\/([^/]+)\//.exec(file)?.[1]
      if (!own) continue
      for (const { target } of graph.get(file) ?? []) {
        const other = target && /^src\/modules\/([^/]+)\/.*\.routes\.ts$/.exec(target)?.[1]
        if (other && other !== own) offenders.push(`${file} imports ${target}`)
      }
    }
    expect(offenders).toEqual([])
  })

  it('sees the imports it checks', () => {
    // A parser that found nothing would pass every rule above.
    expect(files.length).toBeGreaterThan(50)
    expect(graph.get('src/app.ts')?.some((i) => i.target === 'src/storage/open.ts')).toBe(true)
    expect(graph.get('src/storage/sqlite/client.ts')?.some((i) => i.specifier === 'better-sqlite3')).toBe(true)
    expect(stringsOf('src/storage/sqlite/records.ts').some((s) => SQL.test(s))).toBe(true)
  })
})
