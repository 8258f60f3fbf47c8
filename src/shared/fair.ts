/**
 * Job fairs in the hall: what the quick intake and the visitor's own form turn into a lead, the
 * one-tap outcome per employer, and the figures after the fair. Pure functions, so the screens,
 * the stores and the tests agree.
 */
import { addDays } from './dates'
import { DEFAULT_LEAD_RETENTION_DAYS } from './leads'
import type { FairEmployer, Lead, LeadContact, LeadFields } from './records'
import { FAIR_CONSENT_TEXT_VERSION, LEAD_OUTCOMES, type GermanLevel, type LeadOutcome } from './vocabulary'

/** Days after the fair that the follow-up is due unless the guide picks another day. */
export const FOLLOW_UP_AFTER_DAYS = 7
export const LEAD_RETENTION_MIN_DAYS = 1
export const LEAD_RETENTION_MAX_DAYS = 365
/** A two-digit year is read as 20yy only when the person would be at least this old. */
const YOUNGEST_VISITOR_AGE = 14

export function defaultFollowUpDue(eventDate: string): string {
  return eventDate ? addDays(eventDate, FOLLOW_UP_AFTER_DAYS) : ''
}

export function clampRetentionDays(days: unknown): number {
  const value = typeof days === 'number' && Number.isFinite(days) ? Math.round(days) : DEFAULT_LEAD_RETENTION_DAYS
  return Math.min(LEAD_RETENTION_MAX_DAYS, Math.max(LEAD_RETENTION_MIN_DAYS, value))
}

/** The outcome after one more tap on an employer's chip: none → contact → internship → contract → none. */
export function nextOutcome(current: LeadOutcome | undefined): LeadOutcome | undefined {
  if (current === undefined) return LEAD_OUTCOMES[0]
  return LEAD_OUTCOMES[LEAD_OUTCOMES.indexOf(current) + 1]
}

export function outcomeFor(contacts: readonly LeadContact[], employerId: string): LeadOutcome | undefined {
  return contacts.find((contact) => contact.employerId === employerId)?.outcome
}

/** The contacts after one tap on `employerId`'s chip. */
export function cycleContact(contacts: readonly LeadContact[], employerId: string): LeadContact[] {
  const next = nextOutcome(outcomeFor(contacts, employerId))
  if (next === undefined) return contacts.filter((contact) => contact.employerId !== employerId)
  if (outcomeFor(contacts, employerId) === undefined) return [...contacts, { employerId, outcome: next }]
  return contacts.map((contact) => (contact.employerId === employerId ? { employerId, outcome: next } : contact))
}

/** "Koch, Lagerist; Fahrer" → three occupations (comma, semicolon or line break between them). */
export function splitOccupations(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((part) => part.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
}

/** The list with the occupations of `text` added, each once (case ignored). */
export function addOccupations(list: readonly string[], text: string): string[] {
  const result = [...list]
  for (const occupation of splitOccupations(text)) {
    if (!result.some((known) => known.toLocaleLowerCase() === occupation.toLocaleLowerCase())) result.push(occupation)
  }
  return result
}

/**
 * The year of birth as typed: '' is none, four digits are the year, two digits the shorter way
 * (85 → 1985, 04 → 2004 while such a person is at least 14). Anything else is NaN, which
 * validation refuses.
 */
export function parseBirthYear(text: string, currentYear: number): number | null {
  const digits = text.trim()
  if (digits === '') return null
  if (/^\d{4}$/.test(digits)) return Number(digits)
  if (/^\d{2}$/.test(digits)) {
    const recent = 2000 + Number(digits)
    return recent <= currentYear - YOUNGEST_VISITOR_AGE ? recent : 1900 + Number(digits)
  }
  return Number.NaN
}

/** What the intake form edits: text as typed, turned into a lead on save. */
export interface IntakeForm {
  givenName: string
  familyName: string
  birthYear: string
  languages: string[]
  germanLevel: GermanLevel | null
  phone: string
  messenger: string
  occupations: string[]
  /** Occupations typed but not yet turned into a chip. */
  occupationText: string
  contacts: LeadContact[]
  followUpDue: string
  consent: boolean
}

export function emptyIntake(followUpDue = ''): IntakeForm {
  return {
    givenName: '',
    familyName: '',
    birthYear: '',
    languages: [],
    germanLevel: null,
    phone: '',
    messenger: '',
    occupations: [],
    occupationText: '',
    contacts: [],
    followUpDue,
    consent: false,
  }
}

export interface IntakeContext {
  eventId: string
  /** Today, `YYYY-MM-DD`: the day consent was given. */
  today: string
  /** The visitor typed it themselves. */
  selfIntake: boolean
  /** The language the form was shown in. */
  intakeLanguage: string
  /** The language the consent text was shown in (next to German). */
  consentLanguage: string
}

/** The lead an intake form stands for (not yet validated). */
export function leadFromIntake(form: IntakeForm, context: IntakeContext): LeadFields {
  const consent = form.consent
  return {
    eventId: context.eventId,
    givenName: form.givenName.trim(),
    familyName: form.familyName.trim(),
    birthYear: parseBirthYear(form.birthYear, Number(context.today.slice(0, 4))),
    languages: [...new Set(form.languages)],
    germanLevel: form.germanLevel,
    phone: form.phone.trim(),
    messenger: form.messenger.trim(),
    desiredOccupations: addOccupations(form.occupations, form.occupationText),
    contacts: form.contacts.map((contact) => ({ ...contact })),
    followUpDue: form.followUpDue,
    followUpDone: false,
    consentFollowUp: consent,
    consentDate: consent ? context.today : '',
    consentLanguage: consent ? context.consentLanguage : '',
    consentTextVersion: consent ? FAIR_CONSENT_TEXT_VERSION : '',
    selfIntake: context.selfIntake,
    menteeId: '',
    anonymised: false,
    intakeLanguage: context.intakeLanguage,
  }
}

/**
 * A person captured now who was already captured at another fair: this fair keeps its own lead
 * (its visitors, talks and follow-up count here), with the gaps in the person's details filled
 * from the earlier one and the link to a mentee carried over. Consent is per fair and stays as
 * given now.
 */
export function carryOverFromLead(capture: LeadFields, earlier: LeadFields): LeadFields {
  const fill = <K extends 'givenName' | 'familyName' | 'birthYear' | 'phone' | 'messenger' | 'germanLevel'>(key: K): LeadFields[K] =>
    capture[key] === '' || capture[key] === null ? earlier[key] : capture[key]
  return {
    ...capture,
    givenName: fill('givenName'),
    familyName: fill('familyName'),
    birthYear: fill('birthYear'),
    phone: fill('phone'),
    messenger: fill('messenger'),
    germanLevel: fill('germanLevel'),
    languages: [...new Set([...capture.languages, ...earlier.languages])],
    desiredOccupations: addOccupations(capture.desiredOccupations, earlier.desiredOccupations.join(',')),
    menteeId: capture.menteeId || earlier.menteeId,
  }
}

export interface EmployerTally {
  employer: FairEmployer
  /** People who talked to the employer, whatever came of it. */
  talks: number
  internships: number
  contracts: number
}

export interface FairSummary {
  /** Every person captured, anonymised ones included. */
  visitors: number
  selfIntakes: number
  anonymised: number
  withConsent: number
  /** Talks with an employer (one per person and employer). */
  talks: number
  internships: number
  contracts: number
  /** People who now have a mentee record (converted or linked). */
  mentees: number
  byEmployer: EmployerTally[]
}

/**
 * The figures of one fair. Internships and contracts are counted per person and employer: one
 * person with two internships agreed counts twice, as two employers are in it.
 */
export function fairSummary(leads: readonly Lead[], employers: readonly FairEmployer[]): FairSummary {
  const byEmployer = new Map(employers.map((employer) => [employer.id, { employer, talks: 0, internships: 0, contracts: 0 }]))
  const summary: FairSummary = { visitors: 0, selfIntakes: 0, anonymised: 0, withConsent: 0, talks: 0, internships: 0, contracts: 0, mentees: 0, byEmployer: [] }
  for (const lead of leads) {
    summary.visitors += 1
    if (lead.selfIntake) summary.selfIntakes += 1
    if (lead.anonymised) summary.anonymised += 1
    if (lead.consentFollowUp) summary.withConsent += 1
    if (lead.menteeId) summary.mentees += 1
    for (const contact of lead.contacts) {
      summary.talks += 1
      if (contact.outcome === 'internship') summary.internships += 1
      if (contact.outcome === 'contract') summary.contracts += 1
      const tally = byEmployer.get(contact.employerId)
      if (!tally) continue
      tally.talks += 1
      if (contact.outcome === 'internship') tally.internships += 1
      if (contact.outcome === 'contract') tally.contracts += 1
    }
  }
  summary.byEmployer = [...byEmployer.values()]
  return summary
}

/**
 * The follow-ups still to make, earliest first: only people who agreed to be contacted (the
 * others are not called) and not yet anonymised.
 */
export function openFollowUps(leads: readonly Lead[]): Lead[] {
  return leads
    .filter((lead) => lead.consentFollowUp && !lead.anonymised && !lead.followUpDone && lead.followUpDue !== '')
    .sort((a, b) => a.followUpDue.localeCompare(b.followUpDue) || a.createdAt - b.createdAt)
}
