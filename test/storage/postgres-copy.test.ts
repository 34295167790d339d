// Copying a SQLite store into PostgreSQL verbatim: afterwards every port answers as the SQLite
// adapter does on the file; a non-empty or unmigrated target is refused; a copy that fails part way
// (a value PostgreSQL refuses, a chain that does not verify) leaves the target empty.
import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { recordAnswer } from '../../src/modules/imports/idempotency.js'
import { createKey, revokeKey } from '../../src/modules/keys/keys.js'
import { rowToChecked, writeObservations } from '../../src/modules/observations/observation-writes.js'
import { loadSeeds } from '../../src/seed/seed-loader.js'
import type { ObservationRow, Storage } from '../../src/storage/ports.js'
import { copySqliteToPostgres, type CopyProgress } from '../../src/storage/postgres/copy-from-sqlite.js'
import { createPostgresStorage } from '../../src/storage/postgres/index.js'
import { createSqliteStorage, sqliteConnection } from '../../src/storage/sqlite/index.js'
import { writeUnit } from '../../src/writes/write-unit.js'
import { createTestDatabase, dropTestDatabase, postgresAvailable } from '../support/postgres.js'
import { expectSameCatalog, expectSameObservations, expectSamePages, expectSameRecords, filtersOver, vocabularyOf } from '../support/postgres-vs-sqlite.js'

const available = await postgresAvailable()
const run = promisify(execFile)

const TABLES = ['source', 'area', 'reporting_period', 'indicator', 'observation', 'observation_revision', 'audit_entry', 'api_key', 'idempotency_key']

/** Row counts of every table, read plainly. */
async function counts(storage: Storage): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  await storage.transaction('snapshot', async (tx) => {
    out.audit_entry = (await tx.audit.page(0, 1_000_000)).length
    out.api_key = (await tx.integrity.apiKeys()).length
    out.idempotency_key = (await tx.integrity.idempotencyRecords()).length
    out.observation = await tx.integrity.maxObservationId()
    out.observation_revision = await tx.integrity.revisionCount(0)
  })
  return out
}

describe.skipIf(!available)('copying a SQLite store into PostgreSQL', () => {
  let dir: string
  let file: string
  let sqlite: Storage
  const databases: string[] = []

  async function freshTarget(migrated = true): Promise<{ url: string; storage: Storage }> {
    const db = await createTestDatabase('bt_copy')
    databases.push(db.name)
    const storage = await createPostgresStorage(db.url)
    if (migrated) await storage.migrate()
    return { url: db.url, storage }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bt-copy-'))
    file = join(dir, 'store.db')
    sqlite = createSqliteStorage(file)
    await sqlite.migrate()
    await loadSeeds(sqlite)
    // Corrections after the seed: revisions, a withdrawal, a restore, in later transactions.
    for (const [n, step] of ['revise', 'withdraw', 'restore'].entries()) {
      await writeUnit(sqlite, async (tx, audit) => {
        const currents = (await Promise.all([1, 2, 3, 5, 8].map((i) => tx.currentById(i + n)))).filter((row): row is ObservationRow => row !== null)
        const items = currents.map((current) => {
          const observation = step === 'revise' ? { ...rowToChecked(current), value: `${current.value}1`, note: `corrected "${n}" \\ 更正` } : rowToChecked(current)
          return { observation, status: step === 'withdraw' ? ('withdrawn' as const) : ('active' as const), reason: `${step} ${current.id}`, actor: 'editor', current }
        })
        await writeObservations(tx, audit, items)
      })
    }
    await createKey(sqlite, 'importer', ['write'])
    await createKey(sqlite, 'operator', ['admin', 'write'])
    await revokeKey(sqlite, { name: 'operator' })
    await writeUnit(sqlite, (tx, audit) => recordAnswer(tx, audit, 'importer', 'batch-1', 'a'.repeat(64), 201, '{"created":3}'))
  })
  afterAll(async () => {
    await sqlite?.close()
    for (const name of databases) await dropTestDatabase(name)
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('copies every table so that every port answers as the SQLite store does', async () => {
    const { url, storage } = await freshTarget()
    const progress: CopyProgress[] = []
    const report = await copySqliteToPostgres(file, url, { onProgress: (p) => progress.push(p) })
    try {
      const c = sqliteConnection(sqlite).$client
      for (const t of TABLES) expect(report.tables[t], t).toBe((c.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number))
      expect(report.tables.observation_revision).toBeGreaterThan(report.tables.observation!)
      expect(report.tables.api_key).toBe(2)
      expect(report.tables.idempotency_key).toBe(1)
      expect(progress.filter((p) => p.copied === p.total).map((p) => p.table)).toEqual(expect.arrayContaining(TABLES))
      expect(await counts(storage)).toMatchObject({ observation_revision: report.tables.observation_revision, audit_entry: report.tables.audit_entry })

      const vocabulary = vocabularyOf(sqlite)
      const maxId = c.prepare('SELECT max(id) FROM observation').pluck().get() as number
      await expectSamePages(storage, sqlite, filtersOver(vocabulary), maxId + 2, 150)
      await expectSameObservations(storage, sqlite, vocabulary.instants[0]!)
      await expectSameCatalog(storage, sqlite, fc.oneof(fc.constantFrom('低保', 'RATE', 'a', '%', ''), fc.string({ maxLength: 2 })), vocabulary.categories, 50)
      await expectSameRecords(storage, sqlite)
      const migrations = await storage.health.migrations()
      expect(migrations.applied).toBe(migrations.expected)

      // The copy is a live store: the next write continues after the copied ids and seqs.
      const next = await storage.transaction('write', async (tx) => [await tx.nextObservationId(), (await tx.auditHead())?.seq])
      expect(next).toEqual([maxId + 1, report.auditHead?.seq])
    } finally {
      await storage.close()
    }
  })

  it('refuses a target that is not empty or not migrated, and changes nothing', async () => {
    const { url, storage } = await freshTarget()
    try {
      await copySqliteToPostgres(file, url)
      const before = await counts(storage)
      await expect(copySqliteToPostgres(file, url)).rejects.toThrow(/is not empty \(table source has rows\)/)
      expect(await counts(storage)).toEqual(before)
    } finally {
      await storage.close()
    }
    const bare = await freshTarget(false)
    try {
      await expect(copySqliteToPostgres(file, bare.url)).rejects.toThrow(/is not migrated \(0 of \d+ migrations applied\)/)
    } finally {
      await bare.storage.close()
    }
  })

  it('leaves the target empty when the copy fails part way', async () => {
    // A NUL in a late table: PostgreSQL refuses it after sources, observations and the log went in.
    // The store runs in WAL mode: checkpointed first, the file alone holds everything.
    sqliteConnection(sqlite).$client.pragma('wal_checkpoint(TRUNCATE)')
    const withNul = join(dir, 'nul.db')
    copyFileSync(file, withNul)
    const nul = createSqliteStorage(withNul)
    sqliteConnection(nul).$client.prepare("INSERT INTO idempotency_key VALUES ('importer', ?, ?, 'done', 200, '{}', '2024-01-01T00:00:00.000Z', '2999-01-01T00:00:00.000Z')").run('nul\u0000key', 'b'.repeat(64))
    await nul.close()
    // An entry changed behind the chain's back: counts and head agree, the re-hash does not.
    const tampered = join(dir, 'tampered.db')
    copyFileSync(file, tampered)
    const t = createSqliteStorage(tampered)
    const tc = sqliteConnection(t).$client
    for (const name of tc.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_entry'").pluck().all() as string[]) tc.exec(`DROP TRIGGER "${name}"`)
    tc.prepare("UPDATE audit_entry SET actor = 'someone else' WHERE seq = 3").run()
    await t.close()

    const { url, storage } = await freshTarget()
    try {
      const progress: CopyProgress[] = []
      const failure = await copySqliteToPostgres(withNul, url, { onProgress: (p) => progress.push(p) }).catch((e: unknown) => e)
      expect(failure).toMatchObject({ name: 'StorageInvalidTextError', code: '22021' })
      expect(progress.some((p) => p.table === 'audit_entry' && p.copied > 0)).toBe(true)
      expect(await counts(storage)).toEqual({ audit_entry: 0, api_key: 0, idempotency_key: 0, observation: 0, observation_revision: 0 })
      expect(await storage.catalog.sources()).toEqual([])

      await expect(copySqliteToPostgres(tampered, url)).rejects.toThrow(/does not verify at seq 3: hash does not match/)
      expect(await counts(storage)).toEqual({ audit_entry: 0, api_key: 0, idempotency_key: 0, observation: 0, observation_revision: 0 })
      expect(await storage.catalog.areas()).toEqual([])

      // The untouched file still copies into the same target afterwards.
      await copySqliteToPostgres(file, url)
      expect((await storage.audit.head())?.hash).toBe(sqliteConnection(sqlite).$client.prepare('SELECT hash FROM audit_entry ORDER BY seq DESC LIMIT 1').pluck().get())
    } finally {
      await storage.close()
    }
  })

  it('runs as npm run db:copy: one line and exit 1 on refusal, a summary on success', async () => {
    const { url, storage } = await freshTarget()
    try {
      const ok = await run(process.execPath, ['--import', 'tsx', 'scripts/db-copy.ts', file, url])
      expect(ok.stdout).toMatch(/^copied .* rows in \d+ ms, audit head seq \d+ [0-9a-f]{64}, chain verified\n$/)
      const refused = await run(process.execPath, ['--import', 'tsx', 'scripts/db-copy.ts', file, url]).catch((e: { code: number; stderr: string }) => e)
      expect(refused).toMatchObject({ code: 1 })
      expect((refused as { stderr: string }).stderr).toMatch(/^db:copy: .* is not empty \(table source has rows\); copy into a new, migrated database\n$/)
      const usage = await run(process.execPath, ['--import', 'tsx', 'scripts/db-copy.ts', file]).catch((e: { code: number }) => e)
      expect(usage).toMatchObject({ code: 2 })
    } finally {
      await storage.close()
    }
  })
})
