// The read-only web view: server-rendered pages for people, in the same process and
// under a strict policy (no script at all; styles and images from this origin only).
// Pages read through the same services as the API; none of them is in openapi.yaml.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { Errors } from '../../errors.js'
import { ifNoneMatchMatches } from '../../http/conditional.js'
import { sendPage } from '../../http/html.js'
import { PLAIN_HOST } from '../../http/host.js'
import { projectRoot } from '../../paths.js'
import type { AuditReads, CatalogReads } from '../../storage/ports.js'
import type { IntegrityMonitor } from '../audit/integrity-monitor.js'
import type { ObservationService } from '../observations/observations.service.js'
import type { RelationService } from '../relations/relations.service.js'
import type { AnnotationService } from '../annotations/annotations.service.js'
import { pickLang, type Lang } from './i18n.js'
import { ErrorPage } from './pages/error.js'
import { HomePage } from './pages/home.js'
import { IndicatorPage } from './pages/indicator.js'
import { SourcePage } from './pages/source.js'
import { AuditPage } from './pages/audit.js'

export interface WebRoutesOptions {
  catalog: CatalogReads
  observations: ObservationService
  relations: RelationService
  audit: AuditReads
  integrity: IntegrityMonitor
  annotations: AnnotationService
}

/** The page assets (public/), read once at start; each revalidates by ETag. */
const ASSETS = new Map(
  Object.entries({ 'site.css': 'text/css; charset=utf-8', 'icon.svg': 'image/svg+xml' }).map(([name, type]) => {
    const body = readFileSync(join(projectRoot, 'public', name))
    return [name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` }] as const
  }),
)

/**
 * A page's query: the language (`zh`, `en`, or a tag of either such as `en-US`; anything else falls back to
 * Accept-Language). Other parameters (a link shared with `utm_source`, `fbclid`) are ignored, not refused.
 */
export const PageQuery = Type.Object({ lang: Type.Optional(Type.String({ maxLength: 35, description: 'Language of the page: zh or en.' })) }, { additionalProperties: true })

/** Route config that marks a page: protection sends the page policy, the contract check leaves it alone. */
const page = { config: { page: true }, schema: { hide: true, querystring: PageQuery } } as const

/** This server's origin as the request names it, for the copy-paste commands of the source and audit pages; a valid Host that is not a plain name (quotes, sub-delims) is not printed into a shell command. */
function originOf(req: FastifyRequest): string {
  return PLAIN_HOST.test(req.host) ? `${req.protocol}://${req.host}` : `${req.protocol}://127.0.0.1:${req.socket?.localPort ?? 3000}`
}

function langOf(req: FastifyRequest): { lang: Lang; negotiated: boolean } {
  return pickLang((req.query as Record<string, unknown> | undefined)?.lang, req.headers['accept-language'])
}

export default async function webRoutes(app: FastifyInstance, options: WebRoutesOptions): Promise<void> {
  // A page's error is a page too (same status), so a person who follows a stale link is told in words.
  app.setErrorHandler((err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500
    if (status >= 500) req.log.error({ err }, 'page failed')
    const { lang, negotiated } = langOf(req)
    // A message may repeat a requested code: controls and bidirectional overrides in it are shown as U+FFFD, not obeyed.
    const detail = status >= 500 ? null : err.message.replace(/[\p{Cc}\p{Cf}]/gu, '\uFFFD')
    return sendPage(req, reply, <ErrorPage lang={lang} path={req.url.split('?')[0] ?? '/'} status={status} detail={detail} />, { status, varyLanguage: negotiated })
  })

  app.get<{ Params: { name: string } }>('/assets/:name', { config: { page: true }, schema: { hide: true } }, async (req, reply) => {
    const asset = ASSETS.get(req.params.name)
    if (!asset) throw Errors.notFound(`No asset "${req.params.name}".`)
    reply.header('etag', asset.etag).header('cache-control', 'no-cache').type(asset.type)
    if (ifNoneMatchMatches(req.headers['if-none-match'], asset.etag)) return reply.code(304).send()
    return reply.send(asset.body)
  })

  app.get('/', { ...page }, async (req, reply) => {
    const { lang, negotiated } = langOf(req)
    return sendPage(req, reply, await HomePage({ lang, services: options }), { varyLanguage: negotiated })
  })

  app.get<{ Params: { code: string } }>('/indicators/:code', { ...page }, async (req, reply) => {
    const { lang, negotiated } = langOf(req)
    return sendPage(req, reply, await IndicatorPage({ lang, code: req.params.code, services: options }), { varyLanguage: negotiated })
  })

  app.get<{ Params: { id: string } }>('/sources/:id', { ...page }, async (req, reply) => {
    const { lang, negotiated } = langOf(req)
    return sendPage(req, reply, await SourcePage({ lang, id: req.params.id, services: options, origin: originOf(req) }), { varyLanguage: negotiated })
  })

  app.get('/audit', { ...page }, async (req, reply) => {
    const { lang, negotiated } = langOf(req)
    return sendPage(req, reply, await AuditPage({ lang, origin: originOf(req), services: options }), { varyLanguage: negotiated })
  })
}
