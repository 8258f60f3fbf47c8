import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { revokeDevice } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import type { SessionResponse } from '../../src/shared/protocol'
import { forEachDatabase } from './databases'
import {
  call,
  createTestUsers,
  PASSWORD,
  type RunningServer,
  SETUP_TIMEOUT_MS,
  signIn,
  startServer,
  TEST_TIMEOUT_MS,
  type TestUsers,
} from './sync-helpers'

const FIFTEEN_MINUTES = 15 * 60 * 1000

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`sessions on ${database.name}`, { timeout: TEST_TIMEOUT_MS }, () => {
    let db: Database
    let server: RunningServer
    let users: TestUsers

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      users = await createTestUsers(db)
    }, SETUP_TIMEOUT_MS)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })

    it('signs in, works with the token, and signs out', async () => {
      const before = Date.now()
      const session = await signIn(server, users.coachA, 'Pixel 8')
      expect(session.token).toMatch(/^[A-Za-z0-9_-]{20,}$/)
      expect(session.deviceId).toMatch(/^[0-9a-f-]{36}$/)
      expect(session.user).toEqual({
        id: expect.any(String),
        username: users.coachA,
        displayName: expect.any(String),
        role: 'coach',
        teamId: expect.any(String),
      })
      expect(Date.parse(session.serverTime)).toBeGreaterThanOrEqual(before - 1000)

      const pull = await call(server, 'GET', '/api/v1/sync/pull', { token: session.token })
      expect(pull.status).toBe(200)

      const signOut = await call(server, 'DELETE', '/api/v1/session', { token: session.token })
      expect(signOut.status).toBe(204)
      expect(signOut.body).toBeUndefined()

      const after = await call(server, 'GET', '/api/v1/sync/pull', { token: session.token })
      expect(after.status).toBe(401)
      expect(after.body).toEqual({ error: 'unauthorized' })
    })

    it('answers calls without a valid token with 401 unauthorized', async () => {
      const headerSets: Record<string, string>[] = [
        {},
        { authorization: 'Bearer' },
        { authorization: 'Basic abc' },
        { authorization: `Bearer ${'x'.repeat(43)}` },
      ]
      for (const headers of headerSets) {
        for (const [method, urlPath] of [
          ['GET', '/api/v1/sync/pull'],
          ['POST', '/api/v1/sync/push'],
          ['GET', '/api/v1/conflicts'],
          ['DELETE', '/api/v1/session'],
        ] as const) {
          const answer = await call(server, method, urlPath, { headers })
          expect(answer.status, `${method} ${urlPath}`).toBe(401)
          expect(answer.body).toEqual({ error: 'unauthorized' })
        }
      }
    })

    it('keeps health and the API description public', async () => {
      expect((await call(server, 'GET', '/api/v1/health')).status).toBe(200)
      expect((await call(server, 'GET', '/api/v1/openapi.json')).status).toBe(200)
    })

    it('refuses a malformed sign-in with 400', async () => {
      for (const body of [
        {},
        { username: users.coachA, password: PASSWORD },
        { username: users.coachA, password: 42, deviceName: 'x' },
        { username: 'a\u0000b', password: PASSWORD, deviceName: 'x' },
        { username: users.coachA, password: PASSWORD, deviceName: 'bad \ud800 name' },
        [],
      ]) {
        const answer = await call(server, 'POST', '/api/v1/session', { body })
        expect(answer.status, JSON.stringify(body)).toBe(400)
        expect((answer.body as { error: string }).error).toBe('bad_request')
      }
      const broken = await call(server, 'POST', '/api/v1/session', { body: '{"username": ' })
      expect(broken.status).toBe(400)
      expect((broken.body as { error: string }).error).toBe('bad_request')
    })

    it('makes a revoked device answer 401 device_revoked', async () => {
      const session = await signIn(server, users.pate)
      await revokeDevice(db, session.deviceId)
      for (const [method, urlPath] of [
        ['GET', '/api/v1/sync/pull'],
        ['GET', '/api/v1/conflicts'],
      ] as const) {
        const answer = await call(server, method, urlPath, { token: session.token })
        expect(answer.status).toBe(401)
        expect(answer.body).toEqual({ error: 'device_revoked' })
      }
      const push = await call(server, 'POST', '/api/v1/sync/push', {
        token: session.token,
        body: { deviceId: session.deviceId, schemaVersion: 1, mutations: [] },
      })
      expect(push.status).toBe(401)
      expect(push.body).toEqual({ error: 'device_revoked' })
    })

    // Last in this file: the failures lock out the address (all tests come from 127.0.0.1).
    describe('failed sign-ins', () => {
      it('gives a wrong password and an unknown user the same answer', async () => {
        const wrongPassword = await call(server, 'POST', '/api/v1/session', {
          body: { username: users.coachB, password: 'not the password', deviceName: 'x' },
        })
        const unknownUser = await call(server, 'POST', '/api/v1/session', {
          body: { username: 'nobody-here', password: PASSWORD, deviceName: 'x' },
        })
        expect(wrongPassword.status).toBe(401)
        expect(unknownUser.status).toBe(401)
        expect(unknownUser.body).toEqual(wrongPassword.body)
        expect(wrongPassword.body).toEqual({ error: 'invalid_credentials' })
      })

      it('counts only failures, and answers 429 with Retry-After after 10 of them', async () => {
        // Move past the two failures above so this test counts from zero.
        server.clock.offsetMs += FIFTEEN_MINUTES + 1000
        for (let i = 0; i < 12; i += 1) {
          const ok = await call<SessionResponse>(server, 'POST', '/api/v1/session', {
            body: { username: users.guide, password: PASSWORD, deviceName: `ok ${i}` },
          })
          expect(ok.status).toBe(201)
        }
        for (let i = 0; i < 10; i += 1) {
          const failed = await call(server, 'POST', '/api/v1/session', {
            body: { username: users.guide, password: `wrong ${i}`, deviceName: 'x' },
          })
          expect(failed.status, `failure ${i + 1}`).toBe(401)
        }
        for (const password of ['wrong again', PASSWORD]) {
          const limited = await call(server, 'POST', '/api/v1/session', {
            body: { username: users.guide, password, deviceName: 'x' },
          })
          expect(limited.status).toBe(429)
          expect(limited.body).toEqual({ error: 'too_many_requests' })
          const retryAfter = Number(limited.headers.get('retry-after'))
          expect(retryAfter).toBeGreaterThanOrEqual(1)
          expect(retryAfter).toBeLessThanOrEqual(15 * 60)
        }
        server.clock.offsetMs += FIFTEEN_MINUTES + 1000
        const later = await call(server, 'POST', '/api/v1/session', {
          body: { username: users.guide, password: PASSWORD, deviceName: 'x' },
        })
        expect(later.status).toBe(201)
      })
    })
  })
}
