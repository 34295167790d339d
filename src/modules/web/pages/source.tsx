// `/sources/{id}`: the whole report text, every cited figure highlighted and linked to its observation, exclusions marked with their reason.
import type { VNode } from 'preact'
import { type Lang } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'

export async function SourcePage({ lang, id }: { lang: Lang; id: string; services: WebRoutesOptions }): Promise<VNode> {
  return (
    <Layout lang={lang} path={`/sources/${id}`} title={id}>
      <h1>{id}</h1>
    </Layout>
  )
}
