// The harness itself: Chromium loads a page under its policy, axe runs, screenshots are written.
import { existsSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { buildApp } from '../src/app.js'
import { axeViolations, browserAvailable, launchBrowser, screenshots } from './support/browser.js'

const run = browserAvailable()

describe.runIf(run)('web view in Chromium', () => {
  let browser: Browser
  let app: Awaited<ReturnType<typeof buildApp>>
  let base: string
  beforeAll(async () => {
    app = await buildApp({ logger: false, config: { databaseUrl: ':memory:' } })
    base = await app.listen({ host: '127.0.0.1', port: 0 })
    browser = await launchBrowser()
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  it('loads the home page with no console error and no accessibility violation', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    const res = await page.goto(`${base}/?lang=en`)
    expect(res?.status()).toBe(200)
    expect(await page.locator('h1').count()).toBe(1)
    expect(await axeViolations(page)).toEqual([])
    expect(errors).toEqual([])
    const shots = await screenshots(browser, `${base}/?lang=en`, 'smoke-home')
    for (const s of shots) expect(existsSync(s)).toBe(true)
  })
})
