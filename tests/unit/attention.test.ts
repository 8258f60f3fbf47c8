import { beforeEach, describe, expect, it } from 'vitest'
import { createAppointment } from '@/db/repositories/appointments'
import { createMentee } from '@/db/repositories/mentees'
import { saveNote } from '@/db/repositories/notes'
import { addDays, toIsoDate } from '@/shared/dates'
import type { Mentee } from '@/shared/records'
import { attentionReasons } from '@/stores/mentee-query'
import { useTodayStore } from '@/stores/today'
import { createPinia, setActivePinia } from 'pinia'
import { fictionalMentee, freshDatabase } from './helpers'

const today = '2026-11-22'
function mentee(overrides: Partial<Mentee>): Mentee {
  return { ...fictionalMentee(), id: 'x', createdAt: 0, updatedAt: 0, ...overrides }
}

describe('who needs attention', () => {
  it('flags permits expiring within 90 days and those already expired', () => {
    expect(attentionReasons(mentee({ permitExpiry: '2026-12-12' }), today)).toEqual([{ kind: 'permitExpiring', days: 20 }])
    expect(attentionReasons(mentee({ permitExpiry: '2026-11-20' }), today)).toEqual([{ kind: 'permitExpired', days: 2 }])
    expect(attentionReasons(mentee({ permitExpiry: '2027-03-01' }), today)).toEqual([])
  })

  it('flags pupils leaving within 8 weeks without a follow-on offer', () => {
    expect(attentionReasons(mentee({ expectedLeavingDate: '2026-12-20' }), today)).toEqual([
      { kind: 'leavingWithoutOffer', days: 28 },
    ])
    expect(attentionReasons(mentee({ expectedLeavingDate: '2026-12-20', followOnOffer: true }), today)).toEqual([])
    expect(attentionReasons(mentee({ expectedLeavingDate: '2027-03-20' }), today)).toEqual([])
  })

  it('never flags a closed case', () => {
    expect(attentionReasons(mentee({ stage: 'closed', permitExpiry: '2026-11-30' }), today)).toEqual([])
  })
})

describe('the Today screen', () => {
  beforeEach(() => {
    freshDatabase()
    setActivePinia(createPinia())
  })

  it('gathers appointments, follow-ups, permits and leavers from the database', async () => {
    const now = new Date()
    const day = toIsoDate(now)
    const soon = await createMentee(fictionalMentee({ givenName: 'Bald', permitExpiry: addDays(day, 10) }))
    await createMentee(fictionalMentee({ givenName: 'Später', permitExpiry: addDays(day, 200) }))
    await createMentee(fictionalMentee({ givenName: 'Zu', stage: 'closed', permitExpiry: addDays(day, 5) }))
    const leaver = await createMentee(fictionalMentee({ givenName: 'Schule', expectedLeavingDate: addDays(day, 21) }))
    await createMentee(fictionalMentee({ givenName: 'Versorgt', expectedLeavingDate: addDays(day, 21), followOnOffer: true }))
    const appointment = await createAppointment({
      menteeId: soon.id,
      startsAt: `${addDays(day, 1)}T10:00`,
      place: '',
      type: 'immigrationOffice',
      companion: '',
      outcome: '',
    })
    await createAppointment({ menteeId: soon.id, startsAt: `${addDays(day, 30)}T10:00`, place: '', type: 'jobcenter', companion: '', outcome: '' })
    const base = { menteeId: soon.id, date: day, kind: 'talk' as const, text: 'Notiz', topics: [], followUpText: 'Anrufen' }
    const overdue = await saveNote(undefined, { ...base, followUpDue: addDays(day, -1), followUpDone: false })
    await saveNote(undefined, { ...base, followUpDue: addDays(day, -1), followUpDone: true })
    await saveNote(undefined, { ...base, followUpDue: addDays(day, 40), followUpDone: false })

    const store = useTodayStore()
    await store.load(now)

    expect(store.appointments.map((a) => a.id)).toEqual([appointment.id])
    expect(store.followUps.map((n) => n.id)).toEqual([overdue.id])
    expect(store.expiringPermits.map((m) => m.id)).toEqual([soon.id])
    expect(store.leaversWithoutOffer.map((m) => m.id)).toEqual([leaver.id])
    // The due list from the same records: late first, then today's, then what is coming.
    expect(store.dueItems.map((item) => [item.kind, item.recordId])).toEqual([
      ['noteFollowUp', overdue.id],
      ['appointment', appointment.id],
      ['permit', soon.id],
    ])
    expect(store.actionCount).toBe(2)
    expect(store.people.get(soon.id)?.givenName).toBe('Bald')
  })
})
