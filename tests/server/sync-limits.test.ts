import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../server/db/database'
import { SlidingWindowLimiter } from '../../server/sync/rate-limit'
import { MAX_PUSH_BATCH } from '../../src/shared/protocol'
import { forEachDatabase } from './databases'
import {
  call,
  createTestUsers,
  mentee,
  type RunningServer,
  SETUP_TIMEOUT_MS,
  startServer,
  TEST_TIMEOUT_MS,
  TestDevice,
  type TestUsers,
} from './sync-helpers'

const MB = 1024 * 1024

describe('SlidingWindowLimiter', () => {
  it('allows `limit` calls in any window and counts only allowed calls', () => {
    const limiter = new SlidingWindowLimiter(3, 1000)
    expect([0, 100, 200].map((t) => limiter.check('d', t).allowed)).toEqual([true, true, true])
    expect(limiter.check('d', 999)).toEqual({ allowed: false, retryAfterSeconds: 1 })
    expect(limiter.check('other', 999).allowed).toBe(true)
    // The first call leaves the window at 1000; refused calls did not extend the wait.
    expect(limiter.check('d', 1000).allowed).toBe(true)
    expect(limiter.check('d', 1001).allowed).toBe(false)
    expect(limiter.check('d', 1100).allowed).toBe(true)
  })
})

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`limits and malformed requests on ${database.name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    let db: Database
    let server: RunningServer
    let users: TestUsers
    let device: TestDevice

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      users = await createTestUsers(db)
      device = await TestDevice.signIn(server, users.coachA)
    }, SETUP_TIMEOUT_MS)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })

    const envelope = (mutations: unknown, extra: Record<string, unknown> = {}) => ({
      deviceId: device.session.deviceId,
      schemaVersion: 1,
      mutations,
      ...extra,
    })

    async function ackSeq(): Promise<number> {
      const { rows } = await db.query<{ ack_seq: number }>('SELECT ack_seq FROM devices WHERE id = $1', [device.session.deviceId])
      return rows[0]!.ack_seq
    }

    it('answers 426 upgrade_required for another schemaVersion', async () => {
      for (const schemaVersion of [2, 0]) {
        const answer = await device.pushRaw(envelope([], { schemaVersion }))
        expect(answer.status).toBe(426)
        expect(answer.body).toMatchObject({ error: 'upgrade_required' })
      }
    })

    it('answers 400 bad_request for malformed JSON and malformed envelopes, and changes nothing', async () => {
      const valid = { seq: 1, table: 'mentees', id: randomUUID(), op: 'upsert', fields: mentee(), hlc: device.clock.now() }
      const bodies: [string, unknown][] = [
        ['malformed JSON', '{"deviceId": "x", "mutations": [}'],
        ['not an object', '[1, 2]'],
        ['a string', '"push"'],
        ['no mutations', { deviceId: device.session.deviceId, schemaVersion: 1 }],
        ['mutations not an array', envelope({ 0: valid })],
        ['no schemaVersion', { deviceId: device.session.deviceId, mutations: [valid] }],
        ['schemaVersion as text', envelope([valid], { schemaVersion: '1' })],
        ['no deviceId', envelope([valid], { deviceId: undefined })],
        ['seq not an integer', envelope([{ ...valid, seq: 1.5 }])],
        ['seq as text', envelope([{ ...valid, seq: '1' }])],
        ['seq zero', envelope([{ ...valid, seq: 0 }])],
        ['seqs not increasing', envelope([{ ...valid, seq: 2 }, { ...valid, seq: 2, id: randomUUID() }])],
        ['unknown op', envelope([{ ...valid, op: 'patch' }])],
        ['upsert without fields', envelope([{ ...valid, fields: undefined }])],
        ['fields not an object', envelope([{ ...valid, fields: ['givenName'] }])],
        ['mutation not an object', envelope(['upsert'])],
        ['hlc missing', envelope([{ ...valid, hlc: undefined }])],
        ['too many mutations', envelope(Array.from({ length: MAX_PUSH_BATCH + 1 }, (_, i) => ({ ...valid, seq: i + 1, id: randomUUID() })))],
        ['__proto__ key', `{"deviceId":"${device.session.deviceId}","schemaVersion":1,"mutations":[],"__proto__":{"x":1}}`],
      ]
      for (const [what, body] of bodies) {
        const answer = await device.pushRaw(body)
        expect(answer.status, what).toBe(400)
        expect((answer.body as unknown as { error: string }).error, what).toBe('bad_request')
      }
      const empty = await call(server, 'POST', '/api/v1/sync/push', { token: device.token, body: '', headers: { 'content-type': 'application/json' } })
      expect(empty.status).toBe(400)
      const text = await call(server, 'POST', '/api/v1/sync/push', { token: device.token, body: 'hello', headers: { 'content-type': 'text/plain' } })
      expect(text.status).toBeGreaterThanOrEqual(400)
      expect(text.body).toMatchObject({ error: 'bad_request' })
      expect(await ackSeq()).toBe(0)
    })

    it("answers 403 for another device's deviceId", async () => {
      const other = await TestDevice.signIn(server, users.coachA)
      const answer = await device.pushRaw(envelope([], { deviceId: other.session.deviceId }))
      expect(answer.status).toBe(403)
      expect(answer.body).toMatchObject({ error: 'forbidden' })
    })

    it('accepts a body just under 10 MB and answers 413 payload_too_large above it', async () => {
      const padded = (bytes: number) => JSON.stringify(envelope([], { padding: 'x'.repeat(bytes) }))
      const large = await device.pushRaw(padded(9 * MB))
      expect(large.status).toBe(200)
      const tooLarge = await device.pushRaw(padded(11 * MB))
      expect(tooLarge.status).toBe(413)
      expect(tooLarge.body).toMatchObject({ error: 'payload_too_large' })
    })

    it('answers the 601st sync call of a device within 60 s with 429 and Retry-After', async () => {
      const start = Date.now()
      server.clock.fixed = start
      try {
        const busy = await TestDevice.signIn(server, users.coachB)
        const calm = await TestDevice.signIn(server, users.coachB)
        const paths = ['/api/v1/conflicts', '/api/v1/sync/pull?limit=1']
        for (let round = 0; round < 600; round += 50) {
          // Spread over 59 s of server time: all inside one window.
          server.clock.fixed = start + Math.floor((round / 600) * 59_000)
          const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => busy.call('GET', paths[i % 2]!)))
          expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200))
        }
        const limited = await busy.call('GET', '/api/v1/conflicts')
        expect(limited.status).toBe(429)
        expect(limited.body).toEqual({ error: 'too_many_requests' })
        const retryAfter = Number(limited.headers.get('retry-after'))
        expect(retryAfter).toBeGreaterThanOrEqual(1)
        expect(retryAfter).toBeLessThanOrEqual(60)
        const push = await busy.pushRaw({ deviceId: busy.session.deviceId, schemaVersion: 1, mutations: [] })
        expect(push.status).toBe(429)
        // Another device of the same user is not held back.
        expect((await calm.call('GET', '/api/v1/conflicts')).status).toBe(200)

        // Once the first calls are a minute old, there is room again.
        server.clock.fixed = start + 60_000
        expect((await busy.call('GET', '/api/v1/conflicts')).status).toBe(200)
      } finally {
        server.clock.fixed = undefined
      }
    })
  })
}
