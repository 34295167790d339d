// The observation's fields, declared once: where each sits in the JSON the API
// serves, which stored column holds it (o: observation, r: revision, i: indicator),
// its row property, and its CSV column. The adapters derive their SQL (JSON and
// CSV built in the database) from this table, and the JavaScript forms below are
// the reference those SQL forms are held to, byte for byte.
import { csvCell, type CsvCellKind } from '../http/csv-export.js'
import type { ObservationRow } from './ports.js'

/**
 * How a field is stored and written: `integer` and `text` as they are; `nullableText` null or text;
 * `jsonArray` a JSON array stored as text and inlined; `sourceTextUrl` computed from the source id.
 */
export type FieldType = 'integer' | 'text' | 'nullableText' | 'jsonArray' | 'sourceTextUrl'

export interface ObservationField {
  /** Its path in the Observation JSON (nested objects by their keys); null when JSON does not carry it. */
  json: readonly string[] | null
  /** Only in ObservationRevision (the change feed's items), after every Observation field. */
  revisionOnly?: boolean
  /** The stored column, as alias.column (or an SQL expression over them that both dialects read alike). */
  column: string
  /** The ObservationRow property that holds it (the column's value). */
  row: keyof ObservationRow
  type: FieldType
  /** Its CSV column and whether the cell is a number or text; null when the CSV leaves it out. */
  csv: { name: string; kind: CsvCellKind } | null
}

const f = (json: string[] | null, column: string, row: keyof ObservationRow, type: FieldType, csv: ObservationField['csv'], revisionOnly = false): ObservationField => ({
  json,
  column,
  row,
  type,
  csv,
  ...(revisionOnly ? { revisionOnly } : {}),
})

/** In JSON order (the Observation schema's), which is also the CSV's column order. */
export const OBSERVATION_FIELDS: readonly ObservationField[] = [
  f(['id'], 'o.id', 'id', 'integer', { name: 'id', kind: 'number' }),
  f(['indicator'], 'o.indicator_code', 'indicator', 'text', { name: 'indicator', kind: 'text' }),
  f(['area'], 'o.area_code', 'area', 'text', { name: 'area', kind: 'text' }),
  f(['period'], 'o.period_code', 'period', 'text', { name: 'period', kind: 'text' }),
  f(['kind'], 'o.kind', 'kind', 'text', { name: 'kind', kind: 'text' }),
  f(['value'], 'r.value', 'value', 'text', { name: 'value', kind: 'number' }),
  f(['unit'], 'i.unit', 'unit', 'text', { name: 'unit', kind: 'text' }),
  f(['qualifier'], 'r.qualifier', 'qualifier', 'text', { name: 'qualifier', kind: 'text' }),
  f(['temporality'], 'r.temporality', 'temporality', 'text', { name: 'temporality', kind: 'text' }),
  f(['referenceDate'], 'r.reference_date', 'referenceDate', 'nullableText', { name: 'reference_date', kind: 'text' }),
  f(['reported', 'value'], 'r.reported_value', 'reportedValue', 'text', { name: 'reported_value', kind: 'number' }),
  f(['reported', 'unit'], 'r.reported_unit', 'reportedUnit', 'text', { name: 'reported_unit', kind: 'text' }),
  f(['reported', 'text'], 'r.reported_text', 'reportedText', 'nullableText', { name: 'reported_text', kind: 'text' }),
  f(['source', 'id'], 'r.source_id', 'sourceId', 'text', { name: 'source_id', kind: 'text' }),
  f(['source', 'quote'], 'r.quote', 'quote', 'text', { name: 'quote', kind: 'text' }),
  f(['source', 'byteStart'], 'r.byte_start', 'byteStart', 'integer', { name: 'byte_start', kind: 'number' }),
  f(['source', 'byteEnd'], 'r.byte_end', 'byteEnd', 'integer', { name: 'byte_end', kind: 'number' }),
  f(['source', 'textUrl'], 'r.source_id', 'sourceId', 'sourceTextUrl', null),
  // In CSV the codes are joined by ';' (empty for none).
  f(['involvedAreas'], 'r.involved_areas', 'involvedAreas', 'jsonArray', { name: 'involved_areas', kind: 'text' }),
  f(['status'], 'r.status', 'status', 'text', { name: 'status', kind: 'text' }),
  // In CSV too: an export imported back must not clear the reviewer's notes.
  f(['note'], 'r.note', 'note', 'nullableText', { name: 'note', kind: 'text' }),
  f(['revision'], 'r.revision', 'revision', 'integer', { name: 'revision', kind: 'number' }),
  // Revisions recorded before migration 0006 hold no publication time: they were published when recorded.
  f(['publishedAt'], 'coalesce(r.published_at, r.recorded_at)', 'publishedAt', 'text', { name: 'published_at', kind: 'text' }),
  f(['recordedAt'], 'r.recorded_at', 'recordedAt', 'text', { name: 'recorded_at', kind: 'text' }),
  f(['seq'], 'r.seq', 'seq', 'integer', null, true),
  f(['reason'], 'r.reason', 'reason', 'text', null, true),
  f(['actor'], 'r.actor', 'actor', 'text', null, true),
  f(['ruleChanges'], 'r.rule_changes', 'ruleChanges', 'jsonArray', null, true),
]

/** Every ObservationRow property with the column that holds it: the row SELECT list of both adapters. */
export const ROW_COLUMNS: ReadonlyArray<{ row: keyof ObservationRow; column: string }> = (() => {
  const seen = new Map<keyof ObservationRow, string>()
  for (const field of OBSERVATION_FIELDS) if (!seen.has(field.row)) seen.set(field.row, field.column)
  return [...seen].map(([row, column]) => ({ row, column }))
})()

/** The JSON's nesting as a tree of fields: what a builder walks to write objects in order. */
export type JsonNode = { key: string; field: ObservationField } | { key: string; members: JsonNode[] }

export function jsonTree(revision: boolean): JsonNode[] {
  const root: JsonNode[] = []
  for (const field of OBSERVATION_FIELDS) {
    if (field.json === null || (field.revisionOnly && !revision)) continue
    let level = root
    field.json.slice(0, -1).forEach((key) => {
      let node = level.find((n): n is Extract<JsonNode, { members: JsonNode[] }> => n.key === key && 'members' in n)
      if (!node) {
        node = { key, members: [] }
        level.push(node)
      }
      level = node.members
    })
    level.push({ key: field.json[field.json.length - 1] as string, field })
  }
  return root
}

/** The value a field takes in JSON, from a row. */
export function jsonValueOf(field: ObservationField, row: ObservationRow): unknown {
  const v = row[field.row]
  switch (field.type) {
    case 'jsonArray':
      return JSON.parse(v as string) as unknown
    case 'sourceTextUrl':
      return sourceTextUrl(v as string)
    default:
      return v
  }
}

export const sourceTextUrl = (sourceId: string) => `/v1/sources/${sourceId}/text`

/** An observation (or, with `revision`, an ObservationRevision) as the object the API serves, its members in JSON order. */
export function observationObject(row: ObservationRow, revision = false): Record<string, unknown> {
  const build = (nodes: JsonNode[]): Record<string, unknown> => Object.fromEntries(nodes.map((n) => [n.key, 'members' in n ? build(n.members) : jsonValueOf(n.field, row)]))
  return build(jsonTree(revision))
}

/** The same as JSON text: the reference the adapters' SQL-built JSON is held to, byte for byte. */
export function observationJson(row: ObservationRow, revision = false): string {
  return JSON.stringify(observationObject(row, revision))
}

/** The CSV columns in order, each with how its cell is read from a row. */
export const CSV_FIELDS: ReadonlyArray<{ name: string; kind: CsvCellKind; field: ObservationField }> = OBSERVATION_FIELDS.flatMap((field) =>
  field.csv === null ? [] : [{ name: field.csv.name, kind: field.csv.kind, field }],
)

/** A field's CSV cell value from a row (before the CSV rule quotes or neutralizes it). */
export function csvValueOf(field: ObservationField, row: ObservationRow): string | number | null {
  const v = row[field.row]
  return field.type === 'jsonArray' ? (JSON.parse(v as string) as string[]).join(';') : (v as string | number | null)
}

/** One observation as a CSV line (CRLF-terminated), by the export's one rule: the reference the SQL-built lines are held to. */
export function csvLine(row: ObservationRow): string {
  return CSV_FIELDS.map((c) => csvCell(c.kind, csvValueOf(c.field, row))).join(',') + '\r\n'
}
