// The only reader of process.env: parses and validates the environment once.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

export interface Config {
  port: number
  host: string
  /** A SQLite file path, `:memory:`, or a `postgres://` / `postgresql://` URL (see databaseKind). */
  databaseUrl: string
  /** Redis for limits shared by every instance (`redis://…`, `rediss://…`); '' keeps them per instance. */
  redisUrl: string
  logLevel: (typeof LOG_LEVELS)[number]
  /** Trust X-Forwarded-For (only behind a proxy you control). */
  trustProxy: boolean
  rateLimitPerMinute: number
  /** Event-loop delay beyond which requests are shed with 503, in ms; 0 turns the guard off. */
  overloadDelayMs: number
  /** Memory for cached GET responses, in MiB; 0 turns the cache off. */
  responseCacheMb: number
  /** How long a command-line tool waits for the database's write lock before giving up, in seconds. */
  lockWaitSeconds: number
  /** Failed authentications an address may make in a window before it is locked out for the rest of it. */
  authFailuresPerWindow: number
  authFailureWindowSeconds: number
  /** The Ed25519 key that signs audit heads; '' for `<database file>.audit-key.pem` (none for :memory:). */
  auditSigningKeyFile: string
}

export class ConfigError extends Error {}

/** The forms DATABASE_URL takes, as errors name them. */
export const DATABASE_FORMS = 'a SQLite file path (e.g. ./data/indicators.db), :memory:, or a PostgreSQL URL (postgres://user@host:5432/database or postgresql://…)'

/**
 * Which adapter a DATABASE_URL names: anything with a URL scheme must be PostgreSQL's (a
 * `mysql://` or a mistyped `postgress://` is refused, not taken for a file name); the rest is a
 * SQLite file path. undefined when it is neither.
 */
export function databaseKind(url: string): 'sqlite' | 'postgres' | undefined {
  if (url.includes('\0') || url.trim() === '') return undefined
  if (/^postgres(ql)?:\/\/[^\s]*$/i.test(url)) return 'postgres'
  // A scheme is letters then ':' (RFC 3986); `:memory:` and `file::memory:` are SQLite's own names.
  if (url === ':memory:' || url.startsWith('file::memory:')) return 'sqlite'
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) return undefined
  return 'sqlite'
}

/** A URL fit for logs: the password, if any, replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/, '$1:***@')
}

interface Setting<T> {
  default: string
  /** What the variable accepts, as the error message says it. */
  allowed: string
  parse(raw: string): T | undefined
}

function integer(min: number, max: number): (raw: string) => number | undefined {
  return (raw) => {
    if (!/^\d{1,9}$/.test(raw)) return undefined
    const n = Number(raw)
    return n >= min && n <= max ? n : undefined
  }
}

const settings = {
  PORT: { default: '3000', allowed: 'an integer from 0 to 65535', parse: integer(0, 65535) },
  HOST: { default: '127.0.0.1', allowed: 'a host name or IP address', parse: (raw: string) => (/^\S+$/.test(raw) ? raw : undefined) },
  DATABASE_URL: { default: './data/indicators.db', allowed: DATABASE_FORMS, parse: (raw: string) => (databaseKind(raw) === undefined ? undefined : raw) },
  // Unset means no Redis: rate limits and lockouts are counted per instance.
  REDIS_URL: { default: '', allowed: 'a redis:// or rediss:// URL', parse: (raw: string) => (raw === '' || /^rediss?:\/\/[^\s]+$/.test(raw) ? raw : undefined) },
  LOG_LEVEL: {
    default: 'info',
    allowed: `one of ${LOG_LEVELS.join(', ')}`,
    parse: (raw: string) => LOG_LEVELS.find((l) => l === raw),
  },
  TRUST_PROXY: {
    default: 'false',
    allowed: 'true, false, 1 or 0',
    parse: (raw: string) => (raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : undefined),
  },
  RATE_LIMIT_PER_MINUTE: { default: '600', allowed: 'an integer from 1 to 100000000', parse: integer(1, 100_000_000) },
  OVERLOAD_DELAY_MS: { default: '1000', allowed: 'an integer from 0 (off) to 60000', parse: integer(0, 60_000) },
  RESPONSE_CACHE_MB: { default: '32', allowed: 'an integer from 0 to 4096', parse: integer(0, 4096) },
  LOCK_WAIT_SECONDS: { default: '60', allowed: 'an integer from 1 to 3600', parse: integer(1, 3600) },
  AUTH_FAILURES_PER_WINDOW: { default: '20', allowed: 'an integer from 1 to 100000000', parse: integer(1, 100_000_000) },
  AUTH_FAILURE_WINDOW_SECONDS: { default: '600', allowed: 'an integer from 1 to 86400', parse: integer(1, 86400) },
  // Unset means next to the database file; '' is only ever the default, never a value someone typed.
  AUDIT_SIGNING_KEY_FILE: { default: '', allowed: 'a file path', parse: (raw: string) => (raw.includes('\0') ? undefined : raw) },
} satisfies Record<string, Setting<unknown>>

type Name = keyof typeof settings
type Parsed<N extends Name> = Exclude<ReturnType<(typeof settings)[N]['parse']>, undefined>

/** Reads the environment; throws ConfigError with a one-line message naming the variable and what it accepts. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = <N extends Name>(name: N): Parsed<N> => {
    const setting: Setting<unknown> = settings[name]
    const raw = env[name]
    // Set but empty is a mistake (a typo in a unit file, `PORT= npm start`), not a request for the default.
    if (raw === '') throw new ConfigError(`${name} is set but empty: unset it for the default (${setting.default}) or give ${setting.allowed}`)
    const value = setting.parse(raw ?? setting.default)
    if (value === undefined) throw new ConfigError(`${name} must be ${setting.allowed}, got ${JSON.stringify(raw)}`)
    return value as Parsed<N>
  }
  return {
    port: read('PORT'),
    host: read('HOST'),
    databaseUrl: read('DATABASE_URL'),
    redisUrl: read('REDIS_URL'),
    logLevel: read('LOG_LEVEL'),
    trustProxy: read('TRUST_PROXY'),
    rateLimitPerMinute: read('RATE_LIMIT_PER_MINUTE'),
    overloadDelayMs: read('OVERLOAD_DELAY_MS'),
    responseCacheMb: read('RESPONSE_CACHE_MB'),
    lockWaitSeconds: read('LOCK_WAIT_SECONDS'),
    authFailuresPerWindow: read('AUTH_FAILURES_PER_WINDOW'),
    authFailureWindowSeconds: read('AUTH_FAILURE_WINDOW_SECONDS'),
    auditSigningKeyFile: read('AUDIT_SIGNING_KEY_FILE'),
  }
}
