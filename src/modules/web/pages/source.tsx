// `/sources/{id}`: the whole report text, every cited figure highlighted and linked to its observation, exclusions marked with their reason.
import type { VNode } from 'preact'
import { href, inPageLanguage, langTag, named, t, type Lang } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'
import type { CitedRow } from '../../annotations/annotations.service.js'
import { segmentText, type Segment, type Span } from './source-segments.js'
import { findStatedNumber } from '../../../domain/quote-numbers.js'
import { normalizeDecimal } from '../../../domain/decimal.js'
import { UnitCatalogue } from '../../../domain/units.js'
import { kindWord, periodWords, qualified } from '../components/numbers.js'
import type { ObservationRow } from '../../../storage/ports.js'

const citeId = (id: number) => `cite-${id}`
const exclusionId = (key: number) => `excluded-${key}`

type Reason = ReturnType<typeof inPageLanguage>

/** `lang` for a reason shown where the surrounding text is in `around`: only when it differs, so a fallback to English is read as English. */
const reasonLang = (reason: Reason, around: Lang) => (reason.lang === around ? undefined : langTag(reason.lang))

function Piece({ segment, text, lang, byId, reasons }: { segment: Segment; text: string; lang: Lang; byId: Map<number, CitedRow>; reasons: Reason[] }) {
  const owner = segment.cites[0]
  if (owner !== undefined) {
    const row = (byId.get(owner) as CitedRow).row
    const [first, ...others] = segment.begins
    // A citation that begins where another does keeps its own anchor as a nested span.
    const inner = others.reduceRight<VNode | string>((child, id) => <span id={citeId(id)}>{child}</span>, text)
    return (
      <a id={first === undefined ? undefined : citeId(first)} class={segment.cites.length > 1 ? 'cite overlap' : 'cite'} href={href(`/indicators/${row.indicator}#obs-${row.id}`, lang)}>
        {inner}
      </a>
    )
  }
  const excluded = segment.excluded[0]
  if (excluded !== undefined) {
    const reason = reasons[excluded.key] as Reason
    // The mark sits in the Chinese source text: its reason says when it is English.
    return (
      <mark class="excluded" tabindex={0} title={reason.text} aria-describedby={exclusionId(excluded.key)}>
        {text}
        <span class="reason" lang={reasonLang(reason, 'zh')} aria-hidden="true">
          {reason.text}
        </span>
      </mark>
    )
  }
  return <>{text}</>
}

/** The bytes of the number a citation states (its figure), found as the citation rule finds it: the value normalized, the catalogue's unit words. */
function figureOf(row: ObservationRow, unitWords: readonly string[]): Span | undefined {
  const stated = findStatedNumber(row.quote, normalizeDecimal(row.reportedValue), row.reportedUnit, row.reportedText ?? undefined, unitWords)
  if (!stated.ok) return undefined
  const start = row.byteStart + Buffer.byteLength(row.quote.slice(0, stated.token.start))
  return { start, end: start + Buffer.byteLength(stated.token.written) }
}

export async function SourcePage({ lang, id, services, origin }: { lang: Lang; id: string; services: WebRoutesOptions; origin: string }): Promise<VNode> {
  const [view, indicators, units] = await Promise.all([services.annotations.sourceView(id), services.catalog.indicators(), services.catalog.units()])
  const unitWords = new UnitCatalogue(units).words
  const { source, text, cited, exclusions } = view
  const names = new Map(indicators.map((i) => [i.code, named(lang, i.nameZh, i.nameEn)]))
  const byId = new Map(cited.map((c) => [c.row.id, c]))
  const reasons = exclusions.map((x) => inPageLanguage(lang, x.reason, x.reasonZh))
  const segments = segmentText(
    text.length,
    cited.map((c) => ({ id: c.row.id, start: c.row.byteStart, end: c.row.byteEnd, figure: figureOf(c.row, unitWords) })),
    exclusions.flatMap((x, key) => x.locations.map((l) => ({ key, start: l.byteStart, end: l.byteEnd }))),
  )
  const title = named(lang, source.title, source.titleEn)
  const textUrl = `/v1/sources/${source.id}/text`
  return (
    <Layout lang={lang} path={`/sources/${source.id}`} title={title}>
      <h1>{title}</h1>
      <dl class="source-meta">
        <dt>{t(lang, 'sourceIssuer')}</dt>
        <dd>{source.issuer}</dd>
        {source.recipient ? (
          <>
            <dt>{t(lang, 'sourceRecipient')}</dt>
            <dd>{source.recipient}</dd>
          </>
        ) : null}
        <dt>{t(lang, 'sourceIssuedOn')}</dt>
        <dd>
          <time datetime={source.issuedOn}>{source.issuedOn}</time>
        </dd>
        {source.documentNumber ? (
          <>
            <dt>{t(lang, 'sourceDocumentNumber')}</dt>
            <dd>{source.documentNumber}</dd>
          </>
        ) : null}
        <dt>{t(lang, 'sourceSha256')}</dt>
        <dd>
          <code class="hash">{view.sha256}</code>
        </dd>
      </dl>
      <p>{t(lang, 'sourceCheck')}</p>
      <pre class="check">
        <code>{`curl -s ${origin}${textUrl} | sha256sum`}</code>
      </pre>

      <section aria-labelledby="source-text">
        <h2 id="source-text">{t(lang, 'sourceText')}</h2>
        <p class="legend">{t(lang, 'sourceLegend')}</p>
        <pre class="source-text" lang="zh-Hans">
          {segments.map((s) => (
            <Piece segment={s} text={text.subarray(s.start, s.end).toString('utf8')} lang={lang} byId={byId} reasons={reasons} />
          ))}
        </pre>
      </section>

      <section aria-labelledby="citations">
        <h2 id="citations">{t(lang, 'sourceCitations')}</h2>
        <p>{t(lang, 'sourceCitationsNote')}</p>
        <ol class="citations">
          {cited.map(({ row, geometry }) => (
            <li>
              <span class="figure">
                {names.get(row.indicator) ?? row.indicator} · {periodWords(lang, row.period)} · {kindWord(lang, row.kind)}: {qualified(lang, row.qualifier, row.reportedValue, row.reportedUnit)}
              </span>{' '}
              <q lang="zh-Hans">{row.quote}</q>{' '}
              <span class="muted">
                ({t(lang, 'sourceBytes')} {row.byteStart}–{row.byteEnd}; {t(lang, 'sourceCodePoints')} {geometry.position.start}–{geometry.position.end})
              </span>
              <ul class="links">
                <li>
                  <a href={`#${citeId(row.id)}`}>
                    {t(lang, 'sourceInText')}
                    <span class="visually-hidden"> #{row.id}</span>
                  </a>
                </li>
                <li>
                  <a href={`${textUrl}#${geometry.textFragment}`}>
                    {t(lang, 'sourceFragment')}
                    <span class="visually-hidden"> #{row.id}</span>
                  </a>
                </li>
                <li>
                  <a href={`/v1/observations/${row.id}/annotation`} type="application/ld+json">
                    {t(lang, 'sourceAnnotation')}
                    <span class="visually-hidden"> #{row.id}</span>
                  </a>
                </li>
                <li>
                  <a href={`/v1/observations/${row.id}`} type="application/json">
                    {t(lang, 'sourceObservation')}
                    <span class="visually-hidden"> #{row.id}</span>
                  </a>
                </li>
              </ul>
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby="exclusions">
        <h2 id="exclusions">{t(lang, 'sourceExclusions')}</h2>
        {exclusions.length === 0 ? (
          <p>{t(lang, 'sourceNoExclusions')}</p>
        ) : (
          <ol class="exclusions">
            {exclusions.map((x, key) => {
              const reason = reasons[key] as Reason
              return (
                <li>
                  <q lang="zh-Hans">{x.quote}</q>{' '}
                  <span id={exclusionId(key)}>
                    {t(lang, 'sourceExcludedReason')}
                    <span lang={reasonLang(reason, lang)}>{reason.text}</span>
                  </span>
                </li>
              )
            })}
          </ol>
        )}
      </section>
    </Layout>
  )
}
