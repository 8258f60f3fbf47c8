import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { listMenteesLeavingBetween } from '@/db/repositories/mentee-attention'
import { getMentee } from '@/db/repositories/mentees'
import {
  caseSummary,
  conferenceWeeks,
  conferenceWindow,
  DEFAULT_CONFERENCE_WEEKS,
  selectConferenceCases,
  type CaseSummary,
} from '@/shared/conference'
import { toIsoDate } from '@/shared/dates'
import type { Mentee } from '@/shared/records'
import { useSyncStore } from './sync'

/**
 * The transition conference: the pupils leaving soon (or just left) without a follow-on offer,
 * and one case summary at a time, cut to what the person's consent allows (`shared/conference`).
 */
export const useConferenceStore = defineStore('conference', () => {
  const sync = useSyncStore()
  const today = shallowRef(toIsoDate(new Date()))
  const weeks = shallowRef(DEFAULT_CONFERENCE_WEEKS)
  const cases = shallowRef<Mentee[]>([])
  const loaded = shallowRef(false)
  /** The mentee of the open case summary (undefined when not found on this device). */
  const current = shallowRef<Mentee | undefined>()
  const currentLoaded = shallowRef(false)

  let latest = 0

  /** Reads the list for `n` weeks ahead (kept as the screen's choice). */
  async function load(n: unknown = weeks.value, now = new Date()): Promise<void> {
    const request = ++latest
    const day = toIsoDate(now)
    const chosen = conferenceWeeks(n)
    const { from, until } = conferenceWindow(day, chosen)
    const candidates = await listMenteesLeavingBetween(from, until)
    // A slower earlier read must not overwrite the list of a later choice.
    if (request !== latest) return
    today.value = day
    weeks.value = chosen
    cases.value = selectConferenceCases(candidates, day, chosen)
    loaded.value = true
  }

  async function openCase(menteeId: string, now = new Date()): Promise<void> {
    currentLoaded.value = false
    today.value = toIsoDate(now)
    current.value = await getMentee(menteeId)
    currentLoaded.value = true
  }

  /** The open case as the summary may show it, for the signed-in viewer. */
  const summary = computed<CaseSummary | undefined>(() =>
    current.value ? caseSummary(current.value, { role: sync.session?.user.role }) : undefined,
  )

  /** Forgets every value held in memory (on lock). */
  function clear(): void {
    latest += 1
    cases.value = []
    loaded.value = false
    current.value = undefined
    currentLoaded.value = false
  }

  return { today, weeks, cases, loaded, current, currentLoaded, summary, load, openCase, clear }
})
