// The README's shell examples, run as written against a fresh server: an example that fails fails here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../src/paths.js'
import { exited, startServer } from './support/process.js'
import { expectationMatches, parseReadme, scriptFor, splitOutput } from './support/readme-blocks.js'

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8')
const blocks = parseReadme(readme)

describe('the harness', () => {
  const sample = [
    'Text.',
    '```sh',
    'x=$(echo "a # not a comment',
    'b")',
    'echo "$x" | tr -d "\\n"; echo',
    '# → a # not a comment…',
    'printf \'{\\n  "k": 1\\n}\\n\' \\',
    '  | cat',
    '# → {',
    '# → …',
    '# → }',
    'for i in 1 2; do',
    '  echo $i',
    'done',
    'echo wrong',
    '# → right',
    '```',
    '```sh',
    'npm ci && npm start',
    '```',
    '```sh',
    'false',
    'echo unreached',
    '```',
    '```sh',
    'echo later',
    '```',
  ].join('\n')

  it('reads blocks, skips the ones that install or start, and checks each stated output against its own command', () => {
    const parsed = parseReadme(sample)
    expect(parsed.map((b) => b.skip === null)).toEqual([true, false, true, true])
    expect(parsed[0]?.expectations.map((e) => e.line)).toEqual([6, 9, 16])
    const result = spawnSync('bash', ['-c', scriptFor(parsed)], { encoding: 'utf8' })
    expect(result.status).not.toBe(0)
    const first = splitOutput(result.stdout, 0)
    expect(first.finished).toBe(true)
    const [quoted, multiline, wrong] = parsed[0]?.expectations ?? []
    expect(expectationMatches(quoted?.expected ?? [], first.expectations.get(quoted?.id ?? -1) ?? '')).toBe(true)
    expect(expectationMatches(multiline?.expected ?? [], first.expectations.get(multiline?.id ?? -1) ?? '')).toBe(true)
    // Only the command just above is compared: the loop's output is not part of it, and a wrong statement fails.
    expect(first.expectations.get(wrong?.id ?? -1)?.trim()).toBe('wrong')
    expect(expectationMatches(wrong?.expected ?? [], first.expectations.get(wrong?.id ?? -1) ?? '')).toBe(false)
    const failing = splitOutput(result.stdout, 2)
    expect([failing.started, failing.finished, failing.text.includes('unreached')]).toEqual([true, false, false])
    expect(splitOutput(result.stdout, 3).started).toBe(false)
  })

  it('matches `…` within a line and, alone, across lines; nothing else is loose', () => {
    expect(expectationMatches(['{"value":"4847520",…}'], '{"value":"4847520","unit":"CNY"}\n')).toBe(true)
    expect(expectationMatches(['{"value":"4847520",…}'], '{"value":"4847521","unit":"CNY"}')).toBe(false)
    expect(expectationMatches(['200'], '200\n200')).toBe(false)
    expect(expectationMatches(['a', '…', 'z'], 'a\nb\nc\nz')).toBe(true)
    expect(expectationMatches(['a.c'], 'abc')).toBe(false)
  })

  it('refuses a stated output with no command of its own above it, or inside a loop', () => {
    expect(() => parseReadme('```sh\n# → 1\n```')).toThrow(/must follow its own command/)
    expect(() => parseReadme('```sh\necho 1\n# → 1\n# note\n# → 1\n```')).toThrow(/must follow its own command/)
    expect(() => parseReadme('```sh\nfor i in 1; do\n  echo $i\n  # → 1\ndone\n```')).toThrow(/not sit inside a loop/)
  })
})

describe('the README (its sh blocks are parsed as the test expects)', () => {
  it('has runnable blocks with stated outputs, and every expectation follows a command', () => {
    expect(blocks.filter((b) => b.skip === null).length).toBeGreaterThan(3)
    expect(blocks.flatMap((b) => b.expectations).length).toBeGreaterThan(10)
  })
})

describe('the README examples, run in bash against a fresh server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'indicators-readme-'))
  const work = join(dir, 'work')
  let server: { child: ChildProcess; base: string; stderr: () => string } | undefined
  let output = ''
  let exitCode: number | null = null

  beforeAll(async () => {
    // The README states curl and jq as prerequisites; say so plainly rather than fail inside a block.
    for (const tool of ['bash', 'curl', 'jq']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`the README's examples need ${tool} on PATH`)
    }
    const databaseUrl = join(dir, 'indicators.db')
    server = await startServer(databaseUrl)
    // The blocks run "in the repository's folder", but files they write (last-seq, changes.ndjson…)
    // land in a scratch folder whose entries link to the repository's.
    mkdirSync(work)
    for (const entry of readdirSync(projectRoot)) {
      if (entry === 'data' || entry === '.git') continue
      symlinkSync(join(projectRoot, entry), join(work, entry))
    }
    const script = join(dir, 'readme.sh')
    writeFileSync(script, scriptFor(blocks))
    const child = spawn('bash', [script], {
      cwd: work,
      // BASE is the one variable the README's blocks read; DATABASE_URL points the key CLI at the server's database.
      env: { ...process.env, BASE: server.base, DATABASE_URL: databaseUrl, NO_COLOR: '1', npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    })
    // Decoded once at the end: a chunk may end inside a character (dd writes byte by byte).
    const chunks: Buffer[] = []
    child.stdout?.on('data', (d: Buffer) => chunks.push(d))
    child.stderr?.on('data', (d: Buffer) => chunks.push(d))
    exitCode = await exited(child)
    output = Buffer.concat(chunks).toString('utf8')
  }, 300_000)

  afterAll(async () => {
    if (server) {
      server.child.kill('SIGTERM')
      await exited(server.child)
    }
    rmSync(dir, { recursive: true, force: true })
  })

  for (const block of blocks) {
    const title = `README line ${block.line}: ${block.title}`
    if (block.skip !== null) {
      // Installing and starting are what this test does itself (a built server on a fresh database).
      it.skip(`${title} (skipped: ${block.skip})`, () => {})
      continue
    }
    it(title, () => {
      const run = splitOutput(output, block.index)
      const shown = `--- block (README line ${block.line}) ---\n${block.source}\n--- output ---\n${run.text}\n--- bash exit ${exitCode} ---\nserver stderr:\n${server?.stderr() ?? ''}`
      if (!run.started) throw new Error(`not run: an earlier block failed\n${shown}`)
      if (!run.finished) throw new Error(`the block failed (set -euo pipefail)\n${shown}`)
      for (const expectation of block.expectations) {
        const actual = run.expectations.get(expectation.id)
        if (actual === undefined) throw new Error(`no output captured for the expectation at README line ${expectation.line}\n${shown}`)
        if (!expectationMatches(expectation.expected, actual)) {
          throw new Error(`README line ${expectation.line} expects\n${expectation.expected.join('\n')}\nbut the command printed\n${actual}\n${shown}`)
        }
      }
    })
  }
})
