/**
 * Schema-driven fuzzing of every endpoint (issue 5): requests are generated from the endpoint's
 * own OpenAPI document (path and query parameters, request bodies, down to field types, patterns
 * and limits), and every node of a generated value may be swapped for arbitrary JSON, so both
 * nearly-valid and broken requests arrive. Tokens of every role, garbage tokens and none; ids of
 * records that exist and ids that do not; cursors the endpoint issued and ones it did not.
 * Whatever arrives, the answer is never a 5xx and the server keeps answering.
 *
 * Through `app.inject()` (no sockets), on PGlite: 1,000 cases per endpoint stay within seconds.
 * The server clock moves 150 ms per case, so the per-device limit (600 calls a minute) is not what
 * answers most of them; the sign-in limit still is, after ten failures, by design.
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildServer } from '../../server/app'
import { assign, createTeam, createUser } from '../../server/accounts/accounts'
import { openDatabase, type Database } from '../../server/db/database'
import { buildOpenApiDocument, type JsonSchema } from '../../server/openapi'
import { encodeCursor } from '../../server/sync/cursor'
import { PROTOCOL_SCHEMA_VERSION, type SessionResponse } from '../../src/shared/protocol'
import { TestClock } from './sync-helpers'

const CASES_PER_ENDPOINT = Number(process.env.FUZZ_CASES ?? 1000)
const PASSWORD = 'fuzzing password'
const STEP_MS = 150

interface Operation {
  method: string
  path: string
  parameters?: { name: string; in: 'path' | 'query'; required?: boolean; schema: JsonSchema }[]
  requestBody?: { content: Record<string, { schema: JsonSchema }> }
}

const document = buildOpenApiDocument('fuzz') as {
  paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>
  components: { schemas: Record<string, JsonSchema> }
}

function resolve(schema: JsonSchema): JsonSchema {
  const reference = schema.$ref
  if (typeof reference !== 'string') return schema
  return resolve(document.components.schemas[reference.replace('#/components/schemas/', '')]!)
}

const anyJson = fc.jsonValue({ maxDepth: 2 })
const stamp = fc
  .tuple(fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 0, max: 99_999 }), fc.string({ maxLength: 12 }))
  .map(([millis, counter, node]) => `${String(millis).padStart(15, '0')}:${String(counter).padStart(5, '0')}:${node}`)

/**
 * Text of every kind: plain, any code point, and the ones PostgreSQL cannot store (NUL, lone
 * surrogates), which must be refused as client errors.
 */
const unstorable = fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\u0000b')
function anyText(maxLength: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ maxLength, unit: 'binary' }) },
    { weight: 1, arbitrary: fc.string({ maxLength, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 5 }), unstorable).map(([text, bad]) => `${text}${bad}`) },
  )
}

/** Ids that exist on the server (filled in beforeAll); generated uuids mostly do not. */
const knownIds: string[] = []
const idArbitrary = fc.oneof(
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 1000 }).map((index) => knownIds[index % Math.max(1, knownIds.length)] ?? randomUUID()) },
)

/** A value valid for `schema` most of the time; any node may be replaced by arbitrary JSON. */
function fromSchema(input: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const valid = validFromSchema(resolve(input), depth)
  return fc.oneof({ weight: 40, arbitrary: valid }, { weight: 1, arbitrary: anyJson })
}

function validFromSchema(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined
  if (alternatives) return fc.oneof(...alternatives.map((alternative) => fromSchema(alternative, depth + 1)))
  switch (schema.type) {
    case 'string': {
      if (schema.format === 'uuid') return idArbitrary
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((date) => date.toISOString())
      if (schema.pattern === '^\\d{15}:\\d{5}:.+$') return stamp
      const maxLength = Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 40, 200)
      if (typeof schema.pattern === 'string') {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((text) => text.length <= maxLength)
      }
      return anyText(maxLength)
    }
    case 'integer':
      return fc.integer({
        min: typeof schema.minimum === 'number' ? schema.minimum : -10,
        max: typeof schema.maximum === 'number' ? schema.maximum : 1_000_000,
      })
    case 'number':
      return fc.double({ noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'array': {
      if (depth > 4) return fc.constant([])
      const maxLength = Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 5, 5)
      return fc.array(fromSchema((schema.items as JsonSchema) ?? {}, depth + 1), { maxLength })
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
      if (depth > 4 || Object.keys(properties).length === 0) return fc.dictionary(fc.string({ maxLength: 10 }), anyJson, { maxKeys: 3 })
      const required = (schema.required ?? []) as string[]
      return fc.record(
        Object.fromEntries(Object.entries(properties).map(([key, property]) => [key, fromSchema(property, depth + 1)])),
        { requiredKeys: required.filter((key) => key in properties) },
      )
    }
    default:
      return anyJson
  }
}

/** Every byte of the text's UTF-8 percent-encoded (a lone surrogate becomes U+FFFD on the way). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')
}

const operations: Operation[] = Object.entries(document.paths).flatMap(([urlPath, byMethod]) =>
  Object.entries(byMethod).map(([method, operation]) => ({ ...operation, method: method.toUpperCase(), path: urlPath })),
)

describe('schema-driven fuzzing of every endpoint on PGlite', { timeout: 600_000 }, () => {
  let db: Database
  let app: FastifyInstance
  const clock = new TestClock()
  const sessions: SessionResponse[] = []
  /** Sessions for DELETE /session only: fuzzing it ends them, which would silence the other endpoints. */
  const victims: SessionResponse[] = []
  let cursors: string[] = []
  let pushSeq = 1000

  beforeAll(async () => {
    db = await openDatabase({ inMemory: true })
    app = await buildServer({ distDir: path.join(os.tmpdir(), 'lotse-no-build'), db, now: clock.now })
    await createTeam(db, 'Fuzz')
    for (const role of ['coordinator', 'coach', 'pate', 'guide'] as const) {
      await createUser(db, { username: `fuzz-${role}`, role, teamName: 'Fuzz', password: PASSWORD })
      const answer = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { username: `fuzz-${role}`, password: PASSWORD, deviceName: 'fuzz' },
      })
      expect(answer.statusCode).toBe(201)
      sessions.push(answer.json<SessionResponse>())
      const victim = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { username: `fuzz-${role}`, password: PASSWORD, deviceName: 'fuzz victim' },
      })
      victims.push(victim.json<SessionResponse>())
    }
    // Records to aim at: mentees with notes, appointments and checklist items; some assigned.
    const coach = sessions[1]!
    const mutations: unknown[] = []
    let seq = 0
    for (let index = 0; index < 20; index += 1) {
      const [mentee, note, appointment, item] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
      knownIds.push(mentee, note, appointment, item)
      const hlc = `${String(Date.now()).padStart(15, '0')}:${String(index).padStart(5, '0')}:seed`
      mutations.push(
        { seq: (seq += 1), table: 'mentees', id: mentee, op: 'upsert', fields: { givenName: `Fuzz ${index}`, stage: 'accompanied' }, hlc },
        { seq: (seq += 1), table: 'notes', id: note, op: 'upsert', fields: { menteeId: mentee, date: '2025-01-01', kind: 'talk', text: 'x' }, hlc },
        { seq: (seq += 1), table: 'appointments', id: appointment, op: 'upsert', fields: { menteeId: mentee, startsAt: '2025-01-01T10:00', type: 'other' }, hlc },
        { seq: (seq += 1), table: 'checklistItems', id: item, op: 'upsert', fields: { appointmentId: appointment, label: 'x', done: false, position: 0, templateKey: null }, hlc },
      )
    }
    const pushed = await app.inject({
      method: 'POST',
      url: '/api/v1/sync/push',
      headers: { authorization: `Bearer ${coach.token}` },
      payload: { deviceId: coach.deviceId, schemaVersion: PROTOCOL_SCHEMA_VERSION, mutations },
    })
    expect(pushed.statusCode).toBe(200)
    for (let index = 0; index < 20; index += 4) await assign(db, 'fuzz-pate', knownIds[index * 4]!)
    const pulled = await app.inject({ method: 'GET', url: '/api/v1/sync/pull?limit=7', headers: { authorization: `Bearer ${coach.token}` } })
    cursors = [pulled.json<{ cursor: string }>().cursor]
  }, 120_000)

  afterAll(async () => {
    await app?.close()
    await db?.close()
  })

  const tokenArbitrary = (pool: SessionResponse[]) => fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }).map((index) => `Bearer ${pool[index]!.token}`) },
    { weight: 1, arbitrary: anyText(80).map((text) => `Bearer ${text}`) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'Bearer', 'Basic abc', `Bearer ${'A'.repeat(43)}`) },
  )
  const cursorArbitrary = fc.oneof(
    fc.constantFrom(...(cursors.length > 0 ? cursors : [''])).map(() => cursors[0] ?? ''),
    fc
      .record({ seq: fc.integer({ min: 0, max: 2 ** 40 }), purged: fc.integer({ min: 0, max: 100 }), key: fc.option(fc.string({ maxLength: 110 }), { nil: undefined }) })
      .map((cursor) => encodeCursor(cursor)),
    fc.string({ maxLength: 600 }),
  )

  function requestArbitrary(operation: Operation): fc.Arbitrary<InjectOptions> {
    const parameters = operation.parameters ?? []
    const pathParameters = parameters.filter((parameter) => parameter.in === 'path')
    const queryParameters = parameters.filter((parameter) => parameter.in === 'query')
    const valueArbitrary = (parameter: { name: string; schema: JsonSchema }) =>
      parameter.name === 'cursor'
        ? cursorArbitrary
        : fc.oneof({ weight: 4, arbitrary: fromSchema(parameter.schema).map((value) => (typeof value === 'string' ? value : JSON.stringify(value))) }, { weight: 1, arbitrary: anyText(30) })
    const pathValues = fc.tuple(...pathParameters.map(valueArbitrary))
    const queryValues = fc.tuple(...queryParameters.map((parameter) => fc.option(valueArbitrary(parameter), { nil: undefined })))
    const bodySchema = operation.requestBody?.content['application/json']?.schema
    const body: fc.Arbitrary<string | undefined> = bodySchema
      ? fc.oneof(
          { weight: 8, arbitrary: fromSchema(bodySchema).map((value) => JSON.stringify(value)) },
          { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
          { weight: 1, arbitrary: anyText(200) },
        )
      : fc.option(fc.string({ maxLength: 50 }), { nil: undefined, freq: 4 })
    return fc
      .record({
        pathValues,
        queryValues,
        body,
        authorization: tokenArbitrary(operation.method === 'DELETE' && operation.path === '/api/v1/session' ? victims : sessions),
        contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
        ownDevice: fc.integer({ min: 0, max: 4 }).map((draw) => draw > 0),
      })
      .map(({ pathValues: values, queryValues: query, body: payload, authorization, contentType, ownDevice }) => {
        let url = operation.path
        pathParameters.forEach((parameter, index) => {
          url = url.replace(`{${parameter.name}}`, percentEncoded(String(values[index])))
        })
        const search = new URLSearchParams()
        queryParameters.forEach((parameter, index) => {
          const value = query[index]
          if (value !== undefined) search.set(parameter.name, String(value))
        })
        if (search.size > 0) url += `?${search.toString()}`
        // A push that names the session's own device gets past the envelope check more often.
        if (ownDevice && payload !== undefined && operation.path.endsWith('/push') && authorization?.startsWith('Bearer ')) {
          const session = sessions.find((candidate) => `Bearer ${candidate.token}` === authorization)
          try {
            const parsed: unknown = JSON.parse(payload)
            if (session && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
              const envelope: Record<string, unknown> = { ...(parsed as Record<string, unknown>), deviceId: session.deviceId }
              // ... and numbers its mutations as a device does, so they reach push's own checks.
              if (Array.isArray(envelope.mutations)) {
                envelope.mutations = envelope.mutations.map((mutation: unknown) =>
                  typeof mutation === 'object' && mutation !== null && !Array.isArray(mutation)
                    ? { ...mutation, seq: (pushSeq += 1) }
                    : mutation,
                )
              }
              payload = JSON.stringify(envelope)
            }
          } catch {
            // not JSON: sent as it is
          }
        }
        const headers: Record<string, string> = {}
        if (authorization !== undefined) headers.authorization = authorization
        if (payload !== undefined) headers['content-type'] = contentType
        return { method: operation.method as InjectOptions['method'], url, headers, ...(payload !== undefined ? { payload } : {}) }
      })
  }

  it('generates requests for every documented operation', () => {
    expect(operations.map((operation) => `${operation.method} ${operation.path}`).sort()).toEqual([
      'DELETE /api/v1/session',
      'GET /api/v1/audit',
      'GET /api/v1/conflicts',
      'GET /api/v1/health',
      'GET /api/v1/mentees/{id}/export',
      'GET /api/v1/openapi.json',
      'GET /api/v1/reports',
      'GET /api/v1/sync/pull',
      'POST /api/v1/mentees/{id}/erasure',
      'POST /api/v1/session',
      'POST /api/v1/sync/push',
    ])
  })

  for (const operation of operations) {
    it(`${operation.method} ${operation.path}: ${CASES_PER_ENDPOINT} cases, no 5xx`, async () => {
      let cases = 0
      const statuses = new Map<number, number>()
      await fc.assert(
        fc.asyncProperty(requestArbitrary(operation), async (request) => {
          cases += 1
          clock.offsetMs += STEP_MS
          const answer = await app.inject(request)
          statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1)
          if (answer.statusCode >= 500) throw new Error(`${answer.statusCode} for ${JSON.stringify(request).slice(0, 500)}: ${answer.body.slice(0, 300)}`)
          if (answer.body !== '' && String(answer.headers['content-type']).startsWith('application/json')) JSON.parse(answer.body)
        }),
        { numRuns: CASES_PER_ENDPOINT, endOnFailure: false },
      )
      expect(cases).toBeGreaterThanOrEqual(CASES_PER_ENDPOINT)
      // Still answering after all of it.
      expect((await app.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200)
      console.log(`${operation.method} ${operation.path}: ${cases} cases, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`)
    })
  }
})
