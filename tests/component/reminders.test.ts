import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, type VueWrapper } from '@vue/test-utils'
import { useReminders } from '@/composables/useReminders'
import { createMentee } from '@/db/repositories/mentees'
import { saveNote } from '@/db/repositories/notes'
import { writeNotifyWhileOpen } from '@/db/repositories/reminders'
import { i18n } from '@/i18n'
import { addDays, toIsoDate } from '@/shared/dates'
import type { NoteFields } from '@/shared/records'
import { useLockStore } from '@/stores/lock'
import { useNotesStore } from '@/stores/notes'
import { useSyncStore } from '@/stores/sync'
import { useTodayStore } from '@/stores/today'
import { eventually, menteeFields, setupComponentTest, withSetup, type TestContext } from './helpers'

let ctx: TestContext
let wrapper: VueWrapper | undefined
const badge = { setAppBadge: vi.fn(async (_count?: number) => undefined), clearAppBadge: vi.fn(async () => undefined) }
const shown: { title: string; options: NotificationOptions }[] = []

class FakeNotification {
  static permission: NotificationPermission = 'granted'
  static requestPermission = vi.fn(async () => FakeNotification.permission)
  onclick: (() => void) | null = null
  constructor(title: string, options: NotificationOptions = {}) {
    shown.push({ title, options })
  }
  close(): void {}
}

const today = toIsoDate(new Date())

function followUp(menteeId: string, due: string): NoteFields {
  return { menteeId, date: addDays(today, -10), kind: 'talk', text: 'Gespräch', topics: [], followUpText: 'Testperson Geheim anrufen', followUpDue: due, followUpDone: false }
}

function startReminders(): void {
  wrapper = withSetup(() => useReminders(), [ctx.pinia, i18n]).wrapper
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  badge.setAppBadge.mockClear()
  badge.clearAppBadge.mockClear()
  shown.length = 0
  FakeNotification.permission = 'granted'
  Object.defineProperty(navigator, 'setAppBadge', { configurable: true, value: badge.setAppBadge })
  Object.defineProperty(navigator, 'clearAppBadge', { configurable: true, value: badge.clearAppBadge })
  vi.stubGlobal('Notification', FakeNotification)
  // What unlocking does, without a passphrase (the test key seals the database).
  useLockStore().state = 'unlocked'
})

afterEach(async () => {
  wrapper?.unmount()
  wrapper = undefined
  await flushPromises()
  vi.unstubAllGlobals()
  Reflect.deleteProperty(navigator, 'setAppBadge')
  Reflect.deleteProperty(navigator, 'clearAppBadge')
})

describe('the app-icon badge', () => {
  it('counts what needs action, follows a ticked-off follow-up, stays when locked and goes on sign-out', async () => {
    const person = await createMentee(menteeFields({ permitExpiry: addDays(today, 3) }))
    await createMentee(menteeFields({ permitExpiry: addDays(today, 60) }))
    const note = await saveNote(undefined, followUp(person.id, addDays(today, -1)))

    startReminders()
    await eventually(() => expect(badge.setAppBadge).toHaveBeenLastCalledWith(2))

    // Ticked off on the mentee's page: the list is read again, and the number follows.
    await useNotesStore().toggleFollowUp(note.id, true)
    await eventually(() => expect(badge.setAppBadge).toHaveBeenLastCalledWith(1))

    // Locked: the lists go, the number (which names nobody) stays.
    useLockStore().lock()
    await flushPromises()
    expect(useTodayStore().loaded).toBe(false)
    expect(badge.clearAppBadge).not.toHaveBeenCalled()

    // Signed out (or wiped): nothing of the device's data may linger, not even the number.
    useLockStore().forget()
    await eventually(() => expect(badge.clearAppBadge).toHaveBeenCalledTimes(1))
  })

  it('is read again when sync changed the data', async () => {
    startReminders()
    await eventually(() => expect(useTodayStore().loaded).toBe(true))
    // As a pulled page lands: stored without a local write.
    await ctx.db.mentees.put({ ...menteeFields({ permitExpiry: addDays(today, -2) }), id: crypto.randomUUID(), createdAt: 1, updatedAt: 1 })
    useSyncStore().revision += 1
    await eventually(() => expect(badge.setAppBadge).toHaveBeenLastCalledWith(1))
  })
})

describe('notifications of due items while the app is open', () => {
  it('stay off unless the user switched them on', async () => {
    const person = await createMentee(menteeFields())
    await saveNote(undefined, followUp(person.id, today))
    startReminders()
    await eventually(() => expect(badge.setAppBadge).toHaveBeenLastCalledWith(1))
    await flushPromises()
    expect(shown).toEqual([])
  })

  it('tell each newly due item once, by number and kind, never by name', async () => {
    await writeNotifyWhileOpen(true)
    const person = await createMentee(menteeFields({ givenName: 'Testperson', familyName: 'Geheim', permitExpiry: addDays(today, 5) }))
    await saveNote(undefined, followUp(person.id, addDays(today, -1)))
    await saveNote(undefined, followUp(person.id, addDays(today, -2)))

    startReminders()
    await eventually(() => expect(shown).toHaveLength(2))
    expect(shown.map((n) => n.options.body)).toEqual([
      '2 Wiedervorlagen sind überfällig – Lotse öffnen',
      '1 Aufenthaltstitel läuft in höchstens 7 Tagen ab – Lotse öffnen',
    ])
    expect(shown.every((n) => n.title === 'Lotse')).toBe(true)
    expect(JSON.stringify(shown)).not.toContain('Geheim')

    // Read again (another sync, a reload): nothing new, nothing told twice.
    await useTodayStore().load()
    await flushPromises()
    expect(shown).toHaveLength(2)

    // Something newly due: only that is told.
    await saveNote(undefined, followUp(person.id, today))
    await eventually(() => expect(shown).toHaveLength(3))
    expect(shown[2]?.options.body).toBe('1 Wiedervorlage ist heute fällig – Lotse öffnen')
  })

  it('show nothing, and throw nothing, once the browser permission is gone', async () => {
    await writeNotifyWhileOpen(true)
    FakeNotification.permission = 'denied'
    const person = await createMentee(menteeFields())
    await saveNote(undefined, followUp(person.id, today))
    startReminders()
    await eventually(() => expect(badge.setAppBadge).toHaveBeenLastCalledWith(1))
    await flushPromises()
    expect(shown).toEqual([])
  })
})
