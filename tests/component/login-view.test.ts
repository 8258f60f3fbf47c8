import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Router } from 'vue-router'
import LoginView from '@/views/LoginView.vue'
import { getDatabase } from '@/db/db'
import { readSession } from '@/db/sync-store'
import { i18n } from '@/i18n'
import { useMenteesStore } from '@/stores/mentees'
import { useSyncStore } from '@/stores/sync'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'
import { jsonResponse, OTHER_USER, restoreSignedIn, sessionResponse, stubEndpoint, stubOffline, testUser } from './endpoint'

const INVALID_CREDENTIALS = 'Benutzername oder Passwort stimmt nicht.'
const TOO_MANY_ATTEMPTS = 'Zu viele Fehlversuche. Bitte warten Sie 15 Minuten und versuchen Sie es dann erneut.'
const OFFLINE = 'Keine Verbindung. Für die erste Anmeldung braucht Lotse einmal Netz.'
const UNAVAILABLE = 'Der Server ist gerade nicht erreichbar. Bitte später erneut versuchen.'
const PASSWORD = 'beispiel-passwort'

let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []

async function mountLogin(path = '/login'): Promise<VueWrapper> {
  await router.push(path)
  const wrapper = mount(LoginView, { global: { plugins: [ctx.pinia, i18n, router] } })
  mounted.push(wrapper)
  return wrapper
}

function passwordInput(wrapper: VueWrapper): HTMLInputElement {
  return wrapper.get<HTMLInputElement>('[data-testid="login-password"]').element
}

async function signInWith(wrapper: VueWrapper, username: string, password = PASSWORD): Promise<void> {
  await wrapper.get('[data-testid="login-username"]').setValue(username)
  await wrapper.get('[data-testid="login-password"]').setValue(password)
  await wrapper.get('form').trigger('submit')
}

/** The sync that starts after a sign-in has finished, so nothing runs on after the test. */
async function firstSyncDone(): Promise<void> {
  const sync = useSyncStore()
  await eventually(() => expect(sync.lastSyncAt).not.toBeNull())
  await eventually(() => expect(sync.syncing).toBe(false))
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  router = createTestRouter()
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('LoginView', () => {
  it('disables the submit button until both username and password are filled in', async () => {
    stubEndpoint()
    const wrapper = await mountLogin()
    const submit = wrapper.get('[data-testid="login-submit"]')
    expect(wrapper.get('h1').text()).toBe('Anmelden')
    expect(submit.attributes('disabled')).toBeDefined()

    await wrapper.get('[data-testid="login-username"]').setValue('testperson')
    expect(submit.attributes('disabled')).toBeDefined()
    await wrapper.get('[data-testid="login-password"]').setValue(PASSWORD)
    expect(submit.attributes('disabled')).toBeUndefined()
    await wrapper.get('[data-testid="login-username"]').setValue('')
    expect(submit.attributes('disabled')).toBeDefined()
  })

  it('signs in: stores the session, clears the password and opens Today', async () => {
    const user = testUser()
    const endpoint = stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(user, 'token-eins')) })
    const wrapper = await mountLogin()

    await signInWith(wrapper, '  testperson ')

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    expect(passwordInput(wrapper).value).toBe('')
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)

    const stored = await readSession()
    expect(stored).toEqual({ token: 'token-eins', deviceId: `device-${user.id}`, user })
    expect(useSyncStore().session).toEqual(stored)

    const [request] = endpoint.callsTo('POST /api/v1/session')
    expect(request?.body).toMatchObject({ username: 'testperson', password: PASSWORD })
    expect((request?.body as { deviceName: string }).deviceName).not.toBe('')
    expect(request?.headers.authorization).toBeUndefined()

    // Sync starts right after signing in, with the new token.
    await firstSyncDone()
    const [pull] = endpoint.callsTo('GET /api/v1/sync/pull')
    expect(pull?.headers.authorization).toBe('Bearer token-eins')
  })

  it('opens the page named in ?next= after signing in', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(testUser())) })
    const wrapper = await mountLogin('/login?next=/mentees')

    await signInWith(wrapper, 'testperson')

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/mentees'))
    await firstSyncDone()
  })

  it('ignores a ?next= that is not a path of this app', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(testUser())) })
    const wrapper = await mountLogin('/login?next=https://example.invalid/phish')

    await signInWith(wrapper, 'testperson')

    await eventually(() => expect(useSyncStore().session).not.toBeNull())
    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    await firstSyncDone()
  })

  it('shows invalid credentials in an alert on 401 and keeps the password', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(401, { error: 'invalid_credentials' }) })
    const wrapper = await mountLogin()

    await signInWith(wrapper, 'testperson', 'falsch')

    await eventually(() => expect(wrapper.get('[role="alert"]').text()).toBe(INVALID_CREDENTIALS))
    expect(router.currentRoute.value.fullPath).toBe('/login')
    expect(passwordInput(wrapper).value).toBe('falsch')
    expect(await readSession()).toBeUndefined()
    expect(useSyncStore().session).toBeNull()
    expect(wrapper.get('[data-testid="login-submit"]').attributes('disabled')).toBeUndefined()
  })

  it('shows too many attempts on 429', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(429, { error: 'too_many_requests' }, { 'retry-after': '900' }) })
    const wrapper = await mountLogin()

    await signInWith(wrapper, 'testperson')

    await eventually(() => expect(wrapper.get('[role="alert"]').text()).toBe(TOO_MANY_ATTEMPTS))
    expect(await readSession()).toBeUndefined()
  })

  it('asks to try again shortly, not about failed attempts, when the endpoint is only busy (short Retry-After)', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(429, { error: 'too_many_requests' }, { 'retry-after': '3' }) })
    const wrapper = await mountLogin()

    await signInWith(wrapper, 'testperson')

    await eventually(() =>
      expect(wrapper.get('[role="alert"]').text()).toBe('Der Server ist gerade sehr beschäftigt. Bitte warten Sie einen Moment und versuchen Sie es dann erneut.'),
    )
    expect(await readSession()).toBeUndefined()
  })

  it('shows the offline text when fetch rejects', async () => {
    const fetchMock = stubOffline()
    const wrapper = await mountLogin()

    await signInWith(wrapper, 'testperson')

    await eventually(() => expect(wrapper.get('[role="alert"]').text()).toBe(OFFLINE))
    expect(fetchMock).toHaveBeenCalledTimes(1)
    expect(await readSession()).toBeUndefined()
    expect(router.currentRoute.value.fullPath).toBe('/login')
  })

  it('shows the server as unavailable on a 5xx answer', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(503, { error: 'internal_error' }) })
    const wrapper = await mountLogin()

    await signInWith(wrapper, 'testperson')

    await eventually(() => expect(wrapper.get('[role="alert"]').text()).toBe(UNAVAILABLE))
  })

  it('clears the previous problem once a later attempt works', async () => {
    let answer = 401
    stubEndpoint({
      'POST /api/v1/session': () => (answer === 401 ? jsonResponse(401, { error: 'invalid_credentials' }) : jsonResponse(201, sessionResponse(testUser()))),
    })
    const wrapper = await mountLogin()
    await signInWith(wrapper, 'testperson', 'falsch')
    await eventually(() => expect(wrapper.get('[role="alert"]').text()).toBe(INVALID_CREDENTIALS))

    answer = 201
    await signInWith(wrapper, 'testperson')

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    await firstSyncDone()
  })

  it('fills in the username of the stored session', async () => {
    stubEndpoint()
    await restoreSignedIn(testUser({ username: 'testperson.beispiel' }))
    const wrapper = await mountLogin()
    expect(wrapper.get<HTMLInputElement>('[data-testid="login-username"]').element.value).toBe('testperson.beispiel')
    expect(passwordInput(wrapper).value).toBe('')
  })

  it('wipes the previous user’s data when a different user signs in', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(OTHER_USER)) })
    await useMenteesStore().create(menteeFields({ givenName: 'Testperson', familyName: 'Vorbesitz' }))
    await restoreSignedIn(testUser())
    expect(await getDatabase().mentees.count()).toBe(1)
    const wrapper = await mountLogin()

    await signInWith(wrapper, OTHER_USER.username)

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    const db = getDatabase()
    expect(await db.mentees.count()).toBe(0)
    expect(await db.outbox.count()).toBe(0)
    expect((await readSession())?.user).toEqual(OTHER_USER)
    await firstSyncDone()
  })

  // Regression: the previous user's mentees used to stay in memory.
  it('drops the previous user’s mentees from memory too when a different user signs in', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(OTHER_USER)) })
    const mentees = useMenteesStore()
    await mentees.create(menteeFields({ givenName: 'Testperson', familyName: 'Vorbesitz' }))
    await mentees.ensureLoaded()
    await restoreSignedIn(testUser())
    const wrapper = await mountLogin()

    await signInWith(wrapper, OTHER_USER.username)

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    await firstSyncDone()
    expect(mentees.sorted).toEqual([])
  })

  it('keeps the local data when the same user signs in again', async () => {
    const user = testUser()
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(user, 'token-neu')) })
    const mentee = await useMenteesStore().create(menteeFields({ familyName: 'Bleibt' }))
    await restoreSignedIn(user)
    const wrapper = await mountLogin()

    await signInWith(wrapper, user.username)

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    await firstSyncDone()
    expect((await getDatabase().mentees.get(mentee.id))?.familyName).toBe('Bleibt')
    expect((await readSession())?.token).toBe('token-neu')
  })

  it('wipes the stored user’s data also when the store had not restored the session', async () => {
    stubEndpoint({ 'POST /api/v1/session': () => jsonResponse(201, sessionResponse(OTHER_USER)) })
    await useMenteesStore().create(menteeFields())
    await restoreSignedIn(testUser())
    // A fresh Pinia: the session is only in the database, as after a restore that failed.
    ctx.pinia = createPinia()
    setActivePinia(ctx.pinia)
    expect(useSyncStore().session).toBeNull()
    expect(await readSession()).toBeDefined()

    const wrapper = await mountLogin()
    await signInWith(wrapper, OTHER_USER.username)

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/'))
    expect(await getDatabase().mentees.count()).toBe(0)
    await firstSyncDone()
  })
})
