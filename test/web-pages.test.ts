// The web pages `/`, `/indicators/{code}` and `/audit` through app.inject, on either backend: headers,
// revalidation, language, escaping of stored text, the 404 page, and figures shown with every digit.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compareDecimal, normalizeDecimal } from '../src/domain/decimal.js'
import { createKey } from '../src/modules/keys/keys.js'
import { niceScale } from '../src/modules/web/components/chart.js'
import { formatDecimal, periodWords, qualified, THIN } from '../src/modules/web/components/numbers.js'
import type { InjectOptions } from 'fastify'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
let admin: string
let writer: string
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })

beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
  admin = (await createKey(t.storage, 'admin', ['admin'])).secret
  writer = (await createKey(t.storage, 'writer', ['write'])).secret
})
afterAll(() => t.close())

const PAGES = ['/', '/indicators/wagyu_surrogate_cattle', '/indicators/high_yield_dense_maize_area', '/indicators/wagyu_calf_base_price', '/audit']
const LANGS = ['zh', 'en'] as const

const inject = (options: InjectOptions) => t.app.inject(options)

const get = (url: string, headers: Record<string, string> = {}) => inject({ url, headers })

/** The text of an HTML fragment as a browser shows it: tags dropped, the five escapes undone, thin spaces kept. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

function h1Of(body: string): string {
  const all = [...body.matchAll(/<h1>([\s\S]*?)<\/h1>/g)]
  expect(all).toHaveLength(1)
  return all[0]![1]!
}

/** What breaks region landmarks on a page: labels naming no element, empty names, names or ids used twice. */
function landmarkTrouble(body: string) {
  const missing: string[] = []
  const textById = (id: string) => {
    const m = new RegExp(`<([a-z0-9]+)[^>]* id="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(body)
    if (!m) missing.push(id)
    return m ? textOf(m[2]!).trim() : ''
  }
  // A <section> with a name and an element with role="region" are both region landmarks.
  const regions = [...body.matchAll(/<(section|[a-z]+ [^>]*role="region")[^>]*?(?:aria-labelledby="([^"]+)"|aria-label="([^"]+)")[^>]*>/g)]
  const names = regions.map((m) => (m[2] ? textById(m[2]) : m[3]!))
  const ids = [...body.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)
  return {
    missing,
    unnamed: names.filter((name) => name === '').length,
    repeatedNames: names.filter((name, i) => names.indexOf(name) !== i),
    repeatedIds: ids.filter((id, i) => ids.indexOf(id) !== i),
  }
}

async function putIndicator(code: string, body: Record<string, unknown>) {
  const res = await inject({ method: 'PUT', url: `/v1/indicators/${code}`, headers: bearer(admin), payload: { category: 'governance', unit: 'mu', additive: true, ...body } })
  expect([200, 201], res.body).toContain(res.statusCode)
}

async function postSource(id: string, text: string) {
  const res = await inject({ method: 'POST', url: '/v1/sources', headers: bearer(admin), payload: { id, title: `标题 ${id}`, issuer: 'test', issuedOn: '2023-10-08', text } })
  expect(res.statusCode, res.body).toBe(201)
}

async function importRows(rows: object[]) {
  const res = await inject({ method: 'POST', url: '/v1/imports?reason=web-test', headers: bearer(writer), payload: { observations: rows } })
  expect(res.statusCode, res.body).toBe(200)
  return json(res.body)
}

describe('every page in both languages', () => {
  it('answers 200 HTML with the page policy, one h1, the language on <html>, and an ETag that revalidates with 304', async () => {
    for (const path of PAGES) {
      for (const lang of LANGS) {
        const url = `${path}?lang=${lang}`
        const res = await get(url)
        expect(res.statusCode, url).toBe(200)
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
        const csp = String(res.headers['content-security-policy'])
        expect(csp).toContain("default-src 'none'")
        expect(csp).toContain("style-src 'self'")
        expect(csp).not.toMatch(/script-src|unsafe-inline/)
        expect(res.body.startsWith('<!doctype html>')).toBe(true)
        expect(res.body).toContain(`<html lang="${lang === 'zh' ? 'zh-Hans' : 'en'}">`)
        h1Of(res.body)
        // The policy forbids inline styles and scripts: none may be written.
        expect(res.body).not.toMatch(/\sstyle=|<script|<style/i)
        const etag = String(res.headers.etag)
        expect(etag).toMatch(/^"[\w-]+"$/)
        const again = await get(url, { 'if-none-match': etag })
        expect(again.statusCode).toBe(304)
        expect(again.body).toBe('')
      }
    }
  })

  it('switches language on the same page and keeps it in every link within the view', async () => {
    for (const path of PAGES) {
      const zh = (await get(`${path}?lang=zh`)).body
      const en = (await get(`${path}?lang=en`)).body
      expect(zh).toContain(`href="${path}?lang=en"`)
      expect(en).toContain(`href="${path}?lang=zh"`)
      expect(zh).not.toBe(en)
      for (const [body, lang] of [[zh, 'zh'], [en, 'en']] as const) {
        for (const m of body.matchAll(/href="(\/(?:indicators|sources|audit)[^"]*|\/\?[^"]*)"/g)) {
          // The switch itself names the other language; every other page link keeps this one.
          if (m[1]!.startsWith(`${path}?lang=`)) continue
          expect(m[1], `${path} ${lang}`).toContain(`lang=${lang}`)
        }
      }
    }
  })

  it('ignores parameters a shared link gathers (utm_source, fbclid) and reads a language tag by its primary subtag', async () => {
    for (const [query, lang] of [['lang=en&utm_source=x&fbclid=y', 'en'], ['lang=en-US', 'en'], ['lang=EN', 'en'], ['lang=zh-Hant', 'zh-Hans'], ['lang=fr', 'zh-Hans']] as const) {
      const res = await t.app.inject({ url: `/indicators/dibao_paid?${query}` })
      expect(res.statusCode, query).toBe(200)
      expect(res.body, query).toContain(`<html lang="${lang}"`)
    }
  })

  it('shows a 404 page\'s requested code with its controls and direction overrides neutralized', async () => {
    const res = await t.app.inject({ url: '/indicators/%E2%80%AEevil%3Cb%3E?lang=en' })
    expect(res.statusCode).toBe(404)
    expect(res.body).not.toContain('\u202e')
    expect(res.body).toContain('\ufffdevil&lt;b>')
  })

  it('takes the language from Accept-Language when the URL names none, and says the page varies by it', async () => {
    const en = await get('/indicators/dibao_paid', { 'accept-language': 'en-GB,en;q=0.8' })
    expect(en.body).toContain('<html lang="en">')
    expect(String(en.headers.vary)).toMatch(/accept-language/i)
    const zh = await get('/indicators/dibao_paid', { 'accept-language': 'zh-CN' })
    expect(zh.body).toContain('<html lang="zh-Hans">')
  })
  it('varies by Accept-Language whenever the URL names no language, the header absent or naming neither, and only then', async () => {
    for (const path of PAGES) {
      for (const headers of [{}, { 'accept-language': 'fr' }, { 'accept-language': 'en' }] as Record<string, string>[]) {
        expect(String((await get(path, headers)).headers.vary), `${path} ${JSON.stringify(headers)}`).toMatch(/accept-language/i)
      }
      for (const lang of LANGS) expect(String((await get(`${path}?lang=${lang}`, { 'accept-language': 'en' })).headers.vary ?? '')).not.toMatch(/accept-language/i)
    }
  })
  it('names every landmark region uniquely on every page: the home, each indicator, each source and the audit (a shared name makes regions indistinguishable to a screen reader)', async () => {
    const indicators = json<{ data: { code: string }[] }>((await get('/v1/indicators')).body).data.map((i) => i.code)
    const sources = json<{ data: { id: string }[] }>((await get('/v1/sources')).body).data.map((s) => s.id)
    expect(indicators.length).toBeGreaterThan(10)
    expect(sources.length).toBeGreaterThan(0)
    for (const lang of LANGS) {
      for (const path of ['/', '/audit', ...indicators.map((code) => `/indicators/${code}`), ...sources.map((id) => `/sources/${id}`)]) {
        const body = (await get(`${path}?lang=${lang}`)).body
        expect(landmarkTrouble(body), `${path}?lang=${lang}`).toEqual({ missing: [], unnamed: 0, repeatedNames: [], repeatedIds: [] })
      }
    }
  })
})

describe('/', () => {
  it('lists the four families first, then the other topics, every indicator with a link, its latest actual and target, and the sources', async () => {
    const body = (await get('/?lang=en')).body
    const topicIds = [...body.matchAll(/<h3 id="topic-([a-z_]+)"/g)].map((m) => m[1])
    expect(topicIds.slice(0, 4)).toEqual(['insurance_enrolment', 'subsidies', 'afforestation', 'drainage'])
    const topics = json((await get('/v1/topics')).body).data.map((x: { code: string }) => x.code)
    expect(topicIds.filter((c) => c !== 'other')).toEqual(topics)
    for (const i of json((await get('/v1/indicators')).body).data) expect(body).toContain(`href="/indicators/${i.code}?lang=en"`)
    for (const s of json((await get('/v1/sources')).body).data) {
      expect(body).toContain(`href="/sources/${s.id}?lang=en"`)
      expect(body).toContain(`href="/v1/sources/${s.id}/text"`)
    }
    expect(body).toContain('href="/docs"')
    expect(body).toContain('href="/openapi.yaml"')
    // Wagyu: the 2023 target of 200 head and the 80 head at the report date (in H1).
    const row = body.slice(body.indexOf('href="/indicators/wagyu_surrogate_cattle?lang=en"'))
    const cells = row.slice(0, row.indexOf('</tr>'))
    expect(textOf(cells)).toContain('80 head of cattle, 2023 H1')
    expect(textOf(cells)).toContain('200 head of cattle, 2023')
  })
})

describe('/indicators/{code}', () => {
  it('shows each figure with kind, period in words, qualifier, status, time, its citation links, progress and revisions', async () => {
    const en = (await get('/indicators/wagyu_surrogate_cattle?lang=en')).body
    for (const o of json((await get('/v1/observations?indicator=wagyu_surrogate_cattle')).body).data) {
      expect(en).toContain(`<tr id="obs-${o.id}"`)
      expect(en).toContain(`href="/sources/${o.source.id}?lang=en#cite-${o.id}"`)
      expect(en).toContain(`href="/v1/observations/${o.id}"`)
    }
    expect(textOf(en)).toContain('stock at 2023-06-25')
    expect(textOf(en)).toContain('40 %')
    const progress = json((await get('/v1/progress?indicator=wagyu_surrogate_cattle')).body).data[0]
    expect(en).toContain(`href="#obs-${progress.target.id}"`)
    const revisions = json((await get(`/v1/observations/${progress.actual.id}/revisions`)).body).data
    expect(revisions.length).toBeGreaterThan(1)
    for (const r of revisions) expect(textOf(en)).toContain(r.reason)
    expect(en).toContain(`href="/v1/observations/${progress.actual.id}/revisions"`)
    const zh = (await get('/indicators/wagyu_surrogate_cattle?lang=zh')).body
    expect(textOf(zh)).toContain('2023年上半年')
    expect(textOf(zh)).toContain('存量（截至2023-06-25）')
  })

  it('shows a withdrawn figure as withdrawn, struck through, and leaves it out of the chart', async () => {
    const body = (await get('/indicators/wagyu_calf_base_price?lang=en')).body
    expect(body).toMatch(/<tr id="obs-\d+" class="withdrawn">/)
    expect(textOf(body)).toContain('withdrawn')
    expect(body).toContain('<del>')
    expect(body).not.toContain('<svg')
  })

  it('draws the chart as inline SVG with a title, a description and a table of the same figures', async () => {
    const body = (await get('/indicators/wagyu_surrogate_cattle?lang=en')).body
    const svg = body.slice(body.indexOf('<svg'), body.indexOf('</svg>'))
    expect(svg).toMatch(/role="img"/)
    expect(svg).toMatch(/<title id="figures-chart-title">/)
    expect(svg).toMatch(/<desc id="figures-chart-desc">/)
    expect(svg).toContain('class="bar bar-target"')
    expect(svg).toContain('class="bar bar-actual"')
    expect(textOf(body.slice(body.indexOf('</svg>')))).toContain('The figures in the chart')
  })

  it('answers an unknown code with a 404 page in the asked language, the code escaped', async () => {
    for (const lang of LANGS) {
      const res = await get(`/indicators/no_such_thing?lang=${lang}`)
      expect(res.statusCode).toBe(404)
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(textOf(h1Of(res.body))).toBe(lang === 'zh' ? '未找到' : 'Not found')
      expect(textOf(res.body)).toContain('no_such_thing')
    }
    const hostile = await get(`/indicators/${encodeURIComponent('<script>alert("x")</script>')}?lang=en`)
    expect(hostile.statusCode).toBe(404)
    expect(hostile.body).not.toContain('<script')
    expect(hostile.body).toContain('&lt;script>')
  })
})

describe('escaping of stored text', () => {
  it('writes names, descriptions, quotes and notes that hold markup and quotes as text, never as markup', async () => {
    const evil = `<script>alert("x")</script> "q" 'a' & <img src=x onerror=alert(1)>`
    await putIndicator('web_escape', { nameZh: `名称${evil}`, nameEn: `Name ${evil}`, description: `说明 ${evil}` })
    const quote = `甲<b onclick="x">数值</b>12.5亩'乙'`
    await postSource('web-escape', `开头。${quote}。结尾。`)
    await importRows([{ indicator: 'web_escape', area: 'bayantala', period: '2023-H1', kind: 'actual', reported: { value: '12.5', unit: '亩' }, citation: { sourceId: 'web-escape', quote } }])
    for (const lang of LANGS) {
      for (const url of [`/indicators/web_escape?lang=${lang}`, `/?lang=${lang}`]) {
        const body = (await get(url)).body
        expect(body, url).not.toMatch(/<script|<img|<b /)
        expect(textOf(body)).toContain(lang === 'zh' ? `名称${evil}` : `Name ${evil}`)
      }
      const page = (await get(`/indicators/web_escape?lang=${lang}`)).body
      expect(textOf(page)).toContain(quote)
      expect(textOf(page)).toContain(`说明 ${evil}`)
    }
  })

  it('shows bidirectional overrides, embeddings and isolates of stored text as U+FFFD on every page, so none can reorder a figure; the API keeps them', async () => {
    const controls = ['\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']
    const name = `Bidi ${controls.join('x')} end`
    await putIndicator('web_bidi', { nameZh: `名${controls.join('')}`, nameEn: name, description: `d${controls.join('')}` })
    const quote = `植树${controls.join('')}42亩`
    await postSource('web-bidi', `开头\u202e未闭合。${quote}。结尾。`)
    const imported = await importRows([{ indicator: 'web_bidi', area: 'bayantala', period: '2023-H1', kind: 'actual', reported: { value: '42', unit: '亩' }, citation: { sourceId: 'web-bidi', quote } }])
    expect(imported).toBeTruthy()
    for (const lang of LANGS) {
      for (const url of [`/?lang=${lang}`, `/indicators/web_bidi?lang=${lang}`, `/sources/web-bidi?lang=${lang}`]) {
        const body = (await get(url)).body
        for (const c of controls) expect(body.includes(c), `${url} U+${c.codePointAt(0)!.toString(16)}`).toBe(false)
      }
    }
    expect(textOf((await get('/indicators/web_bidi?lang=en')).body)).toContain(`Bidi ${controls.map(() => '\ufffd').join('x')} end`)
    // The API and the text keep the bytes as stored: only pages neutralize them.
    expect(json((await get('/v1/indicators/web_bidi')).body).nameEn).toBe(name)
    expect((await get('/v1/sources/web-bidi/text')).body).toContain(quote)
  })

  it('keeps any name as text: the h1 holds no tag and reads back as written (property)', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('<', '>', '&', '"', "'", '/', '=', 's', 'c', 'r', 'i', 'p', 't', '中', '!', '-', ';', '#'), minLength: 1, maxLength: 60 }),
        async (name) => {
          const code = `web_prop_${n++}`
          await putIndicator(code, { nameZh: name, nameEn: name, description: name })
          const body = (await get(`/indicators/${code}?lang=en`)).body
          const h1 = h1Of(body)
          expect(h1).not.toContain('<')
          expect(textOf(h1)).toBe(name)
          expect(body).not.toMatch(/<script/i)
        },
      ),
      { numRuns: 15 },
    )
  })
})

describe('exact values', () => {
  const LABELS = ['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸', '子', '丑']
  const decimal = fc
    .tuple(fc.stringMatching(/^(0|[1-9][0-9]{0,17})$/), fc.option(fc.stringMatching(/^[0-9]{0,17}[1-9]$/), { nil: undefined }))
    .map(([int, frac]) => (frac === undefined ? int : `${int}.${frac}`))
    .filter((v) => v !== '0')

  it('shows every digit of values written by an import, on the indicator page and its chart table (property)', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.array(decimal, { minLength: 12, maxLength: 12 }), async (values) => {
        const code = `web_exact_${n}`
        const source = `web-exact-${n++}`
        await putIndicator(code, { nameZh: '精确', nameEn: 'Exact', description: 'd' })
        const quotes = values.map((v, i) => `${LABELS[i]}项${v}亩`)
        await postSource(source, quotes.join('，') + '。')
        await importRows(values.map((v, i) => ({ indicator: code, area: 'bayantala', period: `2023-${String(i + 1).padStart(2, '0')}`, kind: 'actual', reported: { value: v, unit: '亩' }, citation: { sourceId: source, quote: quotes[i] } })))
        const text = textOf((await get(`/indicators/${code}?lang=en`)).body).replaceAll(THIN, '')
        for (const v of values) expect(text).toContain(`${normalizeDecimal(v)} mu`)
      }),
      { numRuns: 4 },
    )
  })

  it('writes one the API already had, 484.752万元 as 4 847 520 yuan, with the figure as reported beside it', async () => {
    const body = textOf((await get('/indicators/dibao_paid?lang=en')).body)
    expect(body).toContain(`4${THIN}847${THIN}520 yuan`)
    expect(body).toContain('484.752万元')
  })
})

describe('/audit', () => {
  it('shows the chain head and the verification state, and the commands with this server\'s origin', async () => {
    const head = json((await get('/v1/audit/head')).body)
    const res = await inject({ url: '/audit?lang=en', headers: { host: 'indicators.example:8443' } })
    const body = textOf(res.body)
    expect(body).toContain(String(head.seq))
    expect(body).toContain(head.hash)
    expect(body).toContain('verified: the database agrees with its audit log')
    expect(body).toContain('curl -s http://indicators.example:8443/v1/audit/head')
    expect(body).toContain('python3 scripts/verify_audit_chain.py http://indicators.example:8443')
    expect(body).toContain('npm run audit:verify')
    const zh = textOf((await get('/audit?lang=zh')).body)
    expect(zh).toContain('已校验')
  })
})

describe('figures in words', () => {
  it('groups the integer part with thin spaces and keeps every digit (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,20})?$/), (v) => {
        expect(formatDecimal(v).replaceAll(THIN, '').replace('−', '-')).toBe(v)
      }),
    )
  })

  it('says the qualifier in words in both languages', () => {
    expect(qualified('en', 'gt', '10000', 'mu')).toBe(`more than 10${THIN}000 mu`)
    expect(qualified('zh', 'gt', '10000', '亩')).toBe(`10${THIN}000余亩`)
    expect(qualified('en', 'gte', '5', 'persons')).toBe('at least 5 persons')
    expect(qualified('zh', 'gte', '5', '人')).toBe('5人以上')
    expect(qualified('en', 'approx', '3.5', 'km')).toBe('about 3.5 km')
    expect(qualified('zh', 'lt', '3', '个')).toBe('不足3个')
    expect(periodWords('zh', '2023-H1')).toBe('2023年上半年')
    expect(periodWords('en', '2023-H2')).toBe('2023 H2')
    expect(periodWords('zh', '2024-Q3')).toBe('2024年第三季度')
    expect(periodWords('en', '2024-07')).toBe('July 2024')
  })

  it('computes the chart scale exactly: ticks from at or below 0 to at or above every value, in equal steps (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^-?(0|[1-9][0-9]{0,15})(\.[0-9]{0,8}[1-9])?$/), { minLength: 1, maxLength: 8 }), (values) => {
        const { ticks } = niceScale(values)
        expect(ticks.length).toBeGreaterThanOrEqual(2)
        expect(ticks.length).toBeLessThanOrEqual(6)
        expect(compareDecimal(ticks[0]!, '0')).toBeLessThanOrEqual(0)
        for (const v of values) {
          expect(compareDecimal(ticks[0]!, v)).toBeLessThanOrEqual(0)
          expect(compareDecimal(ticks[ticks.length - 1]!, v)).toBeGreaterThanOrEqual(0)
        }
        for (const tick of ticks) expect(normalizeDecimal(tick)).toBe(tick)
      }),
    )
  })
})

describe('topics sharing a name', () => {
  it('keeps the home page\'s landmarks and ids unique when topics share a name, or take the code or name of the other indicators\' section', async () => {
    const topic = async (code: string, nameZh: string, nameEn: string) => {
      const res = await inject({ method: 'PUT', url: `/v1/topics/${code}`, headers: bearer(admin), payload: { nameZh, nameEn, descriptionZh: '说明', descriptionEn: 'About', indicators: ['dibao_paid'] } })
      expect([200, 201], res.body).toContain(res.statusCode)
    }
    await topic('twin_a', '同名', 'Twins')
    await topic('twin_b', '同名', 'Twins')
    await topic('other', '其他指标', 'Other indicators')
    for (const lang of LANGS) {
      const body = (await get(`/?lang=${lang}`)).body
      expect(landmarkTrouble(body), lang).toEqual({ missing: [], unnamed: 0, repeatedNames: [], repeatedIds: [] })
      expect(textOf(body)).toContain(lang === 'zh' ? '同名 (twin_a)' : 'Twins (twin_b)')
    }
  })
})
