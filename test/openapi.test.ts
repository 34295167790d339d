// The committed openapi.yaml is what the server serves, and documents every route.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { projectRoot } from '../src/paths.js'
import { buildTestApp, json, type TestContext } from './helpers.js'

let t: TestContext
beforeAll(async () => {
  t = await buildTestApp()
})
afterAll(() => t.close())

describe('OpenAPI document', () => {
  it('served YAML equals the committed openapi.yaml (run `npm run openapi` after changing a schema)', async () => {
    const res = await t.app.inject({ url: '/openapi.yaml' })
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe(readFileSync(join(projectRoot, 'openapi.yaml'), 'utf8'))
  })

  it('is OpenAPI 3.1 and every operation has tags, summary, description and declared errors', async () => {
    const doc = json((await t.app.inject({ url: '/openapi.json' })).body)
    expect(doc.openapi).toBe('3.1.0')
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))
    expect(operations.length).toBeGreaterThanOrEqual(14)
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`
      expect(op.tags?.length, where).toBeGreaterThan(0)
      expect(op.summary, where).toBeTruthy()
      expect(op.description, where).toBeTruthy()
      if (op.parameters?.length || path.includes('{')) expect(Object.keys(op.responses), where).toContain('400')
      // Upserts (PUT of a catalog entry) create what is missing; reads and deletes of a missing entity are 404.
      if (path.includes('{') && method !== 'put') expect(Object.keys(op.responses), where).toContain('404')
      if (op.security) expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['401', '403']))
    }
  })

  it('describes every field of every response and parameter', async () => {
    const doc = json((await t.app.inject({ url: '/openapi.json' })).body)
    const undocumented: string[] = []
    const walk = (schema: any, where: string) => {
      if (!schema || typeof schema !== 'object') return
      for (const [name, prop] of Object.entries<any>(schema.properties ?? {})) {
        if (!prop.description && !prop.$ref) undocumented.push(`${where}.${name}`)
        walk(prop, `${where}.${name}`)
      }
      if (schema.items) walk(schema.items, `${where}[]`)
      for (const k of ['anyOf', 'oneOf', 'allOf']) for (const s of schema[k] ?? []) walk(s, where)
    }
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        for (const p of op.parameters ?? []) if (!p.description && !p.schema?.description) undocumented.push(`${method} ${path} param ${p.name}`)
        for (const [status, r] of Object.entries<any>(op.responses)) for (const [type, c] of Object.entries<any>(r.content ?? {})) walk(c.schema, `${method} ${path} ${status} ${type}`)
      }
    }
    walk(doc.components.schemas.Problem, 'Problem')
    expect(undocumented).toEqual([])
  })

  it('serves interactive docs', async () => {
    const res = await t.app.inject({ url: '/docs/' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/text\/html/)
  })
})
