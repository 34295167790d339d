// The web view's two languages: the report's own (zh) and English. The language is
// chosen by `lang` in the URL (every link carries it), else from Accept-Language.
export const LANGS = ['zh', 'en'] as const
export type Lang = (typeof LANGS)[number]

/**
 * `lang` from the query when it is zh or en (any region or script subtag), else the first of zh/en that Accept-Language prefers, else zh (the report's language).
 * `negotiated`: the URL did not name the language, so the page varies by Accept-Language (its absence included).
 */
export function pickLang(query: unknown, acceptLanguage: string | undefined): { lang: Lang; negotiated: boolean } {
  const asked = typeof query === 'string' ? query.trim().toLowerCase().split(/[-_]/)[0] : undefined
  if (asked === 'zh' || asked === 'en') return { lang: asked, negotiated: false }
  if (acceptLanguage) {
    const ranked = acceptLanguage
      .split(',')
      .map((part, i) => {
        const [tag = '', ...params] = part.trim().toLowerCase().split(';')
        const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
        return { tag: tag.trim(), q: q === undefined ? 1 : Number(q.slice(2)) || 0, i }
      })
      .filter((r) => r.q > 0)
      .sort((a, b) => b.q - a.q || a.i - b.i)
    for (const r of ranked) {
      if (r.tag === 'zh' || r.tag.startsWith('zh-')) return { lang: 'zh', negotiated: true }
      if (r.tag === 'en' || r.tag.startsWith('en-')) return { lang: 'en', negotiated: true }
    }
  }
  // No header is a choice by the header too: a cache must not serve this page to a request that names English.
  return { lang: 'zh', negotiated: true }
}

/** A link within the web view that keeps the language: `href('/audit', 'en')` → `/audit?lang=en`. */
export function href(path: string, lang: Lang, params: Record<string, string> = {}): string {
  const [base = '', hash] = path.split('#')
  const q = new URLSearchParams(base.includes('?') ? base.slice(base.indexOf('?') + 1) : '')
  for (const [k, v] of Object.entries(params)) q.set(k, v)
  q.set('lang', lang)
  const pathOnly = base.includes('?') ? base.slice(0, base.indexOf('?')) : base
  return `${pathOnly}?${q.toString()}${hash === undefined ? '' : `#${hash}`}`
}

/** Words of the page chrome; the data's own names come bilingual from the store. Pages add their keys here. */
const WORDS = {
  siteName: { zh: '巴彦塔拉镇指标', en: 'Bayantala indicators' },
  skipToContent: { zh: '跳到正文', en: 'Skip to content' },
  home: { zh: '首页', en: 'Home' },
  audit: { zh: '审计链', en: 'Audit chain' },
  apiDocs: { zh: 'API 文档', en: 'API docs' },
  language: { zh: '语言', en: 'Language' },
  mainNav: { zh: '主导航', en: 'Main navigation' },
  noCurrentFigures: { zh: '没有可绘制的现行数字（已撤回的数字不绘制）。', en: 'No current figure to draw (withdrawn figures are not drawn).' },
  footer: { zh: '数据来自政府工作报告，每个数字都附原文引文。', en: 'Figures from government work reports, each with its verbatim citation.' },
  // pages: home, indicator, audit
  homeIntro: {
    zh: '这里汇集巴彦塔拉镇政府工作报告中的各项指标：每个数字都附报告原文引文，可追溯到报告中的位置，修订有完整历史。',
    en: 'The figures of the Bayantala town government work reports, each with the verbatim words that state it, a link to where the report says it, and the full history of its revisions.',
  },
  homeMachines: { zh: '程序读取：API 文档、OpenAPI 描述，以及每份报告的原文。', en: 'For programs: the API docs, the OpenAPI description, and the text of each report.' },
  topics: { zh: '主题', en: 'Topics' },
  otherIndicators: { zh: '其他指标', en: 'Other indicators' },
  categories: { zh: '分类', en: 'Categories' },
  sources: { zh: '来源报告', en: 'Source reports' },
  sourcePlainText: { zh: '原文（纯文本）', en: 'plain text' },
  openapi: { zh: 'OpenAPI 描述', en: 'OpenAPI description' },
  indicator: { zh: '指标', en: 'Indicator' },
  latestActual: { zh: '最新实际数', en: 'Latest actual' },
  latestFiguresOf: { zh: '最新实际数与目标数：', en: 'Latest actuals and targets: ' },
  latestTarget: { zh: '最新目标', en: 'Latest target' },
  none: { zh: '暂无', en: 'none yet' },
  boundedNote: { zh: '每个指标只读取前若干条数字，详见指标页。', en: 'Only the first figures of each indicator are read here; its page has them all.' },
  description: { zh: '说明', en: 'Description' },
  unit: { zh: '单位', en: 'Unit' },
  category: { zh: '分类', en: 'Category' },
  figures: { zh: '数字', en: 'Figures' },
  figuresCaption: { zh: '本指标的全部数字（含已撤回的）', en: 'Every figure of this indicator (withdrawn ones included)' },
  kind: { zh: '类型', en: 'Kind' },
  period: { zh: '时期', en: 'Period' },
  area: { zh: '地区', en: 'Area' },
  figure: { zh: '数字', en: 'Figure' },
  asReported: { zh: '报告原文写法', en: 'As reported' },
  status: { zh: '状态', en: 'Status' },
  statusActive: { zh: '有效', en: 'in force' },
  statusWithdrawn: { zh: '已撤回', en: 'withdrawn' },
  temporality: { zh: '时间性质', en: 'Time' },
  citation: { zh: '引文', en: 'Citation' },
  inReport: { zh: '在报告中查看', en: 'see in the report' },
  asJson: { zh: 'JSON', en: 'JSON' },
  truncatedFigures: { zh: '只列出前若干条；全部数字请用 API 分页读取：', en: 'Only the first figures are listed; page through them all with the API:' },
  progress: { zh: '目标完成进度', en: 'Progress against target' },
  progressCaption: { zh: '实际数与目标之比（精确小数）', en: 'Actual against target (exact decimals)' },
  target: { zh: '目标', en: 'Target' },
  actual: { zh: '实际', en: 'Actual' },
  ratio: { zh: '完成比例', en: 'Achieved' },
  roundedNote: { zh: '（已四舍六入）', en: '(rounded)' },
  chart: { zh: '图表', en: 'Chart' },
  chartDesc: { zh: '各时期数字的柱状图，按类型区分；已撤回的数字不画出。同样的数字见下表。', en: 'Bars of the figures over periods, one colour per kind; withdrawn figures are not drawn. The same figures are in the table below.' },
  chartTableCaption: { zh: '图中的数字', en: 'The figures in the chart' },
  noFigures: { zh: '本指标暂无数字。', en: 'This indicator has no figures yet.' },
  revisions: { zh: '修订历史', en: 'Revision history' },
  revisionsOf: { zh: '数字的修订', en: 'Revisions of figure' },
  revisionNo: { zh: '修订号', en: 'Revision' },
  value: { zh: '数值', en: 'Value' },
  reason: { zh: '原因', en: 'Reason' },
  publishedAt: { zh: '发布时间', en: 'Published' },
  recordedAt: { zh: '记录时间', en: 'Recorded' },
  noRevisions: { zh: '所有数字都未修订过。', en: 'No figure has been revised.' },
  auditIntro: {
    zh: '每次写入（数字的修订、目录的更改、密钥、初始数据）都在同一事务中追加一条审计记录；记录以哈希串联，任何人都能重新计算。',
    en: 'Every write (revisions of figures, catalogue changes, keys, the seed itself) appends an audit entry in the same transaction; the entries are hash-chained so anyone can recompute them.',
  },
  chainHead: { zh: '链头', en: 'Chain head' },
  seq: { zh: '序号', en: 'Seq' },
  hash: { zh: '哈希（SHA-256）', en: 'Hash (SHA-256)' },
  emptyChain: { zh: '审计链为空。', en: 'The chain is empty.' },
  lastVerification: { zh: '最近一次校验', en: 'Last verification' },
  state: { zh: '结论', en: 'State' },
  stateVerifying: { zh: '启动校验进行中', en: 'verification at start still running' },
  stateVerified: { zh: '已校验：数据库与审计链一致', en: 'verified: the database agrees with its audit log' },
  stateTampered: { zh: '不一致：数据库与审计链不符', en: 'tampered: the database does not agree with its audit log' },
  verifiedSeq: { zh: '已校验至序号', en: 'Verified up to seq' },
  lastFullAt: { zh: '最近一次完整校验', en: 'Last full pass' },
  never: { zh: '尚未进行', en: 'not yet' },
  brokenSeq: { zh: '首个不符的序号', en: 'First bad seq' },
  verifyYourself: { zh: '自己校验', en: 'Verify it yourself' },
  verifyStepsIntro: { zh: '以下命令针对本服务器；第一条取得签名的链头，请保存或公开它。', en: 'These commands address this server; the first fetches the signed head: keep or publish it.' },
  verifyOffline: { zh: '在服务器上对数据库文件做离线完整校验（在代码仓库目录中运行）：', en: 'On the server, a full offline check of the database file (run in the repository):' },
  auditLinks: { zh: '接口', en: 'Endpoints' },
  // page: source
  sourceIssuer: { zh: '发文机关', en: 'Issuer' },
  sourceRecipient: { zh: '主送', en: 'Addressed to' },
  sourceIssuedOn: { zh: '成文日期', en: 'Issued on' },
  sourceDocumentNumber: { zh: '文号', en: 'Document number' },
  sourceSha256: { zh: '全文 SHA-256', en: 'SHA-256 of the text' },
  sourceCheck: { zh: '自行核对（结果应与上面的值相同）：', en: 'Check it yourself (the output should equal the value above):' },
  sourceText: { zh: '报告全文', en: 'The report text' },
  sourceLegend: { zh: '高亮的是被引用的数字，点击可到该指标；灰色虚线框是有意未提取的数字，悬停或用 Tab 聚焦可看原因。', en: 'Highlighted: cited figures (follow one to its indicator). Grey, dashed: numbers deliberately not extracted; hover or Tab to one for the reason.' },
  sourceCitations: { zh: '引文', en: 'Citations' },
  sourceCitationsNote: { zh: '每条引文：在全文中的位置、在纯文本中高亮的链接（文本片段）、W3C 网络注释和 API 中的观测值。已撤回的观测值不显示。', en: 'For each citation: its place in the text above, a link that highlights it in the plain text (a text fragment), its W3C Web Annotation and the observation in the API. Withdrawn observations are not shown.' },
  sourceInText: { zh: '在全文中', en: 'In the text' },
  sourceFragment: { zh: '在纯文本中高亮', en: 'Highlight in the plain text' },
  sourceAnnotation: { zh: '网络注释', en: 'Web Annotation' },
  sourceObservation: { zh: '观测值 JSON', en: 'Observation JSON' },
  sourceExclusions: { zh: '未提取的数字', en: 'Numbers not extracted' },
  sourceExcludedReason: { zh: '未提取：', en: 'Not extracted: ' },
  sourceNoExclusions: { zh: '此来源没有经审核的排除清单。', en: 'This source has no reviewed exclusions.' },
  sourceBytes: { zh: '字节', en: 'bytes' },
  sourceCodePoints: { zh: '码位', en: 'code points' },
} as const satisfies Record<string, Record<Lang, string>>

export type WordKey = keyof typeof WORDS

export function t(lang: Lang, key: WordKey): string {
  return WORDS[key][lang]
}

/** The bilingual name pair the store keeps (`name` in Chinese, `nameEn` in English), in the page's language. */
export function named(lang: Lang, zh: string, en: string | null | undefined): string {
  return lang === 'en' && en ? en : zh
}

/** The BCP 47 tag of a page language, for `lang` and `hreflang` attributes (the report is in Simplified Chinese). */
export function langTag(lang: Lang): 'zh-Hans' | 'en' {
  return lang === 'zh' ? 'zh-Hans' : 'en'
}

/** Reviewer's words kept in English and, where translated, in Chinese: the page's language where there is one, else English, with the language it is in. */
export function inPageLanguage(lang: Lang, en: string, zh: string | null | undefined): { text: string; lang: Lang } {
  return lang === 'zh' && zh ? { text: zh, lang: 'zh' } : { text: en, lang: 'en' }
}
