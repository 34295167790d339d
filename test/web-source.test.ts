// The source page as served: every current citation highlighted once, hostile text escaped, ETag/304, a 404 page.
import type { InjectOptions } from 'light-my-request'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderPage } from '../src/http/html.js'
import { createAnnotationService } from '../src/modules/annotations/annotations.service.js'
import { createKey } from '../src/modules/keys/keys.js'
import { createObservationService } from '../src/modules/observations/observations.service.js'
import { SourcePage } from '../src/modules/web/pages/source.js'
import type { WebRoutesOptions } from '../src/modules/web/web.routes.js'
import { readSeedExclusions } from '../src/seed/exclusions.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

const SEED = 'bayantala-2023h1'

let t: TestContext
let admin: string
let writer: string
beforeAll(async () => {
  t = await buildTestApp()
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
})
afterAll(async () => t?.close())

const call = (opts: string | InjectOptions) => t.app.inject(opts)

const citeIds = (html: string) => [...html.matchAll(/id="cite-(\d+)"/g)].map((m) => Number(m[1]))

async function citing(sourceId: string): Promise<number[]> {
  const all = json((await call('/v1/observations?limit=1000')).body).data as Array<{ id: number; source: { id: string } }>
  return all.filter((o) => o.source.id === sourceId).map((o) => o.id)
}

const unescape = (html: string) => html.replace(/&(lt|gt|quot|#39|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e as string] as string)

/** A shown reason: its text and the `lang` its element declares (none: the surrounding language). */
interface Shown {
  text: string
  lang: string | undefined
}

/** The reasons of the page's list of exclusions, by key, as they are read (the prefix is the page's own words). */
function listedReasons(html: string): Map<number, Shown> {
  const out = new Map<number, Shown>()
  for (const m of html.matchAll(/<span id="excluded-(\d+)">[^<]*<span(?: lang="([^"]*)")?>([^<]*)<\/span><\/span>/g)) out.set(Number(m[1]), { text: unescape(m[3] as string), lang: m[2] })
  return out
}

/** Each excluded mark in the text: the exclusion it describes, its hover title and the reason shown on hover or focus. */
function marks(html: string): Array<{ key: number; title: string; shown: Shown }> {
  return [...html.matchAll(/<mark class="excluded" tabindex="0" title="([^"]*)" aria-describedby="excluded-(\d+)">[^<]*<span class="reason"(?: lang="([^"]*)")? aria-hidden="true">([^<]*)<\/span><\/mark>/g)].map((m) => ({
    key: Number(m[2]),
    title: unescape(m[1] as string),
    shown: { text: unescape(m[4] as string), lang: m[3] },
  }))
}

describe('/sources/{id}', () => {
  it('links the number each citation states to that citation\'s observation, where quotes overlap too', async () => {
    const all = json((await call('/v1/observations?limit=1000')).body).data as Array<{ id: number; indicator: string; source: { id: string }; reported: { value: string; text?: string | null } }>
    const html = (await call(`/sources/${SEED}?lang=en`)).body
    // The text of each highlight piece, by the observation it links to.
    const linked = new Map<number, string>()
    for (const m of html.matchAll(/<a(?: id="cite-\d+")? class="cite[^"]*" href="[^"#]*#obs-(\d+)">([^<]*)<\/a>/g)) {
      linked.set(Number(m[1]), (linked.get(Number(m[1])) ?? '') + ' ' + m[2])
    }
    const cited = all.filter((o) => o.source.id === SEED)
    expect(cited.length).toBeGreaterThan(40)
    for (const o of cited) {
      const number = o.reported.text ?? o.reported.value
      expect(linked.get(o.id) ?? '', `observation ${o.id} (${o.indicator}) states ${number}`).toContain(number)
    }
  })

  it('links the stated number to its own citation as the citation rule reads it (a value written 12.50, where a shorter quote covers it)', async () => {
    const text = '全镇植树12.50亩，其中新造林3亩。\n'
    expect((await call({ method: 'POST', url: '/v1/sources', headers: { authorization: `Bearer ${admin}` }, payload: { id: 'figure-brief', title: 'figures', issuer: 'x', issuedOn: '2023-10-08', text } })).statusCode).toBe(201)
    const row = (indicator: string, value: string, unit: string, quote: string) => ({ indicator, area: 'bayantala', period: '2023S2', kind: 'actual', reported: { value, unit }, citation: { sourceId: 'figure-brief', quote } })
    const imp = await call({
      method: 'POST',
      url: '/v1/imports',
      headers: { authorization: `Bearer ${writer}` },
      payload: {
        reason: 'figures',
        observations: [
          // The outer quote states 12.50; the inner one, which also covers it, states 3.
          row('key_afforestation_area', '12.50', '亩', '全镇植树12.50亩，其中新造林3亩'),
          row('banner_planted_forest_area', '3', '亩', '12.50亩，其中新造林3亩'),
        ],
      },
    })
    expect(imp.statusCode, imp.body).toBe(200)
    const ids = new Map((json(imp.body).results as Array<{ id: number; index: number }>).map((r) => [r.index, r.id]))
    const html = (await call('/sources/figure-brief?lang=en')).body
    const linked = [...html.matchAll(/<a(?: id="cite-\d+")? class="cite[^"]*" href="[^"#]*#obs-(\d+)">([^<]*)<\/a>/g)].map((m) => [m[2], Number(m[1])])
    expect(linked).toContainEqual(['12.50', ids.get(0)])
    expect(linked.filter(([, id]) => id === ids.get(1)).map(([piece]) => piece).join('')).toContain('3')
  })

  it('highlights every current observation of the source exactly once, overlapping quotes included, in both languages', async () => {
    const ids = await citing(SEED)
    expect(ids.length).toBeGreaterThan(40)
    for (const lang of ['zh', 'en']) {
      const res = await call(`/sources/${SEED}?lang=${lang}`)
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(citeIds(res.body).sort((a, b) => a - b)).toEqual(ids)
      for (const id of ids) expect(res.body).toContain(`#obs-${id}"`)
      expect(res.body).toContain(`lang=${lang}#obs-`)
      expect(res.body).toMatch(/curl -s http:\/\/[^ ]+\/v1\/sources\/bayantala-2023h1\/text \| sha256sum/)
      expect(res.body).toMatch(/class="excluded" tabindex="0" title="[^"]+" aria-describedby="excluded-\d+"/)
    }
  })

  it('shows each exclusion\'s reason in the page\'s language, in the list, on hover and focus, and as the mark\'s description', async () => {
    const exclusions = json((await call(`/v1/sources/${SEED}/exclusions`)).body).data as Array<{ reason: string; reasonZh: string }>
    for (const lang of ['zh', 'en'] as const) {
      const html = (await call(`/sources/${SEED}?lang=${lang}`)).body
      const reasonOf = (x: { reason: string; reasonZh: string }) => (lang === 'zh' ? x.reasonZh : x.reason)
      // Every reason is in the page's own language: no element needs a lang of its own, but the marks inside the Chinese text on the en page.
      expect(listedReasons(html)).toEqual(new Map(exclusions.map((x, key) => [key, { text: reasonOf(x), lang: undefined }])))
      const drawn = marks(html)
      expect(new Set(drawn.map((m) => m.key)).size).toBeGreaterThan(20)
      for (const m of drawn) {
        const x = exclusions[m.key] as { reason: string; reasonZh: string }
        expect(m.title, `excluded-${m.key}`).toBe(reasonOf(x))
        expect(m.shown, `excluded-${m.key}`).toEqual({ text: reasonOf(x), lang: lang === 'en' ? 'en' : undefined })
      }
      const unshown = exclusions.map((x) => (lang === 'zh' ? x.reason : x.reasonZh))
      for (const other of unshown) expect(unescape(html), other).not.toContain(other)
    }
  })

  it('falls back to the English reason, marked lang="en", where the Chinese page has no Chinese one', async () => {
    const seeded = readSeedExclusions().get(SEED) ?? []
    const observations = createObservationService(t.storage.observations, t.storage.catalog)
    for (const keepsChinese of [(i: number) => i % 2 === 0, () => false]) {
      const partial = seeded.map((x, i) => (keepsChinese(i) ? x : { quote: x.quote, reason: x.reason }))
      const annotations = createAnnotationService({ observations, catalog: t.storage.catalog, exclusions: () => new Map([[SEED, partial]]) })
      const served = await annotations.exclusions(SEED)
      expect(served.some((x) => x.reasonZh === null)).toBe(true)
      // The source page reads only these two services.
      const services = { catalog: t.storage.catalog, annotations } as unknown as WebRoutesOptions
      const page = async (lang: 'zh' | 'en') => renderPage(await SourcePage({ lang, id: SEED, services, origin: 'http://127.0.0.1:3000' }))
      const zh = await page('zh')
      expect(listedReasons(zh)).toEqual(new Map(served.map((x, key) => [key, x.reasonZh === null ? { text: x.reason, lang: 'en' } : { text: x.reasonZh, lang: undefined }])))
      const drawn = marks(zh)
      expect(drawn.some((m) => served[m.key]?.reasonZh === null)).toBe(true)
      for (const m of drawn) {
        const x = served[m.key] as (typeof served)[number]
        expect(m.title).toBe(x.reasonZh ?? x.reason)
        expect(m.shown).toEqual(x.reasonZh === null ? { text: x.reason, lang: 'en' } : { text: x.reasonZh, lang: undefined })
      }
      // The English page is as before: English everywhere.
      const en = await page('en')
      expect(listedReasons(en)).toEqual(new Map(served.map((x, key) => [key, { text: x.reason, lang: undefined }])))
      for (const m of marks(en)) expect(m.shown).toEqual({ text: (served[m.key] as (typeof served)[number]).reason, lang: 'en' })
    }
  })

  it('drops a withdrawn observation from the highlights', async () => {
    const [first] = await citing(SEED)
    const current = await call(`/v1/observations/${first}`)
    const del = await call({ method: 'DELETE', url: `/v1/observations/${first}?reason=test`, headers: { authorization: `Bearer ${writer}`, 'if-match': current.headers.etag as string } })
    expect(del.statusCode).toBe(200)
    const html = (await call(`/sources/${SEED}`)).body
    expect(citeIds(html)).not.toContain(first)
    expect(citeIds(html).sort((a, b) => a - b)).toEqual(await citing(SEED))
  })

  it('escapes a hostile source text, title and quote stored through the API', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>&amp;"\''
    const text = `${evil}\n<b>全镇养老保险参保8012人</b>${evil}\n`
    const created = await call({ method: 'POST', url: '/v1/sources', headers: { authorization: `Bearer ${admin}` }, payload: { id: 'hostile-brief', title: evil, issuer: evil, issuedOn: '2023-10-08', text } })
    expect(created.statusCode).toBe(201)
    const imp = await call({
      method: 'POST',
      url: '/v1/imports',
      headers: { authorization: `Bearer ${writer}` },
      payload: { reason: 'hostile', observations: [{ indicator: 'pension_insurance_enrolled', area: 'bayantala', period: '2023S2', kind: 'actual', reported: { value: '8012', unit: '人' }, citation: { sourceId: 'hostile-brief', quote: '<b>全镇养老保险参保8012人' } }] },
    })
    expect(imp.statusCode, imp.body).toBe(200)
    const res = await call('/sources/hostile-brief?lang=en')
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toMatch(/<script|<img|<b>/)
    expect(res.body).toContain('&lt;script>alert(1)&lt;/script>&lt;img src=x onerror=alert(2)>')
    expect(res.body).toContain('&amp;amp;')
    expect(citeIds(res.body)).toEqual(await citing('hostile-brief'))
    // No reviewed exclusions for a source stored through the API.
    expect(res.body).not.toContain('class="excluded"')
  })

  it('revalidates with its ETag (304), and answers an unknown source with a 404 page', async () => {
    const first = await call(`/sources/${SEED}?lang=en`)
    const etag = first.headers.etag as string
    expect(etag).toMatch(/^"/)
    const again = await call({ url: `/sources/${SEED}?lang=en`, headers: { 'if-none-match': etag } })
    expect(again.statusCode).toBe(304)
    const missing = await call('/sources/no-such-report?lang=en')
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toMatch(/^text\/html/)
    expect(missing.body).toContain('no-such-report')
  })
})
