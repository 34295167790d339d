// `/indicators/{code}`: the figures with kind, period and qualifier in words, progress, revision history and a server-drawn SVG chart.
// Bounded work: at most INDICATOR_PAGE_FIGURES figures (withdrawn included), and revisions are read only
// for figures revised at least once (their revision number says so), so the reads are bounded by the page.
import type { VNode } from 'preact'
import { Errors } from '../../../errors.js'
import type { ObservationRow } from '../../../storage/ports.js'
import { BarChart, type ChartBar } from '../components/chart.js'
import { ScrollTable } from '../components/scroll-table.js'
import { unitNamer } from '../components/figure.js'
import { comparePeriods } from '../../../domain/periods.js'
import { formatDecimal, kindWord, periodWords, qualified, qualifierWord, temporalityWords } from '../components/numbers.js'
import { href, named, t, type Lang } from '../i18n.js'
import { Layout } from '../layout.js'
import type { WebRoutesOptions } from '../web.routes.js'

/** Figures listed on one indicator's page; beyond it the page links to the paged API. */
export const INDICATOR_PAGE_FIGURES = 500

const byPeriodThenKind = (a: ObservationRow, b: ObservationRow) =>
  comparePeriods(a.period, b.period) || (a.area < b.area ? -1 : a.area > b.area ? 1 : 0) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || a.id - b.id

export async function IndicatorPage({ lang, code, services }: { lang: Lang; code: string; services: WebRoutesOptions }): Promise<VNode> {
  const { catalog, observations, relations } = services
  const indicator = await catalog.indicator(code)
  if (!indicator) throw Errors.notFound(lang === 'zh' ? `没有指标“${code}”。` : `No indicator "${code}".`)
  const [{ rows, more: truncated }, progress, units, areas, topics] = await Promise.all([
    observations.selection({ indicator: [indicator.code], includeWithdrawn: true }, INDICATOR_PAGE_FIGURES, null),
    relations.progress({ indicator: [indicator.code] }),
    catalog.units(),
    catalog.areas(),
    catalog.topics(),
  ])
  const figures = [...rows].sort(byPeriodThenKind)
  const revised = figures.filter((r) => r.revision > 1)
  const histories = await Promise.all(revised.map(async (r) => ({ row: r, revisions: await observations.revisions(r.id) })))
  const unitName = unitNamer(units, lang)
  const areaName = new Map(areas.map((a) => [a.code, named(lang, a.nameZh, a.nameEn)]))
  const area = (c: string) => areaName.get(c) ?? c
  const severalAreas = new Set(figures.map((r) => r.area)).size > 1
  const memberOf = topics.filter((topic) => topic.indicators.includes(indicator.code))
  const title = named(lang, indicator.nameZh, indicator.nameEn)
  const inForce = figures.filter((r) => r.status === 'active')
  const bars: ChartBar[] = inForce.map((r) => ({
    group: severalAreas ? `${periodWords(lang, r.period)} · ${area(r.area)}` : periodWords(lang, r.period),
    kind: r.kind,
    value: r.value,
  }))

  return (
    <Layout lang={lang} path={`/indicators/${indicator.code}`} title={title}>
      <h1>{title}</h1>
      <p class="muted">
        <code>{indicator.code}</code>
        {lang === 'zh' ? ` · ${indicator.nameEn}` : ` · ${indicator.nameZh}`}
      </p>
      <dl class="facts">
        <dt>{t(lang, 'description')}</dt>
        <dd>{indicator.description}</dd>
        <dt>{t(lang, 'unit')}</dt>
        <dd>
          {unitName(indicator.unit)} (<code>{indicator.unit}</code>)
        </dd>
        <dt>{t(lang, 'category')}</dt>
        <dd>{indicator.category.replace(/_/g, ' ')}</dd>
        <dt>{t(lang, 'topics')}</dt>
        <dd>{memberOf.length ? memberOf.map((topic) => named(lang, topic.nameZh, topic.nameEn)).join(lang === 'zh' ? '、' : ', ') : '—'}</dd>
      </dl>

      <h2 id="chart">{t(lang, 'chart')}</h2>
      {bars.length ? (
        <figure class="chart-figure">
          <BarChart lang={lang} id="figures-chart" title={`${title}: ${t(lang, 'figures')}`} desc={t(lang, 'chartDesc')} bars={bars} />
          <figcaption class="visually-hidden">{`${title}: ${t(lang, 'chart')}`}</figcaption>
          <ScrollTable id="chart-table" caption={t(lang, 'chartTableCaption')}>
              <thead>
                <tr>
                  <th scope="col">{t(lang, 'period')}</th>
                  <th scope="col">{t(lang, 'kind')}</th>
                  <th scope="col" class="num">
                    {t(lang, 'value')} ({unitName(indicator.unit)})
                  </th>
                </tr>
              </thead>
              <tbody>
                {bars.map((b) => (
                  <tr>
                    <th scope="row">{b.group}</th>
                    <td>{kindWord(lang, b.kind)}</td>
                    <td class="num">{formatDecimal(b.value)}</td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        </figure>
      ) : (
        <p>{t(lang, figures.length ? 'noCurrentFigures' : 'noFigures')}</p>
      )}

      <h2 id="figures">{t(lang, 'figures')}</h2>
      {figures.length ? (
        <ScrollTable id="figures-table" class="figures" caption={t(lang, 'figuresCaption')}>
            <thead>
              <tr>
                <th scope="col">{t(lang, 'period')}</th>
                <th scope="col">{t(lang, 'kind')}</th>
                <th scope="col">{t(lang, 'figure')}</th>
                <th scope="col">{t(lang, 'asReported')}</th>
                {severalAreas ? <th scope="col">{t(lang, 'area')}</th> : null}
                <th scope="col">{t(lang, 'status')}</th>
                <th scope="col">{t(lang, 'temporality')}</th>
                <th scope="col">{t(lang, 'citation')}</th>
              </tr>
            </thead>
            <tbody>
              {figures.map((r) => (
                <tr id={`obs-${r.id}`} class={r.status === 'withdrawn' ? 'withdrawn' : undefined}>
                  <th scope="row">{periodWords(lang, r.period)}</th>
                  <td>{kindWord(lang, r.kind)}</td>
                  <td>
                    {r.status === 'withdrawn' ? <del>{qualified(lang, r.qualifier, r.value, unitName(r.unit))}</del> : qualified(lang, r.qualifier, r.value, unitName(r.unit))}
                    {r.qualifier === 'eq' ? null : <span class="muted qualifier"> ({qualifierWord(lang, r.qualifier)})</span>}
                  </td>
                  <td lang="zh-Hans">
                    {r.reportedText ?? formatDecimal(r.reportedValue)}
                    {r.reportedUnit}
                  </td>
                  {severalAreas ? <td>{area(r.area)}</td> : null}
                  <td>{r.status === 'withdrawn' ? <strong class="withdrawn-mark">{t(lang, 'statusWithdrawn')}</strong> : t(lang, 'statusActive')}</td>
                  <td>{temporalityWords(lang, r.temporality, r.referenceDate)}</td>
                  <td>
                    <q lang="zh-Hans">{r.quote}</q>
                    <br />
                    {/* The source page highlights current figures only: a withdrawn one links to the report itself. */}
                    <a href={href(r.status === 'withdrawn' ? `/sources/${r.sourceId}` : `/sources/${r.sourceId}#cite-${r.id}`, lang)}>{t(lang, 'inReport')}</a> ·{' '}
                    <a href={`/v1/observations/${r.id}`} aria-label={`${t(lang, 'asJson')} ${r.id}`}>
                      {t(lang, 'asJson')}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
        </ScrollTable>
      ) : (
        <p>{t(lang, 'noFigures')}</p>
      )}
      {truncated ? (
        <p>
          {t(lang, 'truncatedFigures')} <a href={`/v1/observations?indicator=${indicator.code}&includeWithdrawn=true`}>/v1/observations?indicator={indicator.code}</a>
        </p>
      ) : null}

      {progress.length ? (
        <>
          <h2 id="progress">{t(lang, 'progress')}</h2>
          <ScrollTable id="progress-table" caption={t(lang, 'progressCaption')}>
              <thead>
                <tr>
                  <th scope="col">{t(lang, 'area')}</th>
                  <th scope="col">{t(lang, 'target')}</th>
                  <th scope="col">{t(lang, 'actual')}</th>
                  <th scope="col" class="num">
                    {t(lang, 'ratio')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {progress.map((p) => (
                  <tr>
                    <th scope="row">{area(p.area)}</th>
                    <td>
                      <a href={`#obs-${p.target.id}`}>
                        {qualified(lang, p.target.qualifier, p.target.value, unitName(p.target.unit))}, {periodWords(lang, p.target.period)}
                      </a>
                    </td>
                    <td>
                      <a href={`#obs-${p.actual.id}`}>
                        {qualified(lang, p.actual.qualifier, p.actual.value, unitName(p.actual.unit))}, {periodWords(lang, p.actual.period)}
                      </a>
                    </td>
                    <td class="num">
                      {formatDecimal(p.percent)} %{p.exact ? '' : ` ${t(lang, 'roundedNote')}`}
                      <meter class="progress" min={0} max={100} value={p.percent} aria-label={`${t(lang, 'ratio')} ${p.percent} %`} />
                    </td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        </>
      ) : null}

      <h2 id="revisions">{t(lang, 'revisions')}</h2>
      {histories.length === 0 ? <p>{t(lang, 'noRevisions')}</p> : null}
      {histories.map(({ row, revisions }) => (
        <section aria-labelledby={`rev-${row.id}`}>
          <h3 id={`rev-${row.id}`}>
            <a href={`#obs-${row.id}`}>
              {periodWords(lang, row.period)} · {kindWord(lang, row.kind)}
              {severalAreas ? ` · ${area(row.area)}` : ''}
            </a>
          </h3>
          <ScrollTable
            id={`revisions-${row.id}`}
            caption={
              <>
                {t(lang, 'revisionsOf')} {row.id} (<a href={`/v1/observations/${row.id}/revisions`}>JSON</a>)
              </>
            }
          >
              <thead>
                <tr>
                  <th scope="col" class="num">
                    {t(lang, 'revisionNo')}
                  </th>
                  <th scope="col">{t(lang, 'value')}</th>
                  <th scope="col">{t(lang, 'status')}</th>
                  <th scope="col">{t(lang, 'reason')}</th>
                  <th scope="col">{t(lang, 'publishedAt')}</th>
                  <th scope="col">{t(lang, 'recordedAt')}</th>
                </tr>
              </thead>
              <tbody>
                {revisions.map((rev) => (
                  <tr>
                    <th scope="row" class="num">
                      {rev.revision}
                    </th>
                    <td>{qualified(lang, rev.qualifier, rev.value, unitName(rev.unit))}</td>
                    <td>{rev.status === 'withdrawn' ? t(lang, 'statusWithdrawn') : t(lang, 'statusActive')}</td>
                    <td>{rev.reason}</td>
                    <td>
                      <time dateTime={rev.publishedAt}>{rev.publishedAt}</time>
                    </td>
                    <td>
                      <time dateTime={rev.recordedAt}>{rev.recordedAt}</time>
                    </td>
                  </tr>
                ))}
              </tbody>
          </ScrollTable>
        </section>
      ))}
    </Layout>
  )
}
