// Citations in the web's own terms: selectors, code-point positions, text fragments and exclusions, pure and through the API.
import fc from 'fast-check'
import type { InjectOptions } from 'light-my-request'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { citationGeometry, codePointOffset, byteOffsetOf, parseTextDirective, quoteSelectorMatches, textDirectiveMatches } from '../src/domain/annotation.js'
import { createAnnotationService } from '../src/modules/annotations/annotations.service.js'
import { createKey } from '../src/modules/keys/keys.js'
import { createObservationService } from '../src/modules/observations/observations.service.js'
import { readSeedExclusions } from '../src/seed/exclusions.js'
import { buildTestApp, json, type TestContext } from './helpers.js'
import { runs } from './support/property-runs.js'

const SEED = 'bayantala-2023h1'

/** Where `directive` matches `text`, as code-point starts of its start term. */
function fragmentStarts(text: string, fragment: string): number[] {
  const d = parseTextDirective(fragment)
  if (!d) throw new Error(`no text directive in ${fragment}`)
  return textDirectiveMatches(text, d).map((m) => Array.from(text.slice(0, m.start)).length)
}

describe('citation geometry (pure)', () => {
  // Multi-byte and non-BMP characters, the directive's own syntax characters, spaces and punctuation.
  const alphabet = fc.constantFrom('a', 'b', 'Z', '1', '0', '.', ' ', '\n', '-', ',', '&', '#', '%', '：', '，', '。', '亩', '万', '元', '村', '镇', '😀', '𠀀', '🐄', 'é', '“', '”')
  const textAndSpan = fc
    .array(alphabet, { minLength: 1, maxLength: 120 })
    .chain((chars) => fc.tuple(fc.constant(chars), fc.nat(chars.length - 1), fc.integer({ min: 1, max: 12 })))
    .map(([chars, at, len]) => ({ chars, at, end: Math.min(chars.length, at + len) }))

  it('maps code-point positions back to the same bytes, and the quote selector back to its place', () => {
    fc.assert(
      fc.property(textAndSpan, ({ chars, at, end }) => {
        const text = chars.join('')
        const bytes = Buffer.from(text, 'utf8')
        const byteStart = Buffer.byteLength(chars.slice(0, at).join(''))
        const byteEnd = Buffer.byteLength(chars.slice(0, end).join(''))
        const g = citationGeometry(bytes, byteStart, byteEnd)
        expect(g.position).toEqual({ type: 'TextPositionSelector', start: at, end })
        expect(codePointOffset(bytes, byteStart)).toBe(at)
        expect(byteOffsetOf(bytes, at)).toBe(byteStart)
        expect(chars.slice(g.position.start, g.position.end).join('')).toBe(bytes.subarray(byteStart, byteEnd).toString('utf8'))
        expect(g.quote.exact).toBe(chars.slice(at, end).join(''))
        expect(g.quote.prefix).toBe(chars.slice(Math.max(0, at - 32), at).join(''))
        expect(g.quote.suffix).toBe(chars.slice(end, end + 32).join(''))
        // Never a lone surrogate: the context is whole code points.
        expect(Array.from(g.quote.prefix + g.quote.suffix).every((c) => c.length === 1 || c.codePointAt(0)! > 0xffff)).toBe(true)
        expect(quoteSelectorMatches(text, g.quote)).toContain(at)
        expect(g.bytes).toEqual({ type: 'DataPositionSelector', start: byteStart, end: byteEnd })
      }),
      { numRuns: runs(300) },
    )
  })

  it('writes a fragment whose start term decodes to the quote, with - , & encoded, and which matches the quote once when it is unique', () => {
    fc.assert(
      fc.property(textAndSpan, ({ chars, at, end }) => {
        const text = chars.join('')
        const exact = chars.slice(at, end).join('')
        fc.pre(!/^\s|\s$/.test(exact))
        const bytes = Buffer.from(text, 'utf8')
        const g = citationGeometry(bytes, Buffer.byteLength(chars.slice(0, at).join('')), Buffer.byteLength(chars.slice(0, end).join('')))
        const terms = g.textFragment.slice(':~:text='.length)
        expect(terms).not.toMatch(/[&#\s]/)
        for (const term of terms.split(',')) expect(term.replace(/^-|-$/g, '')).not.toMatch(/[-,&]/)
        const d = parseTextDirective(g.textFragment)
        expect(d?.start).toBe(exact)
        expect(g.quote.prefix.endsWith(d?.prefix ?? '')).toBe(true)
        expect(g.quote.suffix.startsWith(d?.suffix ?? '')).toBe(true)
        const unique = quoteSelectorMatches(text, { exact, prefix: '', suffix: '' }).length === 1
        if (unique) expect(fragmentStarts(text, g.textFragment)).toEqual([at])
      }),
      { numRuns: runs(300) },
    )
  })
})

let t: TestContext

const call = (opts: string | InjectOptions) => t.app.inject(opts)

describe('annotations through the API', () => {
  let text: Buffer
  let admin: string
  let writer: string
  beforeAll(async () => {
    t = await buildTestApp()
    admin = (await createKey(t.storage, 'admin', ['admin'])).secret
    writer = (await createKey(t.storage, 'writer', ['write'])).secret
    text = Buffer.from((await call(`/v1/sources/${SEED}/text`)).rawPayload)
  })
  afterAll(async () => t?.close())

  it('gives every seeded observation selectors that select its byte span, and a fragment that matches it once', async () => {
    const observations = json((await call('/v1/observations?limit=1000')).body).data as any[]
    expect(observations.length).toBeGreaterThan(40)
    const decoded = text.toString('utf8')
    const page = json((await call(`/v1/sources/${SEED}/annotations`)).body)
    expect(page.type).toBe('AnnotationPage')
    expect(page.items.map((a: any) => a.body[0].id)).toEqual(observations.filter((o) => o.source.id === SEED).map((o) => `/v1/observations/${o.id}`))
    for (const o of observations) {
      const res = await call(`/v1/observations/${o.id}/annotation`)
      expect(res.statusCode).toBe(200)
      const a = json(res.body)
      expect(a['@context']).toBe('http://www.w3.org/ns/anno.jsonld')
      expect(a.type).toBe('Annotation')
      const [quote, position, bytes] = a.target.selector
      const spanText = text.subarray(o.source.byteStart, o.source.byteEnd).toString('utf8')
      expect(quote.exact).toBe(spanText)
      expect(quote.exact).toBe(o.source.quote)
      expect(Array.from(decoded).slice(position.start, position.end).join('')).toBe(spanText)
      expect(bytes).toEqual({ type: 'DataPositionSelector', start: o.source.byteStart, end: o.source.byteEnd })
      expect(quoteSelectorMatches(decoded, quote)).toEqual([position.start])
      const [path, fragment] = a.textFragmentUrl.split('#')
      expect(path).toBe(`/v1/sources/${SEED}/text`)
      expect(parseTextDirective(fragment)?.start).toBe(spanText)
      expect(fragmentStarts(decoded, fragment)).toEqual([position.start])
      expect(page.items.find((i: any) => i.id === a.id)).toEqual(a)
    }
  })

  it('locates every reviewed exclusion in the text, in bytes and code points', async () => {
    const res = await call(`/v1/sources/${SEED}/exclusions`)
    expect(res.statusCode).toBe(200)
    const { data } = json(res.body)
    expect(data.length).toBeGreaterThan(20)
    const chars = Array.from(text.toString('utf8'))
    for (const x of data) {
      expect(x.reason.length).toBeGreaterThan(0)
      expect(x.locations.length).toBeGreaterThan(0)
      for (const l of x.locations) {
        expect(text.subarray(l.byteStart, l.byteEnd).toString('utf8')).toBe(x.quote)
        expect(chars.slice(l.start, l.end).join('')).toBe(x.quote)
      }
    }
    const starts = data.map((x: any) => x.locations[0].byteStart)
    expect(starts).toEqual([...starts].sort((a, b) => a - b))
  })

  it('serves each exclusion\'s reason in English and in Chinese, as the reviewers wrote them', async () => {
    const { data } = json((await call(`/v1/sources/${SEED}/exclusions`)).body)
    const seeded = readSeedExclusions().get(SEED) ?? []
    expect(data).toHaveLength(seeded.length)
    const served = new Map(data.map((x: any) => [x.quote, x]))
    for (const x of seeded) {
      expect(served.get(x.quote), x.quote).toMatchObject({ reason: x.reason, reasonZh: x.reasonZh })
      expect((served.get(x.quote) as any).reasonZh, x.quote).toMatch(/\p{Script=Han}/u)
    }
  })

  it('serves a null Chinese reason where the reviewers wrote none, so that readers fall back to the English one', async () => {
    const seeded = readSeedExclusions().get(SEED) ?? []
    // Every other exclusion loses its Chinese reason.
    const partial = seeded.map((x, i) => (i % 2 === 0 ? x : { quote: x.quote, reason: x.reason }))
    const service = createAnnotationService({
      observations: createObservationService(t.storage.observations, t.storage.catalog),
      catalog: t.storage.catalog,
      exclusions: () => new Map([[SEED, partial]]),
    })
    const served = new Map((await service.exclusions(SEED)).map((x) => [x.quote, x]))
    partial.forEach((x, i) => {
      expect(served.get(x.quote)?.reason, x.quote).toBe(x.reason)
      expect(served.get(x.quote)?.reasonZh, x.quote).toBe(i % 2 === 0 ? seeded[i]?.reasonZh : null)
    })
  })

  it('answers the Web Annotation Protocol\'s media type when asked for JSON-LD, with the same document, and 406 for what it does not serve', async () => {
    for (const url of ['/v1/observations/22/annotation', '/v1/sources/bayantala-2023h1/annotations']) {
      const plain = await call(url)
      expect(plain.headers['content-type']).toMatch(/^application\/json/)
      for (const accept of ['application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"', 'application/ld+json', 'application/ld+json, application/json;q=0.5']) {
        const ld = await call({ url, headers: { accept } })
        expect(ld.statusCode, accept).toBe(200)
        expect(ld.headers['content-type'], accept).toBe('application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"')
        expect(json(ld.body)).toEqual(json(plain.body))
      }
      expect((await call({ url, headers: { accept: 'text/csv' } })).statusCode).toBe(406)
    }
  })

  it('answers 404 problems for an unknown observation, an unknown source, and an observation not yet published', async () => {
    for (const url of ['/v1/observations/987654/annotation', '/v1/sources/no-such-report/annotations', '/v1/sources/no-such-report/exclusions', '/v1/observations/1/annotation?asOf=2000-01-01']) {
      const res = await call(url)
      expect(res.statusCode, url).toBe(404)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
    expect((await call('/v1/observations/0/annotation')).statusCode).toBe(400)
  })

  it('works for a source stored through the API with characters outside the BMP, which has no reviewed exclusions', async () => {
    const body = '𠀀巴彦塔拉镇简报🐄\n😀全镇养老保险参保8012人😀，𠀀𠀀医疗保险参保25999人。\n'
    const created = await call({ method: 'POST', url: '/v1/sources', headers: { authorization: `Bearer ${admin}` }, payload: { id: 'emoji-brief', title: '简报', issuer: '巴彦塔拉镇人民政府', issuedOn: '2023-10-08', text: body } })
    expect(created.statusCode).toBe(201)
    const quotes = ['😀全镇养老保险参保8012人', '𠀀𠀀医疗保险参保25999人']
    const imp = await call({
      method: 'POST',
      url: '/v1/imports',
      headers: { authorization: `Bearer ${writer}` },
      payload: {
        reason: 'brief with non-BMP characters',
        observations: [
          { indicator: 'pension_insurance_enrolled', area: 'bayantala', period: '2023S2', kind: 'actual', reported: { value: '8012', unit: '人' }, citation: { sourceId: 'emoji-brief', quote: quotes[0] } },
          { indicator: 'medical_insurance_enrolled', area: 'bayantala', period: '2023S2', kind: 'actual', reported: { value: '25999', unit: '人' }, citation: { sourceId: 'emoji-brief', quote: quotes[1] } },
        ],
      },
    })
    expect(imp.statusCode, imp.body).toBe(200)
    const listed = await call('/v1/sources/emoji-brief/annotations')
    expect(listed.statusCode, listed.body).toBe(200)
    const page = json(listed.body)
    expect(page.items).toHaveLength(2)
    const chars = Array.from(body)
    for (const [i, a] of page.items.entries()) {
      const [quote, position, bytes] = a.target.selector
      expect(quote.exact).toBe(quotes[i])
      expect(chars.slice(position.start, position.end).join('')).toBe(quotes[i])
      expect(Buffer.from(body).subarray(bytes.start, bytes.end).toString('utf8')).toBe(quotes[i])
      // Code points, not UTF-16 units: the 𠀀 and 🐄 before count one each.
      expect(position.start).toBe(chars.indexOf(Array.from(quotes[i] as string)[0] as string, i === 0 ? 0 : 20))
      expect(fragmentStarts(body, a.textFragmentUrl.split('#')[1])).toEqual([position.start])
    }
    expect(json((await call('/v1/sources/emoji-brief/exclusions')).body)).toEqual({ sourceId: 'emoji-brief', data: [] })
  })
})
