// The frame of every page: landmarks (banner, navigation, main, contentinfo), a skip
// link, the language switch (the same page in the other language) and one stylesheet
// from this origin. Rendered by preact-render-to-string, which escapes every text and
// attribute value: no page builds HTML by concatenating strings.
import type { ComponentChildren } from 'preact'
import { href, langTag, LANGS, t, type Lang } from './i18n.js'

export interface PageFrame {
  lang: Lang
  /** The page's path without query (`/indicators/dibao_paid`), for the language switch. */
  path: string
  /** Query parameters of the page other than `lang`, kept by the switch. */
  params?: Record<string, string>
  title: string
  children: ComponentChildren
}

const LANG_LABEL: Record<Lang, string> = { zh: '中文', en: 'English' }

export function Layout({ lang, path, params = {}, title, children }: PageFrame) {
  return (
    <html lang={langTag(lang)}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · ${t(lang, 'siteName')}`}</title>
        <link rel="stylesheet" href="/assets/site.css" />
        <link rel="icon" href="/assets/icon.svg" type="image/svg+xml" />
      </head>
      <body>
        <a class="skip" href="#main">
          {t(lang, 'skipToContent')}
        </a>
        <header class="site">
          <a class="brand" href={href('/', lang)}>
            {t(lang, 'siteName')}
          </a>
          <nav aria-label={t(lang, 'mainNav')}>
            <ul>
              <li>
                <a href={href('/', lang)}>{t(lang, 'home')}</a>
              </li>
              <li>
                <a href={href('/audit', lang)}>{t(lang, 'audit')}</a>
              </li>
              <li>
                <a href="/docs">{t(lang, 'apiDocs')}</a>
              </li>
            </ul>
          </nav>
          <p class="langs">
            <span class="visually-hidden">{t(lang, 'language')}: </span>
            {LANGS.map((l) =>
              l === lang ? (
                <span aria-current="true" lang={langTag(l)}>
                  {LANG_LABEL[l]}
                </span>
              ) : (
                <a href={href(path, l, params)} hreflang={langTag(l)} lang={langTag(l)}>
                  {LANG_LABEL[l]}
                </a>
              ),
            )}
          </p>
        </header>
        <main id="main" tabindex={-1}>
          {children}
        </main>
        <footer class="site">
          <p>{t(lang, 'footer')}</p>
        </footer>
      </body>
    </html>
  )
}
