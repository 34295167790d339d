// Prometheus metrics at /metrics: requests and latency by route, the size of
// the database and its WAL, the last audit seq, and the event loop's delay.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Storage } from '../storage/ports.js'

export default fp(
  async function metrics(app: FastifyInstance, { storage }: { storage: Storage }) {
    const registry = new Registry()
    const requests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, route and status.', labelNames: ['method', 'route', 'status'], registers: [registry] })
    const latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer, by method and route.',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    })
    new Gauge({ name: 'db_size_bytes', help: 'Bytes the database holds on disk (0 when the store cannot tell).', registers: [registry], async collect() { this.set((await storage.health.sizeBytes()) ?? 0) } })
    new Gauge({ name: 'audit_last_seq', help: 'Seq of the newest audit entry.', registers: [registry], async collect() { this.set((await storage.audit.head())?.seq ?? 0) } })
    new Gauge({
      name: 'nodejs_eventloop_delay_ms',
      help: 'Event-loop delay as sampled by the overload guard.',
      registers: [registry],
      collect() {
        this.set((app as unknown as { memoryUsage?: () => { eventLoopDelay: number } }).memoryUsage?.().eventLoopDelay ?? 0)
      },
    })

    app.addHook('onResponse', async (req, reply) => {
      // The route pattern, not the URL: ids and codes would explode the label set.
      const route = req.routeOptions.url ?? 'unmatched'
      requests.inc({ method: req.method, route, status: String(reply.statusCode) })
      latency.observe({ method: req.method, route }, reply.elapsedTime / 1000)
    })

    app.get('/metrics', { schema: { hide: true }, config: { pressureHandler: () => undefined } }, async (_req, reply) => {
      reply.type(registry.contentType)
      return registry.metrics()
    })
  },
  { name: 'metrics' },
)
