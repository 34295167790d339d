// The PostgreSQL adapter: every port of storage/ports.ts over a node-postgres pool.
// Writes are serialized across processes by a transaction-scoped advisory lock, so seq order
// is commit order, the audit chain never forks, and a change-feed reader never sees seq N+1
// before N has committed.
import type pg from 'pg'
import type { Storage, WriteTx } from '../ports.js'
import { StorageUnavailableError } from '../ports.js'
import { connectionConfig, createPool, describeUrl, isConnectionFailure, run, storageError, type PoolOptions } from './client.js'
import { DATA_CHANNEL, listenForCommits } from './data-version.js'
import { migratePostgres, migrationState } from './migrate.js'
import { observationReads } from './observations.js'
import { auditReads, catalogReads, idempotencyReads, integrityReads, keyReads } from './reads.js'
import { openWriteTx } from './writes.js'

export { StorageInvalidTextError } from '../ports.js'

/** The transaction-scoped lock every write transaction takes first ('bayn'). */
export const WRITE_LOCK = 0x62_61_79_6e
const PING_TIMEOUT_MS = 2_000

export async function createPostgresStorage(url: string, options: PoolOptions = {}): Promise<Storage> {
  const config = connectionConfig(url, options)
  const pool = createPool(url, options)
  const version = listenForCommits(config)
  await version.ready

  const checkout = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect()
    } catch (err) {
      throw storageError(err)
    }
  }

  async function transaction<T>(mode: 'write' | 'snapshot', body: (tx: WriteTx) => Promise<T>): Promise<T> {
    if (mode === 'write' && options.readOnly) throw new Error('this PostgreSQL storage was opened read-only')
    const client = await checkout()
    let broken: Error | undefined
    // A checked-out client whose server goes away between statements emits 'error': unheard, it would end the process.
    const onError = (err: Error) => {
      broken = err
    }
    client.on('error', onError)
    try {
      if (mode === 'write') {
        await run(client, 'BEGIN')
        await run(client, 'SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
      } else {
        await run(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      }
      const result = await body(openWriteTx(client))
      if (mode === 'write') {
        // Delivered to every listener when (and only if) this commits.
        await run(client, `SELECT pg_notify('${DATA_CHANNEL}', $1)`, [version.origin])
      }
      await run(client, 'COMMIT')
      if (mode === 'write') version.bump()
      return result
    } catch (err) {
      if (isConnectionFailure(err) || isConnectionFailure((err as { cause?: unknown }).cause)) broken = err as Error
      else await client.query('ROLLBACK').catch((e: Error) => (broken = e))
      throw storageError(err)
    } finally {
      client.off('error', onError)
      // A client whose connection failed is destroyed, not returned to the pool.
      client.release(broken)
    }
  }

  const storage: Storage = {
    dialect: 'postgres',
    description: describeUrl(url),
    location: url,
    observations: observationReads(pool),
    catalog: catalogReads(pool),
    audit: auditReads(pool),
    keys: keyReads(pool),
    idempotency: idempotencyReads(pool),
    integrity: integrityReads(pool),
    health: {
      async ping() {
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StorageUnavailableError(`PostgreSQL did not answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS)
        })
        try {
          await Promise.race([run(pool, 'SELECT 1'), timeout])
        } finally {
          clearTimeout(timer)
        }
      },
      migrations: () => migrationState(pool),
      async sizeBytes() {
        const [row] = await run<{ n: number }>(pool, 'SELECT pg_database_size(current_database()) AS n')
        return row?.n ?? null
      },
    },
    transaction,
    dataVersion: () => version.current(),
    migrate: () => migratePostgres(config),
    async close() {
      await version.close()
      await pool.end()
    },
  }
  return storage
}
