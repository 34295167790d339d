// The parts of jsonstat-toolkit (untyped) the JSON-stat round-trip test reads with.
declare module 'jsonstat-toolkit' {
  interface JsonStatDimension {
    length: number
    id: string[]
    label: string
    role: string | null
    Category(id: string): { label: string; index: number; unit: { label?: string; symbol?: string; decimals?: number; position?: string } | null } | null
  }
  interface JsonStatDataset {
    class: 'dataset'
    length: number
    n: number
    id: string[]
    size: number[]
    label: string
    source: string | null
    updated: string | null
    value: Array<number | null>
    status: Array<string | null> | null
    role: { time: string[] | null; geo: string[] | null; metric: string[] | null } | null
    extension: Record<string, any> | null
    Dimension(id: string): JsonStatDimension | null
    Data(query: Record<string, string>, include?: boolean): { value: number | null; status: string | null } | null
  }
  interface JsonStatResponse {
    class: string
    length: number
    Dataset(i: number): JsonStatDataset
  }
  export default function JSONstat(input: unknown): JsonStatResponse
}
