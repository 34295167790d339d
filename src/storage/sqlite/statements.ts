// Prepared statements by their text, compiled once per connection: every read and
// write primitive of the adapter runs on one of these.
import type Database from 'better-sqlite3'

export type Statements = (sql: string) => Database.Statement

export function statementsOf(client: Database.Database): Statements {
  const cache = new Map<string, Database.Statement>()
  return (sql) => {
    let stmt = cache.get(sql)
    if (!stmt) {
      stmt = client.prepare(sql)
      cache.set(sql, stmt)
    }
    return stmt
  }
}
