/**
 * Deterministic benchmark data: fictional people made by combining common given and family names
 * at random (fixed seed), in Latin script with diacritics, Arabic script (partly with vowel marks,
 * hamza forms and Farsi letters) and Cyrillic. Pure TypeScript: it runs in Node and in the browser.
 */
import { addDays } from '../../src/shared/dates'
import type { Appointment, Mentee, Note } from '../../src/shared/records'
import { GERMAN_LEVELS, RESIDENCE_STATUSES, STAGES, type Stage } from '../../src/shared/vocabulary'

export const BENCH_SEED = 0x10_75e

/** mulberry32: small, fast, good enough for test data; same seed, same sequence everywhere. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

type Random = () => number

function pick<T>(random: Random, list: readonly T[]): T {
  const item = list[Math.floor(random() * list.length)]
  if (item === undefined) throw new Error('pick from an empty list')
  return item
}

function int(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}

function uuid(random: Random): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16))
  hex[12] = '4'
  hex[16] = (8 + Math.floor(random() * 4)).toString(16)
  const s = hex.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

const LATIN_GIVEN = [
  'Ahmad', 'Mohammed', 'Ömer', 'Ayşe', 'José', 'Łukasz', 'Zoë', 'Fatma', 'Amélie', 'Ibrahim',
  'Yusuf', 'Mariam', 'Hüseyin', 'Gökhan', 'Chloé', 'Renée', 'Tomáš', 'Dževad', 'Emir', 'Şeyma',
  'Álvaro', 'Noémie', 'Ali', 'Hassan', 'Leyla', 'Elif', 'Mehmet', 'Nadia', 'Jiří', 'Ivana',
] as const
const LATIN_FAMILY = [
  'Ahmadi', 'Karimi', 'Yılmaz', 'Şahin', 'Çelik', 'Öztürk', 'Nguyễn', 'Trần', 'Đặng', 'García',
  'Muñoz', 'Kowalski', 'Wójcik', 'Müller', 'Hoxha', 'Begić', 'Dvořák', 'Novák', 'Haddad', 'Mansour',
  'Rahimi', 'Hosseini', 'Jovanović', 'Popescu', 'Ferreira', 'Aydın', 'Doğan', 'Kılıç', 'Søren', 'Æbelø',
] as const
const ARABIC_GIVEN = [
  'مُحَمَّد', 'محمد', 'أحمد', 'فاطمة', 'علي', 'حسن', 'مريم', 'يوسف', 'إبراهيم', 'زينب',
  'خالد', 'عمر', 'ليلى', 'سارة', 'نور', 'كريم', 'ـمـحـمـود', 'آمنة', 'مصطفى', 'رُقَيَّة',
] as const
const ARABIC_FAMILY = [
  'الأحمد', 'حداد', 'منصور', 'الخطيب', 'کریمی', 'حسيني', 'العلي', 'ناصر', 'سليمان', 'الشامي',
  'رحيمي', 'يوسفي', 'الحلبي', 'عبد الله', 'المصري',
] as const
const CYRILLIC_GIVEN = [
  'Олена', 'Дмитро', 'Андрій', 'Наталія', 'Юлія', 'Сергій', 'Ольга', 'Алёна', 'Артём', 'Ирина',
  'Тарас', 'Оксана', 'Богдан', 'Ганна', 'Євген', 'Їржі', 'Михайло', 'Ксенія',
] as const
const CYRILLIC_FAMILY = [
  'Коваленко', 'Шевченко', 'Бондаренко', 'Ковальчук', 'Мельник', 'Ткаченко', 'Кравченко', 'Олійник',
  'Соловьёв', 'Фёдоров', 'Иванова', 'Петренко', 'Лисенко', 'Гребенюк',
] as const

const SCHOOLS = ['Berufskolleg Mitte', 'Berufskolleg Nord', 'Robert-Bosch-Berufskolleg', 'Gesamtschule Süd', '']
const COUNTRIES = ['SY', 'AF', 'IQ', 'UA', 'TR', 'ER', 'IR', 'VN', 'RO', 'XK']

/** Words a user types into the mentee search, letter by letter, the way people type on a phone. */
export const SEARCH_WORDS = [
  'ahmad', // Latin: given name Ahmad and family name Ahmadi
  'omer', // typed without the umlaut: finds Ömer
  'nguyen', // finds Nguyễn
  'kowal', // Kowalski
  'محمد', // typed without vowel marks: finds مُحَمَّد too
  'حداد',
  'олена', // Cyrillic, lower case
  'ковальчук',
  'karimi ah', // two words, any order
] as const

export interface GenerateOptions {
  count: number
  /** ISO date the dates are spread around, so the Today screen has something to show. */
  today: string
  seed?: number
}

function person(random: Random): { givenName: string; familyName: string } {
  const script = random()
  if (script < 0.55) return { givenName: pick(random, LATIN_GIVEN), familyName: pick(random, LATIN_FAMILY) }
  if (script < 0.8) return { givenName: pick(random, ARABIC_GIVEN), familyName: pick(random, ARABIC_FAMILY) }
  return { givenName: pick(random, CYRILLIC_GIVEN), familyName: pick(random, CYRILLIC_FAMILY) }
}

export function generateMentees({ count, today, seed = BENCH_SEED }: GenerateOptions): Mentee[] {
  const random = createRandom(seed)
  const base = Date.parse(`${today}T08:00:00Z`)
  const mentees: Mentee[] = []
  for (let i = 0; i < count; i++) {
    const { givenName, familyName } = person(random)
    const stage: Stage = pick(random, STAGES)
    const createdAt = base - int(random, 1, 900) * 86_400_000
    const school = pick(random, SCHOOLS)
    // Most permits run for one to three years; a few have just expired.
    const permitExpiry = random() < 0.6 ? addDays(today, int(random, -20, 1100)) : ''
    const expectedLeavingDate = school && random() < 0.5 ? addDays(today, int(random, -30, 700)) : ''
    mentees.push({
      id: uuid(random),
      createdAt,
      updatedAt: createdAt + int(random, 0, 50) * 86_400_000,
      birthYear: null,
      stageHistory: [],
      givenName,
      familyName,
      phone: `+49 15${int(random, 10, 99)} ${int(random, 1_000_000, 9_999_999)}`,
      email: random() < 0.5 ? `person${i}@example.org` : '',
      languages: [pick(random, ['ar', 'fa', 'uk', 'ru', 'tr', 'ti', 'vi']), 'de'],
      germanLevel: random() < 0.8 ? pick(random, GERMAN_LEVELS) : null,
      germanLevelHistory: [],
      countryOfOrigin: pick(random, COUNTRIES),
      arrivalDate: addDays(today, -int(random, 30, 3000)),
      residenceStatus: random() < 0.9 ? pick(random, RESIDENCE_STATUSES) : null,
      permitExpiry,
      school,
      schoolClass: school ? `IFK ${int(random, 1, 6)}` : '',
      expectedLeavingDate,
      schoolQualification: null,
      foreignQualifications: random() < 0.3 ? 'Abschluss Sekundarstufe' : '',
      recognitionStatus: null,
      goals: ['training'],
      barriers: random() < 0.4 ? ['language'] : [],
      stage,
      followOnOffer: random() < 0.3 ? true : null,
      tags: [],
      assignedCoach: 'Coach',
      assignedPate: '',
      consentDate: addDays(today, -int(random, 1, 800)),
      consentPurposes: ['counselling'],
      consentLanguage: 'de',
      consentTextVersion: '2026-11',
      consentRecordedBy: 'Coach Beispiel',
    })
  }
  return mentees
}

/** Notes with follow-ups and appointments around `today`, so the Today lists are not empty. */
export function generateAgenda(
  mentees: readonly Mentee[],
  today: string,
  seed = BENCH_SEED + 1,
): { notes: Note[]; appointments: Appointment[] } {
  const random = createRandom(seed)
  const base = Date.parse(`${today}T08:00:00Z`)
  const notes: Note[] = []
  const appointments: Appointment[] = []
  for (let i = 0; i < 300 && mentees.length > 0; i++) {
    const mentee = pick(random, mentees)
    const followUp = random() < 0.3
    notes.push({
      id: uuid(random),
      createdAt: base - i * 3_600_000,
      updatedAt: base - i * 3_600_000,
      menteeId: mentee.id,
      date: addDays(today, -int(random, 0, 200)),
      kind: pick(random, ['talk', 'phone', 'accompanied', 'fair', 'other'] as const),
      text: 'Gespräch über Ausbildungsplätze und Unterlagen.',
      topics: [],
      followUpText: followUp ? 'Unterlagen nachreichen' : '',
      followUpDue: followUp ? addDays(today, int(random, -10, 20)) : '',
      followUpDone: followUp && random() < 0.3,
    })
  }
  for (let i = 0; i < 40 && mentees.length > 0; i++) {
    const mentee = pick(random, mentees)
    const day = addDays(today, int(random, 0, 10))
    appointments.push({
      id: uuid(random),
      createdAt: base - i * 3_600_000,
      updatedAt: base - i * 3_600_000,
      menteeId: mentee.id,
      startsAt: `${day}T${String(int(random, 8, 16)).padStart(2, '0')}:${pick(random, ['00', '15', '30', '45'])}`,
      place: 'Ausländerbehörde, Zimmer 12',
      type: pick(random, ['immigrationOffice', 'jobcenter', 'employmentAgency', 'employerInterview'] as const),
      companion: '',
      outcome: '',
    })
  }
  return { notes, appointments }
}

const NOTE_TEXTS = [
  'Gespräch über Ausbildungsplätze und Unterlagen.',
  'Telefonat: Termin beim Jobcenter vorbereitet, Bescheid mitbringen.',
  'Begleitung zur Ausländerbehörde; Fiktionsbescheinigung verlängert.',
  'Bewerbung für ein Praktikum im Einzelhandel zusammen überarbeitet.',
  'Sprachkurs B1 angemeldet, Beginn nächsten Monat. Fahrtkosten geklärt.',
  'Zeugnisse zur Anerkennung geschickt; Übersetzung fehlt noch.',
  'Kurz im Berufskolleg gesprochen: Anwesenheit gut, Mathe schwierig.',
] as const
const NOTE_TOPICS = ['Praktikum', 'Sprachkurs', 'Unterlagen', 'Wohnung', 'Bewerbung', 'Ausbildung'] as const
const FOLLOW_UPS = ['Unterlagen nachreichen', 'Lebenslauf mitbringen', 'Termin bestätigen'] as const
const NOTE_KINDS_USED = ['talk', 'phone', 'accompanied', 'fair', 'other'] as const

/**
 * `perMentee` notes for every mentee (the bulk of a team's records), valid for `validateFields`:
 * what the sync benchmark seeds into the server and what its baseline writes into IndexedDB.
 */
export function generateNotes(
  mentees: readonly Pick<Mentee, 'id'>[],
  perMentee: number,
  today: string,
  seed = BENCH_SEED + 2,
): Note[] {
  const random = createRandom(seed)
  const base = Date.parse(`${today}T08:00:00Z`)
  const notes: Note[] = []
  for (const mentee of mentees) {
    for (let i = 0; i < perMentee; i++) {
      const followUp = random() < 0.2
      const at = base - int(random, 0, 700) * 86_400_000
      const topicCount = int(random, 0, 2)
      notes.push({
        id: uuid(random),
        createdAt: at,
        updatedAt: at,
        menteeId: mentee.id,
        date: new Date(at).toISOString().slice(0, 10),
        kind: pick(random, NOTE_KINDS_USED),
        text: pick(random, NOTE_TEXTS),
        topics: Array.from({ length: topicCount }, () => pick(random, NOTE_TOPICS)),
        followUpText: followUp ? pick(random, FOLLOW_UPS) : '',
        followUpDue: followUp ? addDays(today, int(random, -10, 30)) : '',
        followUpDone: followUp && random() < 0.3,
      })
    }
  }
  return notes
}
