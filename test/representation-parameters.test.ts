// Parameters a representation of the observation list does not take are refused (400, naming them), never
// silently ignored: every (representation × parameter set), by format= or by Accept, against a literal table.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, json, type TestContext } from './helpers.js'
import { runs } from './support/property-runs.js'

let t: TestContext
beforeAll(async () => {
  t = await buildTestApp({ build: { config: { databaseUrl: ':memory:', rateLimitPerMinute: 1_000_000 } } })
})
afterAll(() => t.close())

// Written out here, not imported: the test holds the route to what the docs promise.
const TAKES: Record<string, readonly string[]> = {
  bom: ['csv', 'sdmx-csv'],
  labels: ['csv', 'sdmx-json', 'jsonstat'],
  cursor: ['json', 'csv', 'sdmx-csv', 'sdmx-json'],
  limit: ['json', 'csv', 'sdmx-csv', 'sdmx-json'],
  unit: ['json', 'csv', 'jsonstat'],
}
const REPRESENTATIONS = ['json', 'csv', 'sdmx-csv', 'sdmx-json', 'jsonstat'] as const
/** The Accept header that asks for each representation without format= (JSON-stat has none of its own). */
const ACCEPT: Record<string, string | undefined> = {
  json: 'application/json',
  csv: 'text/csv',
  'sdmx-csv': 'application/vnd.sdmx.data+csv;version=2.0.0',
  'sdmx-json': 'application/vnd.sdmx.data+json;version=2.0.0',
  jsonstat: undefined,
}
const FILTER = 'indicator=dibao_paid,tekun_paid'

describe('representation-specific parameters', () => {
  it('are taken exactly where the table says, by format= or Accept; elsewhere a 400 names each misapplied one', async () => {
    const first = json<{ nextCursor: string }>((await t.app.inject({ url: `/v1/observations?${FILTER}&limit=1` })).body)
    const values: Record<string, string> = { bom: 'true', labels: 'en', cursor: encodeURIComponent(first.nextCursor), limit: '1', unit: encodeURIComponent('万元') }
    const seen = { accepted: 0, refused: 0 }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...REPRESENTATIONS), fc.subarray(Object.keys(TAKES), { minLength: 1 }), fc.boolean(), async (representation, params, byAccept) => {
        const accept = byAccept ? ACCEPT[representation] : undefined
        const query = [FILTER, ...(accept ? [] : [`format=${representation}`]), ...params.map((p) => `${p}=${values[p]}`)].join('&')
        const res = await t.app.inject({ url: `/v1/observations?${query}`, headers: accept ? { accept } : {} })
        const misapplied = params.filter((p) => !(TAKES[p] as readonly string[]).includes(representation)).sort()
        if (misapplied.length === 0) {
          expect(res.statusCode, `${representation} ${query}: ${res.body}`).toBe(200)
          seen.accepted++
          return
        }
        expect(res.statusCode, `${representation} ${query}`).toBe(400)
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
        const problem = json<{ code: string; errors: Array<{ in: string; name: string; message: string }> }>(res.body)
        expect(problem.code).toBe('APP_ERR_VALIDATION')
        expect(problem.errors.map((e) => e.name).sort()).toEqual(misapplied)
        for (const e of problem.errors) {
          expect(e.in).toBe('query')
          // The message names the representations that do take it.
          for (const r of TAKES[e.name] as readonly string[]) expect(e.message).toContain(r)
        }
        seen.refused++
      }),
      { numRuns: runs(60) },
    )
    expect(seen.accepted).toBeGreaterThan(0)
    expect(seen.refused).toBeGreaterThan(0)
  })

  it('refuses bom=true and labels= on the plain JSON list, by Accept as by format=', async () => {
    for (const [url, headers] of [
      [`/v1/observations?${FILTER}&bom=true`, { accept: 'application/json' }],
      [`/v1/observations?${FILTER}&bom=true`, {}],
      [`/v1/observations?${FILTER}&format=json&labels=en`, {}],
      [`/v1/observations?${FILTER}&format=jsonstat&bom=true`, {}],
      [`/v1/observations?${FILTER}&format=sdmx-json&bom=true`, {}],
      [`/v1/observations?${FILTER}&format=sdmx-csv&labels=zh`, {}],
    ] as const) {
      const res = await t.app.inject({ url, headers })
      expect(res.statusCode, url).toBe(400)
      const name = url.includes('bom=') ? 'bom' : 'labels'
      expect(json(res.body).errors, url).toEqual([{ in: 'query', name, message: expect.stringMatching(/^not taken by /) }])
    }
  })

  it('says in the OpenAPI description of each where it applies', async () => {
    const doc = json<any>((await t.app.inject({ url: '/openapi.json' })).body)
    const params = doc.paths['/v1/observations'].get.parameters as Array<{ name: string; description: string }>
    for (const [name, takes] of Object.entries(TAKES)) {
      const p = params.find((x) => x.name === name)
      expect(p?.description, name).toContain(`Taken only with ${takes.map((r) => `format=${r}`).join(', ')}`)
    }
  })
})
