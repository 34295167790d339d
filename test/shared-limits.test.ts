// With REDIS_URL, every instance counts against the same limits: requests spread over two
// instances meet one rate limit, and an address locked out by one is locked out by all.
import { randomInt } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisFailureCounter } from '../src/plugins/protection.js'
import { buildTestApp, type TestContext } from './helpers.js'

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

async function reachable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, enableOfflineQueue: false })
  probe.on('error', () => undefined)
  try {
    await probe.connect()
    return (await probe.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

const available = await reachable()
if (!available && process.env.REQUIRE_REDIS === '1') throw new Error(`REQUIRE_REDIS=1 but no Redis answers at ${REDIS_URL}`)
if (!available) console.warn(`shared-limits: skipped, no Redis at ${REDIS_URL} (set REQUIRE_REDIS=1 to make that a failure)`)

/** An address no other test uses, so counts left in Redis by earlier runs never meet this one. */
const freshAddress = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

describe.skipIf(!available)('limits shared through Redis', () => {
  let redis: Redis
  beforeAll(() => {
    redis = new Redis(REDIS_URL)
  })
  afterAll(() => redis?.disconnect())

  it('a lockout window starts at the first failure and ends with it, whatever instance counted', async () => {
    const counterA = createRedisFailureCounter(redis, 2, 400, (err) => {
      throw err
    })
    const counterB = createRedisFailureCounter(redis, 2, 400, (err) => {
      throw err
    })
    const address = freshAddress()
    await counterA.record(address)
    expect(await counterB.lockedFor(address)).toBe(0)
    await counterB.record(address)
    const left = await counterA.lockedFor(address)
    expect(left).toBeGreaterThan(0)
    expect(left).toBeLessThanOrEqual(400)
    expect(await counterA.lockedFor(freshAddress())).toBe(0)
    await counterA.record(address) // does not extend the window
    await new Promise((resolve) => setTimeout(resolve, left + 50))
    expect(await counterB.lockedFor(address)).toBe(0)
  })

  describe('two instances', () => {
    let a: TestContext
    let b: TestContext
    beforeAll(async () => {
      const config = { databaseUrl: ':memory:', redisUrl: REDIS_URL, rateLimitPerMinute: 5, authFailuresPerWindow: 3 }
      ;[a, b] = await Promise.all([buildTestApp({ build: { config } }), buildTestApp({ build: { config } })])
    })
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()])
    })

    it('meet one rate limit: the sixth request in a minute is refused, whichever instance gets it', async () => {
      const remoteAddress = freshAddress()
      const statuses: number[] = []
      for (let i = 0; i < 6; i++) statuses.push((await (i % 2 ? b : a).app.inject({ url: '/v1/indicators', remoteAddress })).statusCode)
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429])
      const refused = await a.app.inject({ url: '/v1/indicators', remoteAddress })
      expect(refused.statusCode).toBe(429)
      expect(refused.headers['content-type']).toMatch(/problem\+json/)
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      // Another client still has its own budget.
      expect((await b.app.inject({ url: '/v1/indicators', remoteAddress: freshAddress() })).statusCode).toBe(200)
    })

    it('share lockouts: failures through one instance lock the address out of the other', async () => {
      const remoteAddress = freshAddress()
      const bad = { authorization: `Bearer bti_${'a'.repeat(12)}_${'B'.repeat(43)}` }
      // A read with a bad key is answered, and still counted as a guess.
      for (const ctx of [a, b, a]) expect((await ctx.app.inject({ url: '/v1/areas', remoteAddress, headers: bad })).statusCode).not.toBe(429)
      const locked = await b.app.inject({ url: '/v1/areas', remoteAddress, headers: bad })
      expect(locked.statusCode).toBe(429)
      expect(locked.json().detail).toMatch(/failed authentications/)
    })
  })

  it('an instance whose Redis is away keeps serving (the shared limits are skipped, not the requests)', async () => {
    const ctx = await buildTestApp({ build: { config: { databaseUrl: ':memory:', redisUrl: 'redis://127.0.0.1:1', rateLimitPerMinute: 1, authFailuresPerWindow: 1 } } })
    try {
      const remoteAddress = freshAddress()
      for (let i = 0; i < 3; i++) expect((await ctx.app.inject({ url: '/v1/indicators', remoteAddress })).statusCode).toBe(200)
    } finally {
      await ctx.close()
    }
  })
})
