import { toIsoDate } from '@/shared/dates'
import { Dexie } from 'dexie'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { LotseDatabase } from '@/db/db'
import { StorageError, ValidationFailed } from '@/db/errors'
import { pendingEntries } from '@/db/outbox'
import { createMentee, deleteMentee, getMentee, listMentees, updateMentee } from '@/db/repositories/mentees'
import { saveNote } from '@/db/repositories/notes'
import { createAppointment } from '@/db/repositories/appointments'
import { listChecklist, setChecklistItemDone } from '@/db/repositories/checklistItems'
import { fictionalMentee, freshDatabase } from './helpers'

let db: LotseDatabase
beforeEach(() => {
  db = freshDatabase()
})

describe('every local write records an outbox entry', () => {
  it('creates a mentee with a client-made UUID and an upsert of all its fields', async () => {
    const mentee = await createMentee(fictionalMentee({ phone: '+49 5261 000000' }))
    expect(mentee.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    const entries = await pendingEntries()
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ table: 'mentees', recordId: mentee.id, op: 'upsert' })
    expect(entries[0]?.fields).toMatchObject({ givenName: 'Testperson', familyName: 'Beispiel', phone: '+49 5261 000000' })
    expect(entries[0]?.at).toBeTypeOf('number')
  })

  it('records only the fields an update changed', async () => {
    const mentee = await createMentee(fictionalMentee())
    await updateMentee(mentee.id, { ...fictionalMentee(), germanLevel: 'B1', stage: 'accompanied' })
    const entries = await pendingEntries()
    expect(entries).toHaveLength(2)
    // A stage change also records when it happened, for the reports' transitions.
    const today = toIsoDate(new Date())
    expect(entries[1]?.fields).toEqual({
      germanLevel: 'B1',
      stage: 'accompanied',
      stageHistory: [
        { stage: 'firstContact', date: today },
        { stage: 'accompanied', date: today },
      ],
    })
  })

  it('records nothing for an update that changes nothing', async () => {
    const mentee = await createMentee(fictionalMentee())
    await updateMentee(mentee.id, fictionalMentee())
    expect(await pendingEntries()).toHaveLength(1)
  })

  it('records a checklist tick as a change of `done` alone', async () => {
    const mentee = await createMentee(fictionalMentee())
    const appointment = await createAppointment({
      menteeId: mentee.id,
      startsAt: '2026-12-03T09:30',
      place: '',
      type: 'immigrationOffice',
      companion: '',
      outcome: '',
    })
    const [first] = await listChecklist(appointment.id)
    expect(first).toBeDefined()
    await setChecklistItemDone(first!.id, true)
    const last = (await pendingEntries()).at(-1)
    expect(last).toMatchObject({ table: 'checklistItems', recordId: first!.id, fields: { done: true } })
    expect(Object.keys(last!.fields)).toEqual(['done'])
  })

  it('deletes a mentee as tombstones, with their notes, appointments and checklist items', async () => {
    const mentee = await createMentee(fictionalMentee())
    const note = await saveNote(undefined, {
      menteeId: mentee.id,
      date: '2026-11-20',
      kind: 'talk',
      text: 'Gespräch',
      topics: [],
      followUpText: '',
      followUpDue: '',
      followUpDone: false,
    })
    const appointment = await createAppointment({
      menteeId: mentee.id,
      startsAt: '2026-12-03T09:30',
      place: '',
      type: 'jobcenter',
      companion: '',
      outcome: '',
    })
    const itemCount = (await listChecklist(appointment.id)).length
    expect(itemCount).toBeGreaterThan(0)

    await deleteMentee(mentee.id)

    expect(await getMentee(mentee.id)).toBeUndefined()
    expect(await listMentees()).toHaveLength(0)
    // Tombstones stay so the deletion can sync.
    expect((await db.mentees.get(mentee.id))?.deletedAt).toBeTypeOf('number')
    expect((await db.notes.get(note.id))?.deletedAt).toBeTypeOf('number')
    const deletes = (await pendingEntries()).filter((e) => e.op === 'delete')
    expect(deletes.map((e) => e.table).sort()).toEqual(
      ['appointments', 'mentees', 'notes', ...Array<string>(itemCount).fill('checklistItems')].sort(),
    )
  })
})

describe('a write and its outbox entry are one transaction', () => {
  it('stores no record when the outbox entry cannot be written', async () => {
    vi.spyOn(db.outbox, 'add').mockRejectedValueOnce(new DOMException('disk full', 'QuotaExceededError'))
    const attempt = createMentee(fictionalMentee())
    await expect(attempt).rejects.toBeInstanceOf(StorageError)
    await expect(attempt).rejects.toMatchObject({ kind: 'quota' })
    expect(await db.mentees.count()).toBe(0)
    expect(await db.outbox.count()).toBe(0)
  })

  it('stores no outbox entry when the record cannot be written', async () => {
    vi.spyOn(db.mentees, 'put').mockRejectedValueOnce(new DOMException('aborted', 'AbortError'))
    await expect(createMentee(fictionalMentee())).rejects.toMatchObject({ kind: 'aborted' })
    expect(await db.mentees.count()).toBe(0)
    expect(await db.outbox.count()).toBe(0)
  })

  it('leaves an appointment without half a checklist when an item fails', async () => {
    const mentee = await createMentee(fictionalMentee())
    const put = db.checklistItems.put.bind(db.checklistItems)
    let calls = 0
    const failThirdPut = ((item, key) => {
      calls += 1
      return calls === 3 ? Dexie.Promise.reject(new DOMException('full', 'QuotaExceededError')) : put(item, key)
    }) as typeof put
    vi.spyOn(db.checklistItems, 'put').mockImplementation(failThirdPut)
    await expect(
      createAppointment({ menteeId: mentee.id, startsAt: '2026-12-03T09:30', place: '', type: 'jobcenter', companion: '', outcome: '' }),
    ).rejects.toMatchObject({ kind: 'quota' })
    expect(await db.appointments.count()).toBe(0)
    expect(await db.checklistItems.count()).toBe(0)
    expect(await db.outbox.count()).toBe(1) // only the mentee's creation
  })
})

describe('invalid input is refused before anything is written', () => {
  it('rejects a mentee without a name with a field message', async () => {
    const attempt = createMentee(fictionalMentee({ givenName: '  ', familyName: '' }))
    await expect(attempt).rejects.toBeInstanceOf(ValidationFailed)
    await expect(attempt).rejects.toMatchObject({ errors: { givenName: { key: 'nameRequired' } } })
    expect(await db.mentees.count()).toBe(0)
    expect(await db.outbox.count()).toBe(0)
  })

  it('refuses to edit a deleted mentee', async () => {
    const mentee = await createMentee(fictionalMentee())
    await deleteMentee(mentee.id)
    await expect(updateMentee(mentee.id, fictionalMentee())).rejects.toMatchObject({ kind: 'notFound' })
  })
})
