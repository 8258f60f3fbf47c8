import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import AppHeader from '@/components/layout/AppHeader.vue'
import { i18n, setLocale } from '@/i18n'
import { createAppRouter } from '@/router'
import type { Role } from '@/shared/protocol'
import { useSyncStore } from '@/stores/sync'
import { createTestRouter, setupComponentTest, type TestContext } from './helpers'
import { restoreSignedIn, stubEndpoint, testUser } from './endpoint'

let ctx: TestContext
const mounted: VueWrapper[] = []

beforeEach(async () => {
  ctx = await setupComponentTest()
  stubEndpoint()
  await setLocale('de')
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
})

describe('the navigation of each role', () => {
  // Every link a role sees leads somewhere it may go; nothing it may not.
  const expected: Record<Role, string[]> = {
    coordinator: ['Heute', 'Personen', 'Konferenz', 'Zahlen', 'Messen', 'Abgleich', 'Einstellungen'],
    coach: ['Heute', 'Personen', 'Konferenz', 'Zahlen', 'Messen', 'Abgleich', 'Einstellungen'],
    pate: ['Heute', 'Personen', 'Abgleich', 'Einstellungen'],
    guide: ['Heute', 'Messen', 'Abgleich', 'Einstellungen'],
  }

  it.each(Object.keys(expected) as Role[])('%s', async (role) => {
    const router = createTestRouter()
    await router.push('/')
    await restoreSignedIn(testUser({ role }))
    const header = mount(AppHeader, { global: { plugins: [ctx.pinia, i18n, router] } })
    mounted.push(header)
    expect(header.findAll('nav a').map((link) => link.text())).toEqual(expected[role])
  })

  it('sends a guide who opens a mentee or an appointment by its address to Today', async () => {
    window.history.replaceState(null, '', '/')
    const router = createAppRouter()
    await restoreSignedIn(testUser({ role: 'guide' }))
    for (const path of ['/mentees', '/mentees/new', '/mentees/some-id', '/appointments/some-id/handout']) {
      await router.push(path)
      expect(router.currentRoute.value.name, path).toBe('today')
    }
    await restoreSignedIn(testUser({ role: 'pate' }))
    await router.push('/mentees')
    expect(router.currentRoute.value.name).toBe('mentees')
  })
})
