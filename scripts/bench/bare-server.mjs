// The ceiling of the stack on this machine: a bare Fastify 5 server (no plugins,
// no logger) with one route that answers a precomputed JSON body of a given
// size. The benchmark asks it for a body as large as the service's response to
// the scenario under test: GET /bare/<bytes>.
// Run by scripts/bench/bench.ts: PORT=... HOST=127.0.0.1 node scripts/bench/bare-server.mjs
import Fastify from 'fastify'

const bodies = new Map()

/** A JSON document of exactly n bytes (a string of x's); 0 bytes is an empty body. */
function body(n) {
  let b = bodies.get(n)
  if (!b) {
    b = n === 0 ? Buffer.alloc(0) : n === 1 ? Buffer.from('0') : Buffer.from(`"${'x'.repeat(n - 2)}"`)
    bodies.set(n, b)
  }
  return b
}

const app = Fastify({ logger: false })
app.get('/bare/:bytes', (req, reply) => {
  const n = Number(req.params.bytes)
  if (!Number.isSafeInteger(n) || n < 0 || n > 64 * 1024 * 1024) return reply.code(400).send()
  reply.header('content-type', 'application/json; charset=utf-8').send(body(n))
})

const port = Number(process.env.PORT ?? 3100)
const host = process.env.HOST ?? '127.0.0.1'
await app.listen({ port, host })
process.stdout.write(`bare server listening on ${host}:${port}\n`)
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().then(() => process.exit(0)))
