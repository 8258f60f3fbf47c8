/**
 * Job-fair leads: who may already be known (duplicates), how a second capture of the same person
 * joins the first, and when a lead without consent loses its personal fields. Pure functions, so
 * the app and the endpoint's retention job decide alike.
 */
import { addDays } from './dates'
import { LEAD_PERSONAL_FIELDS, type LeadContact, type LeadFields, type MenteeFields } from './records'
import { searchTokens } from './search'
import { LEAD_OUTCOMES } from './vocabulary'

/** Days after the fair that a lead without consent for follow-up keeps its personal fields. */
export const DEFAULT_LEAD_RETENTION_DAYS = 14

type Person = Pick<MenteeFields, 'givenName' | 'familyName' | 'birthYear' | 'phone'>

/** The name's words, case, accents and order ignored ("Olena Kovalenko" = "KOVALENKO olena"). */
export function nameKey(person: Pick<Person, 'givenName' | 'familyName'>): string {
  return searchTokens(`${person.givenName} ${person.familyName}`).sort().join(' ')
}

/**
 * A phone number reduced to what identifies it: digits only, the country or trunk prefix dropped
 * (+49 170…, 0049 170…, 0170… are one number). Too short to be sure: ''.
 */
export function phoneKey(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  if (digits.length < 7) return ''
  return digits.slice(-9)
}

export type DuplicateReason = 'nameAndBirthYear' | 'phone'

/** Why `candidate` may be the same person as `person`, or null when nothing suggests it. */
export function duplicateReason(person: Person, candidate: Person): DuplicateReason | null {
  const phone = phoneKey(person.phone)
  if (phone !== '' && phone === phoneKey(candidate.phone)) return 'phone'
  const name = nameKey(person)
  if (name !== '' && person.birthYear !== null && person.birthYear === candidate.birthYear && name === nameKey(candidate)) {
    return 'nameAndBirthYear'
  }
  return null
}

export interface DuplicateMatch<T> {
  record: T
  reason: DuplicateReason
}

/** Every candidate that may be the same person, phone matches first. */
export function findDuplicates<T extends Person>(person: Person, candidates: readonly T[]): DuplicateMatch<T>[] {
  const matches: DuplicateMatch<T>[] = []
  for (const record of candidates) {
    const reason = duplicateReason(person, record)
    if (reason) matches.push({ record, reason })
  }
  return matches.sort((a, b) => (a.reason === b.reason ? 0 : a.reason === 'phone' ? -1 : 1))
}

const outcomeRank = (outcome: LeadContact['outcome']) => LEAD_OUTCOMES.indexOf(outcome)

/** Both captures' employer contacts, one per employer, each with the further outcome. */
export function mergeContacts(first: readonly LeadContact[], second: readonly LeadContact[]): LeadContact[] {
  const byEmployer = new Map<string, LeadContact>()
  for (const contact of [...first, ...second]) {
    const known = byEmployer.get(contact.employerId)
    if (!known || outcomeRank(contact.outcome) > outcomeRank(known.outcome)) byEmployer.set(contact.employerId, { ...contact })
  }
  return [...byEmployer.values()]
}

function union<T>(first: readonly T[], second: readonly T[]): T[] {
  return [...new Set([...first, ...second])]
}

/**
 * The lead that results when the same person is captured a second time: what the first capture
 * holds stays, gaps are filled from the second, lists are joined, the earlier follow-up date and
 * any consent given count.
 */
export function mergeLeads(kept: LeadFields, second: LeadFields): LeadFields {
  const fill = <K extends keyof LeadFields>(key: K): LeadFields[K] => {
    const value = kept[key]
    return value === '' || value === null ? second[key] : value
  }
  const consentFromSecond = !kept.consentFollowUp && second.consentFollowUp
  return {
    ...kept,
    givenName: fill('givenName'),
    familyName: fill('familyName'),
    birthYear: fill('birthYear'),
    germanLevel: fill('germanLevel'),
    phone: fill('phone'),
    messenger: fill('messenger'),
    languages: union(kept.languages, second.languages),
    desiredOccupations: union(kept.desiredOccupations, second.desiredOccupations),
    contacts: mergeContacts(kept.contacts, second.contacts),
    followUpDue: [kept.followUpDue, second.followUpDue].filter(Boolean).sort()[0] ?? '',
    followUpDone: kept.followUpDone && second.followUpDone,
    consentFollowUp: kept.consentFollowUp || second.consentFollowUp,
    consentDate: consentFromSecond ? second.consentDate : kept.consentDate,
    consentLanguage: consentFromSecond ? second.consentLanguage : kept.consentLanguage,
    consentTextVersion: consentFromSecond ? second.consentTextVersion : kept.consentTextVersion,
  }
}

/**
 * Whether a lead must lose its personal fields on `today`: no consent for follow-up, not yet
 * anonymised, and more than `retentionDays` past its fair's day.
 */
export function isDueForAnonymising(lead: LeadFields, eventDate: string, today: string, retentionDays: number): boolean {
  if (lead.consentFollowUp || lead.anonymised || eventDate === '') return false
  return addDays(eventDate, retentionDays) < today
}

/** The lead without anything that identifies the person; the counts of the fair stay right. */
export function anonymisedLead(lead: LeadFields): LeadFields {
  const blank: Partial<LeadFields> = { birthYear: null, desiredOccupations: [] }
  for (const field of LEAD_PERSONAL_FIELDS) if (!(field in blank)) (blank as Record<string, unknown>)[field] = ''
  return { ...lead, ...blank, anonymised: true }
}

/** A new mentee from a lead: what the guide captured, consent carried over when it was given. */
export function menteeFromLead(lead: LeadFields, base: MenteeFields): MenteeFields {
  return {
    ...base,
    givenName: lead.givenName,
    familyName: lead.familyName,
    birthYear: lead.birthYear,
    phone: lead.phone,
    languages: [...lead.languages],
    germanLevel: lead.germanLevel,
    goals: lead.contacts.some((c) => c.outcome === 'contract') ? ['job'] : lead.contacts.some((c) => c.outcome === 'internship') ? ['internship'] : base.goals,
    consentDate: lead.consentFollowUp ? lead.consentDate : base.consentDate,
    consentPurposes: lead.consentFollowUp ? ['fairFollowUp'] : base.consentPurposes,
    consentLanguage: lead.consentFollowUp ? lead.consentLanguage : base.consentLanguage,
    consentTextVersion: lead.consentFollowUp ? lead.consentTextVersion : base.consentTextVersion,
  }
}
