import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assign, share, unassign, unshare } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import { encodeCursor } from '../../server/sync/cursor'
import { purgeTombstones } from '../../server/sync/purge'
import { SENSITIVE_FIELDS, type Change } from '../../src/shared/protocol'
import { forEachDatabase } from './databases'
import {
  applyChanges,
  appointment,
  checklistItem,
  createLoneTeam,
  createTestUsers,
  mentee,
  note,
  type RunningServer,
  SETUP_TIMEOUT_MS,
  startServer,
  TEST_TIMEOUT_MS,
  TestDevice,
  type TestUsers,
  upsertsOf,
} from './sync-helpers'

const DAY = 24 * 60 * 60 * 1000
const sensitive = SENSITIVE_FIELDS.mentees!
const describeChange = (change: Change) => `${change.op} ${change.table} ${change.id}`
const idsOf = (changes: readonly Change[]) => new Set(changes.map((change) => change.id))

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`pull on ${database.name}`, { timeout: TEST_TIMEOUT_MS }, () => {
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

    it('sends each role its scope: the own team, everything, or nothing', async () => {
      const coachA = await TestDevice.signIn(server, users.coachA)
      const coachB = await TestDevice.signIn(server, users.coachB)
      const [menteeA, menteeB] = [randomUUID(), randomUUID()]
      const noteA = randomUUID()
      await coachA.push(coachA.upsert('mentees', menteeA, mentee('Ada')), coachA.upsert('notes', noteA, note(menteeA)))
      await coachB.push(coachB.upsert('mentees', menteeB, mentee('Ben')))

      const seenBy = async (username: string) => idsOf((await (await TestDevice.signIn(server, username)).pullAll()).changes)
      const a = await seenBy(users.coachA2)
      expect(a.has(menteeA) && a.has(noteA)).toBe(true)
      expect(a.has(menteeB)).toBe(false)
      const b = await seenBy(users.coachB)
      expect(b.has(menteeB)).toBe(true)
      expect(b.has(menteeA) || b.has(noteA)).toBe(false)
      const all = await seenBy(users.coordinator)
      expect([menteeA, noteA, menteeB].every((id) => all.has(id))).toBe(true)
      expect((await seenBy(users.guide)).size).toBe(0)
      expect((await seenBy(users.pate)).has(menteeA)).toBe(false)

      const answer = await coachA.pull()
      expect(Date.parse(answer.body.serverTime)).not.toBeNaN()
    })

    it("follows a Pate's assignment and share down to the field", async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const pate = await TestDevice.signIn(server, users.pate)
      const [menteeId, otherId, noteId, deletedNoteId, appointmentId, itemId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()]
      await coach.push(
        coach.upsert('mentees', menteeId, mentee('Cem', { phone: '1', residenceStatus: 'toleratedStay', permitExpiry: '2026-01-31' })),
        coach.upsert('mentees', otherId, mentee('Dilan', { residenceStatus: 'other' })),
        coach.upsert('appointments', appointmentId, appointment(menteeId)),
        coach.upsert('checklistItems', itemId, checklistItem(appointmentId)),
        coach.upsert('notes', noteId, note(menteeId)),
        coach.upsert('notes', deletedNoteId, note(menteeId, 'gone')),
        coach.delete('notes', deletedNoteId),
      )

      const start = await pate.pullAll()
      expect(idsOf(start.changes).has(menteeId) || idsOf(start.changes).has(otherId)).toBe(false)

      // assign: the mentee and its live records, parents first, sensitive fields left out.
      await assign(db, users.pate, menteeId)
      const assigned = await pate.pullAll(start.cursor)
      expect(assigned.changes.map(describeChange)).toEqual([
        `upsert mentees ${menteeId}`,
        `upsert appointments ${appointmentId}`,
        `upsert notes ${noteId}`,
        `upsert checklistItems ${itemId}`,
      ])
      const menteeChange = upsertsOf(assigned.changes, 'mentees')[0]!
      expect(menteeChange.fields).toEqual(mentee('Cem', { phone: '1' }))
      for (const field of sensitive) expect(Object.keys(menteeChange.hlc)).not.toContain(field)

      // A later write to a sensitive field reaches the Pate without it.
      await coach.push(coach.upsert('mentees', menteeId, { phone: '2', residenceStatus: 'other' }))
      const edited = await pate.pullAll(assigned.cursor)
      expect(edited.changes).toEqual([{ table: 'mentees', id: menteeId, op: 'upsert', fields: { ...mentee('Cem'), phone: '2' }, hlc: expect.any(Object) }])
      expect(Object.keys(upsertsOf(edited.changes)[0]!.hlc).sort()).toEqual(Object.keys(mentee('Cem', { phone: '2' })).sort())

      // share: the mentee again, now with the sensitive fields and their stamps.
      await share(db, users.pate, menteeId)
      const shared = await pate.pullAll(edited.cursor)
      expect(shared.changes.map(describeChange)).toEqual([`upsert mentees ${menteeId}`])
      expect(upsertsOf(shared.changes)[0]!.fields).toMatchObject({ residenceStatus: 'other', permitExpiry: '2026-01-31' })
      expect(Object.keys(upsertsOf(shared.changes)[0]!.hlc)).toEqual(expect.arrayContaining([...sensitive]))

      // unshare: evicted and sent again without them, so the device drops what it holds.
      await unshare(db, users.pate, menteeId)
      const unshared = await pate.pullAll(shared.cursor)
      expect(unshared.changes.map(describeChange)).toEqual([`evict mentees ${menteeId}`, `upsert mentees ${menteeId}`])
      const state = applyChanges([...assigned.changes, ...edited.changes, ...shared.changes, ...unshared.changes])
      expect(state.get(`mentees:${menteeId}`)).toEqual({ ...mentee('Cem'), phone: '2' })

      // unassign: evict for the mentee and all its records, deleted ones included, children first.
      await unassign(db, users.pate, menteeId)
      const unassigned = await pate.pullAll(unshared.cursor)
      expect(unassigned.changes.every((change) => change.op === 'evict')).toBe(true)
      expect(unassigned.changes.map((change) => change.id).sort()).toEqual(
        [menteeId, noteId, deletedNoteId, appointmentId, itemId].sort(),
      )
      expect(unassigned.changes.at(-1)).toEqual({ table: 'mentees', id: menteeId, op: 'evict' })
      expect(unassigned.changes.findIndex((change) => change.id === itemId)).toBeLessThan(
        unassigned.changes.findIndex((change) => change.id === appointmentId),
      )

      // From now on nothing of it, and the other mentee never.
      await coach.push(coach.upsert('notes', noteId, { text: 'after unassign' }))
      const after = await pate.pullAll(unassigned.cursor)
      expect(after.changes).toEqual([])
      const everything = await pate.pullAll()
      expect(idsOf(everything.changes).has(otherId)).toBe(false)
      expect(applyChanges(everything.changes).has(`mentees:${menteeId}`)).toBe(false)
    })

    it('brings a re-assigned Pate up to date with what changed and was deleted meanwhile', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const pate = await TestDevice.signIn(server, users.pate2)
      const [menteeId, keptNote, deletedNote] = [randomUUID(), randomUUID(), randomUUID()]
      await coach.push(
        coach.upsert('mentees', menteeId, mentee('Gül')),
        coach.upsert('notes', keptNote, note(menteeId, 'bleibt')),
        coach.upsert('notes', deletedNote, note(menteeId, 'geht')),
      )
      await assign(db, users.pate2, menteeId)
      const first = await pate.pullAll()
      expect(applyChanges(first.changes).size).toBe(3)

      // Unassigned and assigned again before the device pulls: in between, one note changes and
      // one is deleted. The device must end up with the current state, without the deleted note.
      await unassign(db, users.pate2, menteeId)
      await coach.push(coach.upsert('notes', keptNote, { text: 'geändert' }), coach.delete('notes', deletedNote))
      await assign(db, users.pate2, menteeId)
      const second = await pate.pullAll(first.cursor)
      const state = applyChanges([...first.changes, ...second.changes])
      expect(state).toEqual(
        new Map<string, Record<string, unknown>>([
          [`mentees:${menteeId}`, mentee('Gül')],
          [`notes:${keptNote}`, note(menteeId, 'geändert')],
        ]),
      )
      expect(second.changes.filter((change) => change.id === keptNote)).toHaveLength(1)
    })

    it('takes the sensitive fields back from a Pate unassigned and assigned again before pulling', async () => {
      // Found by the sync simulation: unassign ends the share too, but judged at the next pull the
      // mentee is in scope again, so the unassign evicted nothing, and the assign sent the mentee
      // without its sensitive fields, which an upsert does not remove: the device kept them.
      const coach = await TestDevice.signIn(server, users.coachA)
      const pate = await TestDevice.signIn(server, users.pate2)
      const menteeId = randomUUID()
      await coach.push(coach.upsert('mentees', menteeId, mentee('Hale', { residenceStatus: 'toleratedStay', permitExpiry: '2026-05-31' })))
      await assign(db, users.pate2, menteeId)
      await share(db, users.pate2, menteeId)
      const first = await pate.pullAll()
      expect(applyChanges(first.changes).get(`mentees:${menteeId}`)).toMatchObject({ residenceStatus: 'toleratedStay' })

      await unassign(db, users.pate2, menteeId)
      await assign(db, users.pate2, menteeId)
      const second = await pate.pullAll(first.cursor)
      const state = applyChanges([...first.changes, ...second.changes])
      expect(state.get(`mentees:${menteeId}`)).toEqual(mentee('Hale'))

      // Shared again before the pull: nothing to take back, the mentee comes with them.
      await unassign(db, users.pate2, menteeId)
      await assign(db, users.pate2, menteeId)
      await share(db, users.pate2, menteeId)
      const third = await pate.pullAll(second.cursor)
      expect(applyChanges([...first.changes, ...second.changes, ...third.changes]).get(`mentees:${menteeId}`)).toMatchObject({
        residenceStatus: 'toleratedStay',
        permitExpiry: '2026-05-31',
      })
    })

    it('accepts limit 1 to 1000 and refuses anything else', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      for (const limit of ['1', '1000', '500']) {
        const answer = await coach.call('GET', `/api/v1/sync/pull?limit=${limit}`)
        expect(answer.status, limit).toBe(200)
      }
      for (const limit of ['0', '1001', '-1', '1.5', 'abc', '', '99999']) {
        const answer = await coach.call('GET', `/api/v1/sync/pull?limit=${limit}`)
        expect(answer.status, limit).toBe(400)
        expect(answer.body).toMatchObject({ error: 'bad_request' })
      }
      expect((await coach.call('GET', '/api/v1/sync/pull?limit=1&limit=2')).status).toBe(400)
    })

    it('refuses a cursor it did not issue', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const forged = [
        'not a cursor',
        'abc$',
        Buffer.from('{"v":2,"seq":1,"purged":0}').toString('base64url'),
        Buffer.from('{"v":1,"seq":-1,"purged":0}').toString('base64url'),
        Buffer.from('{"v":1,"seq":1.5,"purged":0}').toString('base64url'),
        Buffer.from('[1]').toString('base64url'),
        Buffer.from('{"v":1').toString('base64url'),
        'x'.repeat(2000),
      ]
      for (const cursor of forged) {
        const answer = await coach.call('GET', `/api/v1/sync/pull?cursor=${encodeURIComponent(cursor)}`)
        expect(answer.status, cursor).toBe(400)
        expect(answer.body).toMatchObject({ error: 'bad_request' })
      }
    })

    it('continues from a cursor with only what changed since', async () => {
      const lone = await createLoneTeam(db)
      const coach = await TestDevice.signIn(server, lone.coach)
      const other = await TestDevice.signIn(server, lone.coach)
      const menteeId = randomUUID()
      await coach.push(coach.upsert('mentees', menteeId, mentee('Eda')))
      const first = await other.pullAll()
      expect(first.changes.map(describeChange)).toEqual([`upsert mentees ${menteeId}`])

      const empty = await other.pull(first.cursor)
      expect(empty.body).toMatchObject({ changes: [], hasMore: false })

      await coach.push(coach.upsert('mentees', menteeId, { phone: '5' }))
      const next = await other.pull(empty.body.cursor)
      expect(next.body.changes).toEqual([
        { table: 'mentees', id: menteeId, op: 'upsert', fields: mentee('Eda', { phone: '5' }), hlc: expect.any(Object) },
      ])
      expect(next.body.hasMore).toBe(false)
    })

    it('sends stored values exactly as pushed, whatever characters they hold', async () => {
      const lone = await createLoneTeam(db)
      const coach = await TestDevice.signIn(server, lone.coach)
      const other = await TestDevice.signIn(server, lone.coach)
      const menteeId = randomUUID()
      const noteId = randomUUID()
      const awkward = 'Zitat "a" \\ b / c\nZeile 2\t\u2028\u2029 ğüß 😀 </script> \u0001'
      await coach.push(
        coach.upsert('mentees', menteeId, mentee('Émile "Ö"', { phone: '+49 (0) 5261 / 1', familyName: awkward.slice(0, 60) })),
        coach.upsert('notes', noteId, note(menteeId, awkward)),
      )
      const answer = await other.pull()
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
      const byId = new Map(answer.body.changes.map((change) => [change.id, change]))
      expect(byId.get(menteeId)).toEqual({
        table: 'mentees',
        id: menteeId,
        op: 'upsert',
        fields: mentee('Émile "Ö"', { phone: '+49 (0) 5261 / 1', familyName: awkward.slice(0, 60) }),
        hlc: expect.any(Object),
      })
      expect(byId.get(noteId)).toMatchObject({ table: 'notes', op: 'upsert', fields: note(menteeId, awkward) })
      expect(Object.keys(byId.get(noteId)!)).toEqual(['table', 'id', 'op', 'fields', 'hlc'])
    })

    it('pages without gaps or duplicates, also inside an access event', async () => {
      const lone = await createLoneTeam(db)
      const coach = await TestDevice.signIn(server, lone.coach)
      const menteeIds = Array.from({ length: 5 }, () => randomUUID())
      for (const id of menteeIds) {
        await coach.push(coach.upsert('mentees', id, mentee(`M${id.slice(0, 4)}`)), coach.upsert('notes', randomUUID(), note(id)))
      }
      // Edits move records to later numbers; the old ones must not come twice.
      await coach.push(coach.upsert('mentees', menteeIds[0]!, { phone: '1' }), coach.upsert('mentees', menteeIds[2]!, { phone: '2' }))
      const appointmentId = randomUUID()
      await coach.push(
        coach.upsert('appointments', appointmentId, appointment(menteeIds[1]!)),
        coach.upsert('checklistItems', randomUUID(), checklistItem(appointmentId, 'eins')),
        coach.upsert('checklistItems', randomUUID(), checklistItem(appointmentId, 'zwei')),
      )

      const reader = await TestDevice.signIn(server, lone.coach)
      const reference = await reader.pullAll(undefined, 1000)
      expect(reference.pages).toBe(1)
      expect(reference.changes).toHaveLength(13)
      for (const limit of [1, 2, 3, 5]) {
        const paged = await reader.pullAll(undefined, limit)
        expect(paged.changes, `limit ${limit}`).toEqual(reference.changes)
        expect(paged.pages, `limit ${limit}`).toBe(Math.ceil(13 / limit))
      }

      // Page by page by hand: each page at most `limit`, hasMore until the end.
      let cursor: string | undefined
      const seen: string[] = []
      for (;;) {
        const page = await reader.pull(cursor, 4)
        expect(page.body.changes.length).toBeLessThanOrEqual(4)
        seen.push(...page.body.changes.map(describeChange))
        cursor = page.body.cursor
        if (!page.body.hasMore) break
        // A record already delivered and changed between pages comes again, after the rest.
        if (seen.length === 4) await coach.push(coach.upsert('mentees', menteeIds[1]!, { phone: '9' }))
      }
      expect(seen).toHaveLength(14)
      expect(new Set(seen.slice(0, 13))).toEqual(new Set(reference.changes.map(describeChange)))
      expect(seen.at(-1)).toBe(`upsert mentees ${menteeIds[1]}`)

      // An access event that becomes five changes, pulled one change per page.
      const pate = await TestDevice.signIn(server, lone.pate)
      const before = await pate.pullAll()
      expect(before.changes).toEqual([])
      await assign(db, lone.pate, menteeIds[1]!)
      const whole = await pate.pullAll(before.cursor, 1000)
      expect(whole.changes).toHaveLength(5)
      const oneByOne = await pate.pullAll(before.cursor, 1)
      expect(oneByOne.changes).toEqual(whole.changes)
      expect(oneByOne.pages).toBe(5)
      // A record deleted while the Pate pages through the event still arrives exactly once.
      const firstPage = await pate.pull(before.cursor, 2)
      await coach.push(coach.delete('appointments', appointmentId))
      const rest = await pate.pullAll(firstPage.body.cursor, 1)
      const delivered = [...firstPage.body.changes, ...rest.changes]
      expect(new Set(delivered.map(describeChange)).size).toBe(delivered.length)
      expect(applyChanges(delivered).size).toBe(2)
    })

    it('answers 409 reset_required when the cursor is ahead of the server', async () => {
      const coach = await TestDevice.signIn(server, users.coachA)
      const answer = await coach.pull(encodeCursor({ seq: 1_000_000_000, purged: 0 }))
      expect(answer.status).toBe(409)
      expect(answer.body).toEqual({ error: 'reset_required' })
    })

    // The purge tests come last: a purge removes every tombstone of this database.
    it('answers 409 reset_required after a purge behind the cursor, but lets a fresh start page through', async () => {
      const lone = await createLoneTeam(db)
      const coach = await TestDevice.signIn(server, lone.coach)
      const reader = await TestDevice.signIn(server, lone.coach)
      const [menteeId, keptNote, goneNote] = [randomUUID(), randomUUID(), randomUUID()]
      await coach.push(
        coach.upsert('mentees', menteeId, mentee('Fynn')),
        coach.upsert('notes', keptNote, note(menteeId)),
        coach.upsert('notes', goneNote, note(menteeId, 'to delete')),
      )
      const old = await reader.pullAll()
      await coach.push(coach.delete('notes', goneNote))
      await coach.push(coach.upsert('notes', keptNote, { text: 'later' }))

      const nothingYet = await purgeTombstones(db, { olderThan: new Date(Date.now() - DAY) })
      expect(nothingYet.purged).toBe(0)
      expect((await reader.pull(old.cursor)).status).toBe(200)

      const purge = await purgeTombstones(db, { olderThan: new Date(Date.now() + DAY) })
      expect(purge.purged).toBeGreaterThanOrEqual(1)
      const { rows } = await db.query('SELECT 1 FROM records WHERE id = $1', [goneNote])
      expect(rows).toHaveLength(0)

      const stale = await reader.pull(old.cursor)
      expect(stale.status).toBe(409)
      expect(stale.body).toEqual({ error: 'reset_required' })

      // From the start, one change per page: pages below the purge mark must not be refused.
      const fresh = await reader.pullAll(undefined, 1)
      expect(applyChanges(fresh.changes)).toEqual(
        new Map<string, Record<string, unknown>>([
          [`mentees:${menteeId}`, mentee('Fynn')],
          [`notes:${keptNote}`, note(menteeId, 'later')],
        ]),
      )
      await coach.push(coach.upsert('mentees', menteeId, { phone: '7' }))
      const next = await reader.pull(fresh.cursor)
      expect(next.status).toBe(200)
      expect(next.body.changes.map(describeChange)).toEqual([`upsert mentees ${menteeId}`])

      // A purge with an earlier date does not move the mark back.
      const again = await purgeTombstones(db, { olderThan: new Date(0) })
      expect(again.purgedThrough).toBe(purge.purgedThrough)
    })

    // Found by the sync simulation: a device offline for longer than the horizon pushed an edit of
    // a mentee deleted (and purged) meanwhile; with no row left, the edit created the mentee anew.
    it('refuses an edit of a purged record as deleted instead of bringing it back', async () => {
      const lone = await createLoneTeam(db)
      const coach = await TestDevice.signIn(server, lone.coach)
      const away = await TestDevice.signIn(server, lone.coach)
      const [menteeId, noteId] = [randomUUID(), randomUUID()]
      await coach.push(coach.upsert('mentees', menteeId, mentee('Gül')), coach.upsert('notes', noteId, note(menteeId)))
      await coach.push(coach.delete('mentees', menteeId))
      await purgeTombstones(db, { olderThan: new Date(Date.now() + DAY) })

      const late = await away.push(
        away.upsert('mentees', menteeId, { givenName: 'Gül' }),
        away.upsert('notes', noteId, { ...note(menteeId), text: 'edited offline' }),
        away.delete('notes', noteId),
      )
      expect(late.results).toEqual([
        { seq: 1, status: 'rejected', reason: 'deleted' },
        { seq: 2, status: 'rejected', reason: 'deleted' },
        { seq: 3, status: 'applied' },
      ])
      const { rows } = await db.query('SELECT 1 FROM records WHERE id = ANY($1::uuid[])', [[menteeId, noteId]])
      expect(rows).toHaveLength(0)
    })
  })
}
