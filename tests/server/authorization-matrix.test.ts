/**
 * The authorisation matrix (issue 5): every endpoint × 4 roles × a record of the user's own /
 * someone else's / a record that does not exist, with the expected answer of each cell written
 * out below. "Own" is, for a coordinator, a mentee the coordinator created; for a coach, a mentee
 * of the coach's team; for a Pate, an assigned mentee; a guide has no mentees, so a guide's "own"
 * is a mentee of the team its colleagues work in. "Someone else's" is a mentee of the other team
 * (for a Pate: of the own team, not assigned). Each cell gets fresh records, since some calls erase.
 *
 * A cell is the status, and where the status alone says too little, what the answer holds:
 *   push `200 applied|forbidden|invalid`: the mutation's result (an upsert of the mentee's stage);
 *   pull and conflicts `200 +|-`: whether the record (its conflict) is in the answer.
 * Endpoints without a record parameter get the same cell in all three columns, except sign-in,
 * where the "record" is the account: own credentials / another's username with a password that is
 * not its own / an unknown username.
 */
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assign, LOGIN_FAILURE_WINDOW_MS } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import type { ConflictsResponse, PushResponse, Role } from '../../src/shared/protocol'
import { forEachDatabase } from './databases'
import {
  call,
  createTestUsers,
  mentee,
  PASSWORD,
  SETUP_TIMEOUT_MS,
  signIn,
  startServer,
  TestDevice,
  type Answer,
  type RunningServer,
  type TestUsers,
} from './sync-helpers'

type Target = 'own' | 'other' | 'none'
type Row = Record<Role | 'anonymous', [own: string, other: string, none: string]>

const ENDPOINTS = [
  'GET /api/v1/health',
  'GET /api/v1/openapi.json',
  'POST /api/v1/session',
  'DELETE /api/v1/session',
  'POST /api/v1/sync/push',
  'GET /api/v1/sync/pull',
  'GET /api/v1/conflicts',
  'POST /api/v1/mentees/{id}/erasure',
  'GET /api/v1/mentees/{id}/export',
  'GET /api/v1/audit',
  'GET /api/v1/reports',
] as const
type Endpoint = (typeof ENDPOINTS)[number]

// prettier-ignore
const MATRIX: Record<Endpoint, Row> = {
  //                                      own              other            none
  'GET /api/v1/health': {
    coordinator:                         ['200',          '200',           '200'],
    coach:                               ['200',          '200',           '200'],
    pate:                                ['200',          '200',           '200'],
    guide:                               ['200',          '200',           '200'],
    anonymous:                           ['200',          '200',           '200'],
  },
  'GET /api/v1/openapi.json': {
    coordinator:                         ['200',          '200',           '200'],
    coach:                               ['200',          '200',           '200'],
    pate:                                ['200',          '200',           '200'],
    guide:                               ['200',          '200',           '200'],
    anonymous:                           ['200',          '200',           '200'],
  },
  'POST /api/v1/session': {
    coordinator:                         ['201',          '401',           '401'],
    coach:                               ['201',          '401',           '401'],
    pate:                                ['201',          '401',           '401'],
    guide:                               ['201',          '401',           '401'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'DELETE /api/v1/session': {
    coordinator:                         ['204',          '204',           '204'],
    coach:                               ['204',          '204',           '204'],
    pate:                                ['204',          '204',           '204'],
    guide:                               ['204',          '204',           '204'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'POST /api/v1/sync/push': {
    coordinator:                         ['200 applied',  '200 applied',   '200 invalid'],
    coach:                               ['200 applied',  '200 forbidden', '200 invalid'],
    pate:                                ['200 applied',  '200 forbidden', '200 forbidden'],
    guide:                               ['200 forbidden','200 forbidden', '200 forbidden'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'GET /api/v1/sync/pull': {
    coordinator:                         ['200 +',        '200 +',         '200 -'],
    coach:                               ['200 +',        '200 -',         '200 -'],
    pate:                                ['200 +',        '200 -',         '200 -'],
    guide:                               ['200 -',        '200 -',         '200 -'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'GET /api/v1/conflicts': {
    coordinator:                         ['200 +',        '200 +',         '200 -'],
    coach:                               ['200 +',        '200 -',         '200 -'],
    pate:                                ['200 +',        '200 -',         '200 -'],
    guide:                               ['200 -',        '200 -',         '200 -'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'POST /api/v1/mentees/{id}/erasure': {
    coordinator:                         ['200',          '200',           '404'],
    coach:                               ['200',          '404',           '404'],
    pate:                                ['403',          '403',           '403'],
    guide:                               ['403',          '403',           '403'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'GET /api/v1/mentees/{id}/export': {
    coordinator:                         ['200',          '200',           '404'],
    coach:                               ['200',          '404',           '404'],
    pate:                                ['200',          '404',           '404'],
    guide:                               ['403',          '403',           '403'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'GET /api/v1/audit': {
    coordinator:                         ['200',          '200',           '200'],
    coach:                               ['403',          '403',           '403'],
    pate:                                ['403',          '403',           '403'],
    guide:                               ['403',          '403',           '403'],
    anonymous:                           ['401',          '401',           '401'],
  },
  'GET /api/v1/reports': {
    coordinator:                         ['200',          '200',           '200'],
    coach:                               ['403',          '403',           '403'],
    pate:                                ['403',          '403',           '403'],
    guide:                               ['403',          '403',           '403'],
    anonymous:                           ['401',          '401',           '401'],
  },
}

const ROWS = ['coordinator', 'coach', 'pate', 'guide', 'anonymous'] as const
const TARGETS: readonly Target[] = ['own', 'other', 'none']

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`authorisation matrix on ${database.name}`, { timeout: 240_000 }, () => {
    let db: Database
    let server: RunningServer
    let users: TestUsers
    let devices: Record<Role, TestDevice>
    let coachB: TestDevice

    beforeAll(async () => {
      db = await database.open()
      server = await startServer(db)
      users = await createTestUsers(db)
      const [coordinator, coach, pate, guide, otherCoach] = await Promise.all([
        TestDevice.signIn(server, users.coordinator),
        TestDevice.signIn(server, users.coachA),
        TestDevice.signIn(server, users.pate),
        TestDevice.signIn(server, users.guide),
        TestDevice.signIn(server, users.coachB),
      ])
      devices = { coordinator: coordinator!, coach: coach!, pate: pate!, guide: guide! }
      coachB = otherCoach!
    }, SETUP_TIMEOUT_MS)
    afterAll(async () => {
      await server?.app.close()
      await db?.close()
    })

    const usernameOf = (role: Role) =>
      ({ coordinator: users.coordinator, coach: users.coachA, pate: users.pate, guide: users.guide })[role]

    /** A fresh mentee for the cell, with a conflict on its phone, so conflicts have something to show. */
    async function targetFor(role: Role | 'anonymous', target: Target): Promise<string> {
      if (target === 'none') return randomUUID()
      const id = randomUUID()
      const creator = target === 'other' ? (role === 'pate' ? devices.coach : coachB) : role === 'coordinator' ? devices.coordinator : devices.coach
      const created = await creator.push(
        creator.upsert('mentees', id, mentee('Matrix', { phone: '000' })),
        creator.upsert('mentees', id, { phone: '111' }, '000000000000001:00000:older'),
      )
      expect(created.results.map((result) => result.status)).toEqual(['applied', 'superseded'])
      if (role === 'pate' && target === 'own') await assign(db, users.pate, id)
      return id
    }

    async function cell(endpoint: Endpoint, role: Role | 'anonymous', target: Target): Promise<string> {
      const device = role === 'anonymous' ? undefined : devices[role]
      const token = device?.token
      const id = await targetFor(role, target)
      const status = (answer: Answer) => String(answer.status)
      switch (endpoint) {
        case 'GET /api/v1/health':
          return status(await call(server, 'GET', '/api/v1/health', { token }))
        case 'GET /api/v1/openapi.json':
          return status(await call(server, 'GET', '/api/v1/openapi.json', { token }))
        case 'POST /api/v1/session': {
          // Past the failed sign-ins of earlier cells: the 429 after ten of them is tested elsewhere.
          server.clock.offsetMs += LOGIN_FAILURE_WINDOW_MS
          const username =
            role === 'anonymous' || target === 'none'
              ? `nobody${randomUUID().slice(0, 8)}`
              : target === 'own'
                ? usernameOf(role)
                : role === 'coordinator'
                  ? users.coachB
                  : users.coordinator
          // Every test account has the same password, so someone else's account is tried with a
          // password that is not its own, as anyone but its owner would have to.
          const password = role === 'anonymous' || target === 'other' ? 'not the password' : PASSWORD
          return status(await call(server, 'POST', '/api/v1/session', { body: { username, password, deviceName: 'matrix' } }))
        }
        case 'DELETE /api/v1/session': {
          server.clock.offsetMs += LOGIN_FAILURE_WINDOW_MS
          // A session of its own, since this ends it.
          const fresh = role === 'anonymous' ? undefined : (await signIn(server, usernameOf(role), 'matrix')).token
          return status(await call(server, 'DELETE', '/api/v1/session', { token: fresh }))
        }
        case 'POST /api/v1/sync/push': {
          if (!device) return status(await call(server, 'POST', '/api/v1/sync/push', { body: {} }))
          const answer = await device.pushRaw({
            deviceId: device.session.deviceId,
            schemaVersion: 1,
            mutations: [device.upsert('mentees', id, { stage: 'accompanied' })],
          })
          const result = (answer.body as PushResponse).results?.[0]
          return `${answer.status} ${result?.status === 'rejected' ? result.reason : result?.status}`
        }
        case 'GET /api/v1/sync/pull': {
          if (!device) return status(await call(server, 'GET', '/api/v1/sync/pull'))
          const answer = await device.pullAll()
          return `200 ${answer.changes.some((change) => change.id === id) ? '+' : '-'}`
        }
        case 'GET /api/v1/conflicts': {
          const answer = await call<ConflictsResponse>(server, 'GET', `/api/v1/conflicts?table=mentees&id=${id}`, { token })
          if (answer.status !== 200) return status(answer)
          return `200 ${answer.body.conflicts.some((conflict) => conflict.recordId === id) ? '+' : '-'}`
        }
        case 'POST /api/v1/mentees/{id}/erasure':
          return status(await call(server, 'POST', `/api/v1/mentees/${id}/erasure`, { token }))
        case 'GET /api/v1/mentees/{id}/export':
          return status(await call(server, 'GET', `/api/v1/mentees/${id}/export`, { token }))
        case 'GET /api/v1/audit':
          return status(await call(server, 'GET', '/api/v1/audit', { token }))
        case 'GET /api/v1/reports':
          return status(await call(server, 'GET', '/api/v1/reports?from=2025-01-01&to=2025-12-31', { token }))
      }
    }

    it('covers every documented endpoint', async () => {
      const document = await call<{ paths: Record<string, Record<string, unknown>> }>(server, 'GET', '/api/v1/openapi.json')
      const documented = Object.entries(document.body.paths).flatMap(([urlPath, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${urlPath}`),
      )
      expect([...ENDPOINTS].sort()).toEqual(documented.sort())
    })

    for (const endpoint of ENDPOINTS) {
      it(`answers ${endpoint} as the table says`, async () => {
        const expected: string[] = []
        const actual: string[] = []
        for (const role of ROWS) {
          for (const [index, target] of TARGETS.entries()) {
            expected.push(`${role.padEnd(11)} ${target.padEnd(5)} ${MATRIX[endpoint][role][index]}`)
            actual.push(`${role.padEnd(11)} ${target.padEnd(5)} ${await cell(endpoint, role, target)}`)
          }
        }
        expect(actual).toEqual(expected)
      })
    }
  })
}
