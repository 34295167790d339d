// The web view's two languages: the report's own (zh) and English. The language is
// chosen by `lang` in the URL (every link carries it), else from Accept-Language.
export const LANGS = ['zh', 'en'] as const
export type Lang = (typeof LANGS)[number]

/** `lang` from the query when valid, else the first of zh/en that Accept-Language prefers, else zh (the report's language). */
export function pickLang(query: unknown, acceptLanguage: string | undefined): { lang: Lang; fromHeader: boolean } {
  if (query === 'zh' || query === 'en') return { lang: query, fromHeader: false }
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
      if (r.tag === 'zh' || r.tag.startsWith('zh-')) return { lang: 'zh', fromHeader: true }
      if (r.tag === 'en' || r.tag.startsWith('en-')) return { lang: 'en', fromHeader: true }
    }
  }
  return { lang: 'zh', fromHeader: acceptLanguage !== undefined }
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
  footer: { zh: '数据来自政府工作报告，每个数字都附原文引文。', en: 'Figures from government work reports, each with its verbatim citation.' },
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
