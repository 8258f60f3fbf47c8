import { describe, it, expect, beforeEach, afterEach, vi } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import type { Router } from 'vue-router'
import MenteeEditView from '@/views/MenteeEditView.vue'
import { getDatabase, type LotseDatabase } from '@/db/db'
import { i18n } from '@/i18n'
import { useDeviceStore } from '@/stores/device'
import { useMenteesStore } from '@/stores/mentees'
import { byId, controlByLabel, createTestRouter, eventually, failPuts, setupComponentTest, type TestContext } from './helpers'

const NAME_REQUIRED = 'Bitte mindestens Vor- oder Nachnamen angeben.'
const LEAVING_BEFORE_ARRIVAL = 'Das Schulende kann nicht vor der Einreise liegen.'
const FIX_ERRORS = 'Nicht gespeichert: Bitte die markierten Felder prüfen.'
const DRAFT_RESTORED = 'Ihre noch nicht gespeicherte Eingabe wurde wiederhergestellt.'
const QUOTA = 'Der Speicher des Geräts ist voll. Nichts wurde gespeichert; Ihre Eingabe ist noch da. Bitte Platz schaffen und erneut speichern.'

let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []

function mountEditView(pinia = ctx.pinia): VueWrapper {
  const wrapper = mount(MenteeEditView, { global: { plugins: [pinia, i18n, router] } })
  mounted.push(wrapper)
  return wrapper
}

/** The draft load and the store load run on mount; typing before they finish is not what users do. */
async function mountReady(pinia = ctx.pinia): Promise<VueWrapper> {
  const wrapper = mountEditView(pinia)
  const store = useMenteesStore()
  await eventually(() => expect(store.loaded).toBe(true))
  // One more round trip through fake-indexeddb, so the draft read has settled too.
  await getDatabase().drafts.count()
  return wrapper
}

async function submit(wrapper: VueWrapper): Promise<void> {
  await wrapper.get('form').trigger('submit')
}

function countRows(db: LotseDatabase) {
  return Promise.all([db.mentees.count(), db.outbox.count()])
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  router = createTestRouter()
  await router.push('/mentees/new')
})

afterEach(() => {
  vi.restoreAllMocks()
  while (mounted.length) mounted.pop()?.unmount()
})

describe('MenteeEditView with MenteeForm and FormField', () => {
  it('renders the German labels of the new-mentee form', async () => {
    const wrapper = await mountReady()
    expect(wrapper.get('h1').text()).toBe('Neue Person')
    expect(controlByLabel(wrapper, 'Vorname').attributes('data-testid')).toBe('given-name')
    expect(controlByLabel(wrapper, 'Nachname').attributes('data-testid')).toBe('family-name')
    expect(wrapper.get('[data-testid="save-mentee"]').text()).toBe('Speichern')
  })

  it('rejects a form without any name, marks the given-name field and stores nothing', async () => {
    const wrapper = await mountReady()
    const givenName = wrapper.get('[data-testid="given-name"]')
    expect(givenName.attributes('aria-invalid')).toBeUndefined()

    await submit(wrapper)

    await eventually(() => expect(wrapper.text()).toContain(NAME_REQUIRED))
    expect(givenName.attributes('aria-invalid')).toBe('true')
    const describedBy = givenName.attributes('aria-describedby')?.split(' ') ?? []
    const errorElement = wrapper.get('.field__error')
    expect(errorElement.attributes('id')).toBeTruthy()
    expect(describedBy).toContain(errorElement.attributes('id'))
    expect(errorElement.text()).toContain(NAME_REQUIRED)
    // The hint stays referenced as well.
    const hint = wrapper.findAll('.field__hint').find((p) => p.text().startsWith('So, wie die Person'))
    expect(hint).toBeDefined()
    expect(describedBy).toContain(hint?.attributes('id'))
    // The error sits in the given-name field, not elsewhere.
    const field = byId(wrapper, givenName.attributes('id') ?? '').element.closest('.field')
    expect(field?.classList.contains('field--invalid')).toBe(true)
    expect(field?.contains(errorElement.element)).toBe(true)
    // The family-name field is not marked.
    expect(wrapper.get('[data-testid="family-name"]').attributes('aria-invalid')).toBeUndefined()
    // One message above the form, announced.
    expect(wrapper.get('[role="alert"]').text()).toBe(FIX_ERRORS)

    expect(useMenteesStore().count).toBe(0)
    expect(await countRows(ctx.db)).toEqual([0, 0])
  })

  it('treats names of blanks only as empty', async () => {
    const wrapper = await mountReady()
    await wrapper.get('[data-testid="given-name"]').setValue('   ')
    await wrapper.get('[data-testid="family-name"]').setValue('  ')
    await submit(wrapper)
    await eventually(() => expect(wrapper.text()).toContain(NAME_REQUIRED))
    expect(await countRows(ctx.db)).toEqual([0, 0])
  })

  it('rejects a leaving date before the arrival date, next to the leaving date', async () => {
    const wrapper = await mountReady()
    await wrapper.get('[data-testid="given-name"]').setValue('Testperson')
    await controlByLabel(wrapper, 'Einreise').setValue('2024-05-01')
    const leaving = wrapper.get('[data-testid="leaving-date"]')
    await leaving.setValue('2024-04-30')

    await submit(wrapper)

    await eventually(() => expect(wrapper.text()).toContain(LEAVING_BEFORE_ARRIVAL))
    expect(leaving.attributes('aria-invalid')).toBe('true')
    const errorId = leaving.attributes('aria-describedby')
    expect(errorId).toBeTruthy()
    expect(byId(wrapper, errorId ?? '').text()).toContain(LEAVING_BEFORE_ARRIVAL)
    expect(wrapper.get('[data-testid="given-name"]').attributes('aria-invalid')).toBeUndefined()
    expect(wrapper.text()).not.toContain(NAME_REQUIRED)
    expect(await countRows(ctx.db)).toEqual([0, 0])
  })

  it('saves a valid form as one mentee with one outbox entry and opens the profile', async () => {
    const wrapper = await mountReady()
    await wrapper.get('[data-testid="given-name"]').setValue('  Testperson  ')
    await wrapper.get('[data-testid="family-name"]').setValue('Beispiel')
    await controlByLabel(wrapper, 'Einreise').setValue('2023-02-01')
    await wrapper.get('[data-testid="leaving-date"]').setValue('2026-07-15')
    await wrapper.get('[data-testid="stage"]').setValue('accompanied')

    await submit(wrapper)

    await eventually(() => expect(router.currentRoute.value.name).toBe('mentee'))
    const [mentees, outbox] = await Promise.all([ctx.db.mentees.toArray(), ctx.db.outbox.toArray()])
    expect(mentees).toHaveLength(1)
    const saved = mentees[0]
    expect(saved).toMatchObject({
      givenName: 'Testperson',
      familyName: 'Beispiel',
      arrivalDate: '2023-02-01',
      expectedLeavingDate: '2026-07-15',
      stage: 'accompanied',
    })
    expect(router.currentRoute.value.params.id).toBe(saved?.id)
    expect(outbox).toHaveLength(1)
    expect(outbox[0]).toMatchObject({ table: 'mentees', recordId: saved?.id, op: 'upsert' })
    expect(outbox[0]?.fields).toMatchObject({ givenName: 'Testperson', familyName: 'Beispiel' })
    expect(useMenteesStore().count).toBe(1)
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    // A saved form leaves no draft and does not block an update.
    await eventually(async () => expect(await ctx.db.drafts.count()).toBe(0))
    expect(useDeviceStore().unsavedForms.size).toBe(0)
  })
})

describe('drafts of the new-mentee form', () => {
  it('restores typed input after unmount and remount, with a notice', async () => {
    const first = await mountReady()
    expect(first.find('.notice').exists()).toBe(false)
    await first.get('[data-testid="given-name"]').setValue('Testperson Entwurf')

    // The draft is written shortly after typing (debounced).
    await vi.waitFor(
      async () => {
        const draft = await ctx.db.drafts.get('mentee:new')
        expect(draft?.value).toMatchObject({ givenName: 'Testperson Entwurf' })
      },
      { timeout: 5000, interval: 50 },
    )
    expect(useDeviceStore().unsavedForms.has('mentee:new')).toBe(true)
    first.unmount()
    mounted.splice(mounted.indexOf(first), 1)

    // A fresh app state, as after a reload: only the database remains.
    const pinia = createPinia()
    setActivePinia(pinia)
    const second = mountEditView(pinia)

    await eventually(() =>
      expect((second.get('[data-testid="given-name"]').element as HTMLInputElement).value).toBe('Testperson Entwurf'),
    )
    const notice = second.get('.notice')
    expect(notice.attributes('role')).toBe('status')
    expect(notice.text()).toContain(DRAFT_RESTORED)
    expect(useDeviceStore().unsavedForms.has('mentee:new')).toBe(true)
  })

  it('keeps input typed right before unmount, without waiting for the debounce', async () => {
    const first = await mountReady()
    await first.get('[data-testid="family-name"]').setValue('Eilig')
    first.unmount()
    mounted.splice(mounted.indexOf(first), 1)

    await eventually(async () => {
      const draft = await ctx.db.drafts.get('mentee:new')
      expect(draft?.value).toMatchObject({ familyName: 'Eilig' })
    })
    const second = mountEditView()
    await eventually(() => expect((second.get('[data-testid="family-name"]').element as HTMLInputElement).value).toBe('Eilig'))
    expect(second.text()).toContain(DRAFT_RESTORED)
  })

  // Regression: input typed before the stored draft was read used to be dropped.
  it('keeps input typed while the draft is still being read', async () => {
    const first = mountEditView()
    // Immediately, before the draft read resolves.
    await first.get('[data-testid="given-name"]').setValue('Testperson Schnell')
    await vi.waitFor(
      async () => {
        const draft = await ctx.db.drafts.get('mentee:new')
        expect(draft?.value).toMatchObject({ givenName: 'Testperson Schnell' })
      },
      { timeout: 5000 },
    )
    expect(useDeviceStore().unsavedForms.has('mentee:new')).toBe(true)
  })

  it('discarding the restored draft empties the form and deletes the draft', async () => {
    await ctx.db.drafts.put({ key: 'mentee:new', value: { givenName: 'Testperson Alt' }, savedAt: Date.now() })
    const wrapper = mountEditView()
    await eventually(() => expect(wrapper.text()).toContain(DRAFT_RESTORED))
    expect((wrapper.get('[data-testid="given-name"]').element as HTMLInputElement).value).toBe('Testperson Alt')

    const discard = wrapper.findAll('button').find((b) => b.text() === 'Entwurf verwerfen')
    expect(discard).toBeDefined()
    await discard?.trigger('click')

    await eventually(() => expect(wrapper.find('.notice').exists()).toBe(false))
    expect((wrapper.get('[data-testid="given-name"]').element as HTMLInputElement).value).toBe('')
    await eventually(async () => expect(await ctx.db.drafts.get('mentee:new')).toBeUndefined())
    expect(useDeviceStore().unsavedForms.has('mentee:new')).toBe(false)
  })
})

describe('storage failure while saving', () => {
  it('shows the quota message, keeps the input and stores neither mentee nor outbox entry', async () => {
    const db = getDatabase()
    const put = failPuts(db, 'mentees', new DOMException('full', 'QuotaExceededError'))
    const wrapper = await mountReady()
    await wrapper.get('[data-testid="given-name"]').setValue('Testperson')
    await wrapper.get('[data-testid="family-name"]').setValue('Speichervoll')

    await submit(wrapper)

    await eventually(() => expect(wrapper.find('[role="alert"]').exists()).toBe(true))
    expect(put.calls()).toBeGreaterThan(0)
    expect(wrapper.get('[role="alert"]').text()).toBe(QUOTA)
    expect((wrapper.get('[data-testid="given-name"]').element as HTMLInputElement).value).toBe('Testperson')
    expect((wrapper.get('[data-testid="family-name"]').element as HTMLInputElement).value).toBe('Speichervoll')
    expect(wrapper.get('[data-testid="save-mentee"]').attributes('disabled')).toBeUndefined()
    expect(router.currentRoute.value.name).toBe('mentee-new')
    expect(useMenteesStore().count).toBe(0)
    expect(await countRows(db)).toEqual([0, 0])
  })

  it('saves on retry once space is free again', async () => {
    const db = getDatabase()
    const put = failPuts(db, 'mentees', new DOMException('full', 'QuotaExceededError'), { once: true })
    const wrapper = await mountReady()
    await wrapper.get('[data-testid="given-name"]').setValue('Testperson')
    await submit(wrapper)
    await eventually(() => expect(wrapper.find('[role="alert"]').exists()).toBe(true))

    await submit(wrapper)

    await eventually(() => expect(router.currentRoute.value.name).toBe('mentee'))
    expect(put.calls()).toBe(2)
    expect(await countRows(db)).toEqual([1, 1])
  })
})
