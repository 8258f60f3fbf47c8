import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { listLeads } from '@/db/repositories/leads'
import { readSetting } from '@/db/repositories/settings'
import { newDataKey, useKeyForEveryDatabase } from '@/db/sealing'
import { addDays, toIsoDate } from '@/shared/dates'
import { useFairsStore } from '@/stores/fairs'
import { useLockStore } from '@/stores/lock'
import { useSyncStore } from '@/stores/sync'
import SettingsView from '@/views/SettingsView.vue'
import { restoreSignedIn, stubEndpoint, testUser } from './endpoint'
import { GUIDE, leadFields, mountWith } from './fair'
import { createTestRouter, eventually, setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []

beforeEach(async () => {
  ctx = await setupComponentTest()
  stubEndpoint()
  router = createTestRouter()
  await router.push('/settings')
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
})

describe('removing people without consent after the fair', () => {
  it('is set in Settings: 1 to 365 days, 14 unless chosen; Paten do not see it', async () => {
    await restoreSignedIn(GUIDE)
    const wrapper = mountWith(ctx, router, SettingsView)
    mounted.push(wrapper)
    const input = await eventually(() => wrapper.get<HTMLInputElement>('[data-testid="lead-retention-days"]'))
    expect(input.element.value).toBe('14')
    expect(wrapper.get('[data-testid="fair-settings"]').text()).toContain('Personen ohne Einwilligung anonymisieren nach (Tagen)')

    await input.setValue('30')
    await input.trigger('change')
    await eventually(() => expect(wrapper.get('[data-testid="lead-retention-saved"]').text()).toBe('Gespeichert: nach 30 Tagen.'))
    expect(await readSetting('leadRetentionDays')).toBe(30)
    await input.setValue('1000')
    await input.trigger('change')
    await eventually(() => expect(input.element.value).toBe('365'))
    expect(await readSetting('leadRetentionDays')).toBe(365)

    wrapper.unmount()
    mounted.pop()
    await restoreSignedIn(testUser({ role: 'pate' }))
    const pate = mountWith(ctx, router, SettingsView)
    mounted.push(pate)
    await eventually(() => expect(pate.find('[data-testid="settings"]').exists()).toBe(true))
    expect(pate.find('[data-testid="fair-settings"]').exists()).toBe(false)
  })

  it('anonymises the people without consent when the app is unlocked, after the chosen days', async () => {
    useKeyForEveryDatabase(undefined)
    try {
      const lock = useLockStore()
      await lock.setUp('Passphrase der Begleitung', 'Passphrase der Begleitung')
      await restoreSignedIn(GUIDE)
      const fairs = useFairsStore()
      const today = toIsoDate(new Date())
      const event = await fairs.saveEvent(undefined, { name: 'Testmesse vor drei Tagen', date: addDays(today, -3), place: '', employers: [] })
      await fairs.capture(leadFields(event.id, { familyName: 'Ohne' }))
      await fairs.capture(leadFields(event.id, { familyName: 'Mit', consentFollowUp: true, consentDate: addDays(today, -3) }))
      await fairs.setRetentionDays(2)

      lock.lock()
      expect(await lock.unlock('Passphrase der Begleitung')).toEqual({ ok: true })
      await eventually(async () => expect((await listLeads()).filter((lead) => lead.anonymised)).toHaveLength(1), 10_000)
      const leads = await listLeads()
      expect(leads.find((lead) => lead.anonymised)).toMatchObject({ givenName: '', familyName: '', phone: '', birthYear: null })
      expect(leads.find((lead) => !lead.anonymised)?.familyName).toBe('Mit')
    } finally {
      // No sync left running into the next test (its fetch is the stub of this one).
      useSyncStore().stopAutomaticSync()
      await eventually(() => expect(useSyncStore().syncing).toBe(false))
      useKeyForEveryDatabase(await newDataKey(false))
    }
  }, 60_000)
})
