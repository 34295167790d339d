// Cached GET answers are the same bytes as uncached ones, and never outlive a write.
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createKey } from '../src/modules/keys/keys.js'
import { buildTestApp, json, onPostgres, type TestContext } from './helpers.js'

const contexts: TestContext[] = []
afterAll(async () => {
  for (const c of contexts) await c.close()
})

for (const file of [false, true]) {
  describe(`response cache (${file ? 'database file, writer thread' : ':memory:, inline writer'})`, () => {
    it('serves repeats from the cache, with a strong ETag and 304, and drops them at the next write', async () => {
      const t = await buildTestApp({ file })
      contexts.push(t)
      const key = (await createKey(t.storage, 'w', ['write'])).secret
      const url = '/v1/observations?indicator=dibao_paid'
      const first = await t.app.inject({ url })
      expect(first.headers['x-cache']).toBe('miss')
      const second = await t.app.inject({ url })
      expect(second.headers['x-cache']).toBe('hit')
      expect(second.body).toBe(first.body)
      expect(second.headers['content-type']).toBe(first.headers['content-type'])
      expect(second.headers.etag).toBe(first.headers.etag)
      expect(second.headers['x-content-type-options']).toBe('nosniff')
      expect((await t.app.inject({ url, headers: { 'if-none-match': first.headers.etag as string } })).statusCode).toBe(304)

      const o = json(first.body).data[0]
      const put = await t.app.inject({
        method: 'PUT',
        url: `/v1/observations/${o.id}`,
        headers: { authorization: `Bearer ${key}`, 'if-match': `"obs-${o.id}-r${o.revision}"` },
        payload: { qualifier: 'approx', reported: o.reported.text ? o.reported : { value: o.reported.value, unit: o.reported.unit }, citation: { sourceId: o.source.id, quote: o.source.quote }, reason: 'cache test' },
      })
      expect(put.statusCode).toBe(200)
      const after = await t.app.inject({ url })
      expect(after.headers['x-cache']).toBe('miss')
      expect(json(after.body).data[0].qualifier).toBe('approx')
      expect(after.headers.etag).not.toBe(first.headers.etag)
      expect((await t.app.inject({ url, headers: { 'if-none-match': first.headers.etag as string } })).statusCode).toBe(200)
    })

    if (file && !onPostgres) {
      it('notices a commit by another connection (another process) through data_version', async () => {
        const t = contexts[contexts.length - 1] as TestContext
        const url = '/v1/areas/xiba'
        expect((await t.app.inject({ url })).headers['x-cache']).toBe('miss')
        expect((await t.app.inject({ url })).headers['x-cache']).toBe('hit')
        const other = new Database(t.db.$client.name)
        other.prepare("UPDATE area SET name_en = 'Xiba village' WHERE code = 'xiba'").run()
        other.close()
        const res = await t.app.inject({ url })
        expect(res.headers['x-cache']).toBe('miss')
        expect(json(res.body).nameEn).toBe('Xiba village')
      })
    }

    it('never caches CSV, errors or the audit verification', async () => {
      const t = contexts[contexts.length - 1] as TestContext
      for (const url of ['/v1/observations?format=csv', '/v1/areas/atlantis', '/v1/audit/verify']) {
        await t.app.inject({ url })
        expect((await t.app.inject({ url })).headers['x-cache'], url).toBeUndefined()
      }
    })
  })
}

describe('a request that asks for a fresh answer', () => {
  it('Cache-Control: no-cache (or Pragma: no-cache) is answered from the database, and the answer is kept for the next', async () => {
    const t = await buildTestApp()
    contexts.push(t)
    const url = '/v1/indicators'
    expect((await t.app.inject({ url })).headers['x-cache']).toBe('miss')
    expect((await t.app.inject({ url })).headers['x-cache']).toBe('hit')
    for (const headers of [{ 'cache-control': 'no-cache' }, { 'cache-control': 'max-age=0, No-Cache' }, { pragma: 'no-cache' }]) {
      const fresh = await t.app.inject({ url, headers })
      expect(fresh.statusCode, JSON.stringify(headers)).toBe(200)
      expect(fresh.headers['x-cache'], JSON.stringify(headers)).toBe('miss')
    }
    // Other directives, and a no-cache that is part of another token, still read the cache.
    for (const headers of [{ 'cache-control': 'max-age=60' }, { 'cache-control': 'no-cache-please' }, { 'cache-control': 'max-age=0', pragma: 'no-cache' }]) {
      expect((await t.app.inject({ url, headers })).headers['x-cache'], JSON.stringify(headers)).toBe('hit')
    }
  })
})
