// `/audit`: the chain head, its last verification and how to verify it yourself.
import type { VNode } from 'preact'
import { t, type Lang } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'

export async function AuditPage({ lang }: { lang: Lang; services: WebRoutesOptions }): Promise<VNode> {
  return (
    <Layout lang={lang} path="/audit" title={t(lang, 'audit')}>
      <h1>{t(lang, 'audit')}</h1>
    </Layout>
  )
}
