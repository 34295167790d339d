// Indicator search, one implementation for both adapters: they read the candidate indicators and
// their topics' words, this matches and ranks them, so both backends answer in the same order.
// The rules are documented in docs/search.md.
import type { IndicatorRecord } from './ports.js'

/** What one indicator can be found by besides its own fields: its topics' names and synonyms. */
export interface SearchCandidate {
  indicator: IndicatorRecord
  topicTerms: string[]
}

/** Ranks, best first; an indicator is ranked by the best field it matches. */
export const SEARCH_RANKS = ['code', 'exact name', 'name', 'synonym or topic', 'description', 'every word', 'term in query'] as const
export type SearchRank = (typeof SEARCH_RANKS)[number]

// British and American spellings of one word, folded to the first.
const SPELLINGS: Array<[RegExp, string]> = [
  [/^enroll/, 'enrol'],
  [/^labor/, 'labour'],
  [/^center/, 'centre'],
  [/^standardiz/, 'standardis'],
  [/^subsidiz/, 'subsidis'],
]

/** One Latin word with its plural and spelling variants folded: subsidies → subsidy, enrollment → enrolment. */
export function foldWord(word: string): string {
  let w = word
  for (const [from, to] of SPELLINGS) w = w.replace(from, to)
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`
  if (w.length > 4 && /(ch|sh|x|ss)es$/.test(w)) return w.slice(0, -2)
  if (w.length > 3 && w.endsWith('s') && !/(ss|us|is)$/.test(w)) return w.slice(0, -1)
  return w
}

/** Text as search compares it: NFKC, lower case, `_`/`-`/spaces as one space; with `fold`, Latin words folded too. */
export function searchText(text: string, fold = true): string {
  const plain = text.normalize('NFKC').toLowerCase().replace(/[\s_\-]+/g, ' ').trim()
  return fold ? plain.replace(/[a-z0-9]+/g, foldWord) : plain
}

/** Whether `text` contains the query: folded (enrollment finds enrolment) or as typed (subsidi finds subsidies). */
function contains(text: string, q: string): boolean {
  return searchText(text).includes(searchText(q)) || searchText(text, false).includes(searchText(q, false))
}

/** The rank at which `q` finds the indicator, or null when it does not. */
export function searchRank(q: string, candidate: SearchCandidate): SearchRank | null {
  const { indicator: i, topicTerms } = candidate
  const raw = q.trim().toLowerCase()
  if (raw === i.code.toLowerCase()) return 'code'
  if (searchText(q, false) === '') return null
  const names = [i.nameZh, i.nameEn]
  if (names.some((n) => searchText(n) === searchText(q) || searchText(n, false) === searchText(q, false))) return 'exact name'
  if ([...names, i.code].some((n) => contains(n, q))) return 'name'
  if ([...(i.synonyms ?? []), ...topicTerms].some((t) => contains(t, q))) return 'synonym or topic'
  if (contains(i.description, q)) return 'description'
  const terms = [...names, ...(i.synonyms ?? []), ...topicTerms]
  const words = queryWords(q)
  if (words.length > 0) {
    // The unit code counts only beside other words (drainage km), so that km or person alone does not list every such figure.
    const text = [i.code, ...terms, i.description, ...(words.length > 1 ? [i.unit] : [])].join('\n')
    if (words.every((w) => contains(text, w) || (stem(w) !== null && searchText(text).includes(stem(w) as string)))) return 'every word'
  }
  // A Chinese query is not segmented: it finds an indicator when it contains one of its Chinese names or synonyms (居民医保 holds 医保).
  const query = searchText(q, false)
  if (terms.some((t) => CHINESE.test(t) && [...t].length >= 2 && query.includes(searchText(t, false)))) return 'term in query'
  return null
}

const CHINESE = /\p{Script=Han}/u

/** The query's words: punctuation (brackets, commas) dropped, split at spaces. */
function queryWords(q: string): string[] {
  return searchText(q, false)
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((w) => w !== '')
}

/** A folded Latin word without its verb ending (subsidised → subsid, finds subsidy), when enough of it is left. */
function stem(word: string): string | null {
  const m = /^([a-z]{5,}?)(?:is|iz)?(?:ed|ing)$/.exec(searchText(word))
  return m ? (m[1] as string) : null
}

/** The candidates `q` finds, best rank first, by code within a rank. */
export function rankIndicators(q: string, candidates: SearchCandidate[]): IndicatorRecord[] {
  return candidates
    .map((c) => ({ c, rank: searchRank(q, c) }))
    .filter((x): x is { c: SearchCandidate; rank: SearchRank } => x.rank !== null)
    .sort((a, b) => SEARCH_RANKS.indexOf(a.rank) - SEARCH_RANKS.indexOf(b.rank) || (a.c.indicator.code < b.c.indicator.code ? -1 : a.c.indicator.code > b.c.indicator.code ? 1 : 0))
    .map((x) => x.c.indicator)
}

/** Parses a stored JSON array of strings; anything else reads as no synonyms. */
export function parseSynonyms(text: unknown): string[] {
  if (Array.isArray(text)) return text.filter((s): s is string => typeof s === 'string')
  if (typeof text !== 'string') return []
  try {
    const v = JSON.parse(text) as unknown
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []
  } catch {
    return []
  }
}

/** For the integrity check: the stored synonyms as the array they hold, or the stored text itself when it is not one (it then matches no snapshot). */
export function storedSynonyms(text: unknown): unknown {
  try {
    const v = typeof text === 'string' ? (JSON.parse(text) as unknown) : text
    return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : text
  } catch {
    return text
  }
}
