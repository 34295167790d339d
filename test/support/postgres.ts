// A fresh PostgreSQL database per test file, dropped after. The server is the one at
// PG_TEST_URL (or the local postgres://postgres@127.0.0.1:5432/postgres). When it cannot be
// reached the PostgreSQL suites skip with a plain line, unless REQUIRE_POSTGRES=1 makes that a failure.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

const ADMIN_URL = process.env.PG_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** The server's URL with another database in place of its own. */
export function databaseUrl(database: string): string {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${database}`
  return u.toString()
}

async function admin<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3_000 })
  client.on('error', () => {})
  await client.connect()
  try {
    return await body(client)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Whether the server answers; asked once per file, before its suites are declared (top-level await). */
export async function postgresAvailable(): Promise<boolean> {
  try {
    await admin((c) => c.query('SELECT 1'))
    return true
  } catch (err) {
    if (process.env.REQUIRE_POSTGRES === '1') throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${new URL(ADMIN_URL).host} cannot be reached: ${(err as Error).message}`)
    console.log(`PostgreSQL at ${new URL(ADMIN_URL).host} cannot be reached: skipping the PostgreSQL adapter tests (set REQUIRE_POSTGRES=1 to fail instead)`)
    return false
  }
}

export async function createTestDatabase(prefix = 'bt_test'): Promise<{ name: string; url: string }> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE "${name}"`))
  return { name, url: databaseUrl(name) }
}

export async function dropTestDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))
}
