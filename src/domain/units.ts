// The unit catalogue as the rules and conversions use it. The units themselves
// are data (table `unit`, seeded from seeds/units.json, extended through the API);
// this module only answers questions about a list of them. See docs/units.md.
import { isDecimal } from './decimal.js'

export interface UnitDefinition {
  code: string
  /** The base unit's code; equal to `code` for a base unit. */
  base: string
  /** Exact decimal text: value in base = value in this unit × multiplier. */
  multiplier: string
}

export interface ReportedUnit {
  base: string
  multiplier: string
}

export const isBaseDefinition = (u: UnitDefinition): boolean => u.base === u.code

/** Lookups over one list of units: what a reported unit converts to, which units share a base, and the words a quote may write. */
export class UnitCatalogue {
  private readonly byCode: Map<string, UnitDefinition>
  /** Every unit code, longest first (for the longest match after a number). */
  readonly words: readonly string[]

  constructor(units: readonly UnitDefinition[]) {
    this.byCode = new Map(units.map((u) => [u.code, u]))
    this.words = [...this.byCode.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
  }

  reportedUnit(code: string): ReportedUnit | undefined {
    const u = this.byCode.get(code)
    return u ? { base: u.base, multiplier: u.multiplier } : undefined
  }

  isBaseUnit(code: string): boolean {
    const u = this.byCode.get(code)
    return u !== undefined && isBaseDefinition(u)
  }

  baseUnits(): string[] {
    return [...this.byCode.values()].filter(isBaseDefinition).map((u) => u.code).sort()
  }

  /** The units whose values convert to and from `base` (the base itself included), by code. */
  compatible(base: string): string[] {
    return [...this.byCode.values()].filter((u) => u.base === base).map((u) => u.code).sort()
  }
}

/** Decimal places kept when a conversion's quotient does not terminate (rounded half to even). */
export const CONVERSION_SCALE = 12

/** Integer division of a by b (b > 0) rounded half to even. */
function roundHalfEven(n: bigint, d: bigint): bigint {
  const negative = n < 0n
  const a = negative ? -n : n
  let q = a / d
  const r2 = (a % d) * 2n
  if (r2 > d || (r2 === d && q % 2n === 1n)) q += 1n
  return negative ? -q : q
}

function scaled(text: string): { units: bigint; scale: number } {
  const [i, f = ''] = text.split('.')
  return { units: BigInt((i as string) + f), scale: f.length }
}

function toText(units: bigint, scale: number): string {
  const negative = units < 0n
  let digits = (negative ? -units : units).toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0')
    const frac = digits.slice(digits.length - scale).replace(/0+$/, '')
    digits = frac ? `${digits.slice(0, digits.length - scale)}.${frac}` : digits.slice(0, digits.length - scale)
  }
  return negative && /[1-9]/.test(digits) ? `-${digits}` : digits
}

/**
 * value ÷ divisor as exact decimal text when the quotient terminates; otherwise rounded half to even
 * at CONVERSION_SCALE places (`exact` false). The divisor is a positive decimal.
 */
export function divideDecimal(value: string, divisor: string): { value: string; exact: boolean } {
  if (!isDecimal(value) || !isDecimal(divisor)) throw new RangeError(`not a decimal: ${JSON.stringify(isDecimal(value) ? divisor : value)}`)
  const a = scaled(value)
  const b = scaled(divisor)
  if (b.units <= 0n) throw new RangeError(`divisor must be positive: ${divisor}`)
  // value / divisor = (a.units · 10^b.scale) / (b.units · 10^a.scale)
  const n = a.units * 10n ** BigInt(b.scale)
  const d = b.units * 10n ** BigInt(a.scale)
  // The quotient terminates iff d / gcd(n, d) has no prime factors but 2 and 5.
  const gcd = (x: bigint, y: bigint): bigint => (y === 0n ? (x < 0n ? -x : x) : gcd(y, x % y))
  const g = gcd(n, d) || 1n
  let rest = d / g
  let twos = 0
  let fives = 0
  while (rest % 2n === 0n) (rest /= 2n), twos++
  while (rest % 5n === 0n) (rest /= 5n), fives++
  if (rest === 1n) {
    const k = Math.max(twos, fives)
    return { value: toText(((n / g) * 10n ** BigInt(k)) / (d / g), k), exact: true }
  }
  return { value: toText(roundHalfEven(n * 10n ** BigInt(CONVERSION_SCALE), d), CONVERSION_SCALE), exact: false }
}

/** A value in `from`'s base, served in `to` (same base): value ÷ to.multiplier. */
export function convertFromBase(value: string, to: UnitDefinition): { value: string; exact: boolean } {
  return divideDecimal(value, to.multiplier)
}
