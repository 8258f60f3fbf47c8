import * as v from 'valibot'
import { isIsoDate, isLocalDateTime } from './dates'
import {
  APPOINTMENT_TYPES,
  BARRIERS,
  CHECKLIST_ITEM_KEYS,
  CONSENT_PURPOSES,
  GERMAN_LEVELS,
  GOALS,
  LEAD_OUTCOMES,
  NOTE_KINDS,
  RECOGNITION_STATUSES,
  RESIDENCE_STATUSES,
  SCHOOL_QUALIFICATIONS,
  STAGES,
} from './vocabulary'
import type {
  AppointmentFields,
  ChecklistItemFields,
  EventFields,
  LeadFields,
  MenteeFields,
  NoteFields,
  SyncedTable,
} from './records'

/**
 * Validation shared by the app and the endpoint. Messages are i18n keys under `validation.`,
 * with their parameters, so each user reads them in their own language.
 */

export const LIMITS = {
  name: 100,
  shortText: 200,
  phone: 40,
  email: 254,
  longText: 20_000,
  listItems: 50,
  /** Dates before this year are typing mistakes (a birth year in the arrival field, 1900 …). */
  minYear: 1950,
  maxYear: 2100,
} as const

export interface FieldError {
  key: string
  params?: Record<string, string | number>
}
export type FieldErrors = Partial<Record<string, FieldError>>

const text = (max: number) => v.pipe(v.string(), v.maxLength(max, 'tooLong'))
const optionalDate = v.pipe(
  v.string(),
  v.check((s) => s === '' || isIsoDate(s), 'invalidDate'),
  v.check((s) => s === '' || inYearRange(s), 'yearOutOfRange'),
)
const picklist = <T extends readonly string[]>(values: T) => v.picklist(values, 'invalidChoice')
const list = <T extends v.GenericSchema>(item: T) => v.pipe(v.array(item), v.maxLength(LIMITS.listItems, 'tooMany'))

function inYearRange(isoDate: string): boolean {
  const year = Number(isoDate.slice(0, 4))
  return year >= LIMITS.minYear && year <= LIMITS.maxYear
}

const requiredName = v.pipe(v.string(), v.trim(), v.maxLength(LIMITS.name, 'tooLong'))

const phone = v.pipe(text(LIMITS.phone), v.regex(/^[+()\d\s/.-]*$/, 'invalidPhone'))
const languageCodes = list(v.pipe(v.string(), v.regex(/^[a-z]{2,3}$/, 'invalidChoice')))
const birthYear = v.nullable(
  v.pipe(
    v.number('invalid'),
    v.integer('invalid'),
    v.check((year) => year >= 1920 && year <= new Date().getFullYear(), 'birthYearOutOfRange'),
  ),
)
const uuid = v.pipe(v.string(), v.uuid('invalid'))

const menteeFields = {
  givenName: requiredName,
  familyName: requiredName,
  // Added after the first releases: records stored before have none.
  birthYear: v.optional(birthYear, null),
  phone,
  email: v.pipe(text(LIMITS.email), v.check((s) => s === '' || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s), 'invalidEmail')),
  languages: languageCodes,
  germanLevel: v.nullable(picklist(GERMAN_LEVELS)),
  germanLevelHistory: list(
    v.object({
      level: picklist(GERMAN_LEVELS),
      date: v.pipe(v.string(), v.check(isIsoDate, 'invalidDate'), v.check(inYearRange, 'yearOutOfRange')),
    }),
  ),
  countryOfOrigin: v.pipe(v.string(), v.regex(/^([A-Z]{2})?$/, 'invalidChoice')),
  arrivalDate: optionalDate,
  residenceStatus: v.nullable(picklist(RESIDENCE_STATUSES)),
  permitExpiry: optionalDate,
  school: text(LIMITS.shortText),
  schoolClass: text(LIMITS.shortText),
  expectedLeavingDate: optionalDate,
  schoolQualification: v.nullable(picklist(SCHOOL_QUALIFICATIONS)),
  foreignQualifications: text(LIMITS.longText),
  recognitionStatus: v.nullable(picklist(RECOGNITION_STATUSES)),
  goals: list(picklist(GOALS)),
  barriers: list(picklist(BARRIERS)),
  stage: picklist(STAGES),
  stageHistory: v.optional(
    list(
      v.object({
        stage: picklist(STAGES),
        date: v.pipe(v.string(), v.check(isIsoDate, 'invalidDate'), v.check(inYearRange, 'yearOutOfRange')),
      }),
    ),
    [],
  ),
  followOnOffer: v.nullable(v.boolean()),
  tags: list(v.pipe(v.string(), v.trim(), v.minLength(1, 'required'), v.maxLength(LIMITS.shortText, 'tooLong'))),
  assignedCoach: text(LIMITS.name),
  assignedPate: text(LIMITS.name),
  consentDate: optionalDate,
  consentPurposes: list(picklist(CONSENT_PURPOSES)),
  consentLanguage: v.pipe(v.string(), v.maxLength(10, 'tooLong')),
  // Added after the first release: records stored before have no value, which means none.
  consentTextVersion: v.optional(v.pipe(v.string(), v.maxLength(20, 'tooLong')), ''),
  consentRecordedBy: v.optional(text(LIMITS.name), ''),
}

export const menteeSchema = v.pipe(
  v.object(menteeFields),
  v.forward(
    v.check((m) => m.givenName !== '' || m.familyName !== '', 'nameRequired'),
    ['givenName'],
  ),
  v.forward(
    v.check((m) => !m.arrivalDate || !m.expectedLeavingDate || m.expectedLeavingDate >= m.arrivalDate, 'leavingBeforeArrival'),
    ['expectedLeavingDate'],
  ),
  v.forward(
    v.check((m) => m.germanLevelHistory.every((entry) => !m.arrivalDate || entry.date >= m.arrivalDate), 'levelBeforeArrival'),
    ['germanLevelHistory'],
  ),
)

const noteFields = {
  menteeId: v.pipe(v.string(), v.uuid('invalid')),
  date: v.pipe(v.string(), v.minLength(1, 'required'), v.check(isIsoDate, 'invalidDate'), v.check(inYearRange, 'yearOutOfRange')),
  kind: picklist(NOTE_KINDS),
  text: v.pipe(v.string(), v.maxLength(LIMITS.longText, 'tooLong'), v.check((s) => s.trim() !== '', 'required')),
  topics: list(v.pipe(v.string(), v.trim(), v.minLength(1, 'required'), v.maxLength(LIMITS.shortText, 'tooLong'))),
  followUpText: text(LIMITS.shortText),
  followUpDue: optionalDate,
  followUpDone: v.boolean(),
}

export const noteSchema = v.pipe(
  v.object(noteFields),
  v.forward(
    v.check((n) => n.followUpText.trim() === '' || n.followUpDue !== '', 'followUpNeedsDate'),
    ['followUpDue'],
  ),
)

const appointmentFields = {
  menteeId: v.pipe(v.string(), v.uuid('invalid')),
  startsAt: v.pipe(
    v.string(),
    v.minLength(1, 'required'),
    v.check(isLocalDateTime, 'invalidDate'),
    v.check((s) => inYearRange(s.slice(0, 10)), 'yearOutOfRange'),
  ),
  place: text(LIMITS.shortText),
  type: picklist(APPOINTMENT_TYPES),
  companion: text(LIMITS.name),
  outcome: text(LIMITS.longText),
}

export const appointmentSchema = v.object(appointmentFields)

const checklistItemFields = {
  appointmentId: v.pipe(v.string(), v.uuid('invalid')),
  templateKey: v.nullable(picklist(CHECKLIST_ITEM_KEYS)),
  label: v.pipe(v.string(), v.trim(), v.maxLength(LIMITS.shortText, 'tooLong')),
  done: v.boolean(),
  position: v.pipe(v.number(), v.integer('invalid'), v.minValue(0, 'invalid')),
}

export const checklistItemSchema = v.pipe(
  v.object(checklistItemFields),
  v.forward(
    v.check((item) => item.templateKey !== null || item.label !== '', 'required'),
    ['label'],
  ),
)

const requiredDate = v.pipe(v.string(), v.minLength(1, 'required'), v.check(isIsoDate, 'invalidDate'), v.check(inYearRange, 'yearOutOfRange'))

const eventFields = {
  name: v.pipe(v.string(), v.trim(), v.minLength(1, 'required'), v.maxLength(LIMITS.shortText, 'tooLong')),
  date: requiredDate,
  place: text(LIMITS.shortText),
  employers: list(
    v.object({
      id: v.pipe(v.string(), v.minLength(1, 'required'), v.maxLength(40, 'tooLong')),
      name: v.pipe(v.string(), v.trim(), v.minLength(1, 'required'), v.maxLength(LIMITS.shortText, 'tooLong')),
      sector: text(LIMITS.shortText),
      openPositions: text(LIMITS.shortText),
    }),
  ),
}

export const eventSchema = v.pipe(
  v.object(eventFields),
  v.forward(
    v.check((event) => new Set(event.employers.map((e) => e.id)).size === event.employers.length, 'invalid'),
    ['employers'],
  ),
)

const leadFields = {
  eventId: uuid,
  givenName: v.pipe(v.string(), v.trim(), v.maxLength(LIMITS.name, 'tooLong')),
  familyName: v.pipe(v.string(), v.trim(), v.maxLength(LIMITS.name, 'tooLong')),
  birthYear,
  languages: languageCodes,
  germanLevel: v.nullable(picklist(GERMAN_LEVELS)),
  phone,
  messenger: text(LIMITS.shortText),
  desiredOccupations: list(v.pipe(v.string(), v.trim(), v.minLength(1, 'required'), v.maxLength(LIMITS.shortText, 'tooLong'))),
  contacts: list(
    v.object({
      employerId: v.pipe(v.string(), v.minLength(1, 'required'), v.maxLength(40, 'tooLong')),
      outcome: picklist(LEAD_OUTCOMES),
    }),
  ),
  followUpDue: optionalDate,
  followUpDone: v.boolean(),
  consentFollowUp: v.boolean(),
  consentDate: optionalDate,
  consentLanguage: v.pipe(v.string(), v.maxLength(10, 'tooLong')),
  consentTextVersion: v.pipe(v.string(), v.maxLength(20, 'tooLong')),
  selfIntake: v.boolean(),
  menteeId: v.pipe(v.string(), v.check((s) => s === '' || v.is(uuid, s), 'invalid')),
  anonymised: v.boolean(),
  intakeLanguage: v.pipe(v.string(), v.maxLength(10, 'tooLong')),
}

export const leadSchema = v.pipe(
  v.object(leadFields),
  v.forward(
    v.check((lead) => lead.anonymised || lead.givenName !== '' || lead.familyName !== '', 'nameRequired'),
    ['givenName'],
  ),
  v.forward(
    v.check((lead) => !lead.consentFollowUp || lead.anonymised || lead.phone.trim() !== '' || lead.messenger.trim() !== '', 'contactRequired'),
    ['phone'],
  ),
  v.forward(
    v.check((lead) => new Set(lead.contacts.map((c) => c.employerId)).size === lead.contacts.length, 'invalid'),
    ['contacts'],
  ),
)

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors }

/** Turns valibot issues into one message per field (the first one found), keyed by field path. */
function toFieldErrors(issues: readonly v.BaseIssue<unknown>[]): FieldErrors {
  const errors: FieldErrors = {}
  for (const issue of issues) {
    const field = issue.path?.map((p) => String(p.key)).join('.') ?? '_'
    if (errors[field]) continue
    const requirement = issue.requirement
    errors[field] =
      issue.message === 'tooLong' || issue.message === 'tooMany'
        ? { key: issue.message, params: { max: typeof requirement === 'number' ? requirement : 0 } }
        : issue.message === 'yearOutOfRange'
          ? { key: issue.message, params: { min: LIMITS.minYear, max: LIMITS.maxYear } }
          : { key: issue.message.includes(' ') ? 'invalid' : issue.message }
  }
  return errors
}

function validate<S extends v.GenericSchema>(schema: S, input: unknown): ValidationResult<v.InferOutput<S>> {
  const result = v.safeParse(schema, input, { abortPipeEarly: true })
  return result.success ? { ok: true, value: result.output } : { ok: false, errors: toFieldErrors(result.issues) }
}

export const validateMentee = (input: MenteeFields): ValidationResult<MenteeFields> => validate(menteeSchema, input)
export const validateNote = (input: NoteFields): ValidationResult<NoteFields> => validate(noteSchema, input)
export const validateAppointment = (input: AppointmentFields): ValidationResult<AppointmentFields> =>
  validate(appointmentSchema, input)
export const validateChecklistItem = (input: ChecklistItemFields): ValidationResult<ChecklistItemFields> =>
  validate(checklistItemSchema, input)
export const validateEvent = (input: EventFields): ValidationResult<EventFields> => validate(eventSchema, input)
export const validateLead = (input: LeadFields): ValidationResult<LeadFields> => validate(leadSchema, input)

const FIELD_SCHEMAS: Record<SyncedTable, Record<string, v.GenericSchema>> = {
  mentees: menteeFields,
  notes: noteFields,
  appointments: appointmentFields,
  checklistItems: checklistItemFields,
  events: eventFields,
  leads: leadFields,
}

/**
 * Checks the fields of one synced write, which may be any subset of a table's fields. Returns the
 * cleaned values, or the first field that is unknown or invalid with its message key. Checks that
 * need the whole record (a leaving date after the arrival) belong to the app's forms.
 */
export function validateFields(
  table: SyncedTable,
  fields: Record<string, unknown>,
): { ok: true; value: Record<string, unknown> } | { ok: false; field: string; error: FieldError } {
  const schemas = FIELD_SCHEMAS[table]
  const value: Record<string, unknown> = {}
  for (const [field, raw] of Object.entries(fields)) {
    const schema = Object.hasOwn(schemas, field) ? schemas[field] : undefined
    if (!schema) return { ok: false, field, error: { key: 'unknownField' } }
    const result = v.safeParse(schema, raw, { abortPipeEarly: true })
    if (!result.success) {
      const error = toFieldErrors(result.issues.map((issue) => ({ ...issue, path: undefined })))._
      return { ok: false, field, error: error ?? { key: 'invalid' } }
    }
    value[field] = result.output
  }
  return { ok: true, value }
}
