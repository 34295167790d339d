// A bar chart drawn on the server as inline SVG: figures over periods, one bar per kind.
// The axis labels are exact decimals (scaled integers); floats appear only as pixel positions.
// Colours and strokes come from classes in public/site.css (the page policy allows no inline style).
import type { Kind } from '../../../domain/observation.js'
import type { Lang } from '../i18n.js'
import { formatDecimal, kindWord } from './numbers.js'

export interface ChartBar {
  /** The group on the x axis (a period in words, with the area when the chart has several). */
  group: string
  kind: Kind
  /** Exact decimal text. */
  value: string
}

export interface Scale {
  /** Tick labels from the bottom up, exact decimal text. */
  ticks: string[]
  low: bigint
  high: bigint
  /** Decimal places of the scaled integers. */
  places: number
}

function scaled(value: string, places: number): bigint {
  const negative = value.startsWith('-')
  const [int = '0', frac = ''] = (negative ? value.slice(1) : value).split('.')
  const units = BigInt(int + frac.padEnd(places, '0'))
  return negative ? -units : units
}

function unscaled(units: bigint, places: number): string {
  const negative = units < 0n
  const digits = (negative ? -units : units).toString().padStart(places + 1, '0')
  const int = digits.slice(0, digits.length - places)
  const frac = digits.slice(digits.length - places).replace(/0+$/, '')
  return `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`
}

const floorDiv = (a: bigint, b: bigint) => (a >= 0n ? a / b : -((-a + b - 1n) / b))
const ceilDiv = (a: bigint, b: bigint) => -floorDiv(-a, b)

/** The smallest step of 1, 2 or 5 × 10^k that spans 0 and every value in at most `maxTicks` intervals. */
export function niceScale(values: string[], maxTicks = 5): Scale {
  const places = Math.max(0, ...values.map((v) => v.split('.')[1]?.length ?? 0))
  const units = values.map((v) => scaled(v, places))
  const min = units.reduce((a, b) => (b < a ? b : a), 0n)
  const max = units.reduce((a, b) => (b > a ? b : a), 0n)
  for (let power = 1n; ; power *= 10n) {
    for (const m of [1n, 2n, 5n]) {
      const step = m * power
      const lowTicks = floorDiv(min, step)
      const highTicks = max === min ? lowTicks + 1n : ceilDiv(max, step)
      if (highTicks - lowTicks <= BigInt(maxTicks)) {
        const ticks: string[] = []
        for (let i = lowTicks; i <= highTicks; i++) ticks.push(unscaled(i * step, places))
        return { ticks, low: lowTicks * step, high: highTicks * step, places }
      }
    }
  }
}

const W = 640
const H = 280
const PAD = { left: 72, right: 16, top: 24, bottom: 48 }
/** Pixel positions to a tenth: enough for the eye, and the markup stays short. */
const px = (n: number) => Math.round(n * 10) / 10

export function BarChart({ lang, id, title, desc, bars }: { lang: Lang; id: string; title: string; desc: string; bars: ChartBar[] }) {
  const scale = niceScale(bars.map((b) => b.value))
  const groups = [...new Set(bars.map((b) => b.group))]
  const kinds = [...new Set(bars.map((b) => b.kind))]
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const span = Number(scale.high - scale.low) || 1
  const y = (units: bigint) => px(PAD.top + plotH - (Number(units - scale.low) / span) * plotH)
  const groupW = plotW / Math.max(1, groups.length)
  const barW = Math.min(48, (groupW * 0.7) / Math.max(1, kinds.length))
  const zero = y(0n)
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} xmlns="http://www.w3.org/2000/svg">
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{desc}</desc>
      {scale.ticks.map((tick) => {
        const ty = y(scaled(tick, scale.places))
        return (
          <g class="tick">
            <line x1={PAD.left} x2={W - PAD.right} y1={ty} y2={ty} class={tick === '0' ? 'axis' : 'grid'} />
            <text x={PAD.left - 6} y={ty + 4} class="tick-label" text-anchor="end">
              {formatDecimal(tick)}
            </text>
          </g>
        )
      })}
      {groups.map((group, gi) => {
        const gx = PAD.left + gi * groupW
        const inGroup = bars.filter((b) => b.group === group)
        const start = gx + (groupW - inGroup.length * barW) / 2
        return (
          <g class="group">
            {inGroup.map((bar, bi) => {
              const vy = y(scaled(bar.value, scale.places))
              const top = Math.min(vy, zero)
              return (
                <g>
                  <rect x={px(start + bi * barW)} y={top} width={px(barW - 4)} height={px(Math.max(1, Math.abs(zero - vy)))} class={`bar bar-${bar.kind}`} />
                  <text x={px(start + bi * barW + (barW - 4) / 2)} y={px(top - 4)} class="bar-label" text-anchor="middle">
                    {formatDecimal(bar.value)}
                  </text>
                </g>
              )
            })}
            <text x={px(gx + groupW / 2)} y={H - PAD.bottom + 18} class="group-label" text-anchor="middle">
              {group}
            </text>
          </g>
        )
      })}
      <g class="legend">
        {kinds.map((kind, i) => (
          <g>
            <rect x={PAD.left + i * 110} y={H - 18} width={12} height={12} class={`bar bar-${kind}`} />
            <text x={PAD.left + i * 110 + 18} y={H - 8} class="legend-label">
              {kindWord(lang, kind)}
            </text>
          </g>
        ))}
      </g>
    </svg>
  )
}
