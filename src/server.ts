// Entry point: configuration, the app, listen; the only file that exits.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration error: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const app = await buildApp({ config })
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  const { database, migrated, seeded } = app.startReport
  const schema = migrated === null ? 'schema not managed here' : migrated.length ? `migrated ${migrated.join(', ')}` : 'schema current, nothing migrated'
  const seeds = seeded === null ? 'seeding off' : seeded.length ? `seeded ${seeded.join(', ')}` : 'seeds already loaded'
  // Fastify's own listening line, made the one start-up line an operator reads: address, database (a path, no secrets), what start-up did, docs.
  await app.listen({
    port: config.port,
    host: config.host,
    listenTextResolver: (address) => `listening on ${address}, database ${database} (${schema}; ${seeds}), API docs at ${address}/docs`,
  })
}

main().catch((err: unknown) => {
  process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
