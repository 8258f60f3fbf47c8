import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { onLocalWrite } from '@/db/outbox'
import { listAppointmentsBetween } from '@/db/repositories/appointments'
import { listLeaversWithoutOffer, listPermitsExpiringBy } from '@/db/repositories/mentee-attention'
import { listOpenLeadFollowUps } from '@/db/repositories/leads'
import { getMenteesByIds } from '@/db/repositories/mentees'
import { listOpenFollowUps } from '@/db/repositories/notes'
import { addDays, toIsoDate, toLocalDateTime } from '@/shared/dates'
import type { Appointment, Lead, Mentee, Note } from '@/shared/records'
import { collectDueItems, countNeedingAction, FOLLOW_UP_LOOKAHEAD_DAYS, PERMIT_WARNING_DAYS } from '@/shared/reminders'
import { LEAVING_WARNING_DAYS } from './mentee-query'

export const TODAY_APPOINTMENT_DAYS = 7
/** Saving a form writes a few records in a row; the due list is read again once they settle. */
const RELOAD_AFTER_WRITE_MS = 300

/** What the start screen shows: what is due soon, and who needs attention. */
export const useTodayStore = defineStore('today', () => {
  const today = shallowRef(toIsoDate(new Date()))
  const appointments = shallowRef<Appointment[]>([])
  const followUps = shallowRef<Note[]>([])
  const leadFollowUps = shallowRef<Lead[]>([])
  const expiringPermits = shallowRef<Mentee[]>([])
  const leaversWithoutOffer = shallowRef<Mentee[]>([])
  /** The mentees the due items and appointments are about, for their names. */
  const people = shallowRef(new Map<string, Mentee>())
  const loaded = shallowRef(false)
  /** Counts loads, so a slower earlier one (or one overtaken by `clear`) never lands last. */
  let latestLoad = 0

  /** Expired and expiring permits, follow-ups, tomorrow's appointments: most urgent first. */
  const dueItems = computed(() =>
    collectDueItems(
      { mentees: expiringPermits.value, notes: followUps.value, appointments: appointments.value, leads: leadFollowUps.value },
      today.value,
    ),
  )
  /** Items to act on today or already late (see `countNeedingAction`): on Today and on the app icon. */
  const actionCount = computed(() => countNeedingAction(dueItems.value))

  async function load(now = new Date()): Promise<void> {
    const request = ++latestLoad
    const day = toIsoDate(now)
    const [a, f, p, l, lf] = await Promise.all([
      listAppointmentsBetween(toLocalDateTime(now), `${addDays(day, TODAY_APPOINTMENT_DAYS)}T00:00`),
      listOpenFollowUps(addDays(day, FOLLOW_UP_LOOKAHEAD_DAYS)),
      listPermitsExpiringBy(addDays(day, PERMIT_WARNING_DAYS)),
      listLeaversWithoutOffer(day, addDays(day, LEAVING_WARNING_DAYS)),
      listOpenLeadFollowUps(addDays(day, FOLLOW_UP_LOOKAHEAD_DAYS)),
    ])
    // Only the people on screen are read, not the whole list: fast with 10,000 mentees too.
    const owners = await getMenteesByIds([...a, ...f].map((item) => item.menteeId))
    if (request !== latestLoad) return
    for (const mentee of p) owners.set(mentee.id, mentee)
    today.value = day
    people.value = owners
    appointments.value = a
    followUps.value = f
    leadFollowUps.value = lf
    expiringPermits.value = p
    leaversWithoutOffer.value = l
    loaded.value = true
  }

  /**
   * Reads the lists again after every local write while they are loaded, so the due list (and the
   * app-icon count that follows it) is right after a follow-up is ticked off on another screen.
   * Returns the function that stops it.
   */
  function followLocalWrites(): () => void {
    let timer: ReturnType<typeof setTimeout> | undefined
    const stopListening = onLocalWrite(() => {
      clearTimeout(timer)
      timer = setTimeout(() => {
        if (loaded.value) void load().catch(() => undefined)
      }, RELOAD_AFTER_WRITE_MS)
    })
    return () => {
      clearTimeout(timer)
      stopListening()
    }
  }

  function clear(): void {
    latestLoad += 1
    appointments.value = []
    followUps.value = []
    leadFollowUps.value = []
    expiringPermits.value = []
    leaversWithoutOffer.value = []
    people.value = new Map()
    loaded.value = false
  }

  return {
    today,
    appointments,
    followUps,
    expiringPermits,
    leaversWithoutOffer,
    people,
    loaded,
    dueItems,
    actionCount,
    load,
    followLocalWrites,
    clear,
  }
})
