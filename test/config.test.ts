// DATABASE_URL and REDIS_URL: what each names, and every other form refused at start with the forms named.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, databaseKind, loadConfig, redactUrl } from '../src/config.js'

describe('DATABASE_URL', () => {
  it('names SQLite for paths and :memory:, PostgreSQL for postgres:// and postgresql://', () => {
    for (const path of ['./data/indicators.db', '/var/lib/indicators/db.sqlite', 'data.db', ':memory:', 'dir with space/x.db']) expect(databaseKind(path), path).toBe('sqlite')
    for (const url of ['postgres://postgres@127.0.0.1:5432/test', 'postgresql://u:p@db.example/indicators?sslmode=require', 'POSTGRES://h/db']) expect(databaseKind(url), url).toBe('postgres')
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1/test' }).databaseUrl).toBe('postgres://postgres@127.0.0.1/test')
  })

  it('refuses any other scheme, naming the supported forms, instead of taking it for a file name', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z][A-Za-z0-9+.-]{0,12}$/).filter((s) => !/^postgres(ql)?$/i.test(s)),
        fc.string({ maxLength: 30 }),
        (scheme, rest) => {
          const url = `${scheme}://${rest}`
          expect(databaseKind(url)).toBeUndefined()
          expect(() => loadConfig({ DATABASE_URL: url })).toThrow(ConfigError)
          expect(() => loadConfig({ DATABASE_URL: url })).toThrow(/SQLite file path.*:memory:.*postgres:\/\//)
        },
      ),
    )
    for (const url of ['mysql://root@localhost/db', 'postgress://h/db', 'sqlite:data.db', 'file:data.db', 'redis://h']) expect(databaseKind(url), url).toBeUndefined()
  })

  it('sheds load past one second of event-loop delay unless told otherwise, and 0 turns the guard off', () => {
    expect(loadConfig({}).overloadDelayMs).toBe(1000)
    expect(loadConfig({ OVERLOAD_DELAY_MS: '0' }).overloadDelayMs).toBe(0)
    expect(() => loadConfig({ OVERLOAD_DELAY_MS: '-1' })).toThrow(ConfigError)
  })

  it('refuses empty and NUL-holding values', () => {
    expect(() => loadConfig({ DATABASE_URL: '' })).toThrow(/set but empty/)
    expect(() => loadConfig({ DATABASE_URL: 'a\0b' })).toThrow(ConfigError)
  })

  it('keeps passwords out of what is logged', () => {
    expect(redactUrl('postgres://user:s3cret@db:5432/x')).toBe('postgres://user:***@db:5432/x')
    expect(redactUrl('postgres://user@db/x')).toBe('postgres://user@db/x')
    expect(redactUrl('./data/indicators.db')).toBe('./data/indicators.db')
    // Whatever the password (the mask itself included), the logged URL holds the mask in its place.
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9%._~!$&'()*+,;=-]{1,40}$/), (password) => redactUrl(`postgres://u:${password}@h/db`) === 'postgres://u:***@h/db'))
  })
})

describe('REDIS_URL', () => {
  it('is optional: unset keeps limits per instance', () => {
    expect(loadConfig({}).redisUrl).toBe('')
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl).toBe('redis://127.0.0.1:6379')
  })
  it('refuses anything but redis:// and rediss://', () => {
    for (const bad of ['127.0.0.1:6379', 'http://h', 'redis:/x', '']) expect(() => loadConfig({ REDIS_URL: bad }), bad).toThrow(/REDIS_URL/)
  })
})

describe('the SQLite-only tools', () => {
  it('refuse a PostgreSQL DATABASE_URL in one line, naming the PostgreSQL tool to use (exit 2)', async () => {
    const { spawnSync } = await import('node:child_process')
    const { projectRoot } = await import('../src/paths.js')
    for (const [script, tool] of [['scripts/db-backup.ts', 'pg_dump'], ['scripts/db-restore.ts', 'pg_restore']] as const) {
      const out = spawnSync(process.execPath, ['--import', 'tsx', script, '/tmp/never-written.db'], { cwd: projectRoot, env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }, encoding: 'utf8' })
      expect(out.status, out.stderr).toBe(2)
      expect(out.stderr.trim().split('\n')).toHaveLength(1)
      expect(out.stderr).toContain(tool)
    }
  })
})
