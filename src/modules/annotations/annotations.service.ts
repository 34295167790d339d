// Citation geometry for the API and the source page: each observation's quote as Web Annotation
// selectors and a text-fragment link, and the source's reviewed exclusions located in its text.
import { citationGeometry, codePointOffset, type CitationGeometry } from '../../domain/annotation.js'
import { locateAll } from '../../domain/citation.js'
import { Errors } from '../../errors.js'
import type { SeedExclusion } from '../../seed/exclusions.js'
import type { CatalogReads, ObservationRow, SourceMetadata } from '../../storage/ports.js'
import { sourceTextUrl } from '../../storage/fields.js'
import type { ObservationService } from '../observations/observations.service.js'
import { ANNO_CONTEXT, type AnnotationT, type ExclusionT } from './annotations.schemas.js'

/** Rows read per batch while collecting the observations that cite a source. */
const SCAN_BATCH = 1000

/** Geometries kept: a source's text never changes, so a span's geometry is computed once. */
const GEOMETRY_CACHE = 20_000

export interface AnnotationServiceDeps {
  observations: ObservationService
  catalog: Pick<CatalogReads, 'source' | 'sourceContent'>
  /** Reviewed exclusions by source id. */
  exclusions: () => Map<string, SeedExclusion[]>
}

export interface CitedRow {
  row: ObservationRow
  geometry: CitationGeometry
}

export interface SourceView {
  source: SourceMetadata
  text: Buffer
  sha256: string
  cited: CitedRow[]
  exclusions: ExclusionT[]
}

export function annotationOf(row: ObservationRow, geometry: CitationGeometry): AnnotationT {
  const textUrl = sourceTextUrl(row.sourceId)
  return {
    '@context': ANNO_CONTEXT,
    id: `/v1/observations/${row.id}/annotation`,
    type: 'Annotation',
    motivation: 'describing',
    body: [
      { id: `/v1/observations/${row.id}`, type: 'Dataset', format: 'application/json' },
      {
        type: 'TextualBody',
        value: `${row.indicator}, ${row.area}, ${row.period}, ${row.kind}: ${row.qualifier === 'eq' ? '' : `${row.qualifier} `}${row.value} ${row.unit} (reported ${row.reportedValue} ${row.reportedUnit})`,
        format: 'text/plain',
        language: 'en',
      },
    ],
    target: { source: textUrl, type: 'Text', format: 'text/plain', selector: [geometry.quote, geometry.position, geometry.bytes] },
    textFragmentUrl: `${textUrl}#${geometry.textFragment}`,
    status: row.status,
  }
}

export function createAnnotationService(deps: AnnotationServiceDeps) {
  const geometries = new Map<string, CitationGeometry>()
  function geometryOf(sourceId: string, text: Buffer, byteStart: number, byteEnd: number): CitationGeometry {
    const key = `${sourceId} ${byteStart} ${byteEnd}`
    let g = geometries.get(key)
    if (!g) {
      if (geometries.size >= GEOMETRY_CACHE) geometries.clear()
      geometries.set(key, (g = citationGeometry(text, byteStart, byteEnd)))
    }
    return g
  }

  async function sourceText(id: string): Promise<{ source: SourceMetadata; content: Buffer; sha256: string }> {
    const [source, content] = await Promise.all([deps.catalog.source(id), deps.catalog.sourceContent(id)])
    if (!source || !content) throw Errors.notFound(`No source "${id}".`)
    return { source, content: content.content, sha256: content.sha256 }
  }

  /** Every current observation citing the source, in id order: the store reads only those, batch by batch. */
  async function citing(sourceId: string, text: Buffer): Promise<CitedRow[]> {
    const out: CitedRow[] = []
    let cursor: string | undefined
    do {
      const page = await deps.observations.rowPage({ source: [sourceId] }, cursor, SCAN_BATCH)
      for (const row of page.items) out.push({ row, geometry: geometryOf(sourceId, text, row.byteStart, row.byteEnd) })
      cursor = page.nextCursor ?? undefined
    } while (cursor !== undefined)
    return out
  }

  function exclusionsIn(sourceId: string, text: Buffer): ExclusionT[] {
    const listed = deps.exclusions().get(sourceId) ?? []
    const located = listed.map((x) => ({
      quote: x.quote,
      reason: x.reason,
      reasonZh: x.reasonZh ?? null,
      locations: locateAll(text, x.quote).map((byteStart) => {
        const byteEnd = byteStart + Buffer.byteLength(x.quote, 'utf8')
        const start = codePointOffset(text, byteStart)
        return { byteStart, byteEnd, start, end: start + Array.from(x.quote).length }
      }),
    }))
    return located.sort((a, b) => (a.locations[0]?.byteStart ?? Infinity) - (b.locations[0]?.byteStart ?? Infinity))
  }

  return {
    async annotation(id: number, asOf?: string, knownAt?: string): Promise<AnnotationT> {
      const row = await deps.observations.byId(id, asOf, knownAt)
      const { content } = await sourceText(row.sourceId)
      return annotationOf(row, geometryOf(row.sourceId, content, row.byteStart, row.byteEnd))
    },

    async sourceAnnotations(sourceId: string): Promise<AnnotationT[]> {
      const { content } = await sourceText(sourceId)
      return (await citing(sourceId, content)).map((c) => annotationOf(c.row, c.geometry))
    },

    async exclusions(sourceId: string): Promise<ExclusionT[]> {
      const { content } = await sourceText(sourceId)
      return exclusionsIn(sourceId, content)
    },

    /** What the source page shows: metadata, the text, its current citations and its exclusions. */
    async sourceView(sourceId: string): Promise<SourceView> {
      const { source, content, sha256 } = await sourceText(sourceId)
      return { source, text: content, sha256, cited: await citing(sourceId, content), exclusions: exclusionsIn(sourceId, content) }
    },
  }
}

export type AnnotationService = ReturnType<typeof createAnnotationService>
