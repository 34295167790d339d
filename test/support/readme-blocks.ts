// Reads the README's ```sh blocks and their stated outputs (`# → …` lines), and turns them into one bash
// script whose output the README test can split back into blocks and commands.

/** A stated output: the lines after `# → `, checked against what the command just above printed. */
export interface Expectation {
  id: number
  /** README line of the first `# →` line. */
  line: number
  expected: string[]
}

export interface ShellBlock {
  index: number
  /** README line of the block's first line. */
  line: number
  title: string
  source: string
  /** Why the test does not run it, or null. */
  skip: string | null
  expectations: Expectation[]
  /** The block with its markers, as it runs. */
  instrumented: string
}

const FENCE_OPEN = /^```(sh|bash|shell)\s*$/
const FENCE_CLOSE = /^```\s*$/
const EXPECT = /^\s*# → ?(.*)$/
// Installing and starting the server are what the test does itself, on a fresh database and a free port.
const INSTALLS_OR_STARTS = /(^|[\s;&|(])(npm (ci|install|i|start)|npm run dev|docker)(\s|$)/
const OPENERS = new Set(['if', 'for', 'while', 'until', 'case'])
const CLOSERS = new Set(['fi', 'done', 'esac'])

const RS = '\u001e'
const marker = (kind: 'BLOCK' | 'BEGIN' | 'END' | 'DONE', n: number): string => `printf '\\n\\036${kind} ${n}\\036\\n'`

interface LineShape {
  /** The line starts a new top-level command (not inside quotes, a continuation or a loop). */
  top: boolean
  /** Blank, or only a comment, at top level. */
  inert: boolean
}

/** Where each line stands in bash's grammar, as far as these examples need: quotes, continuations, loops. */
function shapeLines(lines: string[]): LineShape[] {
  let single = false
  let double = false
  let continued = false
  let depth = 0
  return lines.map((line) => {
    const top = !single && !double && !continued && depth === 0
    const startsInCode = !single && !double
    let bare = ''
    for (let i = 0; i < line.length; i++) {
      const c = line[i] as string
      if (single) {
        if (c === "'") single = false
        bare += ' '
        continue
      }
      if (double) {
        if (c === '\\') i++
        else if (c === '"') double = false
        bare += ' '
        continue
      }
      if (c === '\\') {
        bare += c
        i++
        continue
      }
      if (c === "'") single = true
      else if (c === '"') double = true
      else if (c === '#' && (i === 0 || /[\s;(]/.test(line[i - 1] as string))) break
      bare += c
    }
    const code = bare.trimEnd()
    continued = !single && !double && /(\\|\||&&|\|\|)$/.test(code)
    for (const word of code.split(/[\s;&|()]+/)) {
      if (OPENERS.has(word)) depth++
      else if (CLOSERS.has(word)) depth = Math.max(0, depth - 1)
    }
    return { top, inert: startsInCode && top && code.trim() === '' }
  })
}

export function parseReadme(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n')
  const blocks: ShellBlock[] = []
  let expectationId = 0
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE_OPEN.test(lines[i] as string)) continue
    const start = i + 1
    let end = start
    while (end < lines.length && !FENCE_CLOSE.test(lines[end] as string)) end++
    const body = lines.slice(start, end)
    i = end
    const index = blocks.length
    const shapes = shapeLines(body)
    const code = body.filter((_, n) => !shapes[n]?.inert)
    const skip = code.some((l) => INSTALLS_OR_STARTS.test(l)) ? 'installs or starts the server: the test starts the built server on a fresh database itself' : null
    const expectations: Expectation[] = []
    const beginsBefore = new Map<number, number>()
    const endsAt = new Map<number, number>()
    for (let n = 0; n < body.length; n++) {
      const match = EXPECT.exec(body[n] as string)
      if (!match) continue
      if (!shapes[n]?.top) throw new Error(`README line ${start + n + 1}: a stated output must follow a whole command, not sit inside a loop, quotes or a continued line`)
      const expected = [match[1] as string]
      let last = n
      while (last + 1 < body.length && shapes[last + 1]?.top && EXPECT.test(body[last + 1] as string)) {
        last++
        expected.push((EXPECT.exec(body[last] as string) as RegExpExecArray)[1] as string)
      }
      // The command is the nearest code above, from the line where it starts.
      let command = n - 1
      while (command >= 0 && shapes[command]?.inert) command--
      while (command >= 0 && !shapes[command]?.top) command--
      if (command < 0 || beginsBefore.has(command) || [...endsAt.keys()].some((e) => e > command)) {
        throw new Error(`README line ${start + n + 1}: a stated output must follow its own command`)
      }
      const id = expectationId++
      beginsBefore.set(command, id)
      endsAt.set(n, id)
      expectations.push({ id, line: start + n + 1, expected })
      n = last
    }
    const instrumented = [marker('BLOCK', index)]
    body.forEach((line, n) => {
      const begin = beginsBefore.get(n)
      if (begin !== undefined) instrumented.push(marker('BEGIN', begin))
      const stop = endsAt.get(n)
      if (stop !== undefined) instrumented.push(marker('END', stop))
      instrumented.push(line)
    })
    instrumented.push(marker('DONE', index))
    const title = (code.find((l) => l.trim() !== '') ?? '').trim()
    blocks.push({ index, line: start + 1, title: title.length > 70 ? `${title.slice(0, 69)}…` : title, source: body.join('\n'), skip, expectations, instrumented: instrumented.join('\n') })
  }
  return blocks
}

/** One script for every block that runs, in order, so that variables set in one block serve the next. */
export function scriptFor(blocks: ShellBlock[]): string {
  const run = blocks.filter((b) => b.skip === null)
  return ['set -euo pipefail', 'exec 2>&1', ...run.map((b) => b.instrumented), ''].join('\n')
}

export interface BlockRun {
  started: boolean
  finished: boolean
  text: string
  expectations: Map<number, string>
}

/** The output of one block, and of each command with a stated output, from the script's whole output. */
export function splitOutput(output: string, blockIndex: number): BlockRun {
  const tokens = [...output.matchAll(new RegExp(`\\n${RS}(BLOCK|BEGIN|END|DONE) (\\d+)${RS}\\n`, 'g'))]
  const run: BlockRun = { started: false, finished: false, text: '', expectations: new Map() }
  const opened = new Map<number, number>()
  let from = -1
  for (const token of tokens) {
    const [whole, kind, n] = token as unknown as [string, string, string]
    const at = token.index as number
    const id = Number(n)
    if (kind === 'BLOCK' && id === blockIndex) {
      run.started = true
      from = at + whole.length
    } else if (from < 0) continue
    else if (kind === 'BEGIN') opened.set(id, at + whole.length)
    else if (kind === 'END' && opened.has(id)) run.expectations.set(id, output.slice(opened.get(id), at))
    else if (kind === 'DONE' && id === blockIndex) {
      run.finished = true
      run.text = strip(output.slice(from, at))
      return run
    } else if (kind === 'BLOCK') break
  }
  if (from >= 0) run.text = strip(output.slice(from))
  return run
}

const strip = (text: string): string => text.replace(new RegExp(`\\n${RS}(BEGIN|END) \\d+${RS}\\n`, 'g'), '\n')

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The command's output equals the stated lines (trailing spaces and blank lines aside); `…` stands for
 * any text within a line, and a line that is only `…` for any lines.
 */
export function expectationMatches(expected: string[], actual: string): boolean {
  const lines = actual.split('\n').map((l) => l.trimEnd())
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const pattern = expected
    .map((l) => l.trimEnd())
    .map((l) => (l.trim() === '…' ? '[\\s\\S]*' : l.split('…').map(escapeRegex).join('[^\\n]*')))
    .join('\\n')
  return new RegExp(`^${pattern}$`, 'u').test(lines.join('\n'))
}
