import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import App from '@/App.vue'
import { listMentees } from '@/db/repositories/mentees'
import { hasKeyring } from '@/db/keyring'
import { newDataKey, useKeyForEveryDatabase } from '@/db/sealing'
import { i18n } from '@/i18n'
import { useLockStore } from '@/stores/lock'
import { useMenteesStore } from '@/stores/mentees'
import { useSyncStore } from '@/stores/sync'
import LockSettings from '@/components/lock/LockSettings.vue'
import PassphraseSetupView from '@/views/PassphraseSetupView.vue'
import UnlockView from '@/views/UnlockView.vue'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'
import { restoreSignedIn, stubEndpoint, testUser } from './endpoint'

const PASSPHRASE = 'ein langer Satz'
let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []

function mountWith(component: Parameters<typeof mount>[0]): VueWrapper {
  const wrapper = mount(component as never, { global: { plugins: [ctx.pinia, i18n, router] }, attachTo: document.body })
  mounted.push(wrapper)
  return wrapper
}

function setVisibility(state: 'hidden' | 'visible'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true })
  document.dispatchEvent(new Event('visibilitychange'))
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  // The key comes from the passphrase in these tests, not from the test set-up.
  useKeyForEveryDatabase(undefined)
  router = createTestRouter()
  stubEndpoint()
})

afterEach(async () => {
  vi.useRealTimers()
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  setVisibility('visible')
  vi.unstubAllGlobals()
  useKeyForEveryDatabase(await newDataKey(false))
})

/** A signed-in, unlocked device with one mentee in memory, App mounted on the mentee list. */
async function unlockedApp(): Promise<VueWrapper> {
  const lock = useLockStore()
  expect(await lock.setUp(PASSPHRASE, PASSPHRASE)).toBeNull()
  await restoreSignedIn(testUser())
  await useMenteesStore().create(menteeFields({ givenName: 'Testperson', familyName: 'Gesperrt' }))
  await router.push('/mentees')
  // Only the timers of the lock are faked: fake-indexeddb runs on setImmediate.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  const wrapper = mountWith(App)
  await flushPromises()
  return wrapper
}

describe('auto-lock', () => {
  it('locks after 5 idle minutes, not while the user is active, and empties every store', async () => {
    const wrapper = await unlockedApp()
    const lock = useLockStore()
    const mentees = useMenteesStore()
    expect(lock.autoLockMinutes).toBe(5)
    expect(mentees.count).toBe(1)

    vi.advanceTimersByTime(4 * 60_000)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }))
    vi.advanceTimersByTime(4 * 60_000)
    expect(lock.state).toBe('unlocked')

    vi.advanceTimersByTime(60_000 + 1)
    expect(lock.state).toBe('locked')
    expect(mentees.count).toBe(0)
    expect(useSyncStore().session).toBeNull()
    vi.useRealTimers()
    await eventually(() => expect(router.currentRoute.value.name).toBe('unlock'))
    expect(wrapper.text()).not.toContain('Gesperrt')
    await expect(listMentees()).rejects.toMatchObject({ kind: 'locked' })
  })

  it('locks when the app comes back after being hidden for longer than the limit', async () => {
    await unlockedApp()
    const lock = useLockStore()
    await lock.setAutoLockMinutes(2)
    setVisibility('hidden')
    // The browser slows timers in the background: only the clock moves.
    vi.setSystemTime(Date.now() + 3 * 60_000)
    expect(lock.state).toBe('unlocked')
    setVisibility('visible')
    expect(lock.state).toBe('locked')
  })

  it('keeps the setting within 1 to 30 minutes', async () => {
    const lock = useLockStore()
    await lock.setAutoLockMinutes(0)
    expect(lock.autoLockMinutes).toBe(1)
    await lock.setAutoLockMinutes(90)
    expect(lock.autoLockMinutes).toBe(30)
  })
})

describe('UnlockView', () => {
  it('says how many attempts are left after a wrong passphrase, and opens with the right one', async () => {
    const lock = useLockStore()
    await lock.setUp(PASSPHRASE, PASSPHRASE)
    await restoreSignedIn(testUser())
    lock.lock()
    await router.push({ name: 'unlock', query: { next: '/mentees' } })
    const wrapper = mountWith(UnlockView)

    await wrapper.get('[data-testid="unlock-passphrase"]').setValue('falsch')
    await wrapper.get('form').trigger('submit')
    const problem = await eventually(() => wrapper.get('[data-testid="unlock-problem"]'), 10_000)
    expect(problem.text()).toBe('Die Passphrase stimmt nicht. Noch 9 Versuche, dann werden die Daten auf diesem Gerät gelöscht.')
    expect(lock.state).toBe('locked')

    await wrapper.get('[data-testid="unlock-passphrase"]').setValue(PASSPHRASE)
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/mentees'), 10_000)
    expect(lock.state).toBe('unlocked')
    // The session is read again, sealed as it was.
    expect(useSyncStore().session?.user.username).toBe(testUser().username)
  })
})

describe('unlocking the app', () => {
  it('goes straight back to the page it was locked on, not through the sign-in screen', async () => {
    const lock = useLockStore()
    await lock.setUp(PASSPHRASE, PASSPHRASE)
    await restoreSignedIn(testUser())
    lock.lock()
    // Where the guard (src/router.ts) sends a locked app that opens on the new-person form.
    await router.push({ name: 'unlock', query: { next: '/mentees/new' } })
    const visited: string[] = []
    router.afterEach((to) => void visited.push(String(to.name)))
    const wrapper = mountWith(App)
    await flushPromises()

    await wrapper.get('[data-testid="unlock-passphrase"]').setValue(PASSPHRASE)
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/mentees/new'), 10_000)
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/mentees/new')
    expect(visited).not.toContain('login')
    expect(lock.state).toBe('unlocked')
  })
})

describe('the wipe', () => {
  /** A Cache Storage with the app shell's precache and a cache that could hold personal data. */
  function stubCaches(): { names: Set<string> } {
    const names = new Set(['workbox-precache-v2-http://localhost/', 'lotse-responses'])
    vi.stubGlobal('caches', {
      keys: () => Promise.resolve([...names]),
      delete: (name: string) => Promise.resolve(names.delete(name)),
    })
    return { names }
  }

  it('signing out removes the data, the key and every cache but the app shell', async () => {
    const lock = useLockStore()
    await lock.setUp(PASSPHRASE, PASSPHRASE)
    await restoreSignedIn(testUser())
    const { names } = stubCaches()
    expect(await useSyncStore().signOut()).toBeNull()
    expect([...names]).toEqual(['workbox-precache-v2-http://localhost/'])
    expect(await hasKeyring()).toBe(false)
    expect(lock.state).toBe('noKey')
  })

  it('ten wrong passphrases remove the same', async () => {
    const lock = useLockStore()
    await lock.setUp(PASSPHRASE, PASSPHRASE)
    lock.lock()
    const { names } = stubCaches()
    for (let attempt = 1; attempt < 10; attempt += 1) expect(await lock.unlock(`falsch ${attempt}`)).toMatchObject({ ok: false, reason: 'wrongPassphrase' })
    expect(names.size).toBe(2)
    expect(await lock.unlock('falsch 10')).toEqual({ ok: false, reason: 'wiped' })
    expect([...names]).toEqual(['workbox-precache-v2-http://localhost/'])
    expect(await hasKeyring()).toBe(false)
  }, 60_000)
})

describe('PassphraseSetupView', () => {
  it('asks for at least 8 characters and the same passphrase twice, then seals and goes on', async () => {
    await router.push({ name: 'passphrase' })
    const wrapper = mountWith(PassphraseSetupView)
    await wrapper.get('[data-testid="setup-passphrase"]').setValue('kurz')
    await wrapper.get('[data-testid="setup-repeat"]').setValue('kurz')
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(wrapper.text()).toContain('Bitte mindestens 8 Zeichen.'))

    await wrapper.get('[data-testid="setup-passphrase"]').setValue(PASSPHRASE)
    await wrapper.get('[data-testid="setup-repeat"]').setValue(`${PASSPHRASE}!`)
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(wrapper.text()).toContain('Die beiden Eingaben stimmen nicht überein.'))
    expect(await hasKeyring()).toBe(false)

    await wrapper.get('[data-testid="setup-repeat"]').setValue(PASSPHRASE)
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(useLockStore().state).toBe('unlocked'), 10_000)
    expect(await hasKeyring()).toBe(true)
  })
})

describe('LockSettings', () => {
  it('changes the passphrase only with the current one', async () => {
    const lock = useLockStore()
    await lock.setUp(PASSPHRASE, PASSPHRASE)
    const wrapper = mountWith(LockSettings)
    await wrapper.get('[data-testid="change-current"]').setValue('nicht die aktuelle')
    await wrapper.get('[data-testid="change-new"]').setValue('ein neuer langer Satz')
    await wrapper.get('[data-testid="change-repeat"]').setValue('ein neuer langer Satz')
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(wrapper.text()).toContain('Die aktuelle Passphrase stimmt nicht.'), 10_000)

    await wrapper.get('[data-testid="change-current"]').setValue(PASSPHRASE)
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(wrapper.find('[data-testid="passphrase-changed"]').exists()).toBe(true), 10_000)
    lock.lock()
    expect((await lock.unlock(PASSPHRASE)).ok).toBe(false)
    expect((await lock.unlock('ein neuer langer Satz')).ok).toBe(true)
  })
})
