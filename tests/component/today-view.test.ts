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

function section(id: 'due' | 'appointments' | 'leavers'): Found<Element> {
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
    await eventually(() => expect(section('due').text()).toContain('Nichts fällig: Kein Aufenthaltstitel läuft bald ab, keine Wiedervorlage ist offen, morgen ist kein Termin.'))
    expect(section('due').text()).toContain('Heute ist nichts zu erledigen.')
    expect(section('appointments').text()).toContain('Keine Termine in den nächsten Tagen.')
    expect(section('leavers').text()).toContain('Alle, die bald die Schule verlassen, haben ein Anschlussangebot.')
    expect(wrapper?.get('h1').text()).toBe('Heute')
  })

  it('lists what is due, appointments and leavers without offer', async () => {
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
    await eventually(() => expect(section('due').findAll('li')).toHaveLength(3))

    const due = section('due')
    expect(due.get('h2').text()).toBe('Fällig und demnächst')
    expect(due.get('[data-testid="due-action-count"]').text()).toBe('Heute 2 Punkte zu erledigen oder überfällig.')
    // Overdue first, then what needs doing today, then what is coming.
    const [followUp, appointment, permit] = due.findAll('li')
    expect(followUp?.attributes()).toMatchObject({ 'data-kind': 'noteFollowUp', 'data-severity': 'overdue' })
    expect(followUp?.text()).toContain('Überfällig')
    expect(followUp?.text()).toContain('Testunterlagen nachreichen')
    expect(followUp?.text()).toContain(germanDate(yesterday))
    expect(followUp?.text()).toContain('seit 1 Tag überfällig')
    expect(followUp?.text()).toContain('Testperson Schule')
    expect(followUp?.get('a').attributes('href')).toBe(`/mentees/${pupil.id}`)

    expect(appointment?.attributes()).toMatchObject({ 'data-kind': 'appointment', 'data-severity': 'actToday' })
    expect(appointment?.text()).toContain('Heute erledigen')
    expect(appointment?.text()).toContain('Termin morgen um 10:30')
    expect(appointment?.text()).toContain('Ausländerbehörde')
    expect(appointment?.text()).toContain('Testperson Ablauf')
    expect(appointment?.get('a').attributes('href')).toMatch(/^\/appointments\/[0-9a-f-]{36}$/)

    expect(permit?.attributes()).toMatchObject({ 'data-kind': 'permit', 'data-severity': 'upcoming' })
    expect(permit?.text()).toContain('Aufenthaltstitel läuft in 10 Tagen ab')
    expect(permit?.text()).toContain('Aufenthaltserlaubnis')
    expect(permit?.get('[data-testid="permit-threshold"]').text()).toBe('30-Tage-Warnung')
    expect(permit?.text()).toContain('Testperson Ablauf')
    expect(permit?.get('a').attributes('href')).toBe(`/mentees/${expiring.id}`)

    expect(due.text()).not.toContain('Schon erledigt')
    expect(due.text()).not.toContain('Abgeschlossen')
    expect(due.text()).not.toContain('Später')

    const appointments = section('appointments')
    expect(appointments.findAll('li')).toHaveLength(1)
    expect(appointments.text()).toContain('Ausländerbehörde')
    expect(appointments.text()).toContain('Testperson Ablauf')
    expect(appointments.text()).toContain('10:30')

    const leavers = section('leavers')
    expect(leavers.findAll('li')).toHaveLength(1)
    expect(leavers.text()).toContain('Testperson Schule')
    expect(leavers.text()).toContain('Testschule · IFK 2')
    expect(leavers.text()).toContain(`verlässt die Schule am ${germanDate(leaving)}`)
    expect(leavers.text()).not.toContain('Abgeschlossen')
    expect(leavers.text()).not.toContain('Versorgt')

    expect(wrapper?.text()).not.toContain('Testperson Abgeschlossen')
  })

  it('puts an expired permit at the top, above an older overdue follow-up', async () => {
    const today = toIsoDate(new Date())
    const owner = await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Notiz' }))
    await saveNote(undefined, {
      menteeId: owner.id,
      date: addDays(today, -40),
      kind: 'talk',
      text: 'Gespräch',
      topics: [],
      followUpText: 'Lange liegen geblieben',
      followUpDue: addDays(today, -30),
      followUpDone: false,
    })
    await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Abgelaufen', permitExpiry: addDays(today, -3) }))
    await mountToday()
    await eventually(() => expect(section('due').findAll('li')).toHaveLength(2))
    const [expired, overdue] = section('due').findAll('li')
    expect(expired?.attributes('data-severity')).toBe('expired')
    expect(expired?.text()).toContain('Dringend')
    expect(expired?.text()).toContain('Aufenthaltstitel seit 3 Tagen abgelaufen')
    expect(expired?.text()).toContain('Testperson Abgelaufen')
    // Without a residence status the field name stands in; an expired permit has no warning left.
    expect(expired?.text()).toContain('Aufenthaltstitel gültig bis')
    expect(expired?.find('[data-testid="permit-threshold"]').exists()).toBe(false)
    expect(overdue?.text()).toContain('seit 30 Tagen überfällig')
  })

  it('names the threshold a permit crossed: the last week needs action today', async () => {
    const today = toIsoDate(new Date())
    await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Woche', permitExpiry: addDays(today, 7) }))
    await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Quartal', permitExpiry: addDays(today, 90) }))
    // A Pate who was not given the residence details has no expiry date: nothing to show.
    await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Pate', permitExpiry: '' }))
    await mountToday()
    await eventually(() => expect(section('due').findAll('li')).toHaveLength(2))
    const [week, quarter] = section('due').findAll('li')
    expect(week?.text()).toContain('Heute erledigen')
    expect(week?.get('[data-testid="permit-threshold"]').text()).toBe('7-Tage-Warnung')
    expect(week?.text()).toContain('Aufenthaltstitel läuft in 7 Tagen ab')
    expect(quarter?.attributes('data-severity')).toBe('upcoming')
    expect(quarter?.get('[data-testid="permit-threshold"]').text()).toBe('90-Tage-Warnung')
    expect(section('due').text()).not.toContain('Testperson Pate')
    expect(section('due').get('[data-testid="due-action-count"]').text()).toBe('Heute 1 Punkt zu erledigen oder überfällig.')
  })
})
