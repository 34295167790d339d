// Test fixtures: a fresh app on a fresh database per test file, on the backend the run names
// (TEST_BACKEND=postgres for the PostgreSQL project; SQLite otherwise).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildApp, type App, type BuildOptions } from '../src/app.js'
import type { Db } from '../src/storage/sqlite/client.js'
import type { Storage } from '../src/storage/ports.js'
import { openStorage } from '../src/storage/open.js'
import { createSqliteStorage, sqliteConnection } from '../src/storage/sqlite/index.js'
import { loadSeeds } from '../src/seed/seed-loader.js'
import { createTestDatabase, dropTestDatabase } from './support/postgres.js'
import { prepareContract, withContract } from './support/contract.js'

export type Backend = 'sqlite' | 'postgres'

/** The backend this test run exercises. */
export const backend: Backend = process.env.TEST_BACKEND === 'postgres' ? 'postgres' : 'sqlite'
export const onPostgres = backend === 'postgres'

export interface TestContext {
  app: App
  storage: Storage
  backend: Backend
  /** The SQLite connection under `storage`: for SQLite-only tests that read or tamper with the file directly. */
  db: Db
  /** A read of the tables in plain SQL (`?` placeholders), on either backend: what tests check behind the API. */
  query<T = Record<string, any>>(sql: string, ...params: unknown[]): Promise<T[]>
  close(): Promise<void>
}

/** A migrated (and, unless `seed` is false, seeded) SQLite store at `path`. */
export async function openStore(path: string, options: { seed?: boolean } = {}): Promise<{ storage: Storage; db: Db }> {
  const storage = createSqliteStorage(path)
  await storage.migrate()
  if (options.seed !== false) await loadSeeds(storage)
  return { storage, db: sqliteConnection(storage) }
}

/** PostgreSQL numbers come back as strings for count() and bigint: tests compare numbers. */
function numeric(row: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(row)) if (typeof v === 'string' && /^-?\d{1,15}$/.test(v) && /^(n|count|max|min|seq|id|revision)$/i.test(k)) row[k] = Number(v)
  return row
}

/** A migrated and seeded database: in memory or a temp file on SQLite (`file: true`), a new database on PostgreSQL. */
export async function freshDb(options: { file?: boolean; seed?: boolean } = {}): Promise<{ storage: Storage; db: Db; path: string; query: TestContext['query']; cleanup(): Promise<void> }> {
  if (onPostgres) {
    const database = await createTestDatabase('bt_api')
    const storage = await openStorage(database.url)
    await storage.migrate()
    if (options.seed !== false) await loadSeeds(storage)
    const pool = new pg.Pool({ connectionString: database.url, max: 2 })
    pool.on('error', () => undefined)
    return {
      storage,
      // Taken apart with the rest, it fails only where used: the parts of a file that read the SQLite file directly.
      db: new Proxy({} as Db, {
        get() {
          throw new Error('this test reads the SQLite file directly: it belongs to the SQLite project only')
        },
      }),
      path: database.url,
      async query(sql, ...params) {
        let n = 0
        const text = sql.replace(/\?/g, () => `$${++n}`)
        return (await pool.query(text, params)).rows.map(numeric) as never
      },
      async cleanup() {
        await pool.end().catch(() => undefined)
        await storage.close().catch(() => undefined)
        await dropTestDatabase(database.name)
      },
    }
  }
  const dir = options.file ? mkdtempSync(join(tmpdir(), 'indicators-test-')) : null
  const path = dir ? join(dir, 'test.db') : ':memory:'
  const { storage, db } = await openStore(path, options)
  return {
    storage,
    db,
    path,
    async query(sql, ...params) {
      const statement = db.$client.prepare(sql)
      if (!statement.reader) {
        statement.run(...params)
        return []
      }
      return statement.all(...params) as never
    },
    async cleanup() {
      if (db.$client.open) db.$client.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function buildTestApp(options: { file?: boolean; seed?: boolean; build?: Omit<BuildOptions, 'storage'> } = {}): Promise<TestContext> {
  prepareContract()
  const fresh = await freshDb(options)
  // Every answer a test reads is checked against openapi.yaml (test/support/contract.ts).
  const app = withContract(await buildApp({ logger: false, config: { databaseUrl: ':memory:' }, ...options.build, storage: fresh.storage }))
  await app.ready()
  return {
    app,
    storage: fresh.storage,
    backend,
    db: fresh.db,
    query: fresh.query,
    async close() {
      await app.close()
      await fresh.cleanup()
    },
  }
}

export function json<T = any>(body: string): T {
  return JSON.parse(body) as T
}

/** Every observation the JSON list answers for `query` (no limit or cursor in it), following nextCursor page by page. */
export async function listAll<T = any>(app: TestContext['app'], query: string, limit = 1000): Promise<T[]> {
  const out: T[] = []
  let cursor: string | null = null
  do {
    const res: { statusCode: number; body: string } = await app.inject({ url: `/v1/observations?${query}${query ? '&' : ''}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}` })
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} for ${query}: ${res.body}`)
    const page: { data: T[]; nextCursor: string | null } = json(res.body)
    out.push(...page.data)
    cursor = page.nextCursor
  } while (cursor)
  return out
}
