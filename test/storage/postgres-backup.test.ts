// Backup and restore on PostgreSQL as docs/postgres.md gives them: pg_dump -Fc of a seeded
// database, pg_restore into a new one, and the restored store answers as the original did
// (audit head, pages of JSON, the change feed), keeps its append-only rules and needs no migration.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Storage, StoredAuditRow } from '../../src/storage/ports.js'
import { createPostgresStorage } from '../../src/storage/postgres/index.js'
import { createTestDatabase, dropTestDatabase, postgresAvailable } from '../support/postgres.js'

const available = await postgresAvailable()

function entry(seq: number, prevHash: string, entityId: string): StoredAuditRow {
  const after = JSON.stringify({ entityId })
  const hash = createHash('sha256').update(`${seq}\n${prevHash}\n${after}`).digest('hex')
  return { seq, recordedAt: `2024-01-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`, actor: 'seed', action: 'test.append', entityType: 'test', entityId, before: null, after, prevHash, hash }
}

async function seed(storage: Storage): Promise<void> {
  const text = Buffer.from('巴彦塔拉镇 "report" \\ 😀', 'utf8')
  await storage.transaction('write', async (tx) => {
    await tx.insertArea({ code: 'town', nameZh: '镇', nameEn: 'Town', level: 'town', parentCode: null, divisionCode: null })
    await tx.insertIndicator({ code: 'grain', nameZh: '粮食', nameEn: 'Grain', description: 't', category: 'agriculture', unit: 't', additive: true })
    for (const m of ['01', '02', '03']) await tx.insertPeriod({ code: `2023-${m}`, type: 'month', startDate: `2023-${m}-01`, endDate: `2023-${m}-28` })
    await tx.insertSource({ id: 's', title: '报告', titleEn: 'Report', documentNumber: null, issuer: '镇', recipient: null, issuedOn: '2023-06-25', mediaType: 'text/plain; charset=utf-8', byteLength: text.length, sha256: createHash('sha256').update(text).digest('hex'), content: text, recordedAt: '2024-01-01T00:00:00.000Z' })
  })
  for (let round = 1; round <= 3; round++) {
    await storage.transaction('write', async (tx) => {
      const keys = ['2023-01', '2023-02', '2023-03'].map((period) => ({ indicator: 'grain', area: 'town', period, kind: 'actual' as const }))
      const current = await tx.currentByKeys(keys)
      const ids = round === 1 ? await tx.insertIdentities(keys) : current.map((r) => r?.id as number)
      const seqs = await tx.appendRevisions(
        keys.map((k, i) => ({
          observationId: ids[i] as number,
          revision: round,
          status: round === 3 && i === 1 ? 'withdrawn' : 'active',
          observation: { ...k, value: `${round}${i}.5`, qualifier: 'eq', reported: { value: `${round}${i}.5`, unit: 't', text: null }, citation: { sourceId: 's', quote: '"report"\u2028=x', byteStart: 1, byteEnd: 2 }, involvedAreas: ['town'], note: round === 2 ? 'a\nnote' : null, temporality: 'flow', referenceDate: null, publishedAt: null },
          reason: 'seed',
          actor: 'seed',
          recordedAt: `2024-01-0${round}T00:00:00.000Z`,
          publishedAt: `2024-01-0${round}T00:00:00.000Z`,
        })),
      )
      const head = await tx.auditHead()
      let prev = head?.hash ?? '0'.repeat(64)
      let seq = head?.seq ?? 0
      await tx.appendAudit(
        seqs.map((s) => {
          const e = entry(++seq, prev, String(s))
          prev = e.hash
          return e
        }),
      )
    })
  }
}

describe.skipIf(!available)('PostgreSQL backup and restore (pg_dump -Fc, pg_restore)', () => {
  let original: { name: string; url: string }
  let restored: { name: string; url: string }
  let from: Storage
  let to: Storage
  const folder = mkdtempSync(join(tmpdir(), 'bt-pg-backup-'))

  beforeAll(async () => {
    original = await createTestDatabase('bt_backup')
    from = await createPostgresStorage(original.url)
    await from.migrate()
    await seed(from)
    const dump = join(folder, 'indicators.dump')
    execFileSync('pg_dump', ['--format=custom', '--file', dump, '--dbname', original.url], { stdio: 'pipe' })
    restored = await createTestDatabase('bt_restore')
    execFileSync('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', restored.url, dump], { stdio: 'pipe' })
    to = await createPostgresStorage(restored.url)
  }, 60_000)
  afterAll(async () => {
    await from?.close()
    await to?.close()
    if (original) await dropTestDatabase(original.name)
    if (restored) await dropTestDatabase(restored.name)
    rmSync(folder, { recursive: true, force: true })
  })

  it('restores the audit head, pages of JSON and CSV, and the change feed exactly', async () => {
    expect(await to.audit.head()).toEqual(await from.audit.head())
    expect(await to.audit.page(0, 100)).toEqual(await from.audit.page(0, 100))
    for (const filter of [{}, { includeWithdrawn: true }, { asOf: '2024-01-02T12:00:00.000Z' }]) {
      expect(await to.observations.pageJson(filter, 0, 100)).toEqual(await from.observations.pageJson(filter, 0, 100))
      expect(await to.observations.pageCsv(filter, 0, 100)).toEqual(await from.observations.pageCsv(filter, 0, 100))
    }
    expect((await to.observations.pageJson({ includeWithdrawn: true }, 0, 100)).length).toBe(3)
    expect(await to.observations.changesJson(0, 100)).toEqual(await from.observations.changesJson(0, 100))
    expect(await to.catalog.sourceContent('s')).toEqual(await from.catalog.sourceContent('s'))
  })

  it('needs no migration and keeps the append-only rules and the write sequence', async () => {
    expect(await to.migrate()).toEqual([])
    expect(await to.health.migrations()).toEqual({ applied: 5, expected: 5 })
    const client = new pg.Client({ connectionString: restored.url })
    await client.connect()
    try {
      await expect(client.query('DELETE FROM audit_entry WHERE seq = 1')).rejects.toThrow(/append-only/)
      await expect(client.query("UPDATE observation_revision SET value = '0'")).rejects.toThrow(/append-only/)
    } finally {
      await client.end()
    }
    const head = (await to.audit.head()) as { seq: number; hash: string }
    await to.transaction('write', (tx) => tx.appendAudit([entry(head.seq + 1, head.hash, 'after-restore')]))
    expect((await to.audit.head())?.seq).toBe(head.seq + 1)
  })
})
