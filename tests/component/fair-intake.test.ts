import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { listLeads } from '@/db/repositories/leads'
import { getDatabase } from '@/db/db'
import { setLocale } from '@/i18n'
import { toIsoDate } from '@/shared/dates'
import type { FairEvent } from '@/shared/records'
import { FAIR_CONSENT_TEXT_VERSION } from '@/shared/vocabulary'
import { useFairsStore } from '@/stores/fairs'
import { useMenteesStore } from '@/stores/mentees'
import FairIntakeView from '@/views/FairIntakeView.vue'
import { restoreSignedIn, stubEndpoint } from './endpoint'
import { COACH, createFair, GUIDE, leadFields, mountWith } from './fair'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext
let router: Router
let fair: FairEvent
const mounted: VueWrapper[] = []

beforeEach(async () => {
  ctx = await setupComponentTest()
  stubEndpoint()
  router = createTestRouter()
})

afterEach(async () => {
  while (mounted.length) mounted.pop()?.unmount()
  vi.unstubAllGlobals()
  await setLocale('de', false)
})

async function openIntake(user = GUIDE): Promise<VueWrapper> {
  await restoreSignedIn(user)
  fair = await createFair()
  await router.push(`/events/${fair.id}/intake`)
  const wrapper = mountWith(ctx, router, FairIntakeView, { id: fair.id })
  mounted.push(wrapper)
  await eventually(() => expect(wrapper.find('[data-testid="intake-form"]').exists()).toBe(true))
  // The draft has been read and the form set to the fair's defaults.
  await eventually(() => expect((wrapper.get('[data-testid="intake-follow-up"]').element as HTMLInputElement).value).toBe('2026-03-17'))
  return wrapper
}

const chip = (wrapper: VueWrapper, testid: string, value: string) => wrapper.get(`[data-testid="${testid}"] [data-value="${value}"]`)
const employer = (wrapper: VueWrapper, id: string) => wrapper.get(`[data-testid="employer-chips"] [data-employer="${id}"]`)

async function fillPerson(wrapper: VueWrapper, person: { given: string; family: string; year: string; phone?: string }): Promise<void> {
  await wrapper.get('[data-testid="intake-given-name"]').setValue(person.given)
  await wrapper.get('[data-testid="intake-family-name"]').setValue(person.family)
  await wrapper.get('[data-testid="intake-birth-year"]').setValue(person.year)
  if (person.phone) await wrapper.get('[data-testid="intake-phone"]').setValue(person.phone)
}

describe('quick intake at the stand', () => {
  it('saves a lead with the right fields, then empties the form, focuses the given name and counts', async () => {
    const wrapper = await openIntake()
    await fillPerson(wrapper, { given: 'Testperson', family: 'Erfasst', year: '91', phone: '+49 170 1234567' })
    await chip(wrapper, 'intake-languages', 'uk').trigger('click')
    await chip(wrapper, 'intake-languages', 'ru').trigger('click')
    await chip(wrapper, 'intake-german-level', 'A2').trigger('click')
    await chip(wrapper, 'intake-german-level', 'B1').trigger('click')
    const occupations = wrapper.get('[data-testid="intake-occupations"]')
    await occupations.setValue('Koch, ')
    await occupations.setValue('Lagerhelfer')
    await occupations.trigger('keydown', { key: 'Enter' })
    expect(wrapper.get('[data-testid="intake-occupations-list"]').text()).toContain('Lagerhelfer')
    await employer(wrapper, 'bau').trigger('click')
    await employer(wrapper, 'bau').trigger('click')
    await employer(wrapper, 'logistik').trigger('click')
    await wrapper.get('[data-testid="intake-consent"]').setValue(true)
    // The consent text is shown in German and, as the person speaks Ukrainian, in Ukrainian.
    await eventually(() => expect(wrapper.findAll('[data-testid="fair-consent-text"] article').map((a) => a.attributes('lang'))).toEqual(['de', 'uk']))
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')

    await eventually(() => expect(wrapper.get('[data-testid="intake-confirmation"]').text()).toBe('Gespeichert – 1 Person bei dieser Messe.'))
    const [lead, ...others] = await listLeads()
    expect(others).toEqual([])
    expect(lead).toMatchObject({
      eventId: fair.id,
      givenName: 'Testperson',
      familyName: 'Erfasst',
      birthYear: 1991,
      languages: ['uk', 'ru'],
      germanLevel: 'B1',
      phone: '+49 170 1234567',
      desiredOccupations: ['Koch', 'Lagerhelfer'],
      contacts: [
        { employerId: 'bau', outcome: 'internship' },
        { employerId: 'logistik', outcome: 'contact' },
      ],
      followUpDue: '2026-03-17',
      consentFollowUp: true,
      consentDate: toIsoDate(new Date()),
      consentLanguage: 'uk',
      consentTextVersion: FAIR_CONSENT_TEXT_VERSION,
      selfIntake: false,
      intakeLanguage: 'de',
    })
    // Save and next: the form is empty again, the cursor in the first field, the fair kept.
    await eventually(() => expect(document.activeElement).toBe(wrapper.get('[data-testid="intake-given-name"]').element))
    expect((wrapper.get('[data-testid="intake-given-name"]').element as HTMLInputElement).value).toBe('')
    expect(wrapper.findAll('[aria-pressed="true"]')).toEqual([])
    expect((wrapper.get('[data-testid="intake-follow-up"]').element as HTMLInputElement).value).toBe('2026-03-17')
    await flushPromises()
    // Nothing of the person stays behind as a draft.
    expect(await getDatabase().drafts.count()).toBe(0)
  })

  it('cycles an employer’s chip none → contact → internship → contract → none, saying so', async () => {
    const wrapper = await openIntake()
    const states: [string | undefined, string, string | undefined][] = []
    for (let tap = 0; tap < 5; tap++) {
      const button = employer(wrapper, 'pflege')
      states.push([button.attributes('aria-pressed'), button.find('.chip__state').text(), button.attributes('data-outcome')])
      await button.trigger('click')
    }
    expect(states).toEqual([
      ['false', 'kein Gespräch', 'none'],
      ['true', 'Nur Kontakt', 'contact'],
      ['true', 'Praktikum vereinbart', 'internship'],
      ['true', 'Vertrag angebahnt', 'contract'],
      ['false', 'kein Gespräch', 'none'],
    ])
    // The chip's accessible name carries the state: the employer and what came of it.
    expect(employer(wrapper, 'pflege').text()).toBe('Muster Pflege gGmbH: Nur Kontakt')
    await employer(wrapper, 'pflege').trigger('click')
    expect(employer(wrapper, 'pflege').text()).toBe('Muster Pflege gGmbH: Praktikum vereinbart')
  })

  it('says what is missing, in the user’s language: a name; a phone or messenger for consent', async () => {
    const wrapper = await openIntake()
    await wrapper.get('[data-testid="intake-consent"]').setValue(true)
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')
    await eventually(() => expect(wrapper.text()).toContain('Bitte mindestens Vor- oder Nachnamen angeben.'))
    expect(wrapper.get('[role="alert"]').text()).toBe('Nicht gespeichert: Bitte die markierten Felder prüfen.')

    await wrapper.get('[data-testid="intake-given-name"]').setValue('Testperson')
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')
    await eventually(() => expect(wrapper.text()).toContain('Für eine Rückmeldung bitte Telefon oder Messenger angeben.'))
    expect(wrapper.text()).not.toContain('Bitte mindestens Vor- oder Nachnamen angeben.')

    // A guide who works in English reads the same in English.
    await setLocale('en', false)
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')
    await eventually(() => expect(wrapper.text()).toContain('To be contacted later, please give a phone number or messenger.'))
    expect(await listLeads()).toEqual([])
  })

  it('offers a person already captured for merging, saying why, and merges instead of saving twice', async () => {
    const wrapper = await openIntake()
    const known = await useFairsStore().capture(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Doppelt', birthYear: 1988, phone: '0170 5550001', contacts: [{ employerId: 'bau', outcome: 'contact' }] }))
    await fillPerson(wrapper, { given: 'doppelt', family: 'TESTPERSON', year: '1988' })
    await employer(wrapper, 'pflege').trigger('click')
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')

    const offer = await eventually(() => wrapper.get('[data-testid="duplicate-offer"]'))
    expect(offer.get('[data-testid="duplicate-match"]').text()).toContain('Testperson Doppelt')
    expect(offer.get('[data-testid="duplicate-match"]').text()).toContain('bei dieser Messe erfasst')
    expect(offer.get('[data-testid="duplicate-reason"]').text()).toBe('Gleicher Name und gleiches Geburtsjahr')
    // The form waits behind the question, its input kept.
    expect((wrapper.get('[data-testid="intake-given-name"]').element as HTMLInputElement).value).toBe('doppelt')

    await offer.get('[data-testid="merge-duplicate"]').trigger('click')
    await eventually(() => expect(wrapper.get('[data-testid="intake-confirmation"]').text()).toBe('Zusammengeführt – 1 Person bei dieser Messe.'))
    const leads = await listLeads()
    expect(leads).toHaveLength(1)
    expect(leads[0]).toMatchObject({
      id: known.id,
      givenName: 'Testperson',
      phone: '0170 5550001',
      contacts: [
        { employerId: 'bau', outcome: 'contact' },
        { employerId: 'pflege', outcome: 'contact' },
      ],
    })
    expect(wrapper.find('[data-testid="duplicate-offer"]').exists()).toBe(false)
  })

  it('saves as a new person when the guide says so, and links a known mentee for a coach', async () => {
    const mentee = await useMenteesStore().create(menteeFields({ givenName: 'Testperson', familyName: 'Begleitet', phone: '+49 (0) 170 5550002' }))
    const wrapper = await openIntake(COACH)
    await useFairsStore().capture(leadFields(fair.id, { familyName: 'Andere', phone: '0170 5550003' }))

    await fillPerson(wrapper, { given: 'Testperson', family: 'Neu', year: '1990', phone: '0170 5550003' })
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')
    const offer = await eventually(() => wrapper.get('[data-testid="duplicate-offer"]'))
    expect(offer.get('[data-testid="duplicate-reason"]').text()).toBe('Gleiche Telefonnummer')
    await offer.get('[data-testid="keep-separate"]').trigger('click')
    await eventually(() => expect(wrapper.get('[data-testid="intake-confirmation"]').text()).toBe('Gespeichert – 2 Personen bei dieser Messe.'))

    await fillPerson(wrapper, { given: 'Testperson', family: 'Begleitet', year: '1990', phone: '0170 5550002' })
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')
    const second = await eventually(() => wrapper.get('[data-testid="duplicate-offer"]'))
    expect(second.get('[data-testid="duplicate-match"]').text()).toContain('wird schon begleitet')
    await second.get('[data-testid="merge-duplicate"]').trigger('click')
    await eventually(() => expect(wrapper.get('[data-testid="intake-confirmation"]').text()).toBe('Zusammengeführt – 3 Personen bei dieser Messe.'))
    const linked = (await listLeads()).find((lead) => lead.familyName === 'Begleitet')
    expect(linked?.menteeId).toBe(mentee.id)
  })

  it('keeps what was typed through a reload (draft), and a guide sees no mentees as duplicates', async () => {
    await useMenteesStore().create(menteeFields({ givenName: 'Testperson', familyName: 'Fremd', phone: '0170 5550004' }))
    const wrapper = await openIntake(GUIDE)
    await fillPerson(wrapper, { given: 'Testperson', family: 'Fremd', year: '77', phone: '0170 5550004' })
    await new Promise((resolve) => setTimeout(resolve, 400))
    wrapper.unmount()
    mounted.pop()
    const again = mountWith(ctx, router, FairIntakeView, { id: fair.id })
    mounted.push(again)
    await eventually(() => expect((again.get('[data-testid="intake-family-name"]').element as HTMLInputElement).value).toBe('Fremd'))
    await again.get('[data-testid="intake-form"]').trigger('submit')
    await eventually(() => expect(again.get('[data-testid="intake-confirmation"]').text()).toBe('Gespeichert – 1 Person bei dieser Messe.'))
    expect(again.find('[data-testid="duplicate-offer"]').exists()).toBe(false)
  })
})
