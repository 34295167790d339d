// A real browser for the web view's tests: Debian's Chromium driven by playwright-core,
// against the app listening on a loopback port. Without Chromium the browser tests skip
// with a plain line, unless REQUIRE_BROWSER=1 (CI installs it and sets that), then they fail.
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
/** Flags that keep Chromium off the network of this closed machine (it would try Google's hosts at start). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Where screenshots go: a test artifact, not committed. */
export const SCREENSHOT_DIR = join(process.cwd(), 'test-artifacts', 'screenshots')

export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 375, height: 740 },
} as const

export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM} (apt-get install -y chromium)`)
  console.log(`No Chromium at ${CHROMIUM}: skipping the browser tests (set REQUIRE_BROWSER=1 to fail instead)`)
  return false
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[]; html: string }[]
}

/**
 * Runs axe-core (WCAG 2.1 A and AA rules, plus best practices) on the page as loaded. The engine is
 * evaluated through the DevTools protocol, so the page's own policy (no script at all) stays in force.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html })) }))
  })
}

/** Saves a full-page screenshot at each viewport as `<name>-desktop.png` and `<name>-phone.png`; returns the paths. */
export async function screenshots(browser: Browser, url: string, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const paths: string[] = []
  for (const [label, viewport] of Object.entries(VIEWPORTS)) {
    const context = await browser.newContext({ viewport, deviceScaleFactor: 1 })
    const page = await context.newPage()
    await page.goto(url)
    const path = join(SCREENSHOT_DIR, `${name}-${label}.png`)
    await page.screenshot({ path, fullPage: true })
    paths.push(path)
    await context.close()
  }
  return paths
}
