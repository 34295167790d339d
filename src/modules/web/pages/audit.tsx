// `/audit`: the chain head, its last verification and how to verify it yourself.
import type { VNode } from 'preact'
import { t, type Lang, type WordKey } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'

const AUDIT_PAGE_URL = '/v1/audit?after=0&limit=100'

const STATE_WORDS: Record<string, WordKey> = { verifying: 'stateVerifying', verified: 'stateVerified', tampered: 'stateTampered' }

/** `origin`: this server as the request named it, so the commands shown can be pasted as they are. */
export async function AuditPage({ lang, origin, services }: { lang: Lang; origin: string; services: WebRoutesOptions }): Promise<VNode> {
  const head = await services.audit.head()
  const status = services.integrity.status()
  const commands = [
    `curl -s ${origin}/v1/audit/head`,
    `curl -s ${origin}/v1/audit/public-key > audit-key.pem`,
    `curl -s ${origin}/v1/audit/verify`,
    `python3 scripts/verify_audit_chain.py ${origin}`,
  ].join('\n')
  return (
    <Layout lang={lang} path="/audit" title={t(lang, 'audit')}>
      <h1>{t(lang, 'audit')}</h1>
      <p>{t(lang, 'auditIntro')}</p>

      <h2 id="head">{t(lang, 'chainHead')}</h2>
      {head ? (
        <dl class="facts">
          <dt>{t(lang, 'seq')}</dt>
          <dd>{head.seq}</dd>
          <dt>{t(lang, 'hash')}</dt>
          <dd>
            <code class="hash">{head.hash}</code>
          </dd>
          <dt>{t(lang, 'recordedAt')}</dt>
          <dd>
            <time dateTime={head.recordedAt}>{head.recordedAt}</time>
          </dd>
        </dl>
      ) : (
        <p>{t(lang, 'emptyChain')}</p>
      )}

      <h2 id="verification">{t(lang, 'lastVerification')}</h2>
      <dl class="facts">
        <dt>{t(lang, 'state')}</dt>
        <dd class={`state state-${status.state}`}>{t(lang, STATE_WORDS[status.state] ?? 'stateVerifying')}</dd>
        <dt>{t(lang, 'verifiedSeq')}</dt>
        <dd>{status.verifiedSeq}</dd>
        <dt>{t(lang, 'lastFullAt')}</dt>
        <dd>{status.lastFullAt ? <time dateTime={status.lastFullAt}>{status.lastFullAt}</time> : t(lang, 'never')}</dd>
        {status.state === 'tampered' ? (
          <>
            <dt>{t(lang, 'brokenSeq')}</dt>
            <dd>
              {status.brokenSeq}: {status.reason}
            </dd>
          </>
        ) : null}
      </dl>

      <h2 id="verify">{t(lang, 'verifyYourself')}</h2>
      <p>{t(lang, 'verifyStepsIntro')}</p>
      <pre>
        <code>{commands}</code>
      </pre>
      <p>{t(lang, 'verifyOffline')}</p>
      <pre>
        <code>npm run audit:verify</code>
      </pre>
      <h3 id="endpoints">{t(lang, 'auditLinks')}</h3>
      <ul>
        <li>
          <a href="/v1/audit/head">/v1/audit/head</a>
        </li>
        <li>
          <a href="/v1/audit/public-key">/v1/audit/public-key</a>
        </li>
        <li>
          <a href="/v1/audit/verify">/v1/audit/verify</a>
        </li>
        <li>
          <a href={AUDIT_PAGE_URL}>{AUDIT_PAGE_URL}</a>
        </li>
      </ul>
    </Layout>
  )
}
