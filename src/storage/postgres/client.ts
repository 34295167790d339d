// The connection pool, how its failures are named, and the one way every statement runs.
import pg from 'pg'
import { StorageConflictError, StorageInvalidTextError, StorageUnavailableError } from '../ports.js'

/** What a statement runs on: the pool (one statement, any connection) or one transaction's client. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>

/** Node's and node-postgres's names for a connection that failed or went away. */
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED'])
const CONNECTION_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Connection closed|not queryable/i
/** SQLSTATEs that say the server is going away or refuses connections, not that the statement is wrong. */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300'])

export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string') {
    if (CONNECTION_ERRNOS.has(code) || UNAVAILABLE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true
  }
  if (err instanceof AggregateError) return err.errors.some(isConnectionFailure)
  return CONNECTION_MESSAGES.test(err.message)
}

/**
 * Text PostgreSQL cannot store: U+0000 in a text parameter (22021) or a JSON \u0000 escape (22P05).
 * SQLite stores both; the caller maps this to 422 until validation refuses NUL for both backends.
 */
const INVALID_TEXT_STATES = new Set(['22021', '22P05'])

/** A driver error as the port names it; anything else (a domain error thrown by a caller's body) as it is. */
export function storageError(err: unknown): unknown {
  if (err instanceof StorageUnavailableError || err instanceof StorageConflictError || err instanceof StorageInvalidTextError) return err
  if (isConnectionFailure(err)) return new StorageUnavailableError(`PostgreSQL is unavailable: ${(err as Error).message}`, err)
  if (err instanceof Error && (err as { code?: unknown }).code === '23505') {
    const detail = (err as { detail?: string }).detail
    return new StorageConflictError(`a unique key is taken${detail ? `: ${detail}` : ''}`)
  }
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined
  if (typeof code === 'string' && INVALID_TEXT_STATES.has(code)) return new StorageInvalidTextError(`PostgreSQL cannot store this text: ${(err as Error).message}`, code, err)
  return err
}

/** int8 (ids, seqs, counts) as JS numbers: they stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
}

export interface PoolOptions {
  readOnly?: boolean | undefined
  poolSize?: number | undefined
}

export function connectionConfig(url: string, options: PoolOptions = {}): pg.ClientConfig {
  return {
    connectionString: url,
    types,
    connectionTimeoutMillis: 5_000,
    // Pages are short keyset reads: starting parallel workers costs more than it saves. A read-only
    // instance cannot write whatever it runs: the server refuses.
    options: `-c max_parallel_workers_per_gather=0${options.readOnly ? ' -c default_transaction_read_only=on' : ''}`,
  }
}

export function createPool(url: string, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({ ...connectionConfig(url, options), max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 })
  // An idle client whose server went away emits here; the pool drops it and the next checkout connects anew.
  pool.on('error', () => {})
  return pool
}

/** Runs one statement; named statements are prepared once per connection. */
export async function run<R extends pg.QueryResultRow = Record<string, unknown>>(q: Queryable, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
  try {
    const result = await (q as pg.Pool).query<R>(name === undefined ? { text, values } : { name, text, values })
    return result.rows
  } catch (err) {
    throw storageError(err)
  }
}

/** The same, rows as arrays (no per-row object). */
export async function runArrays<R extends unknown[]>(q: Queryable, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
  try {
    const config: pg.QueryArrayConfig = { text, values, rowMode: 'array', ...(name === undefined ? {} : { name }) }
    const result = await (q as pg.Pool).query<R>(config)
    return result.rows
  } catch (err) {
    throw storageError(err)
  }
}

/** The URL without its password, for logs and errors. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url)
    u.password = ''
    u.searchParams.delete('password')
    return u.toString()
  } catch {
    return 'postgres (unparsable URL)'
  }
}
