import { createHash, randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { usernameLimitKey } from '../../server/audit'
import {
  AccountError,
  assign,
  authenticate,
  createTeam,
  createUser,
  disableUser,
  endSession,
  findUserById,
  LAST_SEEN_RESOLUTION_MS,
  listDevices,
  listUsers,
  LOGIN_FAILURE_WINDOW_MS,
  purgeLoginFailures,
  revokeDevice,
  share,
  signIn,
  unassign,
  unshare,
  type SignInInput,
} from '../../server/accounts/accounts'
import {
  CURRENT_PARAMS,
  dummyVerify,
  passwordCheckLimits,
  hashPassword,
  passwordNeedsRehash,
  verifyPassword,
} from '../../server/accounts/passwords'
import type { Database } from '../../server/db/database'
import { forEachDatabase } from './databases'

const PASSWORD = 'richtig-geheim-42'
const START = Date.parse('2026-03-02T09:00:00Z')

describe('passwords', () => {
  it('hash with scrypt, a random salt and the parameters in the stored text', async () => {
    const first = await hashPassword(PASSWORD)
    const second = await hashPassword(PASSWORD)
    expect(first).toMatch(new RegExp(`^scrypt\\$${CURRENT_PARAMS.N}\\$${CURRENT_PARAMS.r}\\$${CURRENT_PARAMS.p}\\$[\\w-]{22}\\$[\\w-]{43}$`))
    expect(first).not.toBe(second)
    expect(first).not.toContain(PASSWORD)
    expect(await verifyPassword(PASSWORD, first)).toBe(true)
    expect(await verifyPassword(PASSWORD, second)).toBe(true)
    expect(await verifyPassword('richtig-geheim-43', first)).toBe(false)
    expect(await verifyPassword('', first)).toBe(false)
  })

  it('refuse unreadable or absurd stored hashes instead of throwing or stalling', async () => {
    const stored = await hashPassword(PASSWORD)
    expect(await verifyPassword(PASSWORD, 'plain-text')).toBe(false)
    expect(await verifyPassword(PASSWORD, stored.replace(`$${CURRENT_PARAMS.N}$`, '$1000$'))).toBe(false)
    expect(await verifyPassword(PASSWORD, stored.replace(`$${CURRENT_PARAMS.N}$`, `$${2 ** 30}$`))).toBe(false)
  })

  it('tell when a hash was made with weaker parameters', async () => {
    const stored = await hashPassword(PASSWORD)
    expect(passwordNeedsRehash(stored)).toBe(false)
    expect(passwordNeedsRehash(stored.replace(`$${CURRENT_PARAMS.N}$`, `$${CURRENT_PARAMS.N / 2}$`))).toBe(true)
  })

  it('spend a verification on unknown users and never match', async () => {
    expect(await dummyVerify(PASSWORD)).toBe(false)
  })
})

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`accounts on ${database.name}`, () => {
    let db: Database
    let teamName: string

    beforeEach(async () => {
      db = await database.open()
      teamName = (await createTeam(db, 'Team Lemgo')).name
    })
    afterEach(async () => {
      await db.close()
    })

    const signInAs = (username: string, overrides: Partial<SignInInput> = {}) =>
      signIn(db, { username, password: PASSWORD, deviceName: 'Testtelefon', address: '203.0.113.7', now: START, ...overrides })

    async function insertMentee(): Promise<string> {
      const id = randomUUID()
      await db.query(
        `INSERT INTO records (tbl, id, mentee_id, fields, created_by, change_seq)
         VALUES ('mentees', $1, $1, '{"givenName":"Testperson"}', $2, 1)`,
        [id, randomUUID()],
      )
      return id
    }

    describe('users and teams', () => {
      it('creates users of each role and lists them without password hashes', async () => {
        await createUser(db, { username: 'koordination', role: 'coordinator', password: PASSWORD })
        const coach = await createUser(db, { username: 'coach.lemgo', displayName: 'Coach L.', role: 'coach', teamName, password: PASSWORD })
        await createUser(db, { username: 'pate-1', role: 'pate', password: PASSWORD })
        await createUser(db, { username: 'guide_1', role: 'guide', teamName, password: PASSWORD })
        expect(coach).toMatchObject({ username: 'coach.lemgo', displayName: 'Coach L.', role: 'coach' })
        expect(coach.teamId).toMatch(/^[0-9a-f-]{36}$/)

        const users = await listUsers(db)
        expect(users.map((user) => [user.username, user.role, user.teamName])).toEqual([
          ['coach.lemgo', 'coach', 'Team Lemgo'],
          ['guide_1', 'guide', 'Team Lemgo'],
          ['koordination', 'coordinator', null],
          ['pate-1', 'pate', null],
        ])
        expect(JSON.stringify(users)).not.toMatch(/scrypt|password/i)
        expect(await findUserById(db, coach.id)).toEqual({ ...coach, disabled: false })
        expect(await findUserById(db, 'not-a-uuid')).toBeUndefined()
      })

      it('refuses bad usernames, short passwords, unknown roles and teams, a coach without team, duplicates', async () => {
        const attempt = (input: Partial<Parameters<typeof createUser>[1]>) =>
          createUser(db, { username: 'someone', role: 'pate', password: PASSWORD, ...input })
        await expect(attempt({ username: 'AB' })).rejects.toMatchObject({ code: 'invalid' })
        await expect(attempt({ username: 'Groß' })).rejects.toMatchObject({ code: 'invalid' })
        await expect(attempt({ username: 'x'.repeat(65) })).rejects.toMatchObject({ code: 'invalid' })
        await expect(attempt({ password: 'kurz-9999' })).rejects.toThrow(/at least 10/)
        await expect(attempt({ role: 'boss' })).rejects.toThrow(/Unknown role "boss"/)
        await expect(attempt({ role: 'coach' })).rejects.toThrow(/coach needs a team/)
        await expect(attempt({ teamName: 'Team Nirgendwo' })).rejects.toMatchObject({ code: 'not_found' })
        await attempt({})
        await expect(attempt({})).rejects.toBeInstanceOf(AccountError)
        await expect(attempt({})).rejects.toMatchObject({ code: 'conflict' })
        await expect(createTeam(db, 'Team Lemgo')).rejects.toMatchObject({ code: 'conflict' })
      })
    })

    describe('signIn', () => {
      beforeEach(async () => {
        await createUser(db, { username: 'pate-1', displayName: 'Pate Eins', role: 'pate', password: PASSWORD })
      })

      it('opens a session on a new device and stores only the token hash', async () => {
        const result = await signInAs('pate-1')
        if (!result.ok) throw new Error(`sign-in failed: ${result.reason}`)
        expect(result.token).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(result.user).toMatchObject({ username: 'pate-1', displayName: 'Pate Eins', role: 'pate', teamId: null })
        const { rows } = await db.query<{ id: string; token_hash: string; name: string }>('SELECT id, token_hash, name FROM devices')
        expect(rows).toEqual([
          { id: result.deviceId, token_hash: createHash('sha256').update(result.token).digest('hex'), name: 'Testtelefon' },
        ])
        const again = await signInAs('PATE-1 ')
        expect(again.ok).toBe(true)
        expect(await listDevices(db, 'pate-1')).toHaveLength(2)
      })

      it('answers a wrong password, an unknown user and a disabled user alike', async () => {
        await createUser(db, { username: 'weg', role: 'pate', password: PASSWORD })
        await disableUser(db, 'weg')
        const wrongPassword = await signInAs('pate-1', { password: 'falsch-falsch-1' })
        const unknownUser = await signInAs('niemand')
        const disabledUser = await signInAs('weg')
        const invalidName = await signInAs('<script>')
        // The same answer to the client; `userId` is for the audit log only (the route never sends it).
        for (const result of [wrongPassword, unknownUser, disabledUser, invalidName]) {
          expect({ ...result, userId: undefined }).toEqual({ ok: false, reason: 'invalid_credentials', userId: undefined })
        }
        expect(unknownUser).not.toHaveProperty('userId')
        expect(invalidName).not.toHaveProperty('userId')
        // Kept as keyed hashes, never as typed: a typo may be someone's name.
        const { rows } = await db.query<{ username_hash: string }>('SELECT username_hash FROM login_failures ORDER BY id')
        expect(rows.map((row) => row.username_hash)).toEqual(['pate-1', 'niemand', 'weg', '<script>'].map(usernameLimitKey))
        expect(JSON.stringify(rows)).not.toMatch(/pate-1|niemand|weg|script/)
      })

      it('refuses the 11th attempt for one username after 10 failures, even with the right password', async () => {
        for (let attempt = 0; attempt < 10; attempt += 1) {
          const failed = await signInAs('pate-1', { password: 'falsch-falsch-1', address: `198.51.100.${attempt}`, now: START + attempt * 1000 })
          expect(failed).toMatchObject({ ok: false, reason: 'invalid_credentials' })
        }
        const limited = await signInAs('pate-1', { address: '198.51.100.99', now: START + 10_000 })
        expect(limited).toMatchObject({ ok: false, reason: 'too_many_requests' })
        if (limited.ok || limited.reason !== 'too_many_requests') throw new Error('expected a limit')
        // The 10th most recent failure (the first one) leaves the window 15 minutes after it happened.
        expect(limited.retryAfterSeconds).toBe(LOGIN_FAILURE_WINDOW_MS / 1000 - 10)
        // Refused attempts do not count, so the wait does not grow.
        expect((await db.query('SELECT 1 FROM login_failures')).rows).toHaveLength(10)

        const later = await signInAs('pate-1', { now: START + LOGIN_FAILURE_WINDOW_MS + 1 })
        expect(later.ok).toBe(true)
      })

      it('refuses the 11th attempt from one address after 10 failures there, for any username', async () => {
        await createUser(db, { username: 'pate-2', role: 'pate', password: PASSWORD })
        for (let attempt = 0; attempt < 10; attempt += 1) {
          await signInAs(`geraten-${attempt}`, { address: '192.0.2.1', now: START + attempt })
        }
        const limited = await signInAs('pate-2', { address: '192.0.2.1', now: START + 100 })
        expect(limited).toMatchObject({ ok: false, reason: 'too_many_requests' })
        expect(limited.ok === false && limited.reason === 'too_many_requests' && limited.retryAfterSeconds).toBeGreaterThan(0)
        const elsewhere = await signInAs('pate-2', { address: '192.0.2.2', now: START + 100 })
        expect(elsewhere.ok).toBe(true)
      })

      it('checks passwords a few at a time and sends sign-ins beyond a long line away with a wait, not counted as failures', async () => {
        const limits = { ...passwordCheckLimits }
        Object.assign(passwordCheckLimits, { concurrent: 1, waiting: 2 })
        let results
        try {
          results = await Promise.all(
            Array.from({ length: 6 }, (_, attempt) => signInAs('pate-1', { address: `198.51.100.${attempt}`, now: START + attempt })),
          )
        } finally {
          Object.assign(passwordCheckLimits, limits)
        }
        const refused = results.filter((result) => !result.ok)
        expect(results.filter((result) => result.ok)).toHaveLength(3)
        expect(refused).toHaveLength(3)
        for (const result of refused) {
          expect(result).toMatchObject({ ok: false, reason: 'too_many_requests' })
          expect(result.ok === false && result.reason === 'too_many_requests' && result.retryAfterSeconds).toBeGreaterThanOrEqual(1)
        }
        expect((await db.query('SELECT 1 FROM login_failures')).rows).toHaveLength(0)
        // The line is gone once they are done.
        expect((await signInAs('pate-1', { now: START + 1000 })).ok).toBe(true)

        // Nor longer than maxWaitMs at the pace checks take now, however short the line.
        Object.assign(passwordCheckLimits, { concurrent: 1, waiting: 100, maxWaitMs: 1 })
        let timed
        try {
          timed = await Promise.all(Array.from({ length: 3 }, (_, attempt) => signInAs('pate-1', { now: START + 2000 + attempt })))
        } finally {
          Object.assign(passwordCheckLimits, limits)
        }
        // Which of the three reaches the check first depends on how their user lookups interleave.
        expect(timed.filter((result) => result.ok)).toHaveLength(1)
        expect(timed.filter((result) => !result.ok)).toEqual([
          expect.objectContaining({ reason: 'too_many_requests' }),
          expect.objectContaining({ reason: 'too_many_requests' }),
        ])
        expect((await db.query('SELECT 1 FROM login_failures')).rows).toHaveLength(0)
      })

      it('counts only failures: successful sign-ins never lead to the limit', async () => {
        for (let attempt = 0; attempt < 9; attempt += 1) {
          await signInAs('pate-1', { password: 'falsch-falsch-1', now: START + attempt })
        }
        for (let attempt = 0; attempt < 5; attempt += 1) {
          expect((await signInAs('pate-1', { now: START + 100 + attempt })).ok).toBe(true)
        }
        expect((await signInAs('pate-1', { now: START + 200 })).ok).toBe(true)
      })

      it('forgets failures older than asked by purgeLoginFailures', async () => {
        await signInAs('pate-1', { password: 'falsch-falsch-1', now: START })
        await signInAs('pate-1', { password: 'falsch-falsch-1', now: START + LOGIN_FAILURE_WINDOW_MS })
        expect(await purgeLoginFailures(db, new Date(START + 1))).toBe(1)
        expect((await db.query('SELECT 1 FROM login_failures')).rows).toHaveLength(1)
      })
    })

    describe('authenticate', () => {
      let token: string
      let deviceId: string

      beforeEach(async () => {
        await createUser(db, { username: 'pate-1', role: 'pate', password: PASSWORD })
        const result = await signInAs('pate-1')
        if (!result.ok) throw new Error('sign-in failed')
        token = result.token
        deviceId = result.deviceId
      })

      it('finds the user and device behind a token', async () => {
        const result = await authenticate(db, token, START)
        expect(result).toMatchObject({
          user: { username: 'pate-1', role: 'pate' },
          device: { id: deviceId, name: 'Testtelefon', ackSeq: 0, clampedStamps: 0 },
        })
        expect(await authenticate(db, 'A'.repeat(43), START)).toEqual({ error: 'unauthorized' })
        expect(await authenticate(db, 'kein token', START)).toEqual({ error: 'unauthorized' })
      })

      it('records last_seen_at at most once a minute', async () => {
        const lastSeen = async () =>
          (await db.query<{ last_seen_at: Date }>('SELECT last_seen_at FROM devices WHERE id = $1', [deviceId])).rows[0]!.last_seen_at.getTime()
        expect(await lastSeen()).toBe(START)
        await authenticate(db, token, START + LAST_SEEN_RESOLUTION_MS - 1)
        expect(await lastSeen()).toBe(START)
        await authenticate(db, token, START + LAST_SEEN_RESOLUTION_MS + 5)
        expect(await lastSeen()).toBe(START + LAST_SEEN_RESOLUTION_MS + 5)
      })

      it('answers unauthorized after endSession and device_revoked after revokeDevice', async () => {
        expect(await endSession(db, deviceId, START)).toBe(true)
        expect(await authenticate(db, token, START)).toEqual({ error: 'unauthorized' })
        expect(await endSession(db, deviceId, START)).toBe(false)

        const second = await signInAs('pate-1')
        if (!second.ok) throw new Error('sign-in failed')
        await revokeDevice(db, second.deviceId, START)
        expect(await authenticate(db, second.token, START)).toEqual({ error: 'device_revoked' })
        await expect(revokeDevice(db, randomUUID())).rejects.toMatchObject({ code: 'not_found' })
        await expect(revokeDevice(db, 'nope')).rejects.toMatchObject({ code: 'invalid' })
      })

      it('revokes every device of a disabled user', async () => {
        const second = await signInAs('pate-1')
        if (!second.ok) throw new Error('sign-in failed')
        expect(await disableUser(db, 'pate-1', START)).toEqual({ revokedDevices: 2 })
        expect(await authenticate(db, token, START)).toEqual({ error: 'device_revoked' })
        expect(await authenticate(db, second.token, START)).toEqual({ error: 'device_revoked' })
        const devices = await listDevices(db, 'pate-1')
        expect(devices.every((device) => device.revokedAt?.getTime() === START)).toBe(true)
        expect((await listUsers(db))[0]).toMatchObject({ username: 'pate-1', activeDevices: 0 })
        await expect(disableUser(db, 'niemand')).rejects.toMatchObject({ code: 'not_found' })
      })
    })

    describe('assignments and shares', () => {
      let menteeId: string
      beforeEach(async () => {
        await createUser(db, { username: 'pate-1', role: 'pate', password: PASSWORD })
        await createUser(db, { username: 'coach-1', role: 'coach', teamName, password: PASSWORD })
        menteeId = await insertMentee()
      })

      const events = async () =>
        (await db.query<{ seq: number; kind: string; mentee_id: string }>('SELECT seq, kind, mentee_id FROM access_events ORDER BY seq')).rows

      it('write an access event with a fresh change number for every change', async () => {
        const assigned = await assign(db, 'pate-1', menteeId)
        const shared = await share(db, 'pate-1', menteeId)
        const unshared = await unshare(db, 'pate-1', menteeId)
        const unassigned = await unassign(db, 'pate-1', menteeId)
        const seqs = [assigned, shared, unshared, unassigned].map((change) => change.seq!)
        expect([assigned, shared, unshared, unassigned].every((change) => change.changed)).toBe(true)
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
        expect(new Set(seqs).size).toBe(4)
        expect(await events()).toEqual(
          ['assign', 'share', 'unshare', 'unassign'].map((kind, index) => ({ seq: seqs[index], kind, mentee_id: menteeId })),
        )
        // Numbers are shared with record writes: the next one is larger still.
        const next = await db.transaction(async (tx) => (await tx.query<{ n: number }>(`SELECT nextval('change_seq') AS n`)).rows[0]!.n)
        expect(next).toBeGreaterThan(seqs[3]!)
      })

      it('unassign also ends the share', async () => {
        await assign(db, 'pate-1', menteeId)
        await share(db, 'pate-1', menteeId)
        await unassign(db, 'pate-1', menteeId)
        expect((await db.query('SELECT 1 FROM shares')).rows).toHaveLength(0)
        expect((await db.query('SELECT 1 FROM assignments')).rows).toHaveLength(0)
        expect((await events()).map((event) => event.kind)).toEqual(['assign', 'share', 'unassign'])
      })

      it('change nothing, and write no event, when repeated', async () => {
        await assign(db, 'pate-1', menteeId)
        expect(await assign(db, 'pate-1', menteeId)).toEqual({ changed: false, seq: null })
        expect(await unshare(db, 'pate-1', menteeId)).toEqual({ changed: false, seq: null })
        await unassign(db, 'pate-1', menteeId)
        expect(await unassign(db, 'pate-1', menteeId)).toEqual({ changed: false, seq: null })
        expect(await events()).toHaveLength(2)
      })

      it('are for Paten, need an existing mentee, and a share needs an assignment', async () => {
        await expect(assign(db, 'coach-1', menteeId)).rejects.toThrow(/for Paten/)
        await expect(assign(db, 'pate-1', randomUUID())).rejects.toMatchObject({ code: 'not_found' })
        await expect(assign(db, 'pate-1', 'keine-uuid')).rejects.toMatchObject({ code: 'invalid' })
        await expect(assign(db, 'niemand', menteeId)).rejects.toMatchObject({ code: 'not_found' })
        await expect(share(db, 'pate-1', menteeId)).rejects.toThrow(/not assigned/)
        expect(await events()).toHaveLength(0)
      })
    })
  })
}
