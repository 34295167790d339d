// What an observation is, independent of where it is stored: its kinds, qualifiers, and the checked form every write stores.
export const KINDS = ['actual', 'target', 'forecast'] as const
export type Kind = (typeof KINDS)[number]
export const QUALIFIERS = ['eq', 'gt', 'gte', 'lt', 'lte', 'approx'] as const
export type Qualifier = (typeof QUALIFIERS)[number]

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
}

/** A draft that passed every rule, with its period made canonical and its quote located. */
export interface CheckedObservation extends ObservationFigure {
  reported: { value: string; unit: string; text: string | null }
  citation: { sourceId: string; quote: string; byteStart: number; byteEnd: number }
  involvedAreas: string[]
  note: string | null
}

