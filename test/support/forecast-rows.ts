// Import rows for the crash and backup tests: n forecasts by (indicator, area, period) that cite the
// seed's quotes, read from a database file.
import Database from 'better-sqlite3'

/** n forecast rows by (indicator, area, period), citing the seed's quotes; `note` makes each run's rows new content. */
export function forecastRows(path: string, n: number, note: string) {
  const db = new Database(path, { readonly: true })
  const obs = db.prepare('SELECT o.indicator_code AS indicator, r.reported_value AS v, r.reported_unit AS u, r.reported_text AS t, r.quote AS q FROM observation o JOIN observation_revision r ON r.seq = o.current_seq WHERE o.kind = \'actual\' GROUP BY o.indicator_code').all() as any[]
  const areas = (db.prepare('SELECT code FROM area').all() as any[]).map((a) => a.code)
  const periods = (db.prepare('SELECT code FROM reporting_period').all() as any[]).map((p) => p.code)
  db.close()
  const rows = []
  for (const area of areas)
    for (const period of periods)
      for (const o of obs) {
        if (rows.length >= n) return rows
        rows.push({ indicator: o.indicator, area, period, kind: 'forecast', note, reported: { value: o.v, unit: o.u, ...(o.t ? { text: o.t } : {}) }, citation: { sourceId: 'bayantala-2023h1', quote: o.q } })
      }
  return rows
}
