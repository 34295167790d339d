// The source page in Chromium: every citation highlighted once, every link resolving, text fragments that
// scroll the plain text to their quote, exclusions that show their reason on keyboard focus, no axe violation.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { buildApp } from '../src/app.js'
import { axeViolations, browserAvailable, launchBrowser, screenshots } from './support/browser.js'

const run = browserAvailable()
const SEED = 'bayantala-2023h1'

// A full-page screenshot of the long report takes a while on a busy machine.
describe.runIf(run)('source page in Chromium', { timeout: 120_000 }, () => {
  let browser: Browser
  let app: Awaited<ReturnType<typeof buildApp>>
  let base: string
  let current: Array<{ id: number; indicator: string; source: { id: string; quote: string } }>
  beforeAll(async () => {
    app = await buildApp({ logger: false, config: { databaseUrl: ':memory:' } })
    base = await app.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchBrowser()
    current = (JSON.parse((await app.inject('/v1/observations?limit=1000')).body).data as typeof current).filter((o) => o.source.id === SEED)
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('highlights every observation of the source exactly once, with no accessibility violation', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text())
    })
    expect((await page.goto(`${base}/sources/${SEED}?lang=en`))?.status()).toBe(200)
    const ids = await page.$$eval('pre.source-text [id^="cite-"]', (els) => els.map((e) => e.id))
    expect(ids.sort()).toEqual(current.map((o) => `cite-${o.id}`).sort())
    for (const o of current) expect(await page.locator(`[id="cite-${o.id}"]`).count()).toBe(1)
    // The highlighted text of each citation is its quote (overlaps are drawn in pieces: join the pieces that link to it).
    const drawn = await page.$$eval('pre.source-text a.cite', (els) => els.map((e) => ({ href: e.getAttribute('href'), text: e.textContent })))
    for (const o of current) {
      const text = drawn.filter((d) => d.href?.endsWith(`#obs-${o.id}`)).map((d) => d.text).join('')
      expect(o.source.quote.includes(text) && text.length > 0, `observation ${o.id}`).toBe(true)
    }
    expect(await axeViolations(page)).toEqual([])
    expect(errors).toEqual([])
    await page.close()
  })

  it('resolves every link of the page', async () => {
    const page = await browser.newPage()
    await page.goto(`${base}/sources/${SEED}?lang=en`)
    const hrefs = [...new Set(await page.$$eval('a[href]', (els) => els.map((e) => (e as HTMLAnchorElement).href)))]
    const byPath = new Map<string, string[]>()
    for (const h of hrefs) {
      const url = new URL(h)
      if (url.origin !== new URL(base).origin) continue
      const path = url.pathname + url.search
      byPath.set(path, [...(byPath.get(path) ?? []), url.hash])
    }
    const failures: string[] = []
    for (const [path, hashes] of byPath) {
      const res = await page.request.get(`${base}${path}`)
      if (res.status() !== 200) failures.push(`${path}: ${res.status()}`)
      const ids = hashes.filter((h) => h.startsWith('#') && !h.startsWith('#:~:')).map((h) => decodeURIComponent(h.slice(1)))
      if (ids.length === 0 || !(res.headers()['content-type'] ?? '').startsWith('text/html')) continue
      const html = await res.text()
      for (const id of ids) {
        if (!html.includes(`id="${id}"`)) failures.push(`${path}#${id}: no such id`)
      }
    }
    expect(byPath.size).toBeGreaterThan(current.length)
    expect(failures).toEqual([])
    await page.close()
  })

  it('opens a text-fragment link scrolled to its quote in the plain text (and a fragment matching nothing stays at the top)', async () => {
    const context = await browser.newContext({ viewport: { width: 800, height: 600 } })
    const page = await context.newPage()
    const links = await (await browser.newPage()).goto(`${base}/sources/${SEED}?lang=en`).then(async (res) => {
      const html = (await res?.text()) ?? ''
      return [...html.matchAll(/href="(\/v1\/sources\/[^"#]+\/text#:~:text=[^"]+)"/g)].map((m) => (m[1] as string).replace(/&amp;/g, '&'))
    })
    expect(links.length).toBe(current.length)
    // Quotes far down the text, where only a match can scroll to; Chinese throughout, so no spaces to cut words at.
    const picks = [links[Math.floor(links.length / 2)], links[links.length - 3], links[links.length - 1]] as string[]
    for (const link of picks) {
      await page.goto('about:blank')
      await page.goto(`${base}${link}`)
      await page.waitForTimeout(700)
      const quote = decodeURIComponent((link.split('text=')[1] as string).split(',').find((p) => !p.endsWith('-') && !p.startsWith('-')) as string)
      const seen = await page.evaluate((q) => {
        const pre = document.querySelector('pre') as HTMLElement
        const node = pre.firstChild as Text
        const at = (node.textContent ?? '').indexOf(q)
        const range = document.createRange()
        range.setStart(node, at)
        range.setEnd(node, at + q.length)
        const rect = range.getBoundingClientRect()
        return { scrollY: window.scrollY, top: rect.top, bottom: rect.bottom, height: window.innerHeight }
      }, quote)
      expect(seen.scrollY, link).toBeGreaterThan(0)
      expect(seen.top, link).toBeGreaterThanOrEqual(0)
      expect(seen.bottom, link).toBeLessThanOrEqual(seen.height)
    }
    await page.goto('about:blank')
    await page.goto(`${base}/v1/sources/${SEED}/text#:~:text=${encodeURIComponent('这段话不在报告里')}`)
    await page.waitForTimeout(700)
    expect(await page.evaluate(() => window.scrollY)).toBe(0)
    await context.close()
  })

  it.each(['en', 'zh'] as const)('shows an excluded number\'s reason on keyboard focus, in the page\'s language (%s)', async (lang) => {
    const page = await browser.newPage()
    await page.goto(`${base}/sources/${SEED}?lang=${lang}`)
    const hidden = await page.$eval('mark.excluded .reason', (e) => getComputedStyle(e).display)
    expect(hidden).toBe('none')
    let focused = false
    for (let i = 0; i < 60 && !focused; i++) {
      await page.keyboard.press('Tab')
      focused = await page.evaluate(() => document.activeElement?.matches('mark.excluded') ?? false)
    }
    expect(focused).toBe(true)
    const shown = await page.evaluate(() => {
      const mark = document.activeElement as HTMLElement
      const reason = mark.querySelector('.reason') as HTMLElement
      const style = getComputedStyle(reason)
      const described = document.getElementById(mark.getAttribute('aria-describedby') ?? '')
      return { display: style.display, visibility: style.visibility, width: reason.getBoundingClientRect().width, text: reason.textContent, title: mark.title, described: described?.textContent ?? '' }
    })
    expect(shown.display).not.toBe('none')
    expect(shown.visibility).toBe('visible')
    expect(shown.width).toBeGreaterThan(0)
    expect(shown.text).toBe(shown.title)
    expect(shown.described).toContain(shown.title)
    // The seed gives every reason in both languages: the zh page shows the Chinese one, the en page the English one.
    const reasons = (JSON.parse((await app.inject(`/v1/sources/${SEED}/exclusions`)).body).data as Array<{ reason: string; reasonZh: string | null }>).map((x) => (lang === 'zh' ? x.reasonZh : x.reason))
    expect(reasons).toContain(shown.text)
    await page.close()
  })

  it('saves screenshots at desktop and phone width', async () => {
    for (const s of await screenshots(browser, `${base}/sources/${SEED}?lang=en`, 'source')) expect(existsSync(s)).toBe(true)
  }, 120_000)
})
