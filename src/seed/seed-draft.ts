// An observation as a seed file states it (the extraction, a reviewed correction), made a draft for the one set of rules.
import type { ObservationDraft, Temporality } from '../domain/observation.js'

/** An observation entry of a seed file: the figure, its unit as written and its quote in the report. */
export interface SeedObservationFile {
  indicator: string
  area: string
  period: string
  kind: string
  value: string
  qualifier: string
  reported: { value: string; unit: string; text?: string }
  quote: string
  involvedAreas?: string[]
  note?: string
  temporality?: Temporality
  referenceDate?: string | null
}

/** The draft checkObservation takes, citing the report's source and published at `publishedAt`. */
export function seedDraft(o: SeedObservationFile, sourceId: string, publishedAt: string): ObservationDraft {
  return {
    indicator: o.indicator,
    area: o.area,
    period: o.period,
    kind: o.kind as ObservationDraft['kind'],
    value: o.value,
    qualifier: o.qualifier as ObservationDraft['qualifier'],
    reported: o.reported,
    citation: { sourceId, quote: o.quote },
    involvedAreas: o.involvedAreas ?? [],
    note: o.note ?? null,
    temporality: o.temporality,
    referenceDate: o.referenceDate ?? null,
    publishedAt,
  }
}
