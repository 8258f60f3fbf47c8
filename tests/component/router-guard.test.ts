import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import App from '@/App.vue'
import { readSession } from '@/db/sync-store'
import { i18n } from '@/i18n'
import { createAppRouter } from '@/router'
import { useSyncStore } from '@/stores/sync'
import { eventually, setupComponentTest, type TestContext } from './helpers'
import { jsonResponse, restoreSignedIn, sessionResponse, stubEndpoint, testUser } from './endpoint'

/**
 * The sign-in guard of the real app router (web history on happy-dom's `window.location`).
 * Every test starts from `/` so the history of one test does not leak into the next.
 */

let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []

beforeEach(async () => {
  ctx = await setupComponentTest()
  window.history.replaceState(null, '', '/')
  router = createAppRouter()
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('sign-in guard of createAppRouter()', () => {
  it('sends a visitor without session from /mentees to /login?next=/mentees', async () => {
    await useSyncStore().restore()
    await router.push('/mentees')
    const route = router.currentRoute.value
    expect(route.name).toBe('login')
    expect(route.query).toEqual({ next: '/mentees' })
    expect(window.location.pathname).toBe('/login')
  })

  it('keeps the query of the page asked for in ?next=', async () => {
    await router.push('/mentees?q=Beispiel')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/mentees?q=Beispiel')
  })

  it('sends a visitor without session from / to /login without ?next=', async () => {
    await router.push('/')
    expect(router.currentRoute.value.fullPath).toBe('/login')
  })

  it('lets a visitor without session open /login', async () => {
    await router.push('/login')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query).toEqual({})
  })

  it('opens /mentees, /sync and / with a restored session', async () => {
    await restoreSignedIn()
    await router.push('/mentees')
    expect(router.currentRoute.value.name).toBe('mentees')
    await router.push('/sync')
    expect(router.currentRoute.value.name).toBe('sync')
    await router.push('/')
    expect(router.currentRoute.value.name).toBe('today')
  })

  it('guards unknown paths too', async () => {
    await router.push('/gibt-es-nicht')
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/gibt-es-nicht')
  })
})

describe('App with the real router', () => {
  function mountApp(): VueWrapper {
    const wrapper = mount(App, { global: { plugins: [ctx.pinia, i18n, router] } })
    mounted.push(wrapper)
    return wrapper
  }

  it('shows the sign-in screen for /mentees and, after signing in, the mentee list', async () => {
    const user = testUser()
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(user)) })
    await useSyncStore().restore()
    const wrapper = mountApp()
    await router.push('/mentees')
    await eventually(() => expect(wrapper.find('[data-testid="login"]').exists()).toBe(true))
    expect(router.currentRoute.value.fullPath).toBe('/login?next=/mentees')
    // Signed out: no navigation and no sync line in the header.
    expect(wrapper.find('nav.app-nav').exists()).toBe(false)
    expect(wrapper.find('[data-testid="sync-status"]').exists()).toBe(false)

    await wrapper.get('[data-testid="login-username"]').setValue(user.username)
    await wrapper.get('[data-testid="login-password"]').setValue('beispiel-passwort')
    await wrapper.get('form').trigger('submit')

    await eventually(() => expect(router.currentRoute.value.name).toBe('mentees'))
    await eventually(() => expect(wrapper.find('[data-testid="login"]').exists()).toBe(false))
    expect(wrapper.find('nav.app-nav').exists()).toBe(true)
    expect(wrapper.find('[data-testid="sync-status"]').exists()).toBe(true)
    expect((await readSession())?.user.id).toBe(user.id)
    await eventually(() => expect(useSyncStore().lastSyncAt).not.toBeNull())
  })

  it('goes to the sign-in screen with the revoked notice when the endpoint revoked the device', async () => {
    const revoked = () => jsonResponse(401, { error: 'device_revoked' })
    stubEndpoint({ 'POST /api/v1/sync/push': revoked, 'GET /api/v1/sync/pull': revoked })
    await restoreSignedIn()
    const wrapper = mountApp()
    await router.push('/mentees')
    await flushPromises()
    expect(router.currentRoute.value.name).toBe('mentees')

    await useSyncStore().syncNow()

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/login?reason=revoked'))
    await eventually(() =>
      expect(wrapper.get('[data-testid="login"] [role="status"]').text()).toBe(
        'Dieses Gerät wurde abgemeldet und seine Daten wurden gelöscht. Bitte melden Sie sich neu an.',
      ),
    )
    expect(await readSession()).toBeUndefined()
  })
})
