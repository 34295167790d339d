// Which representation of the observation list takes which representation-specific parameter: one table,
// so that a parameter a representation does not take is refused (400), never silently ignored.
import { Errors } from '../../errors.js'

/** The representations of GET /v1/observations (format= or Accept), in the route's order. */
export const REPRESENTATIONS = ['json', 'csv', 'sdmx-csv', 'sdmx-json', 'jsonstat'] as const
export type Representation = (typeof REPRESENTATIONS)[number]

interface ParameterUse {
  /** The representations that take the parameter. */
  takes: readonly Representation[]
  /** Why a representation refuses it, where the plain "not taken" would leave a client guessing. */
  why?: Partial<Record<Representation, string>>
}

/** The parameters whose meaning depends on the representation; every other parameter is a filter that all of them take. */
export const REPRESENTATION_PARAMETERS = {
  bom: { takes: ['csv', 'sdmx-csv'], why: { json: 'a byte-order mark begins a CSV file only', 'sdmx-json': 'a byte-order mark begins a CSV file only', jsonstat: 'a byte-order mark begins a CSV file only' } },
  labels: { takes: ['csv', 'sdmx-json', 'jsonstat'], why: { json: 'the list carries codes; names are at /v1/indicators, /v1/areas, /v1/units', 'sdmx-csv': 'SDMX-CSV writes codes only; their names are in the data structure definition' } },
  cursor: { takes: ['json', 'csv', 'sdmx-csv', 'sdmx-json'], why: { jsonstat: 'a JSON-stat dataset is the whole selection: narrow it with filters' } },
  limit: { takes: ['json', 'csv', 'sdmx-csv', 'sdmx-json'], why: { jsonstat: 'a JSON-stat dataset is the whole selection: narrow it with filters' } },
  unit: { takes: ['json', 'csv', 'jsonstat'], why: { 'sdmx-csv': 'SDMX values are always in the indicator\'s base unit (UNIT_MULT 0)', 'sdmx-json': 'SDMX values are always in the indicator\'s base unit (UNIT_MULT 0)' } },
} as const satisfies Record<string, ParameterUse>

export type RepresentationParameter = keyof typeof REPRESENTATION_PARAMETERS

/** Where a parameter applies, for its OpenAPI description. */
export const appliesTo = (name: RepresentationParameter): string =>
  `Taken only with ${REPRESENTATION_PARAMETERS[name].takes.map((r) => `format=${r}`).join(', ')} (or the same by Accept); any other representation refuses it (400).`

/** A 400 naming every given parameter that `representation` does not take, and the representations that do. */
export function refuseMisapplied(representation: Representation, query: Readonly<Record<string, unknown>>): void {
  const misapplied = (Object.keys(REPRESENTATION_PARAMETERS) as RepresentationParameter[]).filter(
    (name) => query[name] !== undefined && !(REPRESENTATION_PARAMETERS[name].takes as readonly string[]).includes(representation),
  )
  if (misapplied.length === 0) return
  const reasons = misapplied.map((name) => {
    const use: ParameterUse = REPRESENTATION_PARAMETERS[name]
    const why = use.why?.[representation]
    return `${name} is taken only by ${use.takes.join(', ')}${why ? ` (${why})` : ''}`
  })
  throw Errors.validation(`This request is answered as ${representation}, which does not take ${misapplied.join(', ')}: ${reasons.join('; ')}. Leave ${misapplied.length > 1 ? 'them' : 'it'} out.`, {
    errors: misapplied.map((name) => ({ in: 'query', name, message: `not taken by ${representation}; only by ${REPRESENTATION_PARAMETERS[name].takes.join(', ')}` })),
  })
}
