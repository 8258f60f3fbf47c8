import { addDays, daysBetween } from '@/shared/dates'
import type { Mentee } from '@/shared/records'
import { PERMIT_WARNING_DAYS } from '@/shared/reminders'
import { compileQuery } from '@/shared/search'
import type { Stage } from '@/shared/vocabulary'

export const LEAVING_WARNING_DAYS = 56

export interface MenteeFilters {
  query: string
  stage: Stage | ''
  school: string
  needsAttention: boolean
}

export type AttentionReason =
  | { kind: 'permitExpired'; days: number }
  | { kind: 'permitExpiring'; days: number }
  | { kind: 'leavingWithoutOffer'; days: number }

/** Why a mentee needs attention today; empty when nothing is pressing. */
export function attentionReasons(mentee: Mentee, today: string): AttentionReason[] {
  if (mentee.stage === 'closed') return []
  const reasons: AttentionReason[] = []
  if (mentee.permitExpiry && mentee.permitExpiry <= addDays(today, PERMIT_WARNING_DAYS)) {
    const days = daysBetween(today, mentee.permitExpiry)
    reasons.push({ kind: days < 0 ? 'permitExpired' : 'permitExpiring', days: Math.abs(days) })
  }
  if (
    mentee.expectedLeavingDate &&
    mentee.followOnOffer !== true &&
    mentee.expectedLeavingDate >= today &&
    mentee.expectedLeavingDate <= addDays(today, LEAVING_WARNING_DAYS)
  ) {
    reasons.push({ kind: 'leavingWithoutOffer', days: daysBetween(today, mentee.expectedLeavingDate) })
  }
  return reasons
}

export interface IndexedMentee {
  mentee: Mentee
  searchKey: string
}

/** Filters an already sorted list; order is kept, so sorting happens once, not per keystroke. */
export function filterMentees(sorted: readonly IndexedMentee[], filters: MenteeFilters, today: string): IndexedMentee[] {
  const matches = compileQuery(filters.query)
  const school = filters.school
  return sorted.filter(
    ({ mentee, searchKey }) =>
      (!filters.stage || mentee.stage === filters.stage) &&
      (!school || mentee.school === school) &&
      (!filters.needsAttention || attentionReasons(mentee, today).length > 0) &&
      matches(searchKey),
  )
}

/** Family name, then given name, by the rules of the user's language. */
export function compareByName(collator: Intl.Collator) {
  return (a: Mentee, b: Mentee): number =>
    collator.compare(a.familyName || a.givenName, b.familyName || b.givenName) ||
    collator.compare(a.givenName, b.givenName)
}
