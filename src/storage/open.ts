// Opens the storage a database URL names: PostgreSQL for postgres:// and postgresql://,
// SQLite (a file path, file: URL or :memory:) otherwise.
import type { Storage } from './ports.js'

export interface OpenStorageOptions {
  /** A read-only view (a background check's own connection). */
  readOnly?: boolean | undefined
  busyTimeoutMs?: number | undefined
  lockWaitSeconds?: number | undefined
  notice?: ((message: string) => void) | undefined
}

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url)

export async function openStorage(url: string, options: OpenStorageOptions = {}): Promise<Storage> {
  if (isPostgresUrl(url)) {
    // Loaded only when asked for: the SQLite default needs nothing of it.
    const adapter = './postgres/index.js'
    let module: { createPostgresStorage(url: string, options: OpenStorageOptions): Storage | Promise<Storage> }
    try {
      module = (await import(adapter)) as typeof module
    } catch (err) {
      throw new Error(`DATABASE_URL names PostgreSQL, but the PostgreSQL adapter cannot be loaded: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
    }
    return module.createPostgresStorage(url, options)
  }
  const { createSqliteStorage } = await import('./sqlite/index.js')
  return createSqliteStorage(url, options)
}
