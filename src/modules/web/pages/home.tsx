// `/`: what this is, the topics (the brief's four families first) and categories, each indicator with its latest actual and target.
// Bounded work: per indicator at most HOME_FIGURES_PER_INDICATOR figures in force are read (one keyset page),
// so the page costs a fixed number of reads per indicator however many figures the store holds.
import type { VNode } from 'preact'
import type { IndicatorRecord, ObservationRow, TopicRecord } from '../../../storage/ports.js'
import { FigureInWords, unitNamer } from '../components/figure.js'
import { ScrollTable } from '../components/scroll-table.js'
import { laterPeriod } from '../../../domain/periods.js'
import { href, named, t, type Lang } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'

/** Figures read per indicator to find its latest actual and target; the indicator's page lists them all. */
export const HOME_FIGURES_PER_INDICATOR = 200

interface Latest {
  actual: ObservationRow | null
  target: ObservationRow | null
  truncated: boolean
}

function latestOf(rows: ObservationRow[], kind: 'actual' | 'target'): ObservationRow | null {
  let best: ObservationRow | null = null
  for (const row of rows) if (row.kind === kind && (best === null || laterPeriod(row.period, best.period))) best = row
  return best
}

const humanized = (code: string) => code.replace(/_/g, ' ')

export async function HomePage({ lang, services }: { lang: Lang; services: WebRoutesOptions }): Promise<VNode> {
  const { catalog, observations } = services
  const [indicators, topics, categories, sources, units, areas] = await Promise.all([
    catalog.indicators(),
    catalog.topics(),
    catalog.categories(),
    catalog.sources(),
    catalog.units(),
    catalog.areas(),
  ])
  const latest = new Map<string, Latest>()
  for (const indicator of indicators) {
    const { rows, more: truncated } = await observations.selection({ indicator: [indicator.code], kind: ['actual', 'target'] }, HOME_FIGURES_PER_INDICATOR, null)
    latest.set(indicator.code, { actual: latestOf(rows, 'actual'), target: latestOf(rows, 'target'), truncated })
  }
  const unitName = unitNamer(units, lang)
  const areaName = new Map(areas.map((a) => [a.code, named(lang, a.nameZh, a.nameEn)]))
  const byCode = new Map(indicators.map((i) => [i.code, i]))
  const inTopic = new Set(topics.flatMap((topic) => topic.indicators))
  const others = indicators.filter((i) => !inTopic.has(i.code))
  const topicByCode = new Map(topics.map((topic) => [topic.code, topic]))
  const anyTruncated = [...latest.values()].some((l) => l.truncated)

  const cell = (row: ObservationRow | null) =>
    row ? (
      <td>
        <FigureInWords lang={lang} row={row} unitName={unitName} />
        <span class="muted area">{areaName.get(row.area) ?? row.area}</span>
      </td>
    ) : (
      <td class="muted">{t(lang, 'none')}</td>
    )

  const table = (id: string, caption: string, members: IndicatorRecord[]) => (
    <ScrollTable id={id} caption={t(lang, 'latestFiguresOf') + caption}>
        <thead>
          <tr>
            <th scope="col">{t(lang, 'indicator')}</th>
            <th scope="col">{t(lang, 'latestActual')}</th>
            <th scope="col">{t(lang, 'latestTarget')}</th>
          </tr>
        </thead>
        <tbody>
          {members.map((i) => (
            <tr>
              <th scope="row">
                <a href={href(`/indicators/${i.code}`, lang)}>{named(lang, i.nameZh, i.nameEn)}</a>
              </th>
              {cell(latest.get(i.code)?.actual ?? null)}
              {cell(latest.get(i.code)?.target ?? null)}
            </tr>
          ))}
        </tbody>
    </ScrollTable>
  )

  // Two topics may share a name in a language: each then says its code, so sections and tables stay distinguishable landmarks.
  const plainNames = topics.map((topic) => named(lang, topic.nameZh, topic.nameEn))
  const shared = new Set(plainNames.filter((name, i) => plainNames.indexOf(name) !== i).concat(t(lang, 'otherIndicators')))
  const topicName = (topic: TopicRecord) => {
    const name = named(lang, topic.nameZh, topic.nameEn)
    return shared.has(name) ? `${name} (${topic.code})` : name
  }

  const topicSection = (topic: TopicRecord) => {
    const members = topic.indicators.flatMap((code) => byCode.get(code) ?? [])
    const name = topicName(topic)
    return (
      <section aria-labelledby={`topic-${topic.code}`}>
        <h3 id={`topic-${topic.code}`}>{name}</h3>
        <p>{lang === 'zh' ? topic.descriptionZh : topic.descriptionEn}</p>
        {/* The caption differs from the heading: the section and the table are both named landmarks. */}
        {table(`table-${topic.code}`, name, members)}
      </section>
    )
  }

  return (
    <Layout lang={lang} path="/" title={t(lang, 'home')}>
      <h1>{t(lang, 'siteName')}</h1>
      <p class="lead">{t(lang, 'homeIntro')}</p>
      <p>
        {t(lang, 'homeMachines')} <a href="/docs">{t(lang, 'apiDocs')}</a> · <a href="/openapi.yaml">{t(lang, 'openapi')}</a>
      </p>

      <h2 id="topics">{t(lang, 'topics')}</h2>
      {topics.map(topicSection)}
      {others.length > 0 ? (
        <section aria-labelledby="other-indicators">
          <h3 id="other-indicators">{t(lang, 'otherIndicators')}</h3>
          {table('other-indicators-table', t(lang, 'otherIndicators'), others)}
        </section>
      ) : null}
      {anyTruncated ? <p class="muted">{t(lang, 'boundedNote')}</p> : null}

      <h2 id="categories">{t(lang, 'categories')}</h2>
      <dl class="categories">
        {categories.map((category) => {
          const topic = topicByCode.get(category)
          return (
            <>
              <dt>{topic ? named(lang, topic.nameZh, topic.nameEn) : humanized(category)}</dt>
              <dd>
                <ul class="inline-list">
                  {indicators
                    .filter((i) => i.category === category)
                    .map((i) => (
                      <li>
                        <a href={href(`/indicators/${i.code}`, lang)}>{named(lang, i.nameZh, i.nameEn)}</a>
                      </li>
                    ))}
                </ul>
              </dd>
            </>
          )
        })}
      </dl>

      <h2 id="sources">{t(lang, 'sources')}</h2>
      <ul>
        {sources.map((s) => (
          <li>
            <a href={href(`/sources/${s.id}`, lang)}>{named(lang, s.title, s.titleEn)}</a> <span class="muted">({s.issuer}, {s.issuedOn})</span> ·{' '}
            <a href={`/v1/sources/${s.id}/text`}>{t(lang, 'sourcePlainText')}</a>
          </li>
        ))}
      </ul>
    </Layout>
  )
}
