/**
 * A fictional demo municipality for `npm run demo` (LOTSE_DEMO=1, DATA_DIR=data/demo): two teams,
 * one user of every role (two coaches, three Paten), about 200 made-up mentees with notes,
 * appointments and checklists, some assigned to the Paten and a few shared with them.
 *
 * Everything is obviously invented ("Testperson", "Musterfrau", "مثال", "Пример" …, phone numbers
 * with zeros, addresses at example.org) and chosen by a PRNG with a fixed seed, so every demo
 * looks the same; dates are placed around the day of seeding so the agenda has something today.
 * Passwords are random and shown once. Records are written as a sync push would leave them:
 * field stamps from a hybrid logical clock, writers, change numbers, team and mentee ids.
 */
import { randomBytes } from 'node:crypto'
import { HybridLogicalClock } from '../src/shared/hlc'
import { ROLES, type Role } from '../src/shared/protocol'
import type { SyncedTable } from '../src/shared/records'
import { validateAppointment, validateChecklistItem, validateFields, validateLead, validateMentee, validateNote } from '../src/shared/validation'
import {
  APPOINTMENT_TYPES,
  BARRIERS,
  CHECKLIST_TEMPLATES,
  CONSENT_TEXT_VERSION,
  FAIR_CONSENT_TEXT_VERSION,
  COMMON_ORIGIN_COUNTRIES,
  GERMAN_LEVELS,
  GOALS,
  NOTE_KINDS,
  RECOGNITION_STATUSES,
  RESIDENCE_STATUSES,
  SCHOOL_QUALIFICATIONS,
  STAGES,
  type GermanLevel,
} from '../src/shared/vocabulary'
import { emptyLead, type AppointmentFields, type ChecklistItemFields, type LeadFields, type MenteeFields, type NoteFields } from '../src/shared/records'
import { hashPassword } from './accounts/passwords'
import { formatTable } from './accounts/adminCommands'
import { nextChangeSeq, type Database, type Queryable } from './db/database'

export const DEMO_SEED = 20_240_601
export const DEMO_MENTEE_COUNT = 200
/** Stands in for the device that "pushed" the demo records; there is no such device row. */
export const DEMO_DEVICE_ID = '00000000-0000-4000-8000-00000000de00'
const DEMO_NODE = 'demo'

export interface DemoAccount {
  username: string
  role: Role
  team: string | null
  password: string
}

/** mulberry32: tiny, fast, and the same sequence on every machine for one seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

class Picker {
  constructor(private readonly random: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1))
  }
  chance(probability: number): boolean {
    return this.random() < probability
  }
  one<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!
  }
  some<T>(items: readonly T[], max: number): T[] {
    const count = this.int(0, Math.min(max, items.length))
    const pool = [...items]
    const picked: T[] = []
    for (let i = 0; i < count; i += 1) picked.push(pool.splice(Math.floor(this.random() * pool.length), 1)[0]!)
    return picked
  }
  /** A v4-shaped UUID from the PRNG, so ids are the same in every demo. */
  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.random() * 16).toString(16))
    hex[12] = '4'
    hex[16] = '89ab'[Math.floor(this.random() * 4)]!
    const s = hex.join('')
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
  }
}

const DAY_MS = 24 * 60 * 60 * 1000

/** `YYYY-MM-DD`, `offsetDays` from the anchor day (UTC, so it does not depend on the zone). */
function dayFrom(anchor: number, offsetDays: number): string {
  return new Date(anchor + offsetDays * DAY_MS).toISOString().slice(0, 10)
}

// Invented names in three scripts: words for "test", "example", "sample" and the German
// placeholder names, never real people's names.
const NAME_SETS = [
  {
    given: ['Testperson', 'Erika', 'Max', 'Beispiel', 'Demo', 'Probe'],
    family: ['Musterfrau', 'Mustermann', 'Beispiel', 'Testperson', 'Platzhalter'],
    languages: ['tr', 'ti', 'so', 'fr', 'sq', 'ro', 'en'],
    countries: ['TR', 'ER', 'SO', 'GN', 'AL', 'RO', 'NG'],
  },
  {
    given: ['تجربة', 'مثال', 'نموذج', 'اختبار'],
    family: ['مثال', 'تجريبي', 'نموذجي', 'اختبار'],
    languages: ['ar', 'fa', 'prs', 'ps', 'ku'],
    countries: ['SY', 'IQ', 'AF', 'IR', 'LB'],
  },
  {
    given: ['Тест', 'Пример', 'Образец', 'Демо'],
    family: ['Тестова', 'Примерова', 'Образцов', 'Тестович'],
    languages: ['uk', 'ru'],
    countries: ['UA', 'MD', 'GE'],
  },
] as const

const NOTE_TEXTS = [
  'Gespräch über die Praktikumssuche (Demo-Eintrag).',
  'Telefonat: Unterlagen für die Anerkennung besprochen. Alles erfunden.',
  'Begleitung zum Termin, Ergebnis folgt. (Beispieltext)',
  'Sprachkurs-Anmeldung geklärt – Testdaten.',
  'Bewerbung zusammen überarbeitet (fiktiver Eintrag).',
]
const TOPICS = ['Praktikum', 'Sprachkurs', 'Unterlagen', 'Wohnung', 'Bewerbung', 'Ausbildung']
const FOLLOW_UPS = ['Lebenslauf mitbringen', 'Termin bestätigen', 'Zeugnis übersetzen lassen']
const PLACES = ['Beispielstraße 1, 00000 Musterstadt', 'Rathaus Musterstadt, Zimmer 000', 'Berufskolleg Beispielstadt']
const SCHOOLS = ['Berufskolleg Beispielstadt', 'Muster-Berufskolleg', '']
const DEMO_EMPLOYERS = [
  { name: 'Beispiel Pflege gGmbH (Demo)', sector: 'Pflege', openPositions: '4 Ausbildungsplätze' },
  { name: 'Muster Logistik GmbH (Demo)', sector: 'Logistik', openPositions: '6 Stellen Lager' },
  { name: 'Probe Elektro KG (Demo)', sector: 'Handwerk', openPositions: '2 Praktika' },
]
const DEMO_LEAD_COUNT = 24


interface DemoUser {
  id: string
  username: string
  displayName: string
  role: Role
  teamName: string | null
}

const TEAMS = ['Team Lemgo', 'Team Essen'] as const

const DEMO_USERS: readonly Omit<DemoUser, 'id'>[] = [
  { username: 'demo.koordination', displayName: 'Koordination (Demo)', role: 'coordinator', teamName: null },
  { username: 'demo.coach.lemgo', displayName: 'Coach Lemgo (Demo)', role: 'coach', teamName: 'Team Lemgo' },
  { username: 'demo.coach.essen', displayName: 'Coach Essen (Demo)', role: 'coach', teamName: 'Team Essen' },
  { username: 'demo.pate.1', displayName: 'Pate Eins (Demo)', role: 'pate', teamName: 'Team Lemgo' },
  { username: 'demo.pate.2', displayName: 'Patin Zwei (Demo)', role: 'pate', teamName: 'Team Lemgo' },
  { username: 'demo.pate.3', displayName: 'Pate Drei (Demo)', role: 'pate', teamName: 'Team Essen' },
  { username: 'demo.guide', displayName: 'Guide (Demo)', role: 'guide', teamName: 'Team Lemgo' },
]

/** A random password that is easy to type from the screen: letters and digits only. */
function demoPassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  return Array.from(randomBytes(14), (byte) => alphabet[byte % alphabet.length]).join('')
}

interface RecordWriter {
  write(
    table: SyncedTable,
    record: { id: string; teamId: string; menteeId: string; parentId: string | null; createdBy: string },
    fields: Record<string, unknown>,
  ): Promise<void>
}

function recordWriter(tx: Queryable, clock: HybridLogicalClock, now: number): RecordWriter {
  return {
    async write(table, record, fields) {
      const checked = validateFields(table, fields)
      if (!checked.ok) throw new Error(`Demo ${table} field ${checked.field} is invalid: ${checked.error.key}`)
      const stamps: Record<string, string> = {}
      const writers: Record<string, unknown> = {}
      for (const field of Object.keys(checked.value)) {
        stamps[field] = clock.now()
        writers[field] = { userId: record.createdBy, deviceId: DEMO_DEVICE_ID, receivedAt: now }
      }
      const seq = await nextChangeSeq(tx)
      await tx.query(
        `INSERT INTO records (tbl, id, team_id, mentee_id, parent_id, fields, stamps, writers, created_by, change_seq, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11)`,
        [
          table,
          record.id,
          record.teamId,
          record.menteeId,
          record.parentId,
          JSON.stringify(checked.value),
          JSON.stringify(stamps),
          JSON.stringify(writers),
          record.createdBy,
          seq,
          new Date(now),
        ],
      )
    },
  }
}

function assertValid(what: string, result: { ok: boolean; errors?: unknown }): void {
  if (!result.ok) throw new Error(`Demo ${what} does not validate: ${JSON.stringify(result.errors)}`)
}

function makeMentee(pick: Picker, index: number, today: number, coach: DemoUser): MenteeFields {
  const names = NAME_SETS[index % NAME_SETS.length]!
  const arrivalOffset = -pick.int(200, 3000)
  const arrivalDate = dayFrom(today, arrivalOffset)
  const levels = GERMAN_LEVELS.slice(0, pick.int(0, 4))
  const germanLevelHistory = levels.map((level: GermanLevel, step) => ({
    level,
    date: dayFrom(today, arrivalOffset + 90 * (step + 1)),
  })).filter((entry) => entry.date <= dayFrom(today, 0))
  const hasPermit = pick.chance(0.6)
  const mentee: MenteeFields = {
    givenName: pick.one(names.given),
    familyName: `${pick.one(names.family)} ${index + 1}`,
    birthYear: pick.int(1970, 2008),
    phone: pick.chance(0.5) ? `+49 000 0000 ${String(index).padStart(3, '0')}` : '',
    email: pick.chance(0.4) ? `testperson.${index + 1}@example.org` : '',
    languages: [pick.one(names.languages), ...(pick.chance(0.5) ? ['de'] : [])],
    germanLevel: germanLevelHistory.at(-1)?.level ?? null,
    germanLevelHistory,
    countryOfOrigin: pick.chance(0.9) ? pick.one(names.countries) : pick.one(COMMON_ORIGIN_COUNTRIES),
    arrivalDate,
    residenceStatus: hasPermit ? pick.one(RESIDENCE_STATUSES) : null,
    permitExpiry: hasPermit && pick.chance(0.7) ? dayFrom(today, pick.int(-20, 700)) : '',
    school: pick.one(SCHOOLS),
    schoolClass: pick.chance(0.5) ? `IFK ${pick.int(1, 4)}` : '',
    expectedLeavingDate: pick.chance(0.5) ? dayFrom(today, pick.int(30, 500)) : '',
    schoolQualification: pick.chance(0.7) ? pick.one(SCHOOL_QUALIFICATIONS) : null,
    foreignQualifications: pick.chance(0.3) ? 'Erfundener Abschluss (Demo)' : '',
    recognitionStatus: pick.chance(0.5) ? pick.one(RECOGNITION_STATUSES) : null,
    goals: pick.some(GOALS, 3),
    barriers: pick.some(BARRIERS, 2),
    stage: 'firstContact',
    stageHistory: [],
    followOnOffer: pick.chance(0.3) ? pick.chance(0.5) : null,
    tags: ['Demo'],
    assignedCoach: coach.displayName,
    assignedPate: '',
    consentDate: dayFrom(today, Math.min(0, arrivalOffset + pick.int(10, 150))),
    consentPurposes: ['counselling', ...(pick.chance(0.3) ? (['partnerSharing'] as const) : [])],
    consentLanguage: pick.one(['de', 'en', 'ar', 'uk', 'ru', 'tr', 'fa']),
    consentTextVersion: CONSENT_TEXT_VERSION,
    consentRecordedBy: coach.displayName,
  }
  // A path through the stages up to the current one, each step dated, so reports count transitions.
  const stageIndex = pick.int(0, STAGES.length - 1)
  let day = pick.int(-420, -60)
  mentee.stageHistory = STAGES.slice(0, stageIndex + 1).map((stage) => {
    const entry = { stage, date: dayFrom(today, Math.min(0, day)) }
    day += pick.int(10, 120)
    return entry
  })
  mentee.stage = STAGES[stageIndex]!
  assertValid('mentee', validateMentee(mentee))
  return mentee
}

function makeNote(pick: Picker, menteeId: string, today: number): NoteFields {
  const withFollowUp = pick.chance(0.4)
  const note: NoteFields = {
    menteeId,
    date: dayFrom(today, -pick.int(0, 120)),
    kind: pick.one(NOTE_KINDS),
    text: pick.one(NOTE_TEXTS),
    topics: pick.some(TOPICS, 2),
    followUpText: withFollowUp ? pick.one(FOLLOW_UPS) : '',
    followUpDue: withFollowUp ? dayFrom(today, pick.int(-5, 30)) : '',
    followUpDone: withFollowUp && pick.chance(0.3),
  }
  assertValid('note', validateNote(note))
  return note
}

function makeAppointment(pick: Picker, menteeId: string, today: number, companion: string): AppointmentFields {
  const type = pick.one(APPOINTMENT_TYPES)
  const hour = String(pick.int(8, 16)).padStart(2, '0')
  const minute = pick.one(['00', '15', '30', '45'])
  const appointment: AppointmentFields = {
    menteeId,
    startsAt: `${dayFrom(today, pick.int(-30, 45))}T${hour}:${minute}`,
    place: pick.one(PLACES),
    type,
    companion: pick.chance(0.5) ? companion : '',
    outcome: '',
  }
  assertValid('appointment', validateAppointment(appointment))
  return appointment
}

/** True when the database holds no users and no records (a fresh demo directory). */
export async function isEmptyDatabase(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ users: number; records: number }>(
    'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM records) AS records',
  )
  return rows[0]?.users === 0 && rows[0].records === 0
}

/**
 * Fills an empty database with the demo municipality, in one transaction. Returns the accounts
 * with their passwords (to show once), or undefined when the database already has data.
 */
export async function seedDemoIfEmpty(db: Database, now: number = Date.now()): Promise<DemoAccount[] | undefined> {
  if (!(await isEmptyDatabase(db))) return undefined
  const pick = new Picker(seededRandom(DEMO_SEED))
  const clock = new HybridLogicalClock(DEMO_NODE, () => now)
  const accounts: DemoAccount[] = []
  const users: DemoUser[] = []
  const passwordHashes = new Map<string, string>()
  // Hash before the transaction: scrypt is slow and needs no lock.
  for (const user of DEMO_USERS) {
    const password = demoPassword()
    accounts.push({ username: user.username, role: user.role, team: user.teamName, password })
    passwordHashes.set(user.username, await hashPassword(password))
    users.push({ ...user, id: pick.uuid() })
  }

  return db.transaction(async (tx) => {
    if (!(await isEmptyDatabase(tx))) return undefined
    const teamIds = new Map<string, string>()
    for (const name of TEAMS) {
      const id = pick.uuid()
      teamIds.set(name, id)
      await tx.query('INSERT INTO teams (id, name) VALUES ($1, $2)', [id, name])
    }
    for (const user of users) {
      await tx.query(
        `INSERT INTO users (id, username, display_name, role, team_id, password_hash) VALUES ($1, $2, $3, $4, $5, $6)`,
        [user.id, user.username, user.displayName, user.role, user.teamName ? teamIds.get(user.teamName)! : null, passwordHashes.get(user.username)!],
      )
    }

    const coaches = users.filter((user) => user.role === 'coach')
    const paten = users.filter((user) => user.role === 'pate')
    const writer = recordWriter(tx, clock, now)
    const assignments: { pate: DemoUser; menteeId: string; shared: boolean }[] = []

    for (let index = 0; index < DEMO_MENTEE_COUNT; index += 1) {
      const coach = coaches[index % coaches.length]!
      const teamId = teamIds.get(coach.teamName!)!
      const menteeId = pick.uuid()
      const mentee = makeMentee(pick, index, now, coach)
      // Every fifth mentee of a team gets one of that team's Paten; some of those are shared.
      const teamPaten = paten.filter((pate) => pate.teamName === coach.teamName)
      const pate = index % 5 < 2 ? teamPaten[Math.floor(index / 5) % teamPaten.length] : undefined
      if (pate) {
        mentee.assignedPate = pate.displayName
        assignments.push({ pate, menteeId, shared: index % 15 === 0 })
      }
      const owner = { teamId, menteeId, createdBy: coach.id }
      await writer.write('mentees', { ...owner, id: menteeId, parentId: null }, { ...mentee })

      for (let n = pick.int(0, 3); n > 0; n -= 1) {
        await writer.write('notes', { ...owner, id: pick.uuid(), parentId: menteeId }, { ...makeNote(pick, menteeId, now) })
      }
      for (let n = pick.int(0, 2); n > 0; n -= 1) {
        const appointmentId = pick.uuid()
        const appointment = makeAppointment(pick, menteeId, now, pate?.displayName ?? coach.displayName)
        await writer.write('appointments', { ...owner, id: appointmentId, parentId: menteeId }, { ...appointment })
        const isPast = appointment.startsAt < `${dayFrom(now, 0)}T00:00`
        const items = CHECKLIST_TEMPLATES[appointment.type]
        for (const [position, templateKey] of items.entries()) {
          const item: ChecklistItemFields = { appointmentId, templateKey, label: '', done: isPast || pick.chance(0.3), position }
          assertValid('checklist item', validateChecklistItem(item))
          await writer.write('checklistItems', { ...owner, id: pick.uuid(), parentId: appointmentId }, { ...item })
        }
      }
    }

    // Two #JobsForYou fairs of Team Lemgo: one last week with visitors captured by the guide (some
    // without consent for follow-up), one next month still to come.
    const guide = users.find((user) => user.role === 'guide')!
    const fairTeamId = teamIds.get(guide.teamName!)!
    const employers = DEMO_EMPLOYERS.map((employer, index) => ({ ...employer, id: `demo-e${index + 1}` }))
    const pastFairId = pick.uuid()
    const fairs = [
      { id: pastFairId, fields: { name: '#JobsForYou Musterstadt (Demo)', date: dayFrom(now, -7), place: PLACES[1]!, employers } },
      { id: pick.uuid(), fields: { name: '#JobsForYou Beispielstadt (Demo)', date: dayFrom(now, 30), place: PLACES[2]!, employers: employers.slice(0, 2) } },
    ]
    for (const fair of fairs) {
      await writer.write('events', { id: fair.id, teamId: fairTeamId, menteeId: fair.id, parentId: null, createdBy: guide.id }, { ...fair.fields })
    }
    for (let index = 0; index < DEMO_LEAD_COUNT; index += 1) {
      const names = NAME_SETS[index % NAME_SETS.length]!
      const consent = pick.chance(0.7)
      const lead: LeadFields = {
        ...emptyLead(pastFairId),
        givenName: pick.one(names.given),
        familyName: `${pick.one(names.family)} M${index + 1}`,
        birthYear: pick.int(1975, 2007),
        languages: [pick.one(names.languages)],
        germanLevel: pick.chance(0.8) ? pick.one(GERMAN_LEVELS.slice(0, 4)) : null,
        phone: consent ? `+49 000 1111 ${String(index).padStart(3, '0')}` : '',
        desiredOccupations: [pick.one(['Pflege', 'Lager', 'Elektrik', 'Gastronomie', 'Büro'])],
        contacts: pick.some(employers, 3).map((employer) => ({
          employerId: employer.id,
          outcome: pick.one(['contact', 'contact', 'contact', 'internship', 'contract'] as const),
        })),
        followUpDue: consent ? dayFrom(now, pick.int(-2, 7)) : '',
        consentFollowUp: consent,
        consentDate: consent ? dayFrom(now, -7) : '',
        consentLanguage: consent ? pick.one(['de', 'uk', 'ar', 'tr']) : '',
        consentTextVersion: consent ? FAIR_CONSENT_TEXT_VERSION : '',
        selfIntake: pick.chance(0.3),
        intakeLanguage: pick.one(['de', 'uk', 'ar', 'tr']),
      }
      assertValid('lead', validateLead(lead))
      const id = pick.uuid()
      await writer.write('leads', { id, teamId: fairTeamId, menteeId: id, parentId: pastFairId, createdBy: guide.id }, { ...lead })
    }

    // Access events after the records, as if a coordinator assigned the Paten afterwards.
    for (const { pate, menteeId, shared } of assignments) {
      await tx.query('INSERT INTO assignments (user_id, mentee_id, created_at) VALUES ($1, $2, $3)', [pate.id, menteeId, new Date(now)])
      await tx.query(`INSERT INTO access_events (seq, user_id, mentee_id, kind, at) VALUES ($1, $2, $3, 'assign', $4)`, [
        await nextChangeSeq(tx), pate.id, menteeId, new Date(now),
      ])
      if (!shared) continue
      await tx.query('INSERT INTO shares (user_id, mentee_id, created_at) VALUES ($1, $2, $3)', [pate.id, menteeId, new Date(now)])
      await tx.query(`INSERT INTO access_events (seq, user_id, mentee_id, kind, at) VALUES ($1, $2, $3, 'share', $4)`, [
        await nextChangeSeq(tx), pate.id, menteeId, new Date(now),
      ])
    }
    return accounts
  })
}

/** Shows the demo accounts with their passwords: the only time the passwords appear anywhere. */
export function printDemoAccounts(accounts: readonly DemoAccount[]): void {
  const byRole = [...accounts].sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role))
  console.log(
    '\nDemo municipality created with fictional data. Sign in with these accounts; the passwords are\n' +
      'shown only now (they are stored hashed), so note them down:\n\n' +
      formatTable(['USERNAME', 'ROLE', 'TEAM', 'PASSWORD'], byRole.map((a) => [a.username, a.role, a.team ?? '-', a.password])),
  )
}
