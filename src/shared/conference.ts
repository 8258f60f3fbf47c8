/**
 * The transition conference (Übergangskonferenz / Fallkonferenz): which pupils to put on its list,
 * and what a printed case summary may show. Pure functions, so the rules are tested on their own.
 *
 * Rules (decided conservatively, GDPR Art. 5(1)(c) data minimisation):
 * - On the list: live, not closed mentees without a follow-on offer (`followOnOffer !== true`) whose
 *   expected leaving date lies between today and today + N weeks, both days included, and also
 *   those who left in the last `RECENTLY_LEFT_DAYS` days: a pupil who just left without an offer is
 *   the most urgent case of "Kein Abschluss ohne Anschluss", not one to drop from the list.
 * - The summary goes to partners (Jobcenter, youth migration service, school social work), so it
 *   shows the person's name and school only with the consent purpose `partnerSharing`. Without it
 *   the case is discussed without name: a pseudonymous case code (not resolvable by partners), the
 *   leaving month instead of the day, and the situation only (level, stage, goals, barriers…).
 * - Residence status and permit expiry only with that consent AND for a viewer who may see them
 *   (coaches and coordinators; a Pate sees them only where shared and does not use this screen).
 * - Never on the summary, with or without consent: phone, e-mail, notes (their text included),
 *   country of origin, arrival date, free-text fields (tags, foreign qualifications) and the Pate's
 *   name. A conference needs the situation to agree on actions, not ways to contact or profile the
 *   person; the coach who brings the case is the contact.
 */
import { addDays, isIsoDate } from './dates'
import type { Role } from './protocol'
import { menteeDisplayName, type Mentee, type MenteeFields } from './records'

/** How far back a pupil who already left without an offer stays on the list. */
export const RECENTLY_LEFT_DAYS = 28
export const DEFAULT_CONFERENCE_WEEKS = 8
/** The choices of the screen's "leaving within" picker. */
export const CONFERENCE_WEEK_CHOICES = [2, 4, 8, 12, 26] as const
export const MAX_CONFERENCE_WEEKS = 52

/** The number of weeks as a whole number in 1…52; anything else gives the default. */
export function conferenceWeeks(value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return DEFAULT_CONFERENCE_WEEKS
  return Math.min(n, MAX_CONFERENCE_WEEKS)
}

/** The leaving dates the list covers, both days included. */
export function conferenceWindow(today: string, weeks: number): { from: string; until: string } {
  return { from: addDays(today, -RECENTLY_LEFT_DAYS), until: addDays(today, 7 * conferenceWeeks(weeks)) }
}

/** Whether a mentee belongs on the conference list. */
export function isConferenceCase(mentee: Mentee, today: string, weeks: number): boolean {
  const { from, until } = conferenceWindow(today, weeks)
  const leaving = mentee.expectedLeavingDate
  return (
    !mentee.deletedAt &&
    mentee.stage !== 'closed' &&
    mentee.followOnOffer !== true &&
    isIsoDate(leaving) &&
    leaving >= from &&
    leaving <= until
  )
}

/** The conference list: earliest leaving date first (those who already left on top), then by name. */
export function selectConferenceCases(mentees: Iterable<Mentee>, today: string, weeks: number): Mentee[] {
  return [...mentees]
    .filter((m) => isConferenceCase(m, today, weeks))
    .sort(
      (a, b) =>
        a.expectedLeavingDate.localeCompare(b.expectedLeavingDate) ||
        (a.familyName || a.givenName).localeCompare(b.familyName || b.givenName) ||
        a.id.localeCompare(b.id),
    )
}

/** The consent that allows a case to be discussed by name with the conference's partners. */
export function maySharePersonalDetails(mentee: Pick<MenteeFields, 'consentPurposes' | 'consentDate'>): boolean {
  return mentee.consentDate !== '' && mentee.consentPurposes.includes('partnerSharing')
}

/** Who looks at the summary; only coaches and coordinators see residence details without a share. */
export interface ConferenceViewer {
  role: Role | undefined
}

/** Who prepares conferences: coaches and coordinators (not Paten, not fair guides). */
export const CONFERENCE_ROLES = ['coach', 'coordinator'] as const satisfies readonly Role[]

export function mayUseConference(role: Role | undefined): boolean {
  return (CONFERENCE_ROLES as readonly (Role | undefined)[]).includes(role)
}

/**
 * Fields that name or place the person: shown only with consent to share. The name itself
 * (`givenName`, `familyName`) is `CaseSummary.name`, written as the person writes it.
 */
export const IDENTIFYING_FIELDS = ['birthYear', 'school', 'schoolClass', 'expectedLeavingDate'] as const
/** The situation: what the conference discusses, with or without a name. */
export const SITUATION_FIELDS = [
  'germanLevel',
  'schoolQualification',
  'recognitionStatus',
  'stage',
  'goals',
  'barriers',
  'followOnOffer',
] as const
/** Shown only with consent to share and to a viewer who may see them. */
export const RESIDENCE_FIELDS = ['residenceStatus', 'permitExpiry'] as const
/** With consent: the languages (to plan an interpreter) and the coach who brings the case. */
export const SHARED_CONTEXT_FIELDS = ['languages', 'assignedCoach'] as const

export type SummaryField =
  | (typeof IDENTIFYING_FIELDS)[number]
  | (typeof SITUATION_FIELDS)[number]
  | (typeof RESIDENCE_FIELDS)[number]
  | (typeof SHARED_CONTEXT_FIELDS)[number]

/** Never on a conference summary (see the rules at the top of this file). */
export const NEVER_SHOWN_FIELDS = [
  'phone',
  'email',
  'countryOfOrigin',
  'arrivalDate',
  'foreignQualifications',
  'tags',
  'assignedPate',
  'germanLevelHistory',
  'stageHistory',
] as const satisfies readonly (keyof MenteeFields)[]

export interface CaseSummary {
  menteeId: string
  /** A short code for the case, the same on every device; a partner cannot tell who it is. */
  caseCode: string
  /** Consent to share with partners: the name and school are shown. */
  shared: boolean
  /** The name in its original script; empty without consent to share. */
  name: string
  /** The day of that consent (empty without it). */
  consentDate: string
  /** `YYYY-MM` of the leaving date, for the summary without name. */
  leavingMonth: string
  /** The fields the summary shows, in this order, with their values. */
  fields: { field: SummaryField; value: MenteeFields[SummaryField] }[]
}

/** A pseudonymous code for the case: the first characters of its random id, in capitals. */
export function caseCodeOf(menteeId: string): string {
  return menteeId.replace(/[^0-9a-z]/gi, '').slice(0, 6).toUpperCase()
}

/** Whether the viewer may see residence details of a mentee on their device (not a Pate). */
function viewerSeesResidence(viewer: ConferenceViewer): boolean {
  return mayUseConference(viewer.role)
}

/** The fields a summary shows for this mentee and viewer, in the order they are printed. */
export function summaryFields(mentee: Mentee, viewer: ConferenceViewer): SummaryField[] {
  if (!maySharePersonalDetails(mentee)) return [...SITUATION_FIELDS]
  return [
    ...IDENTIFYING_FIELDS,
    ...SHARED_CONTEXT_FIELDS,
    ...SITUATION_FIELDS,
    ...(viewerSeesResidence(viewer) ? RESIDENCE_FIELDS : []),
  ]
}

/** The one-page case summary: only what the consent allows (see the rules at the top). */
export function caseSummary(mentee: Mentee, viewer: ConferenceViewer): CaseSummary {
  const shared = maySharePersonalDetails(mentee)
  return {
    menteeId: mentee.id,
    caseCode: caseCodeOf(mentee.id),
    shared,
    name: shared ? menteeDisplayName(mentee) : '',
    consentDate: shared ? mentee.consentDate : '',
    leavingMonth: isIsoDate(mentee.expectedLeavingDate) ? mentee.expectedLeavingDate.slice(0, 7) : '',
    fields: summaryFields(mentee, viewer).map((field) => ({ field, value: mentee[field] })),
  }
}
