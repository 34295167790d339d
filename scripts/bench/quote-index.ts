// npm run bench:quotes: how long locating one quote takes on an 8 MiB source,
// by the plain scan and by the quote index (built once per source). Prints the ratio.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildQuoteIndex, locateQuote } from '../../src/domain/citation.js'
import { seedsFolder } from '../../src/paths.js'

const seed = readFileSync(join(seedsFolder, 'bayantala-2023h1', 'source.txt'), 'utf8')
const chunks: string[] = []
for (let i = 0, bytes = 0; bytes < 8 * 1024 * 1024 - 20_000; i++) {
  const chunk = `【第${i}段】${seed}\n`
  chunks.push(chunk)
  bytes += Buffer.byteLength(chunk, 'utf8')
}
const text = Buffer.from(chunks.join(''), 'utf8')
// Quotes unique to a chunk, spread over the whole text, and a few that are absent.
const quotes = Array.from({ length: 200 }, (_, k) => {
  const i = Math.floor((k * chunks.length) / 200)
  return k % 10 === 9 ? `【第${i}段】不存在` : `【第${i}段】${seed.slice(0, 12)}`
})

const time = (f: () => void) => {
  const t0 = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

let index = buildQuoteIndex(text)
const buildMs = time(() => (index = buildQuoteIndex(text)))
// One warm-up pass each, so that both are measured compiled.
quotes.slice(0, 20).forEach((q) => [locateQuote(text, q), index.locate(q)])
const scanMs = time(() => quotes.forEach((q) => locateQuote(text, q)))
const indexMs = time(() => quotes.forEach((q) => index.locate(q)))
for (const q of quotes) if (JSON.stringify(index.locate(q)) !== JSON.stringify(locateQuote(text, q))) throw new Error(`index and scan disagree on ${q}`)

const perRow = (ms: number) => `${((ms / quotes.length) * 1000).toFixed(1)} µs/row`
console.log(`source ${(text.length / 1048576).toFixed(1)} MiB, ${quotes.length} quotes`)
console.log(`index build: ${buildMs.toFixed(0)} ms once per source (${(index.bytes / 1048576).toFixed(1)} MiB held with the text)`)
console.log(`plain scan:  ${perRow(scanMs)}`)
console.log(`quote index: ${perRow(indexMs)}`)
console.log(`ratio: ${(scanMs / indexMs).toFixed(0)}x; a 10 000-row import spends ${((scanMs / quotes.length) * 10).toFixed(0)} s scanning, ${((indexMs / quotes.length) * 10 + buildMs / 1000).toFixed(2)} s with the index`)
