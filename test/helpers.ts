// Test fixtures: a fresh app on a fresh database per test file.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp, type App, type BuildOptions } from '../src/app.js'
import { migrateDatabase, openDatabase, type Db } from '../src/storage/sqlite/client.js'
import { loadSeeds } from '../src/seed/seed-loader.js'

export interface TestContext {
  app: App
  db: Db
  close(): Promise<void>
}

/** A migrated and seeded database in memory, or in a temp file with `file: true`. */
export function freshDb(options: { file?: boolean; seed?: boolean } = {}): { db: Db; path: string; cleanup(): void } {
  const dir = options.file ? mkdtempSync(join(tmpdir(), 'indicators-test-')) : null
  const path = dir ? join(dir, 'test.db') : ':memory:'
  const db = openDatabase(path)
  migrateDatabase(db)
  if (options.seed !== false) loadSeeds(db)
  return {
    db,
    path,
    cleanup() {
      if (db.$client.open) db.$client.close()
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

export async function buildTestApp(options: { file?: boolean; seed?: boolean; build?: Omit<BuildOptions, 'db'> } = {}): Promise<TestContext> {
  const { db, cleanup } = freshDb(options)
  const app = await buildApp({ logger: false, config: { databaseUrl: ':memory:' }, ...options.build, db })
  await app.ready()
  return {
    app,
    db,
    async close() {
      await app.close()
      cleanup()
    },
  }
}

export function json<T = any>(body: string): T {
  return JSON.parse(body) as T
}
