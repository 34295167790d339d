// The source text cut where a citation or an exclusion begins or ends, so that overlapping
// quotes each get one highlight: a piece covered by several is drawn for the citation whose
// figure (the number it states) it is, else for the innermost one.

export interface Span {
  /** Byte offsets in the stored text: [start, end). */
  start: number
  end: number
}

export interface CiteSpan extends Span {
  id: number
  /** Where in the quote the stated number is written, when it was found: that piece is this citation's, whoever else covers it. */
  figure?: Span | undefined
}

export interface ExcludedSpan extends Span {
  /** Its index in the source's exclusion list. */
  key: number
}

export interface Segment extends Span {
  /** Ids of the citations covering the piece: the one whose figure it is first, then innermost (shortest) first. */
  cites: number[]
  /** Ids of the citations that begin at this piece: each is anchored here and nowhere else. */
  begins: number[]
  /** The exclusions covering the piece (drawn only where no citation is). */
  excluded: ExcludedSpan[]
}

/** Cuts [0, length) at every span boundary; each citation begins in exactly one piece. */
export function segmentText(length: number, cites: CiteSpan[], exclusions: ExcludedSpan[]): Segment[] {
  const cuts = new Set<number>([0, length])
  for (const s of [...cites, ...exclusions, ...cites.flatMap((c) => (c.figure ? [c.figure] : []))]) {
    cuts.add(Math.max(0, Math.min(length, s.start)))
    cuts.add(Math.max(0, Math.min(length, s.end)))
  }
  const points = [...cuts].sort((a, b) => a - b)
  const byLength = [...cites].sort((a, b) => a.end - a.start - (b.end - b.start) || a.id - b.id)
  const anchored = new Set<number>()
  const out: Segment[] = []
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i] as number
    const end = points[i + 1] as number
    const inFigure = (c: CiteSpan) => (c.figure !== undefined && c.figure.start <= start && c.figure.end >= end ? 0 : 1)
    const covering = byLength.filter((c) => c.start <= start && c.end >= end).sort((a, b) => inFigure(a) - inFigure(b))
    const begins = covering.filter((c) => !anchored.has(c.id)).map((c) => c.id)
    for (const id of begins) anchored.add(id)
    const ids = covering.map((c) => c.id)
    const last = out[out.length - 1]
    // An exclusion inside a citation cuts it without changing what is drawn: keep the citation one piece.
    if (last && ids.length > 0 && begins.length === 0 && last.cites.join() === ids.join()) last.end = end
    else out.push({ start, end, cites: ids, begins, excluded: exclusions.filter((x) => x.start <= start && x.end >= end) })
  }
  return out
}
