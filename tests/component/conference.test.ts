import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import AppHeader from '@/components/layout/AppHeader.vue'
import ConferenceCaseView from '@/views/ConferenceCaseView.vue'
import ConferenceView from '@/views/ConferenceView.vue'
import TodayView from '@/views/TodayView.vue'
import { createMentee } from '@/db/repositories/mentees'
import { saveNote } from '@/db/repositories/notes'
import { i18n, setLocale } from '@/i18n'
import { createAppRouter } from '@/router'
import { addDays, parseIsoDate, toIsoDate } from '@/shared/dates'
import type { MenteeFields } from '@/shared/records'
import { useSyncStore } from '@/stores/sync'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'
import { restoreSignedIn, testUser } from './endpoint'

const root = join(import.meta.dirname, '../..')
let ctx: TestContext
let wrapper: VueWrapper | undefined
const today = toIsoDate(new Date())

beforeEach(async () => {
  ctx = await setupComponentTest()
})
afterEach(() => {
  wrapper?.unmount()
  wrapper = undefined
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

function germanDate(isoDate: string): string {
  return new Intl.DateTimeFormat('de', { dateStyle: 'medium' }).format(parseIsoDate(isoDate))
}

async function mountList(path = '/conference'): Promise<{ wrapper: VueWrapper; router: Router }> {
  const router = createTestRouter()
  await router.push(path)
  wrapper = mount(ConferenceView, { global: { plugins: [ctx.pinia, i18n, router] } })
  return { wrapper, router }
}

async function mountCase(menteeId: string): Promise<VueWrapper> {
  const router = createTestRouter()
  await router.push(`/conference/${menteeId}`)
  wrapper = mount(ConferenceCaseView, { props: { menteeId }, global: { plugins: [ctx.pinia, i18n, router] } })
  return wrapper
}

const names = (w: VueWrapper) => w.findAll('[data-testid="conference-name"]').map((n) => n.text())

/** A pupil with everything a conference could want to know, and contact data it must not see. */
function pupil(overrides: Partial<MenteeFields> = {}): MenteeFields {
  return menteeFields({
    givenName: 'محمد',
    familyName: 'Testperson',
    birthYear: 2007,
    phone: '+49 000 4711',
    email: 'person@example.invalid',
    countryOfOrigin: 'SY',
    residenceStatus: 'toleratedStay',
    permitExpiry: addDays(today, 120),
    school: 'Testkolleg Lemgo',
    schoolClass: 'IFK 2',
    expectedLeavingDate: addDays(today, 20),
    germanLevel: 'A2',
    germanLevelHistory: [{ level: 'A2', date: addDays(today, -30) }],
    goals: ['training', 'languageCourse'],
    barriers: ['mobility', 'documents'],
    stage: 'accompanied',
    tags: ['Geheimwort'],
    ...overrides,
  })
}
const partnerConsent = { consentDate: '2026-01-12', consentPurposes: ['counselling', 'partnerSharing'] } satisfies Partial<MenteeFields>

describe('ConferenceView (the list)', () => {
  it('lists leavers without a follow-on offer by leaving date with school, class, level, stage, goals and barriers', async () => {
    await createMentee(pupil({ familyName: 'Später', expectedLeavingDate: addDays(today, 40) }))
    await createMentee(pupil({ familyName: 'Heute', expectedLeavingDate: today, followOnOffer: false }))
    await createMentee(pupil({ familyName: 'Vorbei', expectedLeavingDate: addDays(today, -5) }))
    await createMentee(pupil({ familyName: 'Versorgt', expectedLeavingDate: addDays(today, 10), followOnOffer: true }))
    await createMentee(pupil({ familyName: 'Abgeschlossen', expectedLeavingDate: addDays(today, 10), stage: 'closed' }))
    await createMentee(pupil({ familyName: 'Fern', expectedLeavingDate: addDays(today, 70) }))
    await createMentee(pupil({ familyName: 'Lange vorbei', expectedLeavingDate: addDays(today, -40) }))
    await createMentee(pupil({ familyName: 'Geteilt', expectedLeavingDate: addDays(today, 20), ...partnerConsent }))

    const { wrapper } = await mountList()
    await eventually(() => expect(names(wrapper)).toEqual(['محمد Vorbei', 'محمد Heute', 'محمد Geteilt', 'محمد Später']))
    expect(wrapper.get('h1').text()).toBe('Übergangskonferenz')
    expect(wrapper.get('[data-testid="conference-count"]').text()).toBe('4 Personen auf der Liste')
    expect((wrapper.get('[data-testid="conference-weeks"]').element as HTMLSelectElement).value).toBe('8')

    const [gone, leavesToday, shared] = wrapper.findAll('[data-testid="conference-case"]')
    expect(gone!.text()).toContain('Schule schon verlassen')
    expect(gone!.get('[data-testid="conference-leaving"]').text()).toBe(`hat die Schule am ${germanDate(addDays(today, -5))} verlassen`)
    expect(leavesToday!.get('[data-testid="conference-leaving"]').text()).toBe(`verlässt die Schule am ${germanDate(today)}`)
    expect(leavesToday!.get('[data-testid="conference-school"]').text()).toBe('Testkolleg Lemgo · IFK 2')
    expect(leavesToday!.get('[data-testid="conference-level"]').text()).toBe('A2')
    expect(leavesToday!.get('[data-testid="conference-stage"]').text()).toBe('In Begleitung')
    expect(leavesToday!.get('[data-testid="conference-goals"]').text()).toBe('Ausbildung, Sprachkurs')
    expect(leavesToday!.get('[data-testid="conference-barriers"]').text()).toBe('Fahrtwege und Fahrtkosten, Fehlende Dokumente')
    expect(leavesToday!.get('[data-testid="conference-consent"]').text()).toContain('ohne Namen besprechen')
    expect(shared!.get('[data-testid="conference-consent"]').text()).toBe('Einwilligung zur Weitergabe an Partner liegt vor.')
    expect(shared!.get('[data-testid="conference-summary-link"]').attributes('href')).toBe(`/conference/${shared!.attributes('data-mentee-id')}`)
    // The working list is for the coach: it never shows contact data either.
    expect(wrapper.text()).not.toContain('+49 000 4711')
  })

  it('reads the list again when the number of weeks changes, and keeps the choice in the address', async () => {
    await createMentee(pupil({ familyName: 'Bald', expectedLeavingDate: addDays(today, 10) }))
    await createMentee(pupil({ familyName: 'Zehn Wochen', expectedLeavingDate: addDays(today, 70) }))
    await createMentee(pupil({ familyName: 'Genau zwölf', expectedLeavingDate: addDays(today, 84) }))
    await createMentee(pupil({ familyName: 'Zu spät', expectedLeavingDate: addDays(today, 85) }))

    const { wrapper, router } = await mountList()
    await eventually(() => expect(names(wrapper)).toEqual(['محمد Bald']))
    await wrapper.get('[data-testid="conference-weeks"]').setValue('12')
    await eventually(() => expect(names(wrapper)).toEqual(['محمد Bald', 'محمد Zehn Wochen', 'محمد Genau zwölf']))
    expect(router.currentRoute.value.query.weeks).toBe('12')
    await wrapper.get('[data-testid="conference-weeks"]').setValue('2')
    await eventually(() => expect(names(wrapper)).toEqual(['محمد Bald']))
  })

  it('opens with the weeks from the address and says when nobody is on the list', async () => {
    await createMentee(pupil({ familyName: 'Zehn Wochen', expectedLeavingDate: addDays(today, 70) }))
    const { wrapper } = await mountList('/conference?weeks=4')
    await eventually(() => expect(wrapper.text()).toContain('Niemand verlässt in diesem Zeitraum die Schule ohne Anschlussangebot.'))
    expect((wrapper.get('[data-testid="conference-weeks"]').element as HTMLSelectElement).value).toBe('4')
  })
})

describe('ConferenceCaseView (the one-page summary)', () => {
  async function withNote(fields: MenteeFields) {
    const m = await createMentee(fields)
    await saveNote(undefined, {
      menteeId: m.id,
      date: addDays(today, -3),
      kind: 'talk',
      text: 'Privates aus dem Gespräch',
      topics: [],
      followUpText: 'Wiedervorlage intern',
      followUpDue: today,
      followUpDone: false,
    })
    return m
  }

  it('with consent to share: the name in its own script, school, class, leaving day, situation and (for a coach) residence, in German', async () => {
    await restoreSignedIn(testUser({ role: 'coach' }))
    const m = await withNote(pupil(partnerConsent))
    const view = await mountCase(m.id)
    const sheet = await eventually(() => view.get('[data-testid="conference-sheet"]'))

    expect(sheet.attributes('lang')).toBe('de')
    expect(sheet.get('[data-testid="summary-name"]').text()).toBe('محمد Testperson')
    expect(sheet.get('[data-testid="summary-name"]').attributes('dir')).toBe('auto')
    expect(sheet.find('[data-testid="summary-no-consent"]').exists()).toBe(false)
    expect(sheet.get('[data-testid="summary-consent"]').text()).toBe(`Einwilligung zur Weitergabe an Partner vom ${germanDate('2026-01-12')}`)
    const facts = sheet.get('[data-testid="summary-facts"]')
    const value = (field: string) => facts.get(`tr[data-field="${field}"] td`).text()
    expect(value('school')).toBe('Testkolleg Lemgo')
    expect(value('schoolClass')).toBe('IFK 2')
    expect(value('expectedLeavingDate')).toBe(germanDate(addDays(today, 20)))
    expect(value('birthYear')).toBe('2007')
    expect(value('germanLevel')).toBe('A2')
    expect(value('stage')).toBe('In Begleitung')
    expect(value('goals')).toBe('Ausbildung, Sprachkurs')
    expect(value('barriers')).toBe('Fahrtwege und Fahrtkosten, Fehlende Dokumente')
    expect(value('followOnOffer')).toBe('noch nicht geklärt')
    expect(value('residenceStatus')).toBe('Duldung')
    expect(value('permitExpiry')).toBe(germanDate(addDays(today, 120)))
    // Room for what the conference agrees, on paper.
    expect(sheet.findAll('[data-testid="summary-actions"] tbody tr').length).toBeGreaterThanOrEqual(5)
    expect(sheet.get('[data-testid="summary-actions"] thead').text()).toContain('Wer')

    const text = sheet.text()
    for (const secret of ['+49 000 4711', 'person@example.invalid', 'Privates aus dem Gespräch', 'Wiedervorlage intern', 'Geheimwort', 'Syrien']) {
      expect(text).not.toContain(secret)
    }
  })

  it('without consent to share: the notice, no name, school, class, contact or residence status; the situation only', async () => {
    await restoreSignedIn(testUser({ role: 'coach' }))
    const m = await withNote(pupil({ consentDate: '2026-01-12', consentPurposes: ['counselling'] }))
    const view = await mountCase(m.id)
    const sheet = await eventually(() => view.get('[data-testid="conference-sheet"]'))

    expect(sheet.get('[data-testid="summary-no-consent"]').text()).toBe('Keine Einwilligung zur Weitergabe an Partner: ohne Namen besprechen.')
    expect(sheet.find('[data-testid="summary-name"]').exists()).toBe(false)
    expect(sheet.get('[data-testid="summary-case-code"]').text()).toMatch(/^Fall [0-9A-F]{6}$/)
    const fields = sheet.findAll('[data-testid="summary-facts"] tr').map((row) => row.attributes('data-field'))
    expect(fields).toEqual(['leavingMonth', 'germanLevel', 'schoolQualification', 'recognitionStatus', 'stage', 'goals', 'barriers', 'followOnOffer'])
    const month = new Intl.DateTimeFormat('de', { month: 'long', year: 'numeric' }).format(parseIsoDate(addDays(today, 20)))
    expect(sheet.get('tr[data-field="leavingMonth"] td').text()).toBe(month)

    const text = sheet.text()
    for (const secret of [
      'محمد',
      'Testperson',
      'Testkolleg',
      'IFK 2',
      germanDate(addDays(today, 20)),
      '2007',
      'Duldung',
      'Aufenthalt',
      '+49 000 4711',
      'person@example.invalid',
      'Privates aus dem Gespräch',
    ]) {
      expect(text).not.toContain(secret)
    }
  })

  it('shows no residence status to a viewer who is no coach or coordinator, even with consent', async () => {
    await restoreSignedIn(testUser({ role: 'pate' }))
    const m = await createMentee(pupil(partnerConsent))
    const view = await mountCase(m.id)
    const sheet = await eventually(() => view.get('[data-testid="conference-sheet"]'))
    expect(sheet.get('[data-testid="summary-name"]').text()).toBe('محمد Testperson')
    expect(sheet.find('tr[data-field="residenceStatus"]').exists()).toBe(false)
    expect(sheet.find('tr[data-field="permitExpiry"]').exists()).toBe(false)
    expect(sheet.text()).not.toContain('Duldung')
  })

  it('stays German on paper in an English app, with the notice in English on screen only', async () => {
    await restoreSignedIn(testUser({ role: 'coach' }))
    await setLocale('en', false)
    const m = await createMentee(pupil())
    const view = await mountCase(m.id)
    const sheet = await eventually(() => view.get('[data-testid="conference-sheet"]'))
    expect(sheet.get('h1').text()).toBe('Fallkonferenz – Übergang Schule und Beruf')
    expect(sheet.get('[data-testid="summary-no-consent"]').text()).toBe('Keine Einwilligung zur Weitergabe an Partner: ohne Namen besprechen.')
    expect(sheet.get('tr[data-field="stage"] td').text()).toBe('In Begleitung')
    const screenNotice = view.get('[data-testid="conference-no-consent-screen"]')
    expect(screenNotice.text()).toBe('No consent to share with partners: discuss without name.')
    expect(screenNotice.classes()).toContain('conference-case__screen-only')
    expect(view.get('[data-testid="conference-print"]').text()).toBe('Print')
  })

  it('says when the person is not on this device', async () => {
    const view = await mountCase('00000000-0000-4000-8000-000000000000')
    await eventually(() => expect(view.text()).toContain('Diese Person gibt es auf diesem Gerät nicht (mehr).'))
    expect(view.find('[data-testid="conference-sheet"]').exists()).toBe(false)
  })

  it('prints without the app’s header and the screen controls, on A4', async () => {
    const m = await createMentee(pupil())
    const view = await mountCase(m.id)
    await eventually(() => view.get('[data-testid="conference-sheet"]'))
    const printButton = view.get('[data-testid="conference-print"]')
    // The button and the back link sit in .page__actions, which the print stylesheet hides.
    expect(printButton.element.closest('.page__actions')).not.toBeNull()
    for (const intro of view.findAll('p.muted')) expect(intro.classes()).toContain('conference-case__screen-only')
    expect(view.get('[data-testid="conference-sheet"]').element.closest('.conference-case__screen-only, .page__actions')).toBeNull()
    const print = vi.fn()
    vi.stubGlobal('print', print)
    await printButton.trigger('click')
    expect(print).toHaveBeenCalledOnce()

    const globalPrint = printRules(readFileSync(join(root, 'src/styles.css'), 'utf8'))
    expect(globalPrint).toMatch(/size:\s*A4/)
    expect(globalPrint).toMatch(/\.app-header,[^{]*\.page__actions[^{]*\{\s*display:\s*none/)
    const viewPrint = printRules(readFileSync(join(root, 'src/views/ConferenceCaseView.vue'), 'utf8'))
    expect(viewPrint).toMatch(/\.conference-case__screen-only\s*\{\s*display:\s*none/)
  })
})

describe('ways to the conference', () => {
  it('Today links to the conference list for a coach, not for a Pate', async () => {
    await restoreSignedIn(testUser({ role: 'coach' }))
    const router = createTestRouter()
    await router.push('/')
    wrapper = mount(TodayView, { global: { plugins: [ctx.pinia, i18n, router] } })
    await eventually(() => expect(wrapper!.get('[data-testid="today-conference"]').attributes('href')).toBe('/conference'))
    wrapper.unmount()

    await restoreSignedIn(testUser({ role: 'pate' }))
    wrapper = mount(TodayView, { global: { plugins: [ctx.pinia, i18n, router] } })
    await eventually(() => expect(wrapper!.find('[data-testid="today"]').exists()).toBe(true))
    expect(wrapper.find('[data-testid="today-conference"]').exists()).toBe(false)
  })

  it('the navigation shows the conference to coordinators, not to Paten', async () => {
    const router = createTestRouter()
    await router.push('/')
    await restoreSignedIn(testUser({ role: 'coordinator' }))
    wrapper = mount(AppHeader, { global: { plugins: [ctx.pinia, i18n, router] } })
    await eventually(() => expect(wrapper!.get('[data-testid="nav-conference"]').text()).toBe('Konferenz'))
    await restoreSignedIn(testUser({ role: 'pate' }))
    await eventually(() => expect(wrapper!.find('[data-testid="nav-conference"]').exists()).toBe(false))
  })

  it('the router lets coaches in and sends Paten and guides back to Today', async () => {
    window.history.replaceState(null, '', '/')
    const router = createAppRouter()
    await restoreSignedIn(testUser({ role: 'coach' }))
    await router.push('/conference/some-id')
    expect(router.currentRoute.value.name).toBe('conference-case')
    for (const role of ['pate', 'guide'] as const) {
      await restoreSignedIn(testUser({ role }))
      await router.push('/conference')
      expect(router.currentRoute.value.name).toBe('today')
    }
    useSyncStore().stopAutomaticSync()
  })
})

/** The text inside every `@media print { … }` block of a stylesheet or SFC. */
function printRules(source: string): string {
  const blocks: string[] = []
  let at = source.indexOf('@media print')
  while (at !== -1) {
    const open = source.indexOf('{', at)
    let depth = 1
    let i = open + 1
    while (depth > 0 && i < source.length) {
      if (source[i] === '{') depth += 1
      else if (source[i] === '}') depth -= 1
      i += 1
    }
    blocks.push(source.slice(open + 1, i - 1))
    at = source.indexOf('@media print', i)
  }
  return blocks.join('\n')
}
