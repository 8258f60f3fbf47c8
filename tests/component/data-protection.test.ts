import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import DataProtectionActions from '@/components/privacy/DataProtectionActions.vue'
import { i18n } from '@/i18n'
import type { MenteeExport } from '@/shared/protocol'
import { useSyncStore } from '@/stores/sync'
import { createTestRouter, eventually, setupComponentTest, type TestContext } from './helpers'
import { jsonResponse, restoreSignedIn, SERVER_TIME, stubEndpoint, stubOffline, testUser } from './endpoint'

const MENTEE_ID = '0f0e0d0c-0b0a-4908-8706-050403020100'
const NAME = 'Testperson Beispiel'
const NEEDS_CONNECTION = 'Export und Löschung brauchen eine Verbindung zum Server. Dieses Gerät ist gerade offline.'
const OFFLINE_PROBLEM = 'Keine Verbindung zum Server. Bitte erneut versuchen, sobald eine Verbindung besteht.'

const EXPORT: MenteeExport = {
  format: 'lotse-export',
  version: 1,
  menteeId: MENTEE_ID,
  exportedAt: SERVER_TIME,
  tables: { mentees: [{ id: MENTEE_ID, fields: { givenName: 'Testperson' }, updatedAt: SERVER_TIME }], notes: [], appointments: [], checklistItems: [], events: [], leads: [] },
  conflicts: [],
  assignments: [],
}

let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []

function setOnline(online: boolean): void {
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(online)
}

async function mountActions(hasConsent = false): Promise<VueWrapper> {
  const wrapper = mount(DataProtectionActions, {
    props: { menteeId: MENTEE_ID, menteeName: NAME, hasConsent },
    global: { plugins: [ctx.pinia, i18n, router] },
  })
  mounted.push(wrapper)
  await flushPromises()
  return wrapper
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  router = createTestRouter()
  setOnline(true)
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('Export data (Art. 15)', () => {
  it('downloads what the endpoint returns as a JSON file', async () => {
    const endpoint = stubEndpoint({ [`GET /api/v1/mentees/${MENTEE_ID}/export`]: () => jsonResponse(200, EXPORT) })
    await restoreSignedIn(testUser({ role: 'pate' }))
    const blobs: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob)
      return 'blob:lotse-test'
    })
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
    const clicked: HTMLAnchorElement[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this)
    })
    const wrapper = await mountActions()

    // A Pate may export but not erase.
    expect(wrapper.find('[data-testid="erase-data"]').exists()).toBe(false)
    await wrapper.get('[data-testid="export-data"]').trigger('click')
    await eventually(() => expect(wrapper.find('[data-testid="export-done"]').exists()).toBe(true))

    expect(endpoint.callsTo(`GET /api/v1/mentees/${MENTEE_ID}/export`)).toHaveLength(1)
    expect(clicked).toHaveLength(1)
    expect(clicked[0]!.download).toBe(`lotse-export-${MENTEE_ID}.json`)
    expect(JSON.parse(await blobs[0]!.text())).toEqual(EXPORT)
  })

  it('says that it needs a connection when offline, and when the connection drops during the request', async () => {
    await restoreSignedIn(testUser())
    setOnline(false)
    const wrapper = await mountActions()
    expect(wrapper.get('[data-testid="data-protection-unavailable"]').text()).toBe(NEEDS_CONNECTION)
    expect(wrapper.get('[data-testid="export-data"]').attributes('disabled')).toBeDefined()
    expect(wrapper.get('[data-testid="erase-data"]').attributes('disabled')).toBeDefined()

    // navigator believes it is online, but nothing answers.
    setOnline(true)
    window.dispatchEvent(new Event('online'))
    stubOffline()
    await flushPromises()
    await wrapper.get('[data-testid="export-data"]').trigger('click')
    await eventually(() => expect(wrapper.get('[data-testid="data-protection-problem"]').text()).toBe(OFFLINE_PROBLEM))
  })
})

describe('Erase all data of this person (Art. 17)', () => {
  it('asks a second time, naming the person and what happens, and erases only once the user confirms', async () => {
    const endpoint = stubEndpoint({
      [`POST /api/v1/mentees/${MENTEE_ID}/erasure`]: () =>
        jsonResponse(200, { menteeId: MENTEE_ID, erased: { mentees: 1, notes: 2, appointments: 0, checklistItems: 0 }, serverTime: SERVER_TIME }),
    })
    await restoreSignedIn(testUser({ role: 'coach' }))
    const wrapper = await mountActions()

    await wrapper.get('[data-testid="erase-data"]').trigger('click')
    const confirmation = wrapper.get('[data-testid="erase-confirmation"]')
    expect(confirmation.text()).toContain(`${NAME} wird mit allen Notizen, Terminen und Checklisten gelöscht.`)
    expect(confirmation.text()).toContain('auf jedem Gerät bei seiner nächsten Synchronisierung')
    expect(confirmation.text()).toContain('nicht rückgängig')
    const confirm = wrapper.get('[data-testid="erase-confirm"]')
    expect(confirm.attributes('disabled')).toBeDefined()
    await confirm.trigger('click')
    expect(endpoint.callsTo(`POST /api/v1/mentees/${MENTEE_ID}/erasure`)).toHaveLength(0)

    // Cancel leaves everything as it was.
    await wrapper.get('[data-testid="erase-cancel"]').trigger('click')
    expect(wrapper.find('[data-testid="erase-confirmation"]').exists()).toBe(false)
    await wrapper.get('[data-testid="erase-data"]').trigger('click')

    await wrapper.get('[data-testid="erase-understood"]').setValue(true)
    await wrapper.get('[data-testid="erase-confirm"]').trigger('click')
    await eventually(() => expect(wrapper.emitted('erased')).toHaveLength(1))
    expect(endpoint.callsTo(`POST /api/v1/mentees/${MENTEE_ID}/erasure`)).toHaveLength(1)
    // The device syncs at once, so it removes the records now.
    await eventually(() => expect(endpoint.callsTo('GET /api/v1/sync/pull').length).toBeGreaterThan(0))
    await eventually(() => expect(useSyncStore().syncing).toBe(false))
  })

  it('erases the same way when the person withdraws their consent, and says that this is what withdrawal means', async () => {
    const endpoint = stubEndpoint({
      [`POST /api/v1/mentees/${MENTEE_ID}/erasure`]: () =>
        jsonResponse(200, { menteeId: MENTEE_ID, erased: { mentees: 1, notes: 0, appointments: 0, checklistItems: 0 }, serverTime: SERVER_TIME }),
    })
    await restoreSignedIn(testUser({ role: 'coach' }))
    const without = await mountActions(false)
    expect(without.find('[data-testid="withdraw-consent"]').exists()).toBe(false)
    const wrapper = await mountActions(true)

    await wrapper.get('[data-testid="withdraw-consent"]').trigger('click')
    const confirmation = wrapper.get('[data-testid="erase-confirmation"]')
    expect(confirmation.get('[data-testid="withdrawal-note"]').text()).toBe('Die Person widerruft ihre Einwilligung. Damit werden alle ihre Daten gelöscht.')
    await wrapper.get('[data-testid="erase-understood"]').setValue(true)
    await wrapper.get('[data-testid="erase-confirm"]').trigger('click')
    await eventually(() => expect(wrapper.emitted('erased')).toHaveLength(1))
    expect(endpoint.callsTo(`POST /api/v1/mentees/${MENTEE_ID}/erasure`)).toHaveLength(1)
    await eventually(() => expect(useSyncStore().syncing).toBe(false))
  })

  it('is not offered to a Pate or a guide, and says so when the endpoint refuses or there is no connection', async () => {
    for (const role of ['pate', 'guide'] as const) {
      await restoreSignedIn(testUser({ role }))
      const wrapper = await mountActions()
      expect(wrapper.find('[data-testid="erase-data"]').exists(), role).toBe(false)
      wrapper.unmount()
    }

    stubEndpoint({ [`POST /api/v1/mentees/${MENTEE_ID}/erasure`]: () => jsonResponse(403, { error: 'forbidden' }) })
    await restoreSignedIn(testUser({ role: 'coordinator' }))
    const wrapper = await mountActions()
    await wrapper.get('[data-testid="erase-data"]').trigger('click')
    await wrapper.get('[data-testid="erase-understood"]').setValue(true)
    await wrapper.get('[data-testid="erase-confirm"]').trigger('click')
    await eventually(() => expect(wrapper.get('[data-testid="data-protection-problem"]').text()).toBe('Dafür fehlt Ihnen die Berechtigung.'))
    expect(wrapper.emitted('erased')).toBeUndefined()

    stubOffline()
    await wrapper.get('[data-testid="erase-confirm"]').trigger('click')
    await eventually(() => expect(wrapper.get('[data-testid="data-protection-problem"]').text()).toBe(OFFLINE_PROBLEM))
    expect(wrapper.emitted('erased')).toBeUndefined()
  })
})
