// Aggregates a CONTRACT=report run's violations (JSON lines) into one deduplicated line per operation,
// status and kind, with what is wrong and a test that saw it:
//   CONTRACT=report npx vitest run; npx tsx test/support/contract-report.ts [file]
import { readFileSync } from 'node:fs'
import { reportFile, type Violation } from './contract.js'

const file = process.argv[2] ?? reportFile
const groups = new Map<string, { operation: string; status: number; kind: string; details: Set<string>; tests: Set<string> }>()
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue
  const v: Violation = JSON.parse(line)
  // Header violations group by header name: the detail names it; other kinds keep one sample detail.
  const key = `${v.operation}\t${v.status}\t${v.kind}`
  const group = groups.get(key) ?? { operation: v.operation, status: v.status, kind: v.kind, details: new Set(), tests: new Set() }
  group.details.add(v.kind.endsWith('header') ? (v.detail.match(/header (\S+)/)?.[1] ?? v.detail) : v.detail)
  if (v.test) group.tests.add(v.test)
  groups.set(key, group)
}
const rows = [...groups.values()].sort((a, b) => a.operation.localeCompare(b.operation) || a.status - b.status || a.kind.localeCompare(b.kind))
for (const g of rows) {
  const details = [...g.details]
  const shown = g.kind.endsWith('header') ? details.sort().join(', ') : `${details[0]}${details.length > 1 ? ` (+${details.length - 1} more)` : ''}`
  console.log(`${g.operation}\t${g.status}\t${g.kind}\t${shown}\t[${[...g.tests][0] ?? ''}]`)
}
console.error(`${rows.length} distinct (operation, status, kind) from ${file}`)
