// Exact decimals as strings. Values never pass through binary floats: a figure
// such as 484.752万元 must come out as exactly "4847520".

const DECIMAL = /^-?\d+(\.\d+)?$/

/** Largest number of significant digits accepted: well beyond any public-finance figure. */
export const MAX_DECIMAL_DIGITS = 40
/** The longest decimal text accepted (sign, digits, point): every schema that carries a value, in or out, allows exactly this. */
export const MAX_DECIMAL_CHARS = MAX_DECIMAL_DIGITS + 2

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text) && text.replace(/[-.]/g, '').length <= MAX_DECIMAL_DIGITS
}

interface Scaled {
  units: bigint
  scale: number
}

function toScaled(text: string): Scaled {
  if (!isDecimal(text)) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`)
  const [intPart, fracPart = ''] = text.split('.')
  return { units: BigInt((intPart as string) + fracPart), scale: fracPart.length }
}

function fromScaled({ units, scale }: Scaled): string {
  const negative = units < 0n
  let digits = (negative ? -units : units).toString()
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0')
    // The padding leaves exactly one integer digit when |units| < 10^scale, so no leading zeros to strip.
    const intPart = digits.slice(0, digits.length - scale)
    const fracPart = digits.slice(digits.length - scale).replace(/0+$/, '')
    digits = fracPart ? `${intPart}.${fracPart}` : intPart
  }
  // units < 0 has a non-zero digit, so no "-0" can come out.
  return negative ? `-${digits}` : digits
}

/** Canonical form: no leading zeros, no trailing fractional zeros, no "-0". */
export function normalizeDecimal(text: string): string {
  return fromScaled(toScaled(text))
}

/** Exact product of two decimals. */
export function multiplyDecimal(a: string, b: string): string {
  const x = toScaled(a)
  const y = toScaled(b)
  return fromScaled({ units: x.units * y.units, scale: x.scale + y.scale })
}

export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const x = toScaled(a)
  const y = toScaled(b)
  const scale = Math.max(x.scale, y.scale)
  const xu = x.units * 10n ** BigInt(scale - x.scale)
  const yu = y.units * 10n ** BigInt(scale - y.scale)
  return xu < yu ? -1 : xu > yu ? 1 : 0
}

/** Exact sum of decimals ('0' for none). */
export function sumDecimals(values: string[]): string {
  let scale = 0
  const scaled = values.map((v) => {
    const s = toScaled(v)
    scale = Math.max(scale, s.scale)
    return s
  })
  return fromScaled({ units: scaled.reduce((acc, s) => acc + s.units * 10n ** BigInt(scale - s.scale), 0n), scale })
}

export interface Quotient {
  /** The quotient rounded half to even at `scale` decimal places, canonical form. */
  value: string
  /** Whether the quotient terminates within `scale` places (no rounding happened). */
  exact: boolean
}

/**
 * a / b rounded half to even (banker's rounding) at `scale` decimal places, in
 * integer arithmetic only: n / d with n = a·10^(scale+sa…) exactly, then one
 * integer division and a comparison of twice the remainder with the divisor.
 */
export function divideDecimal(a: string, b: string, scale: number): Quotient {
  if (!Number.isSafeInteger(scale) || scale < 0) throw new RangeError(`scale must be a whole number ≥ 0, got ${scale}`)
  const x = toScaled(a)
  const y = toScaled(b)
  if (y.units === 0n) throw new RangeError('division by zero')
  // a / b = (x.units / 10^x.scale) / (y.units / 10^y.scale); scaled by 10^scale: x.units·10^(scale+y.scale) / (y.units·10^x.scale).
  let n = x.units * 10n ** BigInt(scale + y.scale)
  let d = y.units * 10n ** BigInt(x.scale)
  if (d < 0n) {
    n = -n
    d = -d
  }
  const negative = n < 0n
  const absN = negative ? -n : n
  let q = absN / d
  const r = absN % d
  const twice = 2n * r
  if (twice > d || (twice === d && q % 2n === 1n)) q += 1n
  return { value: fromScaled({ units: negative ? -q : q, scale }), exact: r === 0n }
}
