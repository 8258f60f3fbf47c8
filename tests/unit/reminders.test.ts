import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SUPPORTED_LOCALES } from '@/i18n'
import { addDays } from '@/shared/dates'
import { emptyLead, type Appointment, type Lead, type Mentee, type Note } from '@/shared/records'
import {
  announcedKeysOf,
  announcementsFor,
  collectDueItems,
  countNeedingAction,
  DUE_SEVERITIES,
  FOLLOW_UP_KINDS,
  isAnnounced,
  type DueInput,
  type DueItem,
} from '@/shared/reminders'
import { fictionalMentee } from './helpers'

const TODAY = '2026-03-10'

function mentee(overrides: Partial<Mentee> = {}): Mentee {
  return { ...fictionalMentee(), id: crypto.randomUUID(), createdAt: 0, updatedAt: 0, stage: 'accompanied', ...overrides }
}

function note(overrides: Partial<Note> = {}): Note {
  return {
    id: crypto.randomUUID(),
    createdAt: 0,
    updatedAt: 0,
    menteeId: 'mentee-1',
    date: '2026-03-01',
    kind: 'talk',
    text: 'Gespräch',
    topics: [],
    followUpText: 'Unterlagen nachreichen',
    followUpDue: TODAY,
    followUpDone: false,
    ...overrides,
  }
}

function appointment(overrides: Partial<Appointment> = {}): Appointment {
  return {
    id: crypto.randomUUID(),
    createdAt: 0,
    updatedAt: 0,
    menteeId: 'mentee-1',
    startsAt: `${addDays(TODAY, 1)}T10:00`,
    place: '',
    type: 'immigrationOffice',
    companion: '',
    outcome: '',
    ...overrides,
  }
}

function due(input: Partial<DueInput>, today = TODAY): DueItem[] {
  return collectDueItems({ mentees: [], notes: [], appointments: [], ...input }, today)
}

function permitIn(days: number, today = TODAY): DueItem | undefined {
  return due({ mentees: [mentee({ permitExpiry: addDays(today, days) })] }, today)[0]
}

describe('residence permits on the due list', () => {
  it('flags the 90, 30 and 7 day thresholds exactly at their boundaries', () => {
    expect(permitIn(91)).toBeUndefined()
    expect(permitIn(90)).toMatchObject({ kind: 'permit', threshold: 90, daysLeft: 90, severity: 'upcoming' })
    expect(permitIn(31)).toMatchObject({ threshold: 90, daysLeft: 31, severity: 'upcoming' })
    expect(permitIn(30)).toMatchObject({ threshold: 30, daysLeft: 30, severity: 'upcoming' })
    expect(permitIn(8)).toMatchObject({ threshold: 30, daysLeft: 8, severity: 'upcoming' })
    expect(permitIn(7)).toMatchObject({ threshold: 7, daysLeft: 7, severity: 'actToday' })
    // Valid through its last day: expiring today still needs action today, it has not expired.
    expect(permitIn(0)).toMatchObject({ threshold: 7, daysLeft: 0, severity: 'actToday' })
  })

  it('shows an expired permit as expired, with the days since', () => {
    expect(permitIn(-1)).toMatchObject({ threshold: null, daysLeft: -1, severity: 'expired' })
    expect(permitIn(-400)).toMatchObject({ threshold: null, daysLeft: -400, severity: 'expired' })
  })

  it('puts expired permits at the top, above overdue follow-ups', () => {
    const items = due({
      mentees: [mentee({ permitExpiry: addDays(TODAY, 20) }), mentee({ permitExpiry: addDays(TODAY, -1) })],
      notes: [note({ followUpDue: addDays(TODAY, -30) }), note({ followUpDue: TODAY })],
      appointments: [appointment()],
    })
    expect(items.map((item) => [item.kind, item.severity, item.daysLeft])).toEqual([
      ['permit', 'expired', -1],
      ['noteFollowUp', 'overdue', -30],
      ['noteFollowUp', 'actToday', 0],
      ['appointment', 'actToday', 1],
      ['permit', 'upcoming', 20],
    ])
  })

  it('leaves out mentees without an expiry (a Pate without shared residence details), closed and deleted ones', () => {
    expect(due({ mentees: [mentee({ permitExpiry: '' })] })).toEqual([])
    expect(due({ mentees: [mentee({ permitExpiry: addDays(TODAY, 3), stage: 'closed' })] })).toEqual([])
    expect(due({ mentees: [mentee({ permitExpiry: addDays(TODAY, 3), deletedAt: 1 })] })).toEqual([])
  })

  it('counts days by the calendar across the change to summer time', () => {
    const tz = process.env.TZ
    process.env.TZ = 'Europe/Berlin'
    try {
      // Summer time starts on 29 March 2026: that day has 23 hours, still one day.
      expect(permitIn(7, '2026-03-25')).toMatchObject({ dueDate: '2026-04-01', daysLeft: 7, threshold: 7 })
      expect(due({ appointments: [appointment({ startsAt: '2026-03-29T08:00' })] }, '2026-03-28')).toHaveLength(1)
    } finally {
      process.env.TZ = tz
    }
  })

  it('announces each threshold anew: the key changes with the stage and with a new expiry date', () => {
    const person = mentee({ permitExpiry: '2026-04-30' })
    const at = (today: string) => due({ mentees: [person] }, today)[0]?.key
    expect(at('2026-02-01')).toBe(at('2026-02-10'))
    expect(at('2026-03-31')).not.toBe(at('2026-03-30'))
    expect(at('2026-03-31')).toBe(at('2026-04-22'))
    expect(at('2026-04-23')).not.toBe(at('2026-04-22'))
    expect(at('2026-05-01')).not.toBe(at('2026-04-30'))
    const renewed = due({ mentees: [{ ...person, permitExpiry: '2026-04-29' }] }, '2026-04-01')[0]?.key
    expect(renewed).not.toBe(at('2026-04-01'))
  })
})

describe('follow-ups on the due list', () => {
  it('separates overdue, due today and coming within the week; later ones wait', () => {
    const items = due({
      notes: [
        note({ id: 'later', followUpDue: addDays(TODAY, 8) }),
        note({ id: 'week', followUpDue: addDays(TODAY, 7) }),
        note({ id: 'today', followUpDue: TODAY }),
        note({ id: 'yesterday', followUpDue: addDays(TODAY, -1) }),
        note({ id: 'long-ago', followUpDue: addDays(TODAY, -12) }),
      ],
    })
    expect(items.map((item) => [item.recordId, item.severity, item.daysLeft])).toEqual([
      ['long-ago', 'overdue', -12],
      ['yesterday', 'overdue', -1],
      ['today', 'actToday', 0],
      ['week', 'upcoming', 7],
    ])
    expect(items[0]).toMatchObject({ kind: 'noteFollowUp', text: 'Unterlagen nachreichen', subject: { type: 'mentee', menteeId: 'mentee-1' } })
  })

  it('leaves out done follow-ups, deleted notes and notes without a follow-up', () => {
    expect(
      due({
        notes: [
          note({ followUpDue: addDays(TODAY, -3), followUpDone: true }),
          note({ followUpDue: addDays(TODAY, -3), deletedAt: 5 }),
          note({ followUpDue: '', followUpText: '' }),
        ],
      }),
    ).toEqual([])
  })
})

describe("tomorrow's appointments on the due list", () => {
  it('takes the next calendar day, across the end of a month, a year and a leap day', () => {
    const cases: [string, string][] = [
      ['2026-01-31', '2026-02-01'],
      ['2026-04-30', '2026-05-01'],
      ['2026-12-31', '2027-01-01'],
      ['2028-02-28', '2028-02-29'],
      ['2027-02-28', '2027-03-01'],
    ]
    for (const [today, tomorrow] of cases) {
      const items = due(
        {
          appointments: [
            appointment({ id: 'today', startsAt: `${today}T18:00` }),
            appointment({ id: 'late', startsAt: `${tomorrow}T16:30` }),
            appointment({ id: 'early', startsAt: `${tomorrow}T00:00` }),
            appointment({ id: 'after', startsAt: `${addDays(tomorrow, 1)}T09:00` }),
          ],
        },
        today,
      )
      expect(items.map((item) => item.recordId), today).toEqual(['early', 'late'])
      expect(items[0]).toMatchObject({ kind: 'appointment', severity: 'actToday', daysLeft: 1, dueDate: tomorrow, appointmentType: 'immigrationOffice' })
    }
  })

  it('leaves out deleted appointments', () => {
    expect(due({ appointments: [appointment({ deletedAt: 1 })] })).toEqual([])
  })
})

describe('the app-icon count', () => {
  it('counts what needs action today or is late, not what is only coming', () => {
    const items = due({
      mentees: [mentee({ permitExpiry: addDays(TODAY, -2) }), mentee({ permitExpiry: addDays(TODAY, 5) }), mentee({ permitExpiry: addDays(TODAY, 60) })],
      notes: [note({ followUpDue: addDays(TODAY, -1) }), note({ followUpDue: TODAY }), note({ followUpDue: addDays(TODAY, 3) })],
      appointments: [appointment()],
    })
    expect(items).toHaveLength(7)
    expect(countNeedingAction(items)).toBe(5)
    expect(countNeedingAction([])).toBe(0)
  })
})

describe('notifications of newly due items', () => {
  const items = due({
    mentees: [mentee({ permitExpiry: addDays(TODAY, 6) }), mentee({ permitExpiry: addDays(TODAY, 2) }), mentee({ permitExpiry: addDays(TODAY, 45) })],
    notes: [note({ followUpDue: addDays(TODAY, -1) }), note({ followUpDue: addDays(TODAY, 2) })],
    appointments: [appointment()],
  })

  it('groups the new ones by kind and stage, with a count and no one named', () => {
    expect(announcementsFor(items, new Set())).toEqual([
      { kind: 'noteFollowUp', severity: 'overdue', threshold: null, count: 1 },
      { kind: 'appointment', severity: 'actToday', threshold: null, count: 1 },
      { kind: 'permit', severity: 'actToday', threshold: 7, count: 2 },
      { kind: 'permit', severity: 'upcoming', threshold: 90, count: 1 },
    ])
  })

  it('announces nothing twice, and a follow-up only once it needs action', () => {
    const announced = new Set(announcedKeysOf(items))
    expect(announcementsFor(items, announced)).toEqual([])
    expect(items.filter((item) => !isAnnounced(item)).map((item) => [item.kind, item.severity])).toEqual([['noteFollowUp', 'upcoming']])
    expect(announcedKeysOf(items)).toHaveLength(items.length - 1)
  })

  it('announces again when an item reaches its next stage', () => {
    const followUp = note({ followUpDue: TODAY })
    const dayOne = due({ notes: [followUp] })
    const dayTwo = due({ notes: [followUp] }, addDays(TODAY, 1))
    expect(announcementsFor(dayTwo, new Set(announcedKeysOf(dayOne)))).toEqual([{ kind: 'noteFollowUp', severity: 'overdue', threshold: null, count: 1 }])
  })
})

describe('texts of the due list', () => {
  type Tree = { [key: string]: string | Tree }
  const messages = (locale: string) => JSON.parse(readFileSync(join(import.meta.dirname, '../../locales', `${locale}.json`), 'utf8')) as Tree
  const lookup = (tree: Tree, key: string) => key.split('.').reduce<Tree | string | undefined>((node, part) => (typeof node === 'object' ? node[part] : undefined), tree)

  it('has a notification text for every kind and stage that is announced, and a name for every follow-up kind', () => {
    const stages: [string, string][] = [
      ['permit', 'expired'],
      ['permit', 'actToday'],
      ['permit', 'upcoming'],
      ['appointment', 'actToday'],
      ...Object.keys(FOLLOW_UP_KINDS).flatMap((kind) => [[kind, 'overdue'], [kind, 'actToday']] as [string, string][]),
    ]
    for (const locale of SUPPORTED_LOCALES) {
      const tree = messages(locale)
      const missing = [
        ...stages.map(([kind, severity]) => `reminders.notification.${kind}.${severity}`),
        ...Object.keys(FOLLOW_UP_KINDS).map((kind) => `reminders.kinds.${kind}`),
        ...DUE_SEVERITIES.map((severity) => `reminders.severity.${severity}`),
      ].filter((key) => typeof lookup(tree, key) !== 'string')
      expect(missing, locale).toEqual([])
    }
  })
})

describe('lead follow-ups from job fairs', () => {
  const lead = (extra: Partial<Lead>): Lead => ({
    ...emptyLead('event-1'),
    id: `lead-${Math.random()}`,
    createdAt: 0,
    updatedAt: 0,
    givenName: 'Testperson',
    familyName: 'Messe',
    phone: '+49 000 0000',
    consentFollowUp: true,
    followUpDue: TODAY,
    ...extra,
  })

  it('lists a consented lead due today under the lead, linking to its fair', () => {
    const items = collectDueItems({ mentees: [], notes: [], appointments: [], leads: [lead({})] }, TODAY)
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({ kind: 'leadFollowUp', severity: 'actToday', subject: { type: 'lead', eventId: 'event-1', name: 'Testperson Messe' } })
  })

  it('leaves out leads without consent, anonymised, done or deleted ones', () => {
    const leads = [
      lead({ consentFollowUp: false }),
      lead({ anonymised: true }),
      lead({ followUpDone: true }),
      lead({ deletedAt: 1 }),
      lead({ followUpDue: '' }),
    ]
    expect(collectDueItems({ mentees: [], notes: [], appointments: [], leads }, TODAY)).toEqual([])
  })
})
