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
