// What an observation is, independent of where it is stored: its kinds, qualifiers, and the checked form every write stores.
export const KINDS = ['actual', 'target', 'forecast'] as const
export type Kind = (typeof KINDS)[number]
export const QUALIFIERS = ['eq', 'gt', 'gte', 'lt', 'lte', 'approx'] as const
export type Qualifier = (typeof QUALIFIERS)[number]
/** A flow accumulates over its period (paid in H1); a stock is a level at its reference date (目前/已: head held now). */
export const TEMPORALITIES = ['flow', 'stock'] as const
export type Temporality = (typeof TEMPORALITIES)[number]

/** Which figure (indicator × area × period × kind) and its value in the base unit. */
export interface ObservationFigure {
  indicator: string
  area: string
  period: string
  kind: Kind
  value: string
  qualifier: Qualifier
}

export interface ObservationDraft extends ObservationFigure {
  reported: { value: string; unit: string; text?: string | undefined }
  citation: { sourceId: string; quote: string }
  involvedAreas?: string[] | undefined
  note?: string | null | undefined
  /** Default `flow`. */
  temporality?: Temporality | undefined
  /** The date a stock is measured at (YYYY-MM-DD); required for a stock, absent for a flow. */
  referenceDate?: string | null | undefined
  /** When the authority published this figure (RFC 3339); absent: when the service records it. */
  publishedAt?: string | null | undefined
}

/** A draft that passed every rule, with its period made canonical and its quote located. */
export interface CheckedObservation extends ObservationFigure {
  reported: { value: string; unit: string; text: string | null }
  citation: { sourceId: string; quote: string; byteStart: number; byteEnd: number }
  involvedAreas: string[]
  note: string | null
  temporality: Temporality
  referenceDate: string | null
  /** Null: published when recorded (the write path fills in the recording instant). */
  publishedAt: string | null
}

