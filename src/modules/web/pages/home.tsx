// `/`: what this is, the topics (the brief's four families first) and categories, each indicator with its latest actual and target.
import type { VNode } from 'preact'
import { t, type Lang } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'

export async function HomePage({ lang }: { lang: Lang; services: WebRoutesOptions }): Promise<VNode> {
  return (
    <Layout lang={lang} path="/" title={t(lang, 'home')}>
      <h1>{t(lang, 'siteName')}</h1>
    </Layout>
  )
}
