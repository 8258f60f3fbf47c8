import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import SyncView from '@/views/SyncView.vue'
import { getDatabase } from '@/db/db'
import { readSession } from '@/db/sync-store'
import { i18n } from '@/i18n'
import type { ConflictEntry } from '@/shared/protocol'
import { useMenteesStore } from '@/stores/mentees'
import { useSyncStore } from '@/stores/sync'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'
import { jsonResponse, OTHER_USER, restoreSignedIn, SERVER_TIME, stubEndpoint, testConflict, testUser } from './endpoint'

const CONFLICTS_OFFLINE = 'Überschriebene Änderungen werden angezeigt, sobald eine Verbindung besteht.'
const NO_CONFLICTS = 'Keine Ihrer Änderungen wurde überschrieben.'
const NO_REJECTIONS = 'Alle Änderungen wurden angenommen.'

let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []
const me = testUser()

async function mountSyncView(): Promise<VueWrapper> {
  const wrapper = mount(SyncView, { global: { plugins: [ctx.pinia, i18n, router] } })
  mounted.push(wrapper)
  // onMounted reads the local state and asks for the conflicts.
  await flushPromises()
  return wrapper
}

function conflictsAnswer(conflicts: ConflictEntry[]) {
  return () => jsonResponse(200, { conflicts, serverTime: SERVER_TIME })
}

function section(wrapper: VueWrapper, headingId: string) {
  return wrapper.get(`section[aria-labelledby="${headingId}"]`)
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  router = createTestRouter()
  await router.push('/sync')
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('SyncView: signing out', () => {
  it('refuses to sign out with 2 unsent changes, then wipes everything once confirmed', async () => {
    const endpoint = stubEndpoint()
    const session = await restoreSignedIn(me)
    const mentees = useMenteesStore()
    await mentees.create(menteeFields({ givenName: 'Testperson', familyName: 'Eins' }))
    await mentees.create(menteeFields({ givenName: 'Testperson', familyName: 'Zwei' }))
    const wrapper = await mountSyncView()
    await eventually(() => expect(wrapper.get('[data-testid="unsent-count"]').text()).toMatch(/^2\b/))

    await wrapper.get('[data-testid="sign-out"]').trigger('click')

    const alert = await eventually(() => section(wrapper, 'sync-sign-out').get('[role="alert"]'))
    expect(alert.text()).toContain('Achtung: 2 Änderungen sind noch nicht gesendet und gingen verloren.')
    const confirm = wrapper.get('[data-testid="confirm-sign-out"]')
    expect(confirm.text()).toBe('Trotzdem abmelden und 2 Änderungen verwerfen')
    expect(wrapper.find('[data-testid="sign-out"]').exists()).toBe(false)
    // Nothing happened yet.
    expect(router.currentRoute.value.fullPath).toBe('/sync')
    expect(await readSession()).toEqual(session)
    expect(await getDatabase().mentees.count()).toBe(2)
    expect(endpoint.callsTo('DELETE /api/v1/session')).toHaveLength(0)

    await confirm.trigger('click')

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/login'))
    const db = getDatabase()
    expect(await db.mentees.count()).toBe(0)
    expect(await db.outbox.count()).toBe(0)
    expect(await readSession()).toBeUndefined()
    expect(useSyncStore().session).toBeNull()
    expect(mentees.count).toBe(0)
    const [deleteCall] = endpoint.callsTo('DELETE /api/v1/session')
    expect(deleteCall?.headers.authorization).toBe(`Bearer ${session.token}`)
    // Nothing else was sent: the unsent changes were discarded, not pushed.
    expect(endpoint.callsTo('POST /api/v1/sync/push')).toHaveLength(0)
  })

  // Regression: the warning used to keep naming changes that were sent meanwhile.
  it('drops the unsent warning once "Jetzt abgleichen" in it has sent everything', async () => {
    const endpoint = stubEndpoint()
    await restoreSignedIn(me)
    const mentees = useMenteesStore()
    await mentees.create(menteeFields({ familyName: 'Eins' }))
    await mentees.create(menteeFields({ familyName: 'Zwei' }))
    const wrapper = await mountSyncView()
    await eventually(() => expect(wrapper.get('[data-testid="unsent-count"]').text()).toMatch(/^2\b/))
    await wrapper.get('[data-testid="sign-out"]').trigger('click')
    const alert = await eventually(() => section(wrapper, 'sync-sign-out').get('[role="alert"]'))

    await alert.get('button:not([data-testid="confirm-sign-out"])').trigger('click')

    await eventually(() => expect(wrapper.text()).toContain('Abgleich abgeschlossen.'))
    expect(endpoint.callsTo('POST /api/v1/sync/push').length).toBeGreaterThan(0)
    expect(wrapper.get('[data-testid="unsent-count"]').text()).toBe('0')
    expect(wrapper.text()).not.toContain('2 Änderungen sind noch nicht gesendet')
    expect(wrapper.find('[data-testid="confirm-sign-out"]').exists()).toBe(false)
    expect(wrapper.find('[data-testid="sign-out"]').exists()).toBe(true)
  })

  it('uses the singular for one unsent change', async () => {
    stubEndpoint()
    await restoreSignedIn(me)
    await useMenteesStore().create(menteeFields())
    const wrapper = await mountSyncView()

    await wrapper.get('[data-testid="sign-out"]').trigger('click')

    await eventually(() => expect(wrapper.text()).toContain('Achtung: 1 Änderung ist noch nicht gesendet und ginge verloren.'))
    expect(wrapper.get('[data-testid="confirm-sign-out"]').text()).toBe('Trotzdem abmelden und 1 Änderung verwerfen')
  })

  it('signs out directly with no unsent changes', async () => {
    const endpoint = stubEndpoint()
    const session = await restoreSignedIn(me)
    const wrapper = await mountSyncView()
    expect(wrapper.get('[data-testid="unsent-count"]').text()).toBe('0')

    await wrapper.get('[data-testid="sign-out"]').trigger('click')

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/login'))
    expect(wrapper.find('[data-testid="confirm-sign-out"]').exists()).toBe(false)
    expect(await readSession()).toBeUndefined()
    const [deleteCall] = endpoint.callsTo('DELETE /api/v1/session')
    expect(deleteCall?.headers.authorization).toBe(`Bearer ${session.token}`)
  })

  it('signs out and wipes the device even when the endpoint cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    await restoreSignedIn(me)
    const wrapper = await mountSyncView()

    await wrapper.get('[data-testid="sign-out"]').trigger('click')

    await eventually(() => expect(router.currentRoute.value.fullPath).toBe('/login'))
    expect(await readSession()).toBeUndefined()
  })
})

describe('SyncView: state', () => {
  it('names the signed-in user with their role', async () => {
    stubEndpoint()
    await restoreSignedIn(me)
    const wrapper = await mountSyncView()
    expect(wrapper.text()).toContain('Testperson Beispiel (Coach)')
    expect(wrapper.get('[data-testid="last-sync"]').text()).toBe('Noch nie abgeglichen')
  })

  it('syncs on "Jetzt abgleichen" and reports the result', async () => {
    const endpoint = stubEndpoint()
    await restoreSignedIn(me)
    await useMenteesStore().create(menteeFields())
    const wrapper = await mountSyncView()

    await wrapper.get('[data-testid="sync-now"]').trigger('click')

    await eventually(() => expect(wrapper.text()).toContain('Abgleich abgeschlossen.'))
    expect(endpoint.callsTo('POST /api/v1/sync/push').length).toBeGreaterThan(0)
    expect(wrapper.get('[data-testid="unsent-count"]').text()).toBe('0')
    expect(wrapper.get('[data-testid="last-sync"]').text()).not.toBe('Noch nie abgeglichen')
  })
})

describe('SyncView: an expired session', () => {
  async function syncWithExpiredSession(): Promise<VueWrapper> {
    const expired = () => jsonResponse(401, { error: 'unauthorized' })
    stubEndpoint({ 'POST /api/v1/sync/push': expired, 'GET /api/v1/sync/pull': expired, 'GET /api/v1/conflicts': expired })
    await restoreSignedIn(me)
    await useMenteesStore().create(menteeFields())
    const wrapper = await mountSyncView()
    await wrapper.get('[data-testid="sync-now"]').trigger('click')
    await eventually(() => expect(wrapper.text()).toContain('Abgleich nicht möglich.'))
    return wrapper
  }

  it('says the user must sign in again, and keeps the session and the unsent change', async () => {
    const wrapper = await syncWithExpiredSession()
    expect(section(wrapper, 'sync-state').get('.notice').text()).toBe('Abgemeldet – bitte neu anmelden, um abzugleichen.')
    expect(await readSession()).toBeDefined()
    expect(await getDatabase().outbox.count()).toBe(1)
  })

  // Regression: after a 401 no screen led back to the sign-in.
  it('offers a way to sign in again that keeps the unsent changes', async () => {
    const wrapper = await syncWithExpiredSession()
    expect(wrapper.find('a[href^="/login"]').exists()).toBe(true)
  })
})

describe('SyncView: conflict inbox', () => {
  it('lists only the values the signed-in user lost, and restores one', async () => {
    const mentee = await useMenteesStore().create(menteeFields({ phone: '+49 000 999' }))
    await getDatabase().outbox.clear()
    const mine = testConflict({
      recordId: mentee.id,
      field: 'phone',
      value: '+49 000 111',
      lostBy: { userId: me.id, displayName: me.displayName },
      wonBy: { userId: OTHER_USER.id, displayName: 'Ayşe Beispiel' },
    })
    const theirs = testConflict({
      recordId: mentee.id,
      field: 'email',
      value: 'andere@beispiel.invalid',
      lostBy: { userId: OTHER_USER.id, displayName: 'Ayşe Beispiel' },
      wonBy: { userId: me.id, displayName: me.displayName },
    })
    const endpoint = stubEndpoint({ 'GET /api/v1/conflicts': conflictsAnswer([mine, theirs]) })
    const session = await restoreSignedIn(me)

    const wrapper = await mountSyncView()

    const items = await eventually(() => {
      const found = wrapper.findAll('[data-testid="conflicts"] li')
      expect(found).toHaveLength(1)
      return found
    })
    const item = items[0]!
    expect(item.text()).toContain('Ihre Änderung an „Telefon“ wurde von Ayşe Beispiel am')
    expect(item.get('.conflict__value').text()).toBe('+49 000 111')
    expect(wrapper.text()).not.toContain('andere@beispiel.invalid')
    expect(endpoint.callsTo('GET /api/v1/conflicts')[0]?.headers.authorization).toBe(`Bearer ${session.token}`)

    await item.get('[data-testid="restore-conflict"]').trigger('click')

    await eventually(() => expect(wrapper.find('[data-testid="conflicts"]').exists()).toBe(false))
    expect(section(wrapper, 'sync-conflicts').text()).toContain(NO_CONFLICTS)
    const db = getDatabase()
    expect((await db.mentees.get(mentee.id))?.phone).toBe('+49 000 111')
    expect(useMenteesStore().get(mentee.id)?.phone).toBe('+49 000 111')
    const outbox = await db.outbox.toArray()
    expect(outbox).toHaveLength(1)
    expect(outbox[0]).toMatchObject({ table: 'mentees', recordId: mentee.id, op: 'upsert', fields: { phone: '+49 000 111' } })
  })

  it('names "jemand anderem" when the winner is unknown', async () => {
    const mentee = await useMenteesStore().create(menteeFields())
    stubEndpoint({
      'GET /api/v1/conflicts': conflictsAnswer([
        testConflict({ recordId: mentee.id, field: 'followOnOffer', value: true, lostBy: { userId: me.id, displayName: me.displayName }, wonBy: null }),
      ]),
    })
    await restoreSignedIn(me)

    const wrapper = await mountSyncView()

    const item = await eventually(() => wrapper.get('[data-testid="conflicts"] li'))
    expect(item.text()).toContain('Ihre Änderung an „Anschlussangebot“ wurde von jemand anderem am')
    expect(item.get('.conflict__value').text()).toBe('ja')
  })

  it('says so when there are no lost values', async () => {
    stubEndpoint()
    await restoreSignedIn(me)
    const wrapper = await mountSyncView()
    await eventually(() => expect(section(wrapper, 'sync-conflicts').text()).toContain(NO_CONFLICTS))
  })

  it('shows the offline text when the conflicts cannot be loaded', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    await restoreSignedIn(me)

    const wrapper = await mountSyncView()

    await eventually(() => expect(section(wrapper, 'sync-conflicts').text()).toContain(CONFLICTS_OFFLINE))
    expect(wrapper.find('[data-testid="conflicts"]').exists()).toBe(false)
  })
})

describe('SyncView: refused changes', () => {
  it('shows the reason and the German field names, and "Gelesen" removes it', async () => {
    stubEndpoint()
    await restoreSignedIn(me)
    await ctx.db.rejections.add({
      table: 'mentees',
      recordId: crypto.randomUUID(),
      op: 'upsert',
      fields: { phone: '+49 000 333', residenceStatus: 'asylumPending' },
      reason: 'forbidden',
      detail: 'residenceStatus',
      at: new Date(2025, 2, 1, 9, 15).getTime(),
    })

    const wrapper = await mountSyncView()

    const item = await eventually(() => wrapper.get('[data-testid="rejections"] li'))
    expect(item.get('strong').text()).toBe('Keine Berechtigung.')
    expect(item.text()).toContain('Ihre Änderung an Telefon, Aufenthaltsstatus vom')
    expect(item.text()).toContain('wurde nicht übernommen.')
    expect(item.text()).toContain('Betroffenes Feld: Aufenthaltsstatus')

    const dismiss = item.get('button')
    expect(dismiss.text()).toBe('Gelesen')
    await dismiss.trigger('click')

    await eventually(() => expect(wrapper.find('[data-testid="rejections"]').exists()).toBe(false))
    expect(section(wrapper, 'sync-rejections').text()).toContain(NO_REJECTIONS)
    expect(await getDatabase().rejections.count()).toBe(0)
  })

  it('lists the newest refused change first, each with its own reason', async () => {
    stubEndpoint()
    await restoreSignedIn(me)
    await ctx.db.rejections.bulkAdd([
      { table: 'notes', recordId: crypto.randomUUID(), op: 'upsert', fields: { text: 'Gespräch' }, reason: 'deleted', at: 1_000 },
      { table: 'appointments', recordId: crypto.randomUUID(), op: 'upsert', fields: { place: 'Rathaus' }, reason: 'invalid', at: 2_000 },
    ])

    const wrapper = await mountSyncView()

    const items = await eventually(() => {
      const found = wrapper.findAll('[data-testid="rejections"] li')
      expect(found).toHaveLength(2)
      return found
    })
    expect(items[0]?.get('strong').text()).toBe('Ungültige Angabe.')
    expect(items[0]?.text()).toContain('Ort')
    expect(items[1]?.get('strong').text()).toBe('Der Eintrag wurde inzwischen gelöscht.')
    expect(items[1]?.text()).toContain('Notiztext')
  })
})
