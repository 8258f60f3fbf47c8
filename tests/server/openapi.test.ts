import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { HTTPMethods } from 'fastify'
import type { Database } from '../../server/db/database'
import { ERROR_CODES, fieldsSchemaName, valibotToJsonSchema } from '../../server/openapi'
import { PARENT_FIELD, SENSITIVE_FIELDS, TABLE_FIELDS } from '../../src/shared/protocol'
import { SYNCED_TABLES } from '../../src/shared/records'
import { forEachDatabase } from './databases'
import { call, type RunningServer, SETUP_TIMEOUT_MS, startServer, TEST_TIMEOUT_MS } from './sync-helpers'

interface OpenApiDocument {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>
  components: { schemas: Record<string, { properties?: Record<string, Record<string, unknown>> }> }
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']

/** Every `/api/...` route Fastify knows, as `METHOD path`, without the HEAD twins of GET routes. */
function apiRoutesOf(server: RunningServer): string[] {
  const tree = server.app.printRoutes({ commonPrefix: false })
  const routes: string[] = []
  for (const line of tree.split('\n')) {
    const match = /(\/\S*) \(([^)]+)\)/.exec(line)
    if (!match || !match[1]!.startsWith('/api/')) continue
    for (const method of match[2]!.split(', ')) if (method !== 'HEAD') routes.push(`${method} ${match[1]}`)
  }
  return routes.sort()
}

/** All `$ref` values anywhere in the document. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found)
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item)
      else refsIn(item, found)
    }
  }
  return found
}

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`OpenAPI description on ${database.name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    let db: Database
    let server: RunningServer
    let document: OpenApiDocument

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      const answer = await call<OpenApiDocument>(server, 'GET', '/api/v1/openapi.json')
      expect(answer.status).toBe(200)
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
      document = answer.body
    }, SETUP_TIMEOUT_MS)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })

    it('is an OpenAPI 3.1 document with the package version', async () => {
      expect(document.openapi).toMatch(/^3\.1\.\d+$/)
      expect(document.info.title).toBeTruthy()
      const health = await call<{ version: string }>(server, 'GET', '/api/v1/health')
      expect(document.info.version).toBe(health.body.version)
      for (const [urlPath, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          expect(HTTP_METHODS, `${method} ${urlPath}`).toContain(method)
          expect(Object.keys(operation.responses).length, `${method} ${urlPath}`).toBeGreaterThan(0)
        }
      }
    })

    it('describes exactly the API routes the server registered', () => {
      const registered = apiRoutesOf(server)
      expect(registered).toContain('POST /api/v1/sync/push')
      const documented = Object.entries(document.paths)
        .flatMap(([urlPath, operations]) =>
          // OpenAPI writes path parameters as {id}, Fastify as :id.
          Object.keys(operations).map((method) => `${method.toUpperCase()} ${urlPath.replace(/\{(\w+)\}/g, ':$1')}`),
        )
        .sort()
      expect(documented).toEqual(registered)
      for (const route of documented) {
        const [method, url] = route.split(' ') as [HTTPMethods, string]
        expect(server.app.hasRoute({ method, url }), route).toBe(true)
      }
    })

    it('marks exactly the public routes as needing no token', () => {
      const publicRoutes = Object.entries(document.paths)
        .flatMap(([urlPath, operations]) =>
          Object.entries(operations)
            .filter(([, operation]) => Array.isArray(operation.security) && operation.security.length === 0)
            .map(([method]) => `${method.toUpperCase()} ${urlPath}`),
        )
        .sort()
      expect(publicRoutes).toEqual(['GET /api/v1/health', 'GET /api/v1/openapi.json', 'POST /api/v1/session'])
    })

    it('has a schema with every field of every synced table', () => {
      for (const table of SYNCED_TABLES) {
        const schema = document.components.schemas[fieldsSchemaName(table)]
        expect(schema, table).toBeDefined()
        expect(Object.keys(schema!.properties!).sort(), table).toEqual([...TABLE_FIELDS[table]].sort())
        for (const [field, fieldSchema] of Object.entries(schema!.properties!)) {
          expect(Object.keys(fieldSchema).length, `${table}.${field}`).toBeGreaterThan(0)
        }
        for (const field of SENSITIVE_FIELDS[table] ?? []) expect(schema!.properties![field]!['x-sensitive']).toBe(true)
        const parent = PARENT_FIELD[table]
        if (parent) expect(schema!.properties![parent]).toMatchObject({ 'x-parent': true, format: 'uuid' })
      }
      const menteeFields = document.components.schemas[fieldsSchemaName('mentees')]!.properties!
      expect(menteeFields.givenName).toMatchObject({ type: 'string', maxLength: 100 })
      expect(menteeFields.languages).toMatchObject({ type: 'array', maxItems: 50 })
      expect(menteeFields.followOnOffer).toEqual({ anyOf: [{ type: 'boolean' }, { type: 'null' }] })
      const position = document.components.schemas[fieldsSchemaName('checklistItems')]!.properties!.position
      expect(position).toMatchObject({ type: 'integer', minimum: 0 })
    })

    it('resolves every $ref and lists every error code', () => {
      for (const reference of refsIn(document)) {
        const name = reference.replace('#/components/schemas/', '')
        expect(document.components.schemas[name], reference).toBeDefined()
      }
      const errorSchema = document.components.schemas.ErrorResponse!
      expect(errorSchema.properties!.error!.enum).toEqual([...ERROR_CODES])
    })
  })
}

describe('valibotToJsonSchema', () => {
  it('refuses schemas it cannot describe rather than describing them wrongly', () => {
    expect(() => valibotToJsonSchema({ kind: 'schema', type: 'date' })).toThrow(/date/)
  })
})
