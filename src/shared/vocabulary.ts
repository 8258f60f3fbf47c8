/**
 * The closed value lists of the domain. Stored values are stable English identifiers; what a
 * user sees comes from `locales/` under the matching key, so the data stays language-neutral.
 */

export const GERMAN_LEVELS = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const
export type GermanLevel = (typeof GERMAN_LEVELS)[number]

export const RESIDENCE_STATUSES = [
  'residencePermit', // Aufenthaltserlaubnis
  'settlementPermit', // Niederlassungserlaubnis
  'asylumPending', // Aufenthaltsgestattung
  'toleratedStay', // Duldung
  'trainingToleration', // Ausbildungsduldung (3+2)
  'employmentToleration', // Beschäftigungsduldung
  'temporaryProtection', // § 24 AufenthG
  'euFreeMovement',
  'naturalised',
  'other',
] as const
export type ResidenceStatus = (typeof RESIDENCE_STATUSES)[number]

export const STAGES = ['firstContact', 'accompanied', 'internshipEq', 'trainingJob', 'closed'] as const
export type Stage = (typeof STAGES)[number]

export const SCHOOL_QUALIFICATIONS = [
  'none',
  'hauptschulabschluss',
  'mittlererSchulabschluss',
  'fachhochschulreife',
  'abitur',
  'foreign',
] as const
export type SchoolQualification = (typeof SCHOOL_QUALIFICATIONS)[number]

export const RECOGNITION_STATUSES = [
  'notStarted',
  'inProgress',
  'recognised',
  'partiallyRecognised',
  'refused',
  'notNeeded',
] as const
export type RecognitionStatus = (typeof RECOGNITION_STATUSES)[number]

export const GOALS = ['schoolQualification', 'languageCourse', 'internship', 'eq', 'training', 'job'] as const
export type Goal = (typeof GOALS)[number]

export const BARRIERS = [
  'childcare',
  'mobility',
  'language',
  'documents',
  'residenceRules',
  'health',
  'housing',
  'other',
] as const
export type Barrier = (typeof BARRIERS)[number]

export const CONSENT_PURPOSES = ['counselling', 'partnerSharing', 'fairFollowUp'] as const
/** The version of the consent text in `locales/` (`consent.text`); a changed text gets a new one. */
export const CONSENT_TEXT_VERSION = '2026-11'
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number]

/** The version of the job fair's consent text in `locales/` (`fairConsent.*`); a changed text gets a new one. */
export const FAIR_CONSENT_TEXT_VERSION = '2026-11-fair'

/** Languages a guide picks with one tap at a fair (most visitors speak one of them); the rest from a list. */
export const FAIR_QUICK_LANGUAGES = ['uk', 'ru', 'ar', 'tr', 'fa', 'en'] as const

/** What came of a visitor's talk with an employer at a job fair, weakest first. */
export const LEAD_OUTCOMES = ['contact', 'internship', 'contract'] as const
export type LeadOutcome = (typeof LEAD_OUTCOMES)[number]

export const NOTE_KINDS = ['talk', 'phone', 'accompanied', 'fair', 'other'] as const
export type NoteKind = (typeof NOTE_KINDS)[number]

export const APPOINTMENT_TYPES = [
  'immigrationOffice', // Ausländerbehörde
  'jobcenter',
  'employmentAgency', // Agentur für Arbeit
  'recognitionCounselling', // Anerkennungsberatung
  'vocationalCollege', // Berufskolleg
  'employerInterview',
  'languageCourse',
  'other',
] as const
export type AppointmentType = (typeof APPOINTMENT_TYPES)[number]

export const CHECKLIST_ITEM_KEYS = [
  'passport',
  'residencePermit',
  'appointmentLetter',
  'biometricPhoto',
  'registrationCertificate',
  'rentalContract',
  'jobcenterDecision',
  'certificates',
  'translatedCertificates',
  'languageCertificate',
  'cv',
  'coverLetter',
  'schoolReport',
  'bankDetails',
  'healthInsuranceCard',
  'trainingContract',
  'applicationForm',
] as const
export type ChecklistItemKey = (typeof CHECKLIST_ITEM_KEYS)[number]

/** What to bring, per appointment type: the items a new appointment starts with. */
export const CHECKLIST_TEMPLATES: Record<AppointmentType, readonly ChecklistItemKey[]> = {
  immigrationOffice: [
    'passport',
    'residencePermit',
    'appointmentLetter',
    'biometricPhoto',
    'registrationCertificate',
    'rentalContract',
    'trainingContract',
  ],
  jobcenter: ['passport', 'residencePermit', 'appointmentLetter', 'jobcenterDecision', 'rentalContract', 'bankDetails', 'cv'],
  employmentAgency: ['passport', 'residencePermit', 'appointmentLetter', 'cv', 'certificates', 'languageCertificate'],
  recognitionCounselling: ['passport', 'certificates', 'translatedCertificates', 'cv', 'languageCertificate'],
  vocationalCollege: ['passport', 'schoolReport', 'registrationCertificate', 'applicationForm'],
  employerInterview: ['cv', 'coverLetter', 'certificates', 'languageCertificate', 'residencePermit'],
  languageCourse: ['passport', 'residencePermit', 'appointmentLetter', 'languageCertificate'],
  other: ['passport', 'appointmentLetter'],
}

/** Languages offered in the "languages spoken" picker; names come from `Intl.DisplayNames`. */
export const SPOKEN_LANGUAGE_CODES = [
  'ar', 'uk', 'ru', 'fa', 'prs', 'ps', 'tr', 'ku', 'ckb', 'ti', 'so', 'am', 'en', 'fr', 'de',
  'sq', 'sr', 'ro', 'bg', 'pl', 'ur', 'hi', 'bn', 'es', 'it', 'vi', 'zh',
] as const

/** Countries of origin offered first; any ISO 3166 code is accepted. */
export const COMMON_ORIGIN_COUNTRIES = [
  'SY', 'UA', 'AF', 'IQ', 'IR', 'TR', 'ER', 'SO', 'RU', 'MD', 'RO', 'BG', 'PL', 'AL', 'XK', 'RS',
  'NG', 'GN', 'GM', 'ET', 'PK', 'IN', 'VN', 'LB', 'PS', 'MA', 'TN', 'DZ', 'EG', 'GE', 'AM', 'AZ',
] as const
