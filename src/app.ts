// buildApp: the one factory behind the server, the tests and the benchmarks.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { Redis } from 'ioredis'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { loadConfig, redactUrl, type Config } from './config.js'
import areaRoutes from './modules/areas/areas.routes.js'
import healthRoutes from './modules/health/health.routes.js'
import indicatorRoutes from './modules/indicators/indicators.routes.js'
import topicRoutes from './modules/topics/topics.routes.js'
import unitRoutes from './modules/units/units.routes.js'
import observationRoutes from './modules/observations/observations.routes.js'
import { createObservationService } from './modules/observations/observations.service.js'
import { createJsonStatService } from './modules/jsonstat/jsonstat.js'
import periodRoutes from './modules/periods/periods.routes.js'
import problemRoutes from './modules/problems/problems.routes.js'
import sourceRoutes from './modules/sources/sources.routes.js'
import auditRoutes from './modules/audit/audit.routes.js'
import { createIntegrityMonitor } from './modules/audit/integrity-monitor.js'
import { auditFilesFor, keyFileTooOpen, loadSigner } from './modules/audit/signing.js'
import changeRoutes from './modules/changes/changes.routes.js'
import importRoutes from './modules/imports/imports.routes.js'
import vintageRoutes from './modules/vintages/vintages.routes.js'
import { derivedRoutes, progressRoutes, relationRoutes, validationRoutes } from './modules/relations/relations.routes.js'
import { createRelationService } from './modules/relations/relations.service.js'
import { createWriter } from './writes/writer.js'
import { openStorage } from './storage/open.js'
import type { Storage } from './storage/ports.js'
import auth, { authenticationOf } from './plugins/auth.js'
import metrics from './plugins/metrics.js'
import openapi from './plugins/openapi.js'
import protection from './plugins/protection.js'
import responseCache from './plugins/response-cache.js'
import compression from './plugins/compression.js'
import httpSemantics from './plugins/http-semantics.js'
import { handleClientError } from './http/client-error.js'
import { parseJsonBody } from './http/json-body.js'
import problemDetails, { sendProblem } from './plugins/problem-details.js'
import { Errors } from './errors.js'
import { createValidatorCompiler } from './http/validation.js'
import { loadSeeds } from './seed/seed-loader.js'
import webRoutes from './modules/web/web.routes.js'
import sdmxRoutes from './modules/sdmx/sdmx.routes.js'
import { createSdmxService } from './modules/sdmx/sdmx.service.js'
import annotationRoutes from './modules/annotations/annotations.routes.js'
import { createAnnotationService } from './modules/annotations/annotations.service.js'
import { readSeedExclusions } from './seed/exclusions.js'

export interface BuildOptions {
  /** Overrides of the configuration; the rest comes from loadConfig(). */
  config?: Partial<Config>
  /** An open, migrated store; otherwise one is opened from config.databaseUrl, migrated and seeded. */
  storage?: Storage
  /** Load the seeds on start (default true when the app opens its own database). */
  seed?: boolean
  /** false for no logs; otherwise JSON logs at config.logLevel (or `level`), to `stream` (default stdout). Redaction always applies. */
  logger?: false | { level?: string; stream?: NodeJS.WritableStream }
}

export type App = FastifyInstance

/** What start-up did to the database, for the one start-up log line. */
export interface StartReport {
  database: string
  /** Migrations applied by this start (empty: the schema was current); null when the caller brought the database. */
  migrated: string[] | null
  /** Seed sources loaded by this start (empty: all were there already); null when seeding was off. */
  seeded: string[] | null
}

declare module 'fastify' {
  interface FastifyInstance {
    startReport: StartReport
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Where the audit signing key and the signed high-water mark live: next to a SQLite file; for
 * PostgreSQL, under ./data named after the database (set AUDIT_SIGNING_KEY_FILE to share one key
 * between instances on different machines).
 */
function auditFilesBase(storage: Storage): string {
  if (storage.dialect === 'sqlite') return storage.description
  let name = 'postgres'
  try {
    name = decodeURIComponent(new URL(storage.description).pathname.slice(1)) || name
  } catch {
    // an unparsable description keeps the default name
  }
  return join('data', `postgres-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`)
}

export async function buildApp(options: BuildOptions = {}): Promise<App> {
  // With overrides, the environment is ignored but for the machine's own setting (the test suite turns the overload guard off there).
  const config: Config = { ...loadConfig(options.config ? { OVERLOAD_DELAY_MS: process.env.OVERLOAD_DELAY_MS } : process.env), ...options.config }
  const ownsStorage = options.storage === undefined
  // Another process may be writing (a long import by a running server): migrations wait, bounded, and say so (no logger yet).
  const notice = (message: string) => process.stderr.write(`${message}\n`)
  const storage = options.storage ?? (await openStorage(config.databaseUrl, { lockWaitSeconds: config.lockWaitSeconds, notice }))
  const startReport: StartReport = { database: redactUrl(config.databaseUrl), migrated: null, seeded: null }
  if (ownsStorage) {
    startReport.migrated = await storage.migrate()
    if (options.seed !== false) startReport.seeded = (await loadSeeds(storage)).sources.filter((s) => s.loaded).map((s) => s.id)
  }

  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: options.logger?.level ?? config.logLevel,
            ...(options.logger?.stream ? { stream: options.logger.stream } : {}),
            // API key secrets never reach the logs, whoever logs a request's headers.
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'authorization'], censor: '[redacted]' },
          },
    trustProxy: config.trustProxy,
    // Echo a caller's request id when it is sane; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    requestIdHeader: false,
    // Errors the router raises before any hook runs (a malformed URL) are problems too.
    frameworkErrors: (error, request, reply) => {
      sendProblem(request, reply, 400, Errors.validation.code, Errors.validation.title, error.message)
    },
    // Errors of Node's HTTP parser (before any request exists) are problems too, written to the socket.
    clientErrorHandler(this: FastifyInstance, err, socket) {
      handleClientError(this.log, err, socket)
    },
    bodyLimit: 1024 * 1024,
    // A slow or stalled client cannot hold a connection or a request open for ever.
    connectionTimeout: 60_000,
    requestTimeout: 120_000,
    keepAliveTimeout: 5_000,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(createValidatorCompiler())
  app.decorate('startReport', startReport)

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id)
  })
  const writer = createWriter(storage, app.log)
  const auditFiles = auditFilesFor(auditFilesBase(storage), config.auditSigningKeyFile)
  const signer = loadSigner(auditFiles.keyFile)
  if (auditFiles.keyFile && keyFileTooOpen(auditFiles.keyFile)) app.log.warn({ file: auditFiles.keyFile }, 'the audit signing key is readable by others than its owner; chmod 600 it')
  const integrity = createIntegrityMonitor(storage, { signer, highWaterMarkFile: auditFiles.highWaterMarkFile, log: app.log })
  await integrity.start()
  // A second thread and connection that validates imports on a read snapshot, so that a large batch never holds the writer.
  const checker = createWriter(storage, app.log)
  // Both threads load before the server listens, so no first request waits for one to start.
  app.addHook('onReady', async () => {
    await Promise.all([writer.warm(), checker.warm()])
  })
  app.addHook('onClose', async () => {
    await integrity.close()
    // Writes under way finish first; the database closes last.
    await Promise.all([writer.close(), checker.close()])
    if (ownsStorage) await storage.close()
  })

  await app.register(problemDetails)
  // Before every other plugin and route: it learns the routes as they are added, and answers a plain OPTIONS before CORS sees it.
  await app.register(httpSemantics)
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
  // Shared counters: fail fast while Redis is away (the limits are then skipped), never queue commands.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, lazyConnect: true }) : undefined
  if (redis) {
    redis.on('error', () => undefined)
    await redis.connect().catch((err: unknown) => app.log.warn({ err }, 'Redis is not reachable at start: shared limits and lockouts are skipped until it answers'))
    app.addHook('onClose', async () => {
      redis.disconnect()
    })
  }
  await app.register(protection, {
    redis,
    rateLimitPerMinute: config.rateLimitPerMinute,
    overloadDelayMs: config.overloadDelayMs,
    authFailuresPerWindow: config.authFailuresPerWindow,
    authFailureWindowMs: config.authFailureWindowSeconds * 1000,
    authenticate: (req) => authenticationOf(storage.keys, req),
  })
  await app.register(metrics, { storage })
  await app.register(responseCache, { storage, writer, maxBytes: config.responseCacheMb * 1024 * 1024 })
  await app.register(compression)
  await app.register(openapi)

  await app.register(auth, { keys: storage.keys })

  const observations = createObservationService(storage.observations, storage.catalog)
  const catalog = storage.catalog
  await app.register(healthRoutes, { storage, writer, integrity })
  await app.register(problemRoutes, { prefix: '/problems' })
  await app.register(sourceRoutes, { prefix: '/v1/sources', writer, catalog })
  await app.register(areaRoutes, { prefix: '/v1/areas', writer, catalog })
  await app.register(periodRoutes, { prefix: '/v1/periods', writer, catalog })
  await app.register(unitRoutes, { prefix: '/v1/units', writer, catalog })
  const relations = createRelationService(catalog, storage.observations)
  await app.register(indicatorRoutes, { prefix: '/v1/indicators', writer, catalog, observations, relations })
  await app.register(topicRoutes, { prefix: '/v1/topics', writer, catalog })
  const sdmx = createSdmxService(catalog, observations)
  await app.register(observationRoutes, { prefix: '/v1/observations', observations, writer, sdmx, jsonstat: createJsonStatService(observations, catalog) })
  await app.register(sdmxRoutes, { prefix: '/v1/sdmx', sdmx })
  await app.register(importRoutes, { prefix: '/v1/imports', writer, checker })
  await app.register(vintageRoutes, { prefix: '/v1/vintages', observations })
  await app.register(changeRoutes, { prefix: '/v1/changes', observations: storage.observations })
  await app.register(relationRoutes, { prefix: '/v1/relations', relations })
  await app.register(progressRoutes, { prefix: '/v1/progress', relations })
  await app.register(validationRoutes, { prefix: '/v1/validation', relations })
  await app.register(derivedRoutes, { prefix: '/v1/derived', relations })
  await app.register(auditRoutes, { prefix: '/v1/audit', audit: storage.audit, integrity, signer })
  const seedExclusions = readSeedExclusions()
  const annotations = createAnnotationService({ observations, catalog, exclusions: () => seedExclusions })
  await app.register(annotationRoutes, { prefix: '/v1', annotations })
  await app.register(webRoutes, { catalog, observations, relations, audit: storage.audit, integrity, annotations })
  return app
}
