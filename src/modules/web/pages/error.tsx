import { href, type Lang } from '../i18n.js'
import { Layout } from '../layout.js'

const TITLES: Record<number, { zh: string; en: string }> = {
  400: { zh: '请求有误', en: 'Bad request' },
  404: { zh: '未找到', en: 'Not found' },
}

export function ErrorPage({ lang, path, status, detail }: { lang: Lang; path: string; status: number; detail: string | null }) {
  const title = TITLES[status]?.[lang] ?? (lang === 'zh' ? '出错了' : 'Something went wrong')
  return (
    <Layout lang={lang} path={path} title={title}>
      <h1>{title}</h1>
      {detail ? <p>{detail}</p> : null}
      <p>
        <a href={href('/', lang)}>{lang === 'zh' ? '返回首页' : 'Back to the home page'}</a>
      </p>
    </Layout>
  )
}
