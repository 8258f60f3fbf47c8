import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type { Router } from 'vue-router'
import App from '@/App.vue'
import { listLeads } from '@/db/repositories/leads'
import { newDataKey, useKeyForEveryDatabase } from '@/db/sealing'
import { i18n } from '@/i18n'
import { createAppRouter } from '@/router'
import type { FairEvent } from '@/shared/records'
import { FAIR_CONSENT_TEXT_VERSION } from '@/shared/vocabulary'
import { useFairsStore } from '@/stores/fairs'
import { useHandoverStore } from '@/stores/handover'
import { useLockStore } from '@/stores/lock'
import { useSyncStore } from '@/stores/sync'
import { restoreSignedIn, stubEndpoint } from './endpoint'
import { createFair, GUIDE, leadFields } from './fair'
import { eventually, setupComponentTest } from './helpers'

const PASSPHRASE = 'Passphrase der Begleitung'
let pinia: Pinia
let router: Router
let fair: FairEvent
const mounted: VueWrapper[] = []

function mountApp(): VueWrapper {
  const wrapper = mount(App, { global: { plugins: [pinia, i18n, router] }, attachTo: document.body })
  mounted.push(wrapper)
  return wrapper
}

/** As after a reload: new stores and router over the same database, at the address the page had. */
async function reload(): Promise<VueWrapper> {
  while (mounted.length) mounted.pop()?.unmount()
  // The page that is gone: its router no longer answers the browser's history, its sync stops,
  // and what it still had running settles before the new page starts (one Pinia per page).
  router.listening = false
  useSyncStore(pinia).stopAutomaticSync()
  await flushPromises()
  await useSyncStore(pinia).refreshLocalState().catch(() => undefined)
  pinia = createPinia()
  setActivePinia(pinia)
  const lock = useLockStore(pinia)
  await lock.initialize()
  if (lock.state === 'unlocked') await useSyncStore(pinia).restore()
  router = createAppRouter()
  setActivePinia(pinia)
  await router.push(window.location.pathname + window.location.search + window.location.hash)
  const wrapper = mountApp()
  await flushPromises()
  return wrapper
}

beforeEach(async () => {
  ;({ pinia } = await setupComponentTest())
  // The data key comes from the guide's passphrase here.
  useKeyForEveryDatabase(undefined)
  stubEndpoint()
  window.history.replaceState(null, '', '/')
  expect(await useLockStore().setUp(PASSPHRASE, PASSPHRASE)).toBeNull()
  await restoreSignedIn(GUIDE)
  fair = await createFair()
  router = createAppRouter()
  // The real key derivation (600,000 rounds) runs here and on every passphrase below.
}, 60_000)

afterEach(async () => {
  while (mounted.length) mounted.pop()?.unmount()
  if (router) router.listening = false
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
  useKeyForEveryDatabase(await newDataKey(false))
})

/** The guide's intake screen, then one tap on the visitor's language. */
async function handOver(language: string): Promise<VueWrapper> {
  await router.push(`/events/${fair.id}/intake`)
  const wrapper = mountApp()
  const button = await eventually(() => wrapper.get(`[data-testid="handover-${language}"]`), 20_000)
  expect(wrapper.find('nav.app-nav').exists()).toBe(true)
  await button.trigger('click')
  // The visitor's language loads on the way (a chunk of its own): give a busy machine time.
  await eventually(() => expect(router.currentRoute.value.fullPath).toBe(`/events/${fair.id}/handover?lang=${language}#visitor`), 20_000)
  await eventually(() => wrapper.get('[data-testid="intake-form"]'), 20_000)
  return wrapper
}

describe('hand-over to a visitor', { timeout: 90_000 }, () => {
  it('shows the form in Arabic, right to left, with the consent in Arabic next to German, and no header', async () => {
    const wrapper = await handOver('ar')
    const container = wrapper.get('[data-testid="handover"]')
    expect([container.attributes('lang'), container.attributes('dir')]).toEqual(['ar', 'rtl'])
    expect(wrapper.find('header.app-header').exists()).toBe(false)
    expect(wrapper.find('nav').exists()).toBe(false)
    expect(container.get('h1').text()).toBe('بياناتك')
    const columns = container.findAll('[data-testid="fair-consent-text"] article')
    expect(columns.map((c) => [c.attributes('lang'), c.attributes('dir')])).toEqual([
      ['ar', 'rtl'],
      ['de', 'ltr'],
    ])
    expect(columns[0]!.text()).toContain('الموافقة على التواصل')
    expect(columns[1]!.text()).toContain('Einwilligung zur Kontaktaufnahme')
    expect(columns[1]!.text()).toContain(FAIR_CONSENT_TEXT_VERSION)
    // Employers' outcomes are the guide's business: not on the visitor's form.
    expect(wrapper.find('[data-testid="employer-chips"]').exists()).toBe(false)

    // Validation speaks the visitor's language.
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')
    await eventually(() => expect(container.text()).toContain('يُرجى إدخال الاسم الأول أو اسم العائلة على الأقل.'))
  })

  it('refuses every other page: typed addresses, links and the back button', async () => {
    const wrapper = await handOver('uk')
    const here = `/events/${fair.id}/handover?lang=uk#visitor`
    for (const elsewhere of ['/mentees', '/settings', `/events/${fair.id}`, `/events/${fair.id}/handover?lang=de`, '/login', '/unlock']) {
      await router.push(elsewhere)
      expect(router.currentRoute.value.name, elsewhere).toBe('fair-handover')
      expect(router.currentRoute.value.query.lang, elsewhere).toBe('uk')
    }
    // Back, as often as the visitor likes: the page is found again each time.
    for (let press = 0; press < 3; press++) {
      window.history.back()
      await eventually(() => expect(router.currentRoute.value.fullPath).toBe(here))
    }
    // A popstate to an address of the guide's app (as when the history holds one) is refused too.
    window.history.replaceState(window.history.state, '', '/mentees')
    window.dispatchEvent(new PopStateEvent('popstate', { state: window.history.state }))
    await eventually(() => expect(router.currentRoute.value.name).toBe('fair-handover'))
    expect(wrapper.find('[data-testid="handover"]').exists()).toBe(true)
  })

  it('saves what the visitor typed without showing them anyone else, thanks them in their language, and stays through a reload', async () => {
    await useFairsStore().capture(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Bekannt', phone: '0170 5551234' }))
    let wrapper = await handOver('ar')
    await wrapper.get('[data-testid="intake-given-name"]').setValue('Testperson')
    await wrapper.get('[data-testid="intake-family-name"]').setValue('Bekannt')
    await wrapper.get('[data-testid="intake-phone"]').setValue('0170 5551234')
    await wrapper.get('[data-testid="intake-languages"] [data-value="ar"]').trigger('click')
    await wrapper.get('[data-testid="intake-consent"]').setValue(true)
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')

    const thanks = await eventually(() => wrapper.get('[data-testid="handover-thanks"]'))
    expect(thanks.text()).toContain('شكرًا جزيلًا!')
    // The known person is not shown to the visitor.
    expect(wrapper.find('[data-testid="duplicate-offer"]').exists()).toBe(false)
    expect(wrapper.text()).not.toContain('Bekannt')
    const saved = (await listLeads()).find((lead) => lead.selfIntake)
    expect(saved).toMatchObject({ givenName: 'Testperson', selfIntake: true, intakeLanguage: 'ar', consentLanguage: 'ar', consentFollowUp: true, followUpDue: '2026-03-17' })

    // A reload (the stored mode, new stores and router): still the thank-you, still no header.
    wrapper = await reload()
    await eventually(() => expect(wrapper.find('[data-testid="handover-thanks"]').exists()).toBe(true))
    expect(router.currentRoute.value.name).toBe('fair-handover')
    expect(wrapper.find('header.app-header').exists()).toBe(false)
    // A typed address after the reload: refused as well.
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('fair-handover')

    // Locked meanwhile (a real reload drops the key): the unlock screen, without the button that
    // removes the device's data, and after unlocking the visitor's page again.
    useLockStore(pinia).lock()
    wrapper = await reload()
    await eventually(() => expect(router.currentRoute.value.name).toBe('unlock'))
    expect(wrapper.find('[data-testid="unlock-handover"]').exists()).toBe(true)
    expect(wrapper.find('[data-testid="remove-device-data"]').exists()).toBe(false)
    await wrapper.get('[data-testid="unlock-passphrase"]').setValue(PASSPHRASE)
    await wrapper.get('[data-testid="unlock"] form').trigger('submit')
    await eventually(() => expect(router.currentRoute.value.name).toBe('fair-handover'), 15_000)
    await eventually(() => expect(wrapper.find('[data-testid="handover-thanks"]').exists()).toBe(true))
  })

  it('counts a wrong passphrase and returns to the guide with the right one, who then resolves the duplicate', async () => {
    const known = await useFairsStore().capture(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Zweimal', birthYear: 1993, phone: '0170 5559876', contacts: [{ employerId: 'bau', outcome: 'contact' }] }))
    const wrapper = await handOver('tr')
    await wrapper.get('[data-testid="intake-given-name"]').setValue('Testperson')
    await wrapper.get('[data-testid="intake-family-name"]').setValue('Zweimal')
    await wrapper.get('[data-testid="intake-birth-year"]').setValue('1993')
    await wrapper.get('[data-testid="intake-form"]').trigger('submit')
    await eventually(() => wrapper.get('[data-testid="handover-thanks"]'))

    await wrapper.get('[data-testid="return-to-guide-open"]').trigger('click')
    await wrapper.get('[data-testid="return-passphrase"]').setValue('falsch geraten')
    await wrapper.get('[data-testid="return-to-guide"] form').trigger('submit')
    const problem = await eventually(() => wrapper.get('[data-testid="return-problem"]'), 10_000)
    expect(problem.text()).toBe('Die Passphrase stimmt nicht. Noch 9 Versuche, dann werden die Daten auf diesem Gerät gelöscht.')
    expect(router.currentRoute.value.name).toBe('fair-handover')
    expect(useLockStore().state).toBe('unlocked')

    await wrapper.get('[data-testid="return-passphrase"]').setValue(PASSPHRASE)
    await wrapper.get('[data-testid="return-to-guide"] form').trigger('submit')
    await eventually(() => expect(router.currentRoute.value.fullPath).toBe(`/events/${fair.id}/intake`), 10_000)
    expect(useHandoverStore().mode).toBeNull()
    await eventually(() => expect(wrapper.find('nav.app-nav').exists()).toBe(true))

    // Back with the guide: the visitor's entry waits for review, flagged as a possible duplicate.
    const item = await eventually(() => wrapper.get('[data-testid="review-item"]'))
    expect(item.get('[data-testid="possible-duplicate"]').text()).toBe('Mögliche Doppelung')
    expect(item.get('[data-testid="duplicate-reason"]').text()).toBe('Gleicher Name und gleiches Geburtsjahr')
    await item.get('[data-employer="pflege"]').trigger('click')
    await eventually(async () => expect((await listLeads()).find((lead) => lead.selfIntake)?.contacts).toEqual([{ employerId: 'pflege', outcome: 'contact' }]))
    await wrapper.get('[data-testid="review-item"] [data-testid="merge-duplicate"]').trigger('click')
    await eventually(() => expect(wrapper.find('[data-testid="review-item"]').exists()).toBe(false))
    const leads = await listLeads()
    expect(leads.map((lead) => lead.id)).toEqual([known.id])
    expect(leads[0]!.contacts).toEqual([
      { employerId: 'bau', outcome: 'contact' },
      { employerId: 'pflege', outcome: 'contact' },
    ])
    // The back button does not lead into the visitor's page any more.
    window.history.back()
    await flushPromises()
    await eventually(() => expect(router.currentRoute.value.name).not.toBe('fair-handover'))
  })
})
