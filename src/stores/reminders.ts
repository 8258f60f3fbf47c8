import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import { readAnnouncedReminders, readNotifyWhileOpen, writeAnnouncedReminders, writeNotifyWhileOpen } from '@/db/repositories/reminders'
import { announcedKeysOf, announcementsFor, type DueAnnouncement, type DueItem } from '@/shared/reminders'
import { useTodayStore } from './today'

function sameKeys(stored: ReadonlySet<string>, next: readonly string[]): boolean {
  return stored.size === next.length && next.every((key) => stored.has(key))
}

/** Whether the user wants notifications of due items, and which ones they were told about. */
export const useRemindersStore = defineStore('reminders', () => {
  const notifyWhileOpen = shallowRef(false)
  /** Announcing reads and writes the memory: one at a time, or two quick reloads announce twice. */
  let queue: Promise<unknown> = Promise.resolve()

  function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work, work)
    queue = next.catch(() => undefined)
    return next
  }

  async function initialize(): Promise<void> {
    notifyWhileOpen.value = await readNotifyWhileOpen()
  }

  /**
   * Switched on, what is due right now counts as told: the user is looking at the app, and a burst
   * of notifications about the list on screen would tell them nothing.
   */
  async function setNotifyWhileOpen(on: boolean): Promise<void> {
    const today = useTodayStore()
    // Remembered before the switch flips, which is what starts announcing.
    if (on && today.loaded) await oneAtATime(() => writeAnnouncedReminders(announcedKeysOf(today.dueItems)))
    await writeNotifyWhileOpen(on)
    notifyWhileOpen.value = on
  }

  /**
   * The notifications `items` call for that were not shown before; from now on they count as
   * shown. Keys of items no longer due are forgotten, so the memory stays as long as the list.
   */
  function takeAnnouncements(items: readonly DueItem[]): Promise<DueAnnouncement[]> {
    return oneAtATime(async () => {
      const announced = await readAnnouncedReminders()
      const fresh = announcementsFor(items, announced)
      const keys = announcedKeysOf(items)
      if (!sameKeys(announced, keys)) await writeAnnouncedReminders(keys)
      return fresh
    })
  }

  return { notifyWhileOpen, initialize, setNotifyWhileOpen, takeAnnouncements }
})
