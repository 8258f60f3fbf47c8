import { addDays, daysBetween } from './dates'
import { menteeDisplayName, type Appointment, type Lead, type Mentee, type Note } from './records'
import type { AppointmentType } from './vocabulary'

/**
 * The due list of the Today screen: what has to be done today or is already late, and what is
 * coming. Pure, so it is tested without a database, and "today" is a parameter: the device's
 * local calendar day (`toIsoDate(new Date())`), the wall-clock date the user lives in.
 */

/**
 * Days before expiry at which a residence permit is flagged. The application for an extension
 * has to reach the immigration office before the permit expires (only then does the old one count
 * as valid until the office decides, § 81 (4) AufenthG), and appointments there take weeks.
 */
export const PERMIT_THRESHOLDS = [90, 30, 7] as const
export type PermitThreshold = (typeof PERMIT_THRESHOLDS)[number]
/** The widest threshold: permits expiring later than this are not on any list. */
export const PERMIT_WARNING_DAYS: PermitThreshold = PERMIT_THRESHOLDS[0]
/** Open follow-ups this many days ahead show as coming, so the week can be planned. */
export const FOLLOW_UP_LOOKAHEAD_DAYS = 7

/**
 * - `expired`: a residence permit past its expiry: the person's legal status is at stake.
 * - `overdue`: a follow-up past its day.
 * - `actToday`: something to do today: a follow-up due today, a permit in its last 7 days, an
 *   appointment tomorrow (documents to gather, the person to remind).
 * - `upcoming`: on the list for planning; nothing to do today.
 */
export const DUE_SEVERITIES = ['expired', 'overdue', 'actToday', 'upcoming'] as const
export type DueSeverity = (typeof DUE_SEVERITIES)[number]

/** What the due list is computed from, as the repositories return the records. */
export interface DueInput {
  mentees: readonly Mentee[]
  notes: readonly Note[]
  appointments: readonly Appointment[]
  /** Job-fair leads to contact again (anonymised ones and those without consent have no follow-up). */
  leads?: readonly Lead[]
}

/** Anything someone has to come back to on a given day and then ticks off. */
export interface FollowUpRecord {
  id: string
  followUpDue: string
  followUpDone: boolean
  deletedAt?: number
}

/** Whom a due item is about: the screen shows their name and links to them. */
export type DueSubject =
  | { type: 'mentee'; menteeId: string }
  /** A person captured at a job fair; the name is the lead's own (leads are not mentees). */
  | { type: 'lead'; leadId: string; eventId: string; name: string }

/** One open follow-up as its kind's source describes it. */
interface FollowUpEntry {
  record: FollowUpRecord
  subject: DueSubject
  /** What is to be done, as the user wrote it (may be empty). */
  text: string
}

type FollowUpSource = (input: DueInput) => FollowUpEntry[]

function followUpsFrom<R extends FollowUpRecord>(
  records: (input: DueInput) => readonly R[],
  describe: (record: R) => Omit<FollowUpEntry, 'record'>,
): FollowUpSource {
  return (input) => records(input).map((record) => ({ record, ...describe(record) }))
}

/**
 * EXTENSION POINT for more kinds of follow-up on the due list. Each entry is one kind: where its
 * records come from and whom each is about. Ordering, severity, the app-icon count and the
 * notifications then work for it unchanged. Lead follow-ups from job fairs (a `leads` table with
 * `followUpDue`, `followUpDone`, given and family name, `eventId`) are one entry more:
 *
 *     leadFollowUp: followUpsFrom((input) => input.leads, (lead) => ({
 *       subject: { type: 'lead', leadId: lead.id, eventId: lead.eventId, name: …given and family name… },
 *       text: '',
 *     })),
 *
 * with `leads` added to `DueInput` (the Today store reads them), the `lead` variant added to
 * `DueSubject` (the type checker then points at the places in TodayView.vue that turn a
 * subject into a name and a link), and the texts `reminders.kinds.leadFollowUp` and
 * `reminders.notification.leadFollowUp.*` in locales/ (tests/unit/reminders.test.ts checks them).
 */
export const FOLLOW_UP_KINDS = {
  noteFollowUp: followUpsFrom(
    (input) => input.notes,
    (note) => ({ subject: { type: 'mentee', menteeId: note.menteeId }, text: note.followUpText }),
  ),
  leadFollowUp: followUpsFrom(
    // Only who agreed to be contacted; an anonymised lead has nobody left to call.
    (input) => (input.leads ?? []).filter((lead) => lead.consentFollowUp && !lead.anonymised),
    (lead) => ({
      subject: { type: 'lead', leadId: lead.id, eventId: lead.eventId, name: menteeDisplayName(lead) },
      text: '',
    }),
  ),
} satisfies Record<string, FollowUpSource>
export type FollowUpKind = keyof typeof FOLLOW_UP_KINDS

export type DueKind = 'permit' | 'appointment' | FollowUpKind
/** The order of kinds among items equally urgent and equally far off. */
const KIND_ORDER: readonly DueKind[] = ['permit', ...(Object.keys(FOLLOW_UP_KINDS) as FollowUpKind[]), 'appointment']

interface DueItemBase {
  /**
   * Names the item in its current stage: the same while nothing changes, a new key when the item
   * reaches a new stage (a permit crossing from 30 to 7 days, a follow-up becoming overdue, a date
   * changed). Notifications announce each key once.
   */
  key: string
  /** The id of the record the item comes from (mentee, note, appointment). */
  recordId: string
  subject: DueSubject
  /** `YYYY-MM-DD`: the expiry, the follow-up day, the appointment's day. */
  dueDate: string
  /** Whole days from today to `dueDate`; negative when it lies in the past. */
  daysLeft: number
  severity: DueSeverity
}

export interface PermitDueItem extends DueItemBase {
  kind: 'permit'
  /** The narrowest warning threshold the permit is within; null once it has expired. */
  threshold: PermitThreshold | null
}

export interface FollowUpDueItem extends DueItemBase {
  kind: FollowUpKind
  text: string
}

export interface AppointmentDueItem extends DueItemBase {
  kind: 'appointment'
  /** Local wall-clock `YYYY-MM-DDTHH:mm`. */
  startsAt: string
  appointmentType: AppointmentType
}

export type DueItem = PermitDueItem | FollowUpDueItem | AppointmentDueItem

function isLive(record: { deletedAt?: number }): boolean {
  return !record.deletedAt
}

/** The narrowest threshold `daysLeft` is within, or null when the permit is further off. */
export function permitThresholdFor(daysLeft: number): PermitThreshold | null {
  let crossed: PermitThreshold | null = null
  for (const threshold of PERMIT_THRESHOLDS) if (daysLeft <= threshold) crossed = threshold
  return crossed
}

function permitItem(mentee: Mentee, today: string): PermitDueItem | null {
  // A Pate without the shared residence details has no expiry date at all: nothing to remind of.
  if (!isLive(mentee) || mentee.stage === 'closed' || !mentee.permitExpiry) return null
  const daysLeft = daysBetween(today, mentee.permitExpiry)
  const threshold = daysLeft < 0 ? null : permitThresholdFor(daysLeft)
  if (daysLeft >= 0 && threshold === null) return null
  const severity: DueSeverity = daysLeft < 0 ? 'expired' : threshold === 7 ? 'actToday' : 'upcoming'
  return {
    kind: 'permit',
    key: `permit:${mentee.id}:${mentee.permitExpiry}:${threshold ?? 'expired'}`,
    recordId: mentee.id,
    subject: { type: 'mentee', menteeId: mentee.id },
    dueDate: mentee.permitExpiry,
    daysLeft,
    severity,
    threshold,
  }
}

function followUpItem(kind: FollowUpKind, { record, subject, text }: FollowUpEntry, today: string): FollowUpDueItem | null {
  if (!isLive(record) || record.followUpDone || !record.followUpDue) return null
  if (record.followUpDue > addDays(today, FOLLOW_UP_LOOKAHEAD_DAYS)) return null
  const daysLeft = daysBetween(today, record.followUpDue)
  const severity: DueSeverity = daysLeft < 0 ? 'overdue' : daysLeft === 0 ? 'actToday' : 'upcoming'
  return {
    kind,
    key: `${kind}:${record.id}:${record.followUpDue}:${severity}`,
    recordId: record.id,
    subject,
    dueDate: record.followUpDue,
    daysLeft,
    severity,
    text,
  }
}

function appointmentItem(appointment: Appointment, tomorrow: string): AppointmentDueItem | null {
  if (!isLive(appointment) || appointment.startsAt.slice(0, 10) !== tomorrow) return null
  return {
    kind: 'appointment',
    key: `appointment:${appointment.id}:${appointment.startsAt}`,
    recordId: appointment.id,
    subject: { type: 'mentee', menteeId: appointment.menteeId },
    dueDate: tomorrow,
    daysLeft: 1,
    severity: 'actToday',
    startsAt: appointment.startsAt,
    appointmentType: appointment.type,
  }
}

function startOf(item: DueItem): string {
  return item.kind === 'appointment' ? item.startsAt : item.dueDate
}

/** Most urgent first: by severity, then the date (longest expired or overdue first), then kind. */
export function compareDueItems(a: DueItem, b: DueItem): number {
  return (
    DUE_SEVERITIES.indexOf(a.severity) - DUE_SEVERITIES.indexOf(b.severity) ||
    a.daysLeft - b.daysLeft ||
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    startOf(a).localeCompare(startOf(b)) ||
    a.key.localeCompare(b.key)
  )
}

/**
 * Everything due on `today` (`YYYY-MM-DD`, the device's local day), most urgent first: expired
 * permits, overdue follow-ups, what to do today, then what is coming. Deleted records, done
 * follow-ups and closed cases' permits are left out.
 */
export function collectDueItems(input: DueInput, today: string): DueItem[] {
  const tomorrow = addDays(today, 1)
  const items: DueItem[] = []
  for (const mentee of input.mentees) {
    const item = permitItem(mentee, today)
    if (item) items.push(item)
  }
  for (const kind of Object.keys(FOLLOW_UP_KINDS) as FollowUpKind[]) {
    for (const entry of FOLLOW_UP_KINDS[kind](input)) {
      const item = followUpItem(kind, entry, today)
      if (item) items.push(item)
    }
  }
  for (const appointment of input.appointments) {
    const item = appointmentItem(appointment, tomorrow)
    if (item) items.push(item)
  }
  return items.sort(compareDueItems)
}

/**
 * The number on the app icon: items that want something done today or are late. Items that are
 * only coming (a permit 80 days off) stay out: a number that never reaches zero is soon not read
 * at all, and the icon should mean "open Lotse today".
 */
export function countNeedingAction(items: readonly DueItem[]): number {
  return items.filter((item) => item.severity !== 'upcoming').length
}

/**
 * Whether reaching this stage is worth a notification: every stage of a permit (each threshold
 * is a step the coach has to take), but a follow-up or appointment only once it needs action;
 * the look-ahead is for the list, not for interrupting the user.
 */
export function isAnnounced(item: DueItem): boolean {
  return item.kind === 'permit' || item.severity !== 'upcoming'
}

/** Newly due items of one kind and stage, told in one notification. */
export interface DueAnnouncement {
  kind: DueKind
  severity: DueSeverity
  /** For permits: the threshold crossed (null: expired). */
  threshold: PermitThreshold | null
  count: number
}

/**
 * The notifications for items not announced before (`announced`: their keys), one per kind and
 * stage with a count: "2 residence permits expire within 7 days". A count and never a name, since
 * a lock screen shows notifications to whoever holds the phone.
 */
export function announcementsFor(items: readonly DueItem[], announced: ReadonlySet<string>): DueAnnouncement[] {
  const groups = new Map<string, DueAnnouncement>()
  for (const item of items) {
    if (!isAnnounced(item) || announced.has(item.key)) continue
    const threshold = item.kind === 'permit' ? item.threshold : null
    const groupKey = `${item.kind}:${item.severity}:${threshold ?? ''}`
    const group = groups.get(groupKey)
    if (group) group.count += 1
    else groups.set(groupKey, { kind: item.kind, severity: item.severity, threshold, count: 1 })
  }
  return [...groups.values()]
}

/** The keys to remember as announced: those of today's list (so the memory does not grow forever). */
export function announcedKeysOf(items: readonly DueItem[]): string[] {
  return items.filter(isAnnounced).map((item) => item.key)
}
