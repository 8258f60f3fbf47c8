import type {
  AppointmentType,
  Barrier,
  ChecklistItemKey,
  ConsentPurpose,
  GermanLevel,
  Goal,
  LeadOutcome,
  NoteKind,
  RecognitionStatus,
  ResidenceStatus,
  SchoolQualification,
  Stage,
} from './vocabulary'

/** The tables that sync, named as in the sync protocol. */
export const SYNCED_TABLES = ['mentees', 'notes', 'appointments', 'checklistItems', 'events', 'leads'] as const
export type SyncedTable = (typeof SYNCED_TABLES)[number]

/** Fields every synced record carries; the rest are the record's content. */
export interface RecordMeta {
  id: string
  createdAt: number
  updatedAt: number
  /** Set when deleted: the record stays as a tombstone until every device has seen it. */
  deletedAt?: number
}

export interface GermanLevelEntry {
  level: GermanLevel
  /** The day the level was reached (certificate or assessment). */
  date: string
}

export interface StageEntry {
  stage: Stage
  /** The day the mentee reached the stage. */
  date: string
}

export interface MenteeFields {
  givenName: string
  familyName: string
  /** Year of birth only: enough to tell two people of the same name apart (duplicates). */
  birthYear: number | null
  phone: string
  email: string
  /** ISO 639 codes, in the order the person named them. */
  languages: string[]
  germanLevel: GermanLevel | null
  germanLevelHistory: GermanLevelEntry[]
  /** ISO 3166-1 alpha-2. */
  countryOfOrigin: string
  arrivalDate: string
  residenceStatus: ResidenceStatus | null
  permitExpiry: string
  school: string
  schoolClass: string
  expectedLeavingDate: string
  schoolQualification: SchoolQualification | null
  foreignQualifications: string
  recognitionStatus: RecognitionStatus | null
  goals: Goal[]
  barriers: Barrier[]
  stage: Stage
  /** Every stage change with its day, oldest first: the transitions the reports count. */
  stageHistory: StageEntry[]
  /** For IFK leavers: a follow-on offer (Anschlussangebot) is found; null while nobody asked. */
  followOnOffer: boolean | null
  tags: string[]
  assignedCoach: string
  assignedPate: string
  consentDate: string
  consentPurposes: ConsentPurpose[]
  /** The UI locale the consent text was shown in (next to German). */
  consentLanguage: string
  /** Which version of the consent text was shown (`CONSENT_TEXT_VERSION` at the time). */
  consentTextVersion: string
  /** Who recorded the consent: the name of the coach or Pate. */
  consentRecordedBy: string
}
export type Mentee = RecordMeta & MenteeFields

export interface NoteFields {
  menteeId: string
  date: string
  kind: NoteKind
  text: string
  topics: string[]
  followUpText: string
  followUpDue: string
  followUpDone: boolean
}
export type Note = RecordMeta & NoteFields

export interface AppointmentFields {
  menteeId: string
  /** Local wall-clock time, `YYYY-MM-DDTHH:mm`. */
  startsAt: string
  place: string
  type: AppointmentType
  companion: string
  outcome: string
}
export type Appointment = RecordMeta & AppointmentFields

export interface ChecklistItemFields {
  appointmentId: string
  /** Set for items from a template, so they show in the reader's language. */
  templateKey: ChecklistItemKey | null
  /** The text of a free item (empty for template items). */
  label: string
  done: boolean
  position: number
}
export type ChecklistItem = RecordMeta & ChecklistItemFields

/** An employer at a job fair's stand. `id` is stable within the event, so leads can name it. */
export interface FairEmployer {
  id: string
  name: string
  sector: string
  openPositions: string
}

export interface EventFields {
  name: string
  /** The day of the fair. */
  date: string
  place: string
  employers: FairEmployer[]
}
export type FairEvent = RecordMeta & EventFields

/** What came of one conversation between a visitor and an employer at the fair. */
export interface LeadContact {
  employerId: string
  outcome: LeadOutcome
}

/** A person captured at a job fair (quick intake by a guide, or typed by the visitor). */
export interface LeadFields {
  eventId: string
  givenName: string
  familyName: string
  birthYear: number | null
  /** ISO 639 codes. */
  languages: string[]
  germanLevel: GermanLevel | null
  phone: string
  /** Messenger and handle, as the person gave it (e.g. "Telegram @…"). */
  messenger: string
  desiredOccupations: string[]
  contacts: LeadContact[]
  followUpDue: string
  followUpDone: boolean
  /** The person agreed to be contacted after the fair; without it the lead is anonymised later. */
  consentFollowUp: boolean
  consentDate: string
  consentLanguage: string
  consentTextVersion: string
  /** The visitor typed it themselves on the handed-over phone. */
  selfIntake: boolean
  /** The mentee this lead became or was merged into ('' while none). */
  menteeId: string
  /** Set when the personal fields were removed (no consent, retention over): counts stay. */
  anonymised: boolean
  /** The locale the visitor used for the intake. */
  intakeLanguage: string
}
export type Lead = RecordMeta & LeadFields

export interface RecordsByTable {
  mentees: Mentee
  notes: Note
  appointments: Appointment
  checklistItems: ChecklistItem
  events: FairEvent
  leads: Lead
}

/** A record without its metadata: what a form edits and what a write stores. */
export function contentOf<T extends RecordMeta>(record: T): Omit<T, keyof RecordMeta> {
  const { id: _id, createdAt: _created, updatedAt: _updated, deletedAt: _deleted, ...content } = record
  return content
}

export function emptyMentee(): MenteeFields {
  return {
    givenName: '',
    familyName: '',
    birthYear: null,
    phone: '',
    email: '',
    languages: [],
    germanLevel: null,
    germanLevelHistory: [],
    countryOfOrigin: '',
    arrivalDate: '',
    residenceStatus: null,
    permitExpiry: '',
    school: '',
    schoolClass: '',
    expectedLeavingDate: '',
    schoolQualification: null,
    foreignQualifications: '',
    recognitionStatus: null,
    goals: [],
    barriers: [],
    stage: 'firstContact',
    stageHistory: [],
    followOnOffer: null,
    tags: [],
    assignedCoach: '',
    assignedPate: '',
    consentDate: '',
    consentPurposes: [],
    consentLanguage: '',
    consentTextVersion: '',
    consentRecordedBy: '',
  }
}

/** The content of a record nobody has filled in yet: what a partial sync upsert starts from. */
export function emptyContent<T extends SyncedTable>(table: T): Omit<RecordsByTable[T], keyof RecordMeta> {
  const empty: { [K in SyncedTable]: Omit<RecordsByTable[K], keyof RecordMeta> } = {
    mentees: emptyMentee(),
    notes: { menteeId: '', date: '', kind: 'other', text: '', topics: [], followUpText: '', followUpDue: '', followUpDone: false },
    appointments: { menteeId: '', startsAt: '', place: '', type: 'other', companion: '', outcome: '' },
    checklistItems: { appointmentId: '', templateKey: null, label: '', done: false, position: 0 },
    events: emptyEvent(),
    leads: emptyLead(''),
  }
  return empty[table]
}

export function menteeDisplayName(m: Pick<MenteeFields, 'givenName' | 'familyName'>): string {
  return [m.givenName, m.familyName].filter((part) => part.trim()).join(' ')
}

export function emptyEvent(): EventFields {
  return { name: '', date: '', place: '', employers: [] }
}

export function emptyLead(eventId: string): LeadFields {
  return {
    eventId,
    givenName: '',
    familyName: '',
    birthYear: null,
    languages: [],
    germanLevel: null,
    phone: '',
    messenger: '',
    desiredOccupations: [],
    contacts: [],
    followUpDue: '',
    followUpDone: false,
    consentFollowUp: false,
    consentDate: '',
    consentLanguage: '',
    consentTextVersion: '',
    selfIntake: false,
    menteeId: '',
    anonymised: false,
    intakeLanguage: '',
  }
}

/** The fields of a lead that identify the person: what anonymising removes. */
export const LEAD_PERSONAL_FIELDS = [
  'givenName',
  'familyName',
  'birthYear',
  'phone',
  'messenger',
  'desiredOccupations',
  'consentDate',
] as const satisfies readonly (keyof LeadFields)[]
