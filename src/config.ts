// The only reader of process.env: parses and validates the environment once.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
)

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATABASE_URL: Type.String({ minLength: 1, default: './data/indicators.db' }),
  LOG_LEVEL: LogLevel,
  TRUST_PROXY: Type.Boolean({ default: false }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 600 }),
  RESPONSE_CACHE_MB: Type.Integer({ minimum: 0, maximum: 4096, default: 32 }),
  AUTH_FAILURES_PER_WINDOW: Type.Integer({ minimum: 1, default: 20 }),
  AUTH_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86400, default: 600 }),
  AUDIT_SIGNING_KEY_FILE: Type.String({ default: '' }),
})

export interface Config {
  port: number
  host: string
  /** A SQLite file path, or `:memory:`. */
  databaseUrl: string
  logLevel: Static<typeof LogLevel>
  /** Trust X-Forwarded-For (only behind a proxy you control). */
  trustProxy: boolean
  rateLimitPerMinute: number
  /** Memory for cached GET responses, in MiB; 0 turns the cache off. */
  responseCacheMb: number
  /** Failed authentications an address may make in a window before it is locked out for the rest of it. */
  authFailuresPerWindow: number
  authFailureWindowSeconds: number
  /** The Ed25519 key that signs audit heads; '' for `<database file>.audit-key.pem` (none for :memory:). */
  auditSigningKeyFile: string
}

export class ConfigError extends Error {}

const defaults: Record<string, string> = {
  PORT: '3000',
  HOST: '127.0.0.1',
  DATABASE_URL: './data/indicators.db',
  LOG_LEVEL: 'info',
  TRUST_PROXY: 'false',
  RATE_LIMIT_PER_MINUTE: '600',
  RESPONSE_CACHE_MB: '32',
  AUTH_FAILURES_PER_WINDOW: '20',
  AUTH_FAILURE_WINDOW_SECONDS: '600',
  AUDIT_SIGNING_KEY_FILE: '',
}

function parseInteger(name: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`)
  return Number(raw)
}

function parseBoolean(name: string, raw: string): boolean {
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw new ConfigError(`${name} must be true or false, got "${raw}"`)
}

/** Reads the environment; throws ConfigError with a one-line message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = (name: string): string => {
    const v = env[name]
    return v === undefined || v === '' ? (defaults[name] as string) : v
  }
  const raw = {
    PORT: parseInteger('PORT', read('PORT')),
    HOST: read('HOST'),
    DATABASE_URL: read('DATABASE_URL'),
    LOG_LEVEL: read('LOG_LEVEL'),
    TRUST_PROXY: parseBoolean('TRUST_PROXY', read('TRUST_PROXY')),
    RATE_LIMIT_PER_MINUTE: parseInteger('RATE_LIMIT_PER_MINUTE', read('RATE_LIMIT_PER_MINUTE')),
    RESPONSE_CACHE_MB: parseInteger('RESPONSE_CACHE_MB', read('RESPONSE_CACHE_MB')),
    AUTH_FAILURES_PER_WINDOW: parseInteger('AUTH_FAILURES_PER_WINDOW', read('AUTH_FAILURES_PER_WINDOW')),
    AUTH_FAILURE_WINDOW_SECONDS: parseInteger('AUTH_FAILURE_WINDOW_SECONDS', read('AUTH_FAILURE_WINDOW_SECONDS')),
    AUDIT_SIGNING_KEY_FILE: read('AUDIT_SIGNING_KEY_FILE'),
  }
  const first = Value.Errors(ConfigSchema, raw).First()
  if (first) {
    const name = first.path.replace(/^\//, '')
    throw new ConfigError(`${name} is invalid: ${first.message} (got "${String((raw as Record<string, unknown>)[name])}")`)
  }
  return {
    port: raw.PORT,
    host: raw.HOST,
    databaseUrl: raw.DATABASE_URL,
    logLevel: raw.LOG_LEVEL as Config['logLevel'],
    trustProxy: raw.TRUST_PROXY,
    rateLimitPerMinute: raw.RATE_LIMIT_PER_MINUTE,
    responseCacheMb: raw.RESPONSE_CACHE_MB,
    authFailuresPerWindow: raw.AUTH_FAILURES_PER_WINDOW,
    authFailureWindowSeconds: raw.AUTH_FAILURE_WINDOW_SECONDS,
    auditSigningKeyFile: raw.AUDIT_SIGNING_KEY_FILE,
  }
}
