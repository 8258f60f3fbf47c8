import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import SyncStatus from '@/components/sync/SyncStatus.vue'
import type { OutboxEntry } from '@/db/db'
import { saveLastSyncAt } from '@/db/sync-store'
import { i18n } from '@/i18n'
import { formatStamp } from '@/shared/hlc'
import { useSyncStore } from '@/stores/sync'
import { createTestRouter, eventually, setupComponentTest, type TestContext } from './helpers'
import { jsonResponse, restoreSignedIn, stubEndpoint, testConflict, testUser, SERVER_TIME } from './endpoint'

const HOUR = 60 * 60 * 1000

let ctx: TestContext
const mounted: VueWrapper[] = []

function mountStatus(): VueWrapper {
  const wrapper = mount(SyncStatus, { global: { plugins: [ctx.pinia, i18n, createTestRouter()] } })
  mounted.push(wrapper)
  return wrapper
}

function outboxEntry(at: number, counter: number): OutboxEntry {
  return {
    table: 'mentees',
    recordId: crypto.randomUUID(),
    op: 'upsert',
    fields: { phone: '+49 000 000' },
    at,
    hlc: formatStamp({ millis: at, counter, node: 'device-test' }),
  }
}

function statusText(wrapper: VueWrapper): string {
  return wrapper.get('[data-testid="sync-status"]').text()
}

beforeEach(async () => {
  ctx = await setupComponentTest()
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('SyncStatus', () => {
  it('shows nothing while nobody is signed in', async () => {
    await useSyncStore().restore()
    const wrapper = mountStatus()
    expect(wrapper.find('[data-testid="sync-status"]').exists()).toBe(false)
  })

  it('links to the sync page and says it never synced before the first sync', async () => {
    await restoreSignedIn()
    const wrapper = mountStatus()
    const link = wrapper.get('[data-testid="sync-status"]')
    expect(link.attributes('href')).toBe('/sync')
    expect(statusText(wrapper)).toBe('Noch nie abgeglichen')
  })

  it('counts unsent changes and tells since when the oldest waits', async () => {
    await restoreSignedIn()
    const now = Date.now()
    await ctx.db.outbox.bulkAdd([outboxEntry(now - 2 * HOUR - 5 * 60_000, 1), outboxEntry(now - HOUR, 2), outboxEntry(now - 60_000, 3)])
    const sync = useSyncStore()
    await sync.refreshLocalState()
    expect(sync.pendingCount).toBe(3)

    const wrapper = mountStatus()

    expect(statusText(wrapper)).toBe('3 Änderungen nicht gesendet (Wartezeit: 2 Stunden)')
  })

  it('uses the singular for one unsent change', async () => {
    await restoreSignedIn()
    await ctx.db.outbox.add(outboxEntry(Date.now() - 5 * 60_000, 1))
    await useSyncStore().refreshLocalState()

    const wrapper = mountStatus()

    expect(statusText(wrapper)).toBe('1 Änderung nicht gesendet (Wartezeit: 5 Minuten)')
  })

  // Regression: "seit 3 Tage" was wrong German; the wording now takes the nominative.
  it('reads correctly for unsent changes older than two days', async () => {
    await restoreSignedIn()
    await ctx.db.outbox.add(outboxEntry(Date.now() - 3 * 24 * HOUR - HOUR, 1))
    await useSyncStore().refreshLocalState()

    const wrapper = mountStatus()

    expect(statusText(wrapper)).toBe('1 Änderung nicht gesendet (Wartezeit: 3 Tage)')
  })

  it('says everything is sent, with the time of the last sync', async () => {
    await restoreSignedIn()
    await saveLastSyncAt(new Date(2025, 2, 1, 14, 5).getTime())
    await useSyncStore().refreshLocalState()

    const wrapper = mountStatus()

    expect(statusText(wrapper)).toBe('Alles gesendet · 14:05')
    expect(wrapper.find('.badge').exists()).toBe(false)
  })

  it('names the unsent changes first and the time of the last sync after them', async () => {
    await restoreSignedIn()
    const lastSync = new Date()
    lastSync.setHours(9, 5, 0, 0)
    await saveLastSyncAt(lastSync.getTime())
    await ctx.db.outbox.add(outboxEntry(Date.now() - 10 * 60_000, 1))
    await useSyncStore().refreshLocalState()

    const wrapper = mountStatus()

    expect(statusText(wrapper)).toBe('1 Änderung nicht gesendet (Wartezeit: 10 Minuten) · zuletzt 09:05')
  })

  it('shows the offline problem when automatic sync starts without a connection', async () => {
    const fetchMock = stubEndpoint().fetch
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    await restoreSignedIn()
    await saveLastSyncAt(new Date(2025, 2, 1, 9, 30).getTime())
    const sync = useSyncStore()
    await sync.refreshLocalState()
    const wrapper = mountStatus()

    sync.startAutomaticSync()

    await eventually(() => expect(wrapper.get('.sync-status__problem').text()).toBe('Offline – Änderungen werden später gesendet.'))
    expect(statusText(wrapper)).toContain('Alles gesendet · 09:30')
    expect(fetchMock).not.toHaveBeenCalled()
  })

  it('shows the offline problem after a sync found no connection', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))))
    await restoreSignedIn()
    const sync = useSyncStore()
    const wrapper = mountStatus()

    expect(await sync.syncNow()).toBe(false)

    expect(sync.problem).toBe('offline')
    await eventually(() => expect(wrapper.get('.sync-status__problem').text()).toBe('Offline – Änderungen werden später gesendet.'))
  })

  it('adds a "zu prüfen" badge for a refused change', async () => {
    await restoreSignedIn()
    await ctx.db.rejections.add({
      table: 'mentees',
      recordId: crypto.randomUUID(),
      op: 'upsert',
      fields: { phone: '+49 000 222' },
      reason: 'forbidden',
      at: Date.now(),
    })
    const sync = useSyncStore()
    const wrapper = mountStatus()
    expect(wrapper.find('.badge').exists()).toBe(false)

    await sync.refreshLocalState()

    await eventually(() => expect(wrapper.get('.badge').text()).toBe('! 1 zu prüfen'))
  })

  it('counts lost conflicts into the badge as well', async () => {
    const me = testUser()
    stubEndpoint({
      'GET /api/v1/conflicts': () =>
        jsonResponse(200, {
          conflicts: [
            testConflict({ recordId: crypto.randomUUID(), lostBy: { userId: me.id, displayName: me.displayName } }),
            testConflict({ recordId: crypto.randomUUID(), field: 'email', lostBy: { userId: me.id, displayName: me.displayName } }),
          ],
          serverTime: SERVER_TIME,
        }),
    })
    await restoreSignedIn(me)
    await ctx.db.rejections.add({ table: 'notes', recordId: crypto.randomUUID(), op: 'delete', fields: {}, reason: 'deleted', at: Date.now() })
    const sync = useSyncStore()
    await sync.refreshLocalState()
    const wrapper = mountStatus()

    expect(await sync.loadConflicts()).toBe(true)

    await eventually(() => expect(wrapper.get('.badge').text()).toBe('! 3 zu prüfen'))
  })
})
