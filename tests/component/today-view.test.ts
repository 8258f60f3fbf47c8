import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import TodayView from '@/views/TodayView.vue'
import { createAppointment } from '@/db/repositories/appointments'
import { createMentee } from '@/db/repositories/mentees'
import { saveNote } from '@/db/repositories/notes'
import { i18n } from '@/i18n'
import { addDays, parseIsoDate, toIsoDate } from '@/shared/dates'
import { createTestRouter, eventually, type Found, menteeFields, setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext
let wrapper: VueWrapper | undefined

function section(id: 'appointments' | 'follow-ups' | 'permits' | 'leavers'): Found<Element> {
  if (!wrapper) throw new Error('not mounted')
  return wrapper.get(`section[aria-labelledby="today-${id}"]`)
}

async function mountToday(): Promise<VueWrapper> {
  const router = createTestRouter()
  await router.push('/')
  wrapper = mount(TodayView, { global: { plugins: [ctx.pinia, i18n, router] } })
  return wrapper
}

function germanDate(isoDate: string): string {
  return new Intl.DateTimeFormat('de', { dateStyle: 'medium' }).format(parseIsoDate(isoDate))
}

beforeEach(async () => {
  ctx = await setupComponentTest()
})

afterEach(() => {
  wrapper?.unmount()
  wrapper = undefined
})

describe('TodayView', () => {
  it('says that nothing is due on an empty device', async () => {
    await mountToday()
    await eventually(() => expect(section('permits').text()).toContain('Kein Aufenthaltstitel läuft bald ab.'))
    expect(section('appointments').text()).toContain('Keine Termine in den nächsten Tagen.')
    expect(section('follow-ups').text()).toContain('Keine fälligen Wiedervorlagen.')
    expect(section('leavers').text()).toContain('Alle, die bald die Schule verlassen, haben ein Anschlussangebot.')
    expect(wrapper?.get('h1').text()).toBe('Heute')
  })

  it('lists expiring permits, appointments, overdue follow-ups and leavers without offer', async () => {
    const today = toIsoDate(new Date())
    const tomorrow = addDays(today, 1)
    const yesterday = addDays(today, -1)
    const leaving = addDays(today, 21)

    const expiring = await createMentee(
      menteeFields({ givenName: 'Testperson', familyName: 'Ablauf', stage: 'accompanied', residenceStatus: 'residencePermit', permitExpiry: addDays(today, 10) }),
    )
    await createMentee(
      menteeFields({ givenName: 'Testperson', familyName: 'Abgeschlossen', stage: 'closed', permitExpiry: addDays(today, 10), expectedLeavingDate: leaving }),
    )
    await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Später', permitExpiry: addDays(today, 200) }))
    const pupil = await createMentee(
      menteeFields({ givenName: 'Testperson', familyName: 'Schule', school: 'Testschule', schoolClass: 'IFK 2', expectedLeavingDate: leaving, followOnOffer: null }),
    )
    await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Versorgt', expectedLeavingDate: leaving, followOnOffer: true }))
    await createAppointment({ menteeId: expiring.id, startsAt: `${tomorrow}T10:30`, place: 'Testamt', type: 'immigrationOffice', companion: '', outcome: '' })
    await saveNote(undefined, {
      menteeId: pupil.id,
      date: addDays(today, -7),
      kind: 'talk',
      text: 'Gespräch über Praktikum',
      topics: [],
      followUpText: 'Testunterlagen nachreichen',
      followUpDue: yesterday,
      followUpDone: false,
    })
    await saveNote(undefined, {
      menteeId: pupil.id,
      date: addDays(today, -7),
      kind: 'talk',
      text: 'Erledigtes',
      topics: [],
      followUpText: 'Schon erledigt',
      followUpDue: yesterday,
      followUpDone: true,
    })

    await mountToday()
    await eventually(() => expect(section('permits').findAll('li')).toHaveLength(1))

    const permits = section('permits')
    expect(permits.get('h2').text()).toBe('Aufenthaltstitel, die in 90 Tagen ablaufen')
    expect(permits.text()).toContain('Testperson Ablauf')
    expect(permits.text()).toContain('Aufenthaltserlaubnis')
    expect(permits.text()).toContain('Aufenthaltstitel läuft in 10 Tagen ab')
    expect(permits.text()).not.toContain('Abgeschlossen')
    expect(permits.text()).not.toContain('Später')
    expect(permits.get('a').attributes('href')).toBe(`/mentees/${expiring.id}`)

    const appointments = section('appointments')
    expect(appointments.findAll('li')).toHaveLength(1)
    expect(appointments.text()).toContain('Ausländerbehörde')
    expect(appointments.text()).toContain('Testperson Ablauf')
    expect(appointments.text()).toContain('10:30')
    expect(appointments.get('a').attributes('href')).toMatch(/^\/appointments\/[0-9a-f-]{36}$/)

    const followUps = section('follow-ups')
    expect(followUps.findAll('li')).toHaveLength(1)
    expect(followUps.text()).toContain('Überfällig')
    expect(followUps.text()).toContain('Testunterlagen nachreichen')
    expect(followUps.text()).toContain(germanDate(yesterday))
    expect(followUps.text()).toContain('Testperson Schule')
    expect(followUps.text()).not.toContain('Schon erledigt')
    expect(followUps.get('a').attributes('href')).toBe(`/mentees/${pupil.id}`)

    const leavers = section('leavers')
    expect(leavers.findAll('li')).toHaveLength(1)
    expect(leavers.text()).toContain('Testperson Schule')
    expect(leavers.text()).toContain('Testschule · IFK 2')
    expect(leavers.text()).toContain(`verlässt die Schule am ${germanDate(leaving)}`)
    expect(leavers.text()).not.toContain('Abgeschlossen')
    expect(leavers.text()).not.toContain('Versorgt')

    expect(wrapper?.text()).not.toContain('Testperson Abgeschlossen')
  })

  it('shows an expired permit as expired', async () => {
    const today = toIsoDate(new Date())
    await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Abgelaufen', permitExpiry: addDays(today, -3) }))
    await mountToday()
    await eventually(() => expect(section('permits').text()).toContain('Testperson Abgelaufen'))
    expect(section('permits').get('strong').text()).toBe('Aufenthaltstitel seit 3 Tagen abgelaufen')
    // Without a residence status the field name stands in.
    expect(section('permits').text()).toContain('Aufenthaltstitel gültig bis')
  })
})
