// What indicator search matches, for both adapters: a case-insensitive substring, as a LIKE
// pattern with `\` as its escape character.
export function indicatorSearchPattern(q: string): string {
  return `%${q.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
