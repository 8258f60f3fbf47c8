import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import { ValidationFailed } from '@/db/errors'
import { deleteEvent, getEvent, listEvents, saveEvent as storeEvent } from '@/db/repositories/events'
import {
  anonymiseExpiredLeads,
  convertLeadToMentee,
  linkLeadToMentee,
  listLeads,
  mergeIntoLead,
  mergeLeadInto,
  patchLead,
  saveLead,
} from '@/db/repositories/leads'
import { readSetting, writeSetting } from '@/db/repositories/settings'
import { toIsoDate } from '@/shared/dates'
import { carryOverFromLead, clampRetentionDays } from '@/shared/fair'
import { DEFAULT_LEAD_RETENTION_DAYS, findDuplicates, type DuplicateReason } from '@/shared/leads'
import type { Role } from '@/shared/protocol'
import { contentOf, menteeDisplayName, type EventFields, type FairEvent, type Lead, type LeadContact, type LeadFields, type Mentee } from '@/shared/records'
import { validateLead } from '@/shared/validation'
import { useMenteesStore } from './mentees'
import { useSyncStore } from './sync'

const RETENTION_SETTING = 'leadRetentionDays'
/** Leads a visitor typed on the handed-over phone, until their guide has looked at them. */
const REVIEW_SETTING = 'fairLeadsToReview'

/** Who works with job fairs at all (Paten do not). */
export function seesFairs(role: Role | undefined): boolean {
  return role === 'coordinator' || role === 'coach' || role === 'guide'
}

/** Who sees and creates mentees: a lead can become one, or turn out to be one already. */
export function worksWithMentees(role: Role | undefined): boolean {
  return role === 'coordinator' || role === 'coach'
}

/** A person already on the device who may be the one just captured. */
export interface DuplicateOffer {
  source: 'lead' | 'mentee'
  id: string
  name: string
  reason: DuplicateReason
  /** For a lead: its fair's name and whether that is the fair being captured for. */
  eventName: string
  sameEvent: boolean
}

/**
 * Job fairs: the events on the device, the people captured at the one open on screen, and what
 * happens to them (duplicates, review of what visitors typed, follow-ups, becoming a mentee,
 * anonymising the ones who did not consent).
 */
export const useFairsStore = defineStore('fairs', () => {
  const events = shallowRef<FairEvent[]>([])
  const eventsLoaded = shallowRef(false)
  /** The event open on screen and the people captured at it, in the order they came. */
  const current = shallowRef<FairEvent>()
  const leads = shallowRef<Lead[]>([])
  /** Every lead on the device: duplicates are looked for across all fairs. */
  const allLeads = shallowRef<Lead[]>([])
  const toReview = shallowRef<string[]>([])
  const retentionDays = shallowRef(DEFAULT_LEAD_RETENTION_DAYS)

  const role = computed(() => useSyncStore().session?.user.role)
  const canSeeMentees = computed(() => worksWithMentees(role.value))
  const canCreateEvents = computed(() => {
    const user = useSyncStore().session?.user
    return user?.role === 'coordinator' || ((user?.role === 'coach' || user?.role === 'guide') && Boolean(user.teamId))
  })

  const leadCounts = computed(() => {
    const counts = new Map<string, number>()
    for (const lead of allLeads.value) counts.set(lead.eventId, (counts.get(lead.eventId) ?? 0) + 1)
    return counts
  })

  /** The leads of the open event that a visitor typed and the guide has not reviewed yet. */
  const reviewLeads = computed(() => {
    const ids = new Set(toReview.value)
    return leads.value.filter((lead) => ids.has(lead.id))
  })

  async function loadEvents(): Promise<void> {
    const [list, every] = await Promise.all([listEvents(), listLeads()])
    events.value = list
    allLeads.value = every
    leadsRead = true
    if (current.value) showLeadsOf(current.value.id)
    eventsLoaded.value = true
  }

  function showLeadsOf(eventId: string): void {
    leads.value = allLeads.value.filter((lead) => lead.eventId === eventId).sort((a, b) => a.createdAt - b.createdAt)
  }

  /** Whether `allLeads` holds what the database holds (read, and kept up to date since). */
  let leadsRead = false

  /**
   * Opens one event: the event, every lead (for duplicates), its review list, the mentees if the
   * role sees them. The event already open is not read again (going back and forth between the
   * intake and a visitor's form at the stand), unless `reload` (after a sync).
   */
  async function open(eventId: string, reload = false): Promise<FairEvent | undefined> {
    if (!reload && leadsRead && current.value?.id === eventId) return current.value
    const [event, every, review] = await Promise.all([
      getEvent(eventId),
      listLeads(),
      readSetting<string[]>(REVIEW_SETTING),
      canSeeMentees.value ? useMenteesStore().ensureLoaded() : Promise.resolve(),
    ])
    current.value = event
    allLeads.value = every
    leadsRead = true
    toReview.value = Array.isArray(review) ? review.filter((id) => typeof id === 'string') : []
    showLeadsOf(eventId)
    return event
  }

  /** Reads everything shown again (after a sync changed events or leads). */
  async function refresh(): Promise<void> {
    if (eventsLoaded.value) await loadEvents()
    if (current.value) await open(current.value.id, true)
  }

  function remember(lead: Lead): Lead {
    allLeads.value = [...allLeads.value.filter((known) => known.id !== lead.id), lead]
    if (current.value?.id === lead.eventId) showLeadsOf(lead.eventId)
    return lead
  }

  function forgetLead(id: string): void {
    allLeads.value = allLeads.value.filter((known) => known.id !== id)
    leads.value = leads.value.filter((known) => known.id !== id)
  }

  async function saveEvent(id: string | undefined, fields: EventFields): Promise<FairEvent> {
    const event = await storeEvent(id, fields)
    events.value = [event, ...events.value.filter((known) => known.id !== event.id)].sort(
      (a, b) => b.date.localeCompare(a.date) || b.createdAt - a.createdAt,
    )
    if (current.value?.id === event.id) current.value = event
    return event
  }

  async function removeEvent(id: string): Promise<void> {
    await deleteEvent(id)
    events.value = events.value.filter((event) => event.id !== id)
    allLeads.value = allLeads.value.filter((lead) => lead.eventId !== id)
    if (current.value?.id === id) {
      current.value = undefined
      leads.value = []
    }
  }

  /** Throws the field errors of a lead that would not be saved. */
  function check(fields: LeadFields): void {
    const checked = validateLead(fields)
    if (!checked.ok) throw new ValidationFailed(checked.errors)
  }

  function eventNameOf(eventId: string): string {
    if (current.value?.id === eventId) return current.value.name
    return events.value.find((event) => event.id === eventId)?.name ?? ''
  }

  /**
   * Who on the device may be this person: leads of any fair (anonymised ones have nothing to
   * compare), and mentees where the role sees them. `excludeId` is the lead itself, once saved.
   */
  function duplicatesOf(fields: LeadFields, excludeId?: string): DuplicateOffer[] {
    const candidates = allLeads.value.filter((lead) => lead.id !== excludeId && !lead.anonymised)
    const offers: DuplicateOffer[] = findDuplicates(fields, candidates).map(({ record, reason }) => ({
      source: 'lead',
      id: record.id,
      name: menteeDisplayName(record),
      reason,
      eventName: eventNameOf(record.eventId),
      sameEvent: record.eventId === fields.eventId,
    }))
    if (canSeeMentees.value) {
      const mentees: Mentee[] = useMenteesStore().sorted.map((item) => item.mentee)
      for (const { record, reason } of findDuplicates(fields, mentees)) {
        offers.push({ source: 'mentee', id: record.id, name: menteeDisplayName(record), reason, eventName: '', sameEvent: false })
      }
    }
    return offers
  }

  /** A new person captured by the guide. */
  async function capture(fields: LeadFields): Promise<Lead> {
    return remember(await saveLead(undefined, fields))
  }

  /**
   * The person captured is one already known: a lead of this fair takes the new details in; a
   * lead of another fair lends its details to this fair's new lead; a mentee gets linked.
   */
  async function captureAs(fields: LeadFields, offer: DuplicateOffer): Promise<Lead> {
    if (offer.source === 'mentee') return remember(await saveLead(undefined, { ...fields, menteeId: offer.id }))
    const known = allLeads.value.find((lead) => lead.id === offer.id)
    if (!known) throw new ValidationFailed({ _: { key: 'gone' } })
    if (known.eventId === fields.eventId) return remember(await mergeIntoLead(offer.id, fields))
    return remember(await saveLead(undefined, carryOverFromLead(fields, contentOf(known))))
  }

  async function writeReview(ids: string[]): Promise<void> {
    await writeSetting(REVIEW_SETTING, ids)
    toReview.value = ids
  }

  /**
   * What a visitor typed on the handed-over phone. Saved at once (nothing is lost if the phone
   * dies), never compared with other people in front of the visitor: it waits for the guide's
   * review, who completes the talks and decides on possible duplicates.
   */
  async function captureSelfIntake(fields: LeadFields): Promise<Lead> {
    const lead = remember(await saveLead(undefined, fields))
    const stored = await readSetting<string[]>(REVIEW_SETTING)
    await writeReview([...(Array.isArray(stored) ? stored : []), lead.id])
    return lead
  }

  /**
   * The guide's decision on a lead a visitor typed: `offer` is who it turned out to be, or
   * undefined for a person new to the device. The lead leaves the review list either way.
   */
  async function resolveReview(leadId: string, offer?: DuplicateOffer): Promise<void> {
    await contactsWritten(leadId)
    const lead = allLeads.value.find((known) => known.id === leadId)
    if (offer && lead) {
      if (offer.source === 'mentee') remember(await linkLeadToMentee(leadId, offer.id))
      else {
        const known = allLeads.value.find((candidate) => candidate.id === offer.id)
        if (!known) throw new ValidationFailed({ _: { key: 'gone' } })
        if (known.eventId === lead.eventId) {
          remember(await mergeLeadInto(offer.id, leadId))
          forgetLead(leadId)
        } else remember(await saveLead(leadId, carryOverFromLead(contentOf(lead), contentOf(known))))
      }
    }
    await writeReview(toReview.value.filter((id) => id !== leadId))
  }

  /** The latest write of each lead's talks: taps come faster than writes, and the last one wins. */
  const contactWrites = new Map<string, Promise<Lead | undefined>>()

  /**
   * The talks of a stored lead, changed by a tap on a chip: shown at once, written in the order
   * tapped, and a write that a later tap overtook does not bring the older state back.
   */
  function setContacts(leadId: string, contacts: LeadContact[]): Promise<Lead | undefined> {
    const lead = allLeads.value.find((known) => known.id === leadId)
    if (lead) remember({ ...lead, contacts })
    const previous = contactWrites.get(leadId) ?? Promise.resolve(undefined)
    const write: Promise<Lead | undefined> = previous
      .catch(() => undefined)
      .then(() => patchLead(leadId, { contacts }))
      .then((saved) => (contactWrites.get(leadId) === write ? remember(saved) : saved))
    contactWrites.set(leadId, write)
    return write
  }

  /** Waits for the talks tapped on a lead to be stored (before it is merged, say). */
  async function contactsWritten(leadId: string): Promise<void> {
    await contactWrites.get(leadId)?.catch(() => undefined)
  }

  async function setFollowUpDone(leadId: string, done: boolean): Promise<Lead> {
    return remember(await patchLead(leadId, { followUpDone: done }))
  }

  /** The lead becomes a mentee in one step (coach, coordinator); returns the new mentee. */
  async function convertToMentee(leadId: string): Promise<Mentee> {
    const lead = allLeads.value.find((known) => known.id === leadId)
    const fair = lead ? eventNameOf(lead.eventId).trim().slice(0, 200) : ''
    const { lead: updated, mentee } = await convertLeadToMentee(
      leadId,
      (fields) => ({ ...fields, tags: fair ? [...fields.tags, fair] : fields.tags }),
      toIsoDate(new Date()),
    )
    remember(updated)
    await useMenteesStore().reload()
    return mentee
  }

  /** Counts changes, so a read that started before one does not undo it when it ends after. */
  let settingsVersion = 0

  async function loadSettings(): Promise<void> {
    const version = settingsVersion
    const stored = await readSetting<number>(RETENTION_SETTING)
    if (version === settingsVersion) retentionDays.value = clampRetentionDays(stored)
  }

  async function setRetentionDays(days: number): Promise<void> {
    settingsVersion += 1
    retentionDays.value = clampRetentionDays(days)
    await writeSetting(RETENTION_SETTING, retentionDays.value)
  }

  /**
   * Removes the personal details of people who did not agree to be contacted, once the chosen
   * number of days after their fair has passed. Runs when the app is opened (unlocked).
   */
  async function anonymiseExpired(today = toIsoDate(new Date())): Promise<number> {
    await loadSettings()
    const count = await anonymiseExpiredLeads(today, retentionDays.value)
    if (count > 0) await refresh()
    return count
  }

  /** Forgets everything held in memory (on lock). */
  function clear(): void {
    leadsRead = false
    events.value = []
    eventsLoaded.value = false
    current.value = undefined
    leads.value = []
    allLeads.value = []
    toReview.value = []
  }

  return {
    events,
    eventsLoaded,
    current,
    leads,
    allLeads,
    toReview,
    reviewLeads,
    leadCounts,
    retentionDays,
    canSeeMentees,
    canCreateEvents,
    loadEvents,
    open,
    refresh,
    saveEvent,
    removeEvent,
    check,
    duplicatesOf,
    capture,
    captureAs,
    captureSelfIntake,
    resolveReview,
    setContacts,
    setFollowUpDone,
    convertToMentee,
    loadSettings,
    setRetentionDays,
    anonymiseExpired,
    clear,
  }
})
