// Units as the report writes them, and the base unit each one is stored in.
// The multiplier is exact decimal text; 万 is 10 000 (see shared/GLOSSARY.md).

export const BASE_UNITS = {
  CNY: 'yuan (Chinese renminbi)',
  mu: 'mu, the Chinese land-area unit (15 mu = 1 hectare exactly)',
  km: 'kilometre',
  kg: 'kilogram',
  person: 'persons',
  household: 'households',
  head: 'head of cattle',
  plant: 'plants (trees, seedlings)',
  count: 'a generic count (个, 份, 项, 次): what is counted is in the indicator description',
  month: 'months',
} as const

export type BaseUnit = keyof typeof BASE_UNITS

export interface ReportedUnit {
  base: BaseUnit
  multiplier: string
}

export const REPORTED_UNITS: Readonly<Record<string, ReportedUnit>> = {
  元: { base: 'CNY', multiplier: '1' },
  万元: { base: 'CNY', multiplier: '10000' },
  亩: { base: 'mu', multiplier: '1' },
  万亩: { base: 'mu', multiplier: '10000' },
  公里: { base: 'km', multiplier: '1' },
  公斤: { base: 'kg', multiplier: '1' },
  人: { base: 'person', multiplier: '1' },
  名: { base: 'person', multiplier: '1' },
  户: { base: 'household', multiplier: '1' },
  头: { base: 'head', multiplier: '1' },
  万头: { base: 'head', multiplier: '10000' },
  株: { base: 'plant', multiplier: '1' },
  万株: { base: 'plant', multiplier: '10000' },
  个: { base: 'count', multiplier: '1' },
  份: { base: 'count', multiplier: '1' },
  项: { base: 'count', multiplier: '1' },
  次: { base: 'count', multiplier: '1' },
  个月: { base: 'month', multiplier: '1' },
}

export function isBaseUnit(unit: string): unit is BaseUnit {
  return Object.hasOwn(BASE_UNITS, unit)
}

export function reportedUnit(unit: string): ReportedUnit | undefined {
  return Object.hasOwn(REPORTED_UNITS, unit) ? REPORTED_UNITS[unit] : undefined
}
