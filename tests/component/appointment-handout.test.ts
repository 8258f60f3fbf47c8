import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import AppointmentHandoutView from '@/views/AppointmentHandoutView.vue'
import AppointmentView from '@/views/AppointmentView.vue'
import { createAppointment } from '@/db/repositories/appointments'
import { addChecklistItem, listChecklist } from '@/db/repositories/checklistItems'
import { inWriteTransaction, newId } from '@/db/outbox'
import { i18n, SUPPORTED_LOCALES, type AppLocale } from '@/i18n'
import { escapeText } from '@/shared/ics'
import type { Appointment } from '@/shared/records'
import { CHECKLIST_ITEM_KEYS, CHECKLIST_TEMPLATES } from '@/shared/vocabulary'
import { useMenteesStore } from '@/stores/mentees'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'

// The expected texts come straight from the locale files, not through the app's i18n.
type Tree = { [key: string]: string | Tree }
const messages = Object.fromEntries(
  SUPPORTED_LOCALES.map((locale) => [locale, JSON.parse(readFileSync(join(import.meta.dirname, '../../locales', `${locale}.json`), 'utf8')) as Tree]),
) as Record<AppLocale, Tree>
function message(locale: AppLocale, key: string): string {
  const value = key.split('.').reduce<string | Tree | undefined>((node, part) => (typeof node === 'object' ? node[part] : undefined), messages[locale])
  if (typeof value !== 'string') throw new Error(`no message ${locale}:${key}`)
  return value
}

const FREE_ITEM = 'Kopie vom Mietvertrag, zweimal'

let ctx: TestContext
let wrapper: VueWrapper | undefined

beforeEach(async () => {
  ctx = await setupComponentTest()
})
afterEach(() => {
  wrapper?.unmount()
  wrapper = undefined
  vi.restoreAllMocks()
  Reflect.deleteProperty(navigator, 'share')
})

/** A mentee and an appointment whose checklist holds every template item and one free item. */
async function seed(languages: string[], overrides: Partial<Appointment> = {}): Promise<Appointment> {
  const mentee = await useMenteesStore().create(menteeFields({ languages }))
  const appointment = await createAppointment({
    menteeId: mentee.id,
    startsAt: '2026-12-01T09:00',
    place: 'Kreishaus, Zimmer 3',
    type: 'other',
    companion: 'Coach Testperson',
    outcome: '',
    ...overrides,
  })
  const present = new Set((await listChecklist(appointment.id)).map((item) => item.templateKey))
  let position = 100
  await inWriteTransaction(async (ops) => {
    for (const templateKey of CHECKLIST_ITEM_KEYS.filter((key) => !present.has(key))) {
      await ops.put('checklistItems', newId(), { appointmentId: appointment.id, templateKey, label: '', done: false, position: position++ })
    }
  })
  await addChecklistItem(appointment.id, FREE_ITEM)
  return appointment
}

async function mountHandout(appointment: Appointment): Promise<VueWrapper> {
  const router = createTestRouter()
  await router.push(`/appointments/${appointment.id}/handout`)
  wrapper = mount(AppointmentHandoutView, { props: { id: appointment.id }, global: { plugins: [ctx.pinia, i18n, router] }, attachTo: document.body })
  await eventually(() => wrapper!.get('[data-testid="handout-sheet"]'), 10_000)
  return wrapper
}

/** Template rows of the checklist, in order: [German cell, second-language cell or undefined]. */
function templateRows(w: VueWrapper) {
  return w
    .get('[data-testid="handout-items"]')
    .findAll('tr:not([data-free])')
    .map((row) => {
      const cells = row.findAll('td')
      return { german: cells[1]!, theirs: cells[2] }
    })
}

describe('AppointmentHandoutView', () => {
  it.each(SUPPORTED_LOCALES.filter((locale) => locale !== 'de'))(
    'shows every template item in German and in %s, the second column in its language and direction',
    async (locale) => {
      // Kurdish is not an app language: the first of the person's languages that is one counts.
      const w = await mountHandout(await seed(['ku', locale]))
      expect((w.get('[data-testid="handout-language"]').element as HTMLSelectElement).value).toBe(locale)
      const dir = locale === 'ar' || locale === 'fa' ? 'rtl' : 'ltr'

      const rows = templateRows(w)
      expect(rows).toHaveLength(CHECKLIST_ITEM_KEYS.length)
      // The template of the type first, then the others in the order they were added.
      const keys = [...CHECKLIST_TEMPLATES.other, ...CHECKLIST_ITEM_KEYS.filter((key) => !CHECKLIST_TEMPLATES.other.includes(key))]
      for (const [i, key] of keys.entries()) {
        const { german, theirs } = rows[i]!
        expect(german.text()).toBe(message('de', `checklist.items.${key}`))
        expect(german.attributes('lang')).toBe('de')
        expect(theirs?.text()).toBe(message(locale, `checklist.items.${key}`))
        expect(theirs?.attributes('lang')).toBe(locale)
        expect(theirs?.attributes('dir')).toBe(dir)
      }
      const free = w.get('[data-testid="handout-items"] tr[data-free]').findAll('td')[1]!
      expect(free.text()).toBe(FREE_ITEM)
      expect(free.attributes('colspan')).toBe('2')

      const type = w.get('[data-testid="handout-type"]')
      expect(type.get('[lang="de"]').text()).toBe(message('de', 'appointmentType.other'))
      expect(type.get(`[lang="${locale}"]`).text()).toBe(message(locale, 'appointmentType.other'))
      expect(type.get(`[lang="${locale}"]`).attributes('dir')).toBe(dir)
      const bring = w.get('[data-testid="handout-bring"]')
      expect(bring.get(`[lang="${locale}"]`).text()).toBe(message(locale, 'checklist.title'))

      const place = w.get('[data-testid="handout-facts"] tr[data-field="place"]')
      expect(place.get('[data-column="theirs"]').text()).toContain(message(locale, 'appointment.fields.place'))
      expect(place.get('[data-column="theirs"]').text()).toContain('Kreishaus, Zimmer 3')
      expect(place.get('[data-column="theirs"]').attributes('dir')).toBe(dir)
      const when = w.get('[data-testid="handout-facts"] tr[data-field="startsAt"]')
      expect(when.findAll('td')[0]!.text()).toContain('2026')
      expect(when.get('[data-column="theirs"]').text()).toContain(message(locale, 'appointment.fields.startsAt'))
      expect(w.get('[data-testid="handout-facts"] tr[data-field="companion"]').text()).toContain('Coach Testperson')
    },
  )

  it('shows German only when German is chosen as the second language', async () => {
    const w = await mountHandout(await seed(['de']))
    // A German speaker gets English first, as on the other bilingual pages; the coach may change it.
    expect((w.get('[data-testid="handout-language"]').element as HTMLSelectElement).value).toBe('en')
    await w.get('[data-testid="handout-language"]').setValue('de')
    await eventually(() => expect(w.findAll('[data-column="theirs"]')).toHaveLength(0))
    const rows = templateRows(w)
    expect(rows.map((row) => row.german.text())).toContain(message('de', 'checklist.items.passport'))
    expect(rows.every((row) => row.theirs === undefined)).toBe(true)
    expect(w.get('[data-testid="handout-items"] tr[data-free] td[colspan="1"]').text()).toBe(FREE_ITEM)
  })

  it('falls back to a text box with both languages when the browser cannot share, and copies it', async () => {
    expect('share' in navigator).toBe(false)
    const w = await mountHandout(await seed(['ar']))
    expect(w.find('[data-testid="handout-share-fallback"]').exists()).toBe(false)
    await w.get('[data-testid="handout-share"]').trigger('click')
    const box = await eventually(() => w.get<HTMLTextAreaElement>('[data-testid="handout-text"]'))
    const text = box.element.value
    expect(text).toContain(message('de', 'checklist.title'))
    expect(text).toContain(message('ar', 'checklist.title'))
    expect(text).toContain(`☐ ${message('de', 'checklist.items.passport')}`)
    expect(text).toContain(`☐ ${message('ar', 'checklist.items.passport')}`)
    expect(text).toContain(message('de', 'appointmentType.other'))
    expect(text).toContain(message('ar', 'appointmentType.other'))
    expect(text).toContain(FREE_ITEM)
    expect(text).toContain('Kreishaus, Zimmer 3')
    // The German block comes first, then the whole of it in Arabic.
    expect(text.indexOf(message('de', 'checklist.items.cv'))).toBeLessThan(text.indexOf(message('ar', 'checklist.title')))
    expect(box.attributes('readonly')).toBeDefined()
    expect(document.activeElement).toBe(box.element)

    const writeText = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue(undefined)
    await w.get('[data-testid="handout-copy"]').trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith(text)
    expect(w.get('[data-testid="handout-copy-status"]').text()).toBe(message('de', 'handout.copied'))

    writeText.mockRejectedValue(new DOMException('denied', 'NotAllowedError'))
    await w.get('[data-testid="handout-copy"]').trigger('click')
    await flushPromises()
    expect(w.get('[data-testid="handout-copy-status"]').text()).toBe(message('de', 'handout.copyFailed'))
  })

  it('shares the bilingual text through the share sheet when there is one, and says nothing when the user cancels', async () => {
    const share = vi.fn<(data: ShareData) => Promise<void>>().mockResolvedValue(undefined)
    Object.defineProperty(navigator, 'share', { value: share, configurable: true })
    const w = await mountHandout(await seed(['fa']))
    await w.get('[data-testid="handout-share"]').trigger('click')
    await flushPromises()
    expect(share).toHaveBeenCalledTimes(1)
    const data = share.mock.calls[0]![0]
    expect(data.title).toBe(`${message('de', 'appointmentType.other')} / ${message('fa', 'appointmentType.other')}`)
    expect(data.text).toContain(message('de', 'checklist.items.appointmentLetter'))
    expect(data.text).toContain(message('fa', 'checklist.items.appointmentLetter'))
    expect(w.find('[data-testid="handout-share-fallback"]').exists()).toBe(false)

    share.mockRejectedValueOnce(new DOMException('cancelled', 'AbortError'))
    await w.get('[data-testid="handout-share"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="handout-share-fallback"]').exists()).toBe(false)

    // Any other failure (no permission, data refused): the text to copy instead.
    share.mockRejectedValueOnce(new DOMException('not allowed', 'NotAllowedError'))
    await w.get('[data-testid="handout-share"]').trigger('click')
    await eventually(() => w.get('[data-testid="handout-share-fallback"]'))
  })

  it('downloads a calendar file named by the day only, with both languages in it', async () => {
    const blobs: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob)
      return 'blob:handout-test'
    })
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
    const names: string[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download)
    })
    const appointment = await seed(['uk'])
    const w = await mountHandout(appointment)
    await w.get('[data-testid="handout-calendar"]').trigger('click')

    expect(names).toEqual(['termin-2026-12-01.ics'])
    expect(blobs[0]!.type).toBe('text/calendar;charset=utf-8')
    const ics = await blobs[0]!.text()
    const unfolded = ics.replace(/\r\n /g, '')
    expect(unfolded).toContain('DTSTART;TZID=Europe/Berlin:20261201T090000\r\n')
    expect(unfolded).toContain(`UID:${appointment.id}@lotse.invalid\r\n`)
    expect(unfolded).toContain(`SUMMARY:${message('de', 'appointmentType.other')} / ${message('uk', 'appointmentType.other')}\r\n`)
    expect(unfolded).toContain('LOCATION:Kreishaus\\, Zimmer 3\r\n')
    expect(unfolded).toContain(escapeText(message('uk', 'checklist.items.passport')))
    expect(unfolded).toContain(escapeText(message('de', 'checklist.items.passport')))
    expect(unfolded).toContain('TRIGGER:-P1D')
    expect(unfolded).not.toContain('Testperson Beispiel')
  })
})

describe('AppointmentView', () => {
  it('links to the handout', async () => {
    const appointment = await seed(['ar'])
    const router = createTestRouter()
    await router.push(`/appointments/${appointment.id}`)
    wrapper = mount(AppointmentView, { props: { id: appointment.id }, global: { plugins: [ctx.pinia, i18n, router] } })
    const link = await eventually(() => wrapper!.get('[data-testid="open-handout"]'))
    expect(link.attributes('href')).toBe(`/appointments/${appointment.id}/handout`)
    expect(link.text()).toBe(message('de', 'handout.link'))
  })
})
