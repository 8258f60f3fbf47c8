import { beforeEach, describe, expect, it } from 'vitest'
import { getDatabase } from '@/db/db'
import { saveEvent } from '@/db/repositories/events'
import { getLead, listLeadsOf, mergeLeadInto, patchLead, saveLead } from '@/db/repositories/leads'
import {
  addOccupations,
  carryOverFromLead,
  clampRetentionDays,
  cycleContact,
  defaultFollowUpDue,
  emptyIntake,
  fairSummary,
  leadFromIntake,
  nextOutcome,
  openFollowUps,
  parseBirthYear,
  splitOccupations,
} from '@/shared/fair'
import { emptyLead, type FairEmployer, type Lead, type LeadFields } from '@/shared/records'
import { FAIR_CONSENT_TEXT_VERSION } from '@/shared/vocabulary'
import { freshDatabase } from './helpers'

const EVENT_ID = '00000000-0000-4000-8000-000000000001'
const EMPLOYERS: FairEmployer[] = [
  { id: 'bau', name: 'Beispiel Bau GmbH', sector: 'Bau', openPositions: '3' },
  { id: 'pflege', name: 'Muster Pflege gGmbH', sector: 'Pflege', openPositions: '' },
]

function lead(overrides: Partial<Lead> = {}): Lead {
  return { ...emptyLead(EVENT_ID), id: crypto.randomUUID(), createdAt: 1, updatedAt: 1, givenName: 'Testperson', familyName: 'Eins', ...overrides }
}

describe('one tap per employer', () => {
  it('cycles none → contact → internship → contract → none', () => {
    expect([undefined, 'contact', 'internship', 'contract'].map((o) => nextOutcome(o as never))).toEqual(['contact', 'internship', 'contract', undefined])
    let contacts = cycleContact([], 'bau')
    expect(contacts).toEqual([{ employerId: 'bau', outcome: 'contact' }])
    contacts = cycleContact(cycleContact(contacts, 'pflege'), 'bau')
    expect(contacts).toEqual([
      { employerId: 'bau', outcome: 'internship' },
      { employerId: 'pflege', outcome: 'contact' },
    ])
    contacts = cycleContact(cycleContact(contacts, 'bau'), 'bau')
    expect(contacts).toEqual([{ employerId: 'pflege', outcome: 'contact' }])
  })
})

describe('what is typed at the fair', () => {
  it('splits occupations at commas, semicolons and line breaks, each once', () => {
    expect(splitOccupations(' Koch,  Lager  helfer;\nFahrer ,, ')).toEqual(['Koch', 'Lager helfer', 'Fahrer'])
    expect(addOccupations(['Koch'], 'koch, Pflege')).toEqual(['Koch', 'Pflege'])
  })

  it('reads years of birth with four or two digits', () => {
    expect(parseBirthYear('', 2026)).toBeNull()
    expect(parseBirthYear('1998', 2026)).toBe(1998)
    expect(parseBirthYear('98', 2026)).toBe(1998)
    expect(parseBirthYear('04', 2026)).toBe(2004)
    // Someone born in 2020 is not at a job fair: 20 is 1920 (and validation refuses that).
    expect(parseBirthYear('20', 2026)).toBe(1920)
    expect(parseBirthYear('19x8', 2026)).toBeNaN()
  })

  it('turns the form into a lead with consent, its date, language and text version', () => {
    const form = { ...emptyIntake('2026-03-17'), givenName: ' Testperson ', familyName: 'Zwei', birthYear: '91', languages: ['uk', 'uk', 'ru'], phone: ' 0170 1234567 ', occupations: ['Koch'], occupationText: 'Fahrer', consent: true, contacts: [{ employerId: 'bau', outcome: 'internship' as const }] }
    const fields = leadFromIntake(form, { eventId: EVENT_ID, today: '2026-03-10', selfIntake: true, intakeLanguage: 'uk', consentLanguage: 'uk' })
    expect(fields).toMatchObject({
      eventId: EVENT_ID,
      givenName: 'Testperson',
      birthYear: 1991,
      languages: ['uk', 'ru'],
      phone: '0170 1234567',
      desiredOccupations: ['Koch', 'Fahrer'],
      followUpDue: '2026-03-17',
      consentFollowUp: true,
      consentDate: '2026-03-10',
      consentLanguage: 'uk',
      consentTextVersion: FAIR_CONSENT_TEXT_VERSION,
      selfIntake: true,
      intakeLanguage: 'uk',
    })
    const without = leadFromIntake({ ...form, consent: false }, { eventId: EVENT_ID, today: '2026-03-10', selfIntake: false, intakeLanguage: 'de', consentLanguage: 'uk' })
    expect(without).toMatchObject({ consentFollowUp: false, consentDate: '', consentLanguage: '', consentTextVersion: '' })
  })

  it('sets the follow-up a week after the fair and keeps the retention within 1 to 365 days', () => {
    expect(defaultFollowUpDue('2026-03-10')).toBe('2026-03-17')
    expect(defaultFollowUpDue('')).toBe('')
    expect([0, 14, 400, Number.NaN, '7'].map(clampRetentionDays)).toEqual([1, 14, 365, 14, 14])
  })

  it('fills a new capture from the same person at an earlier fair, keeping this fair’s talks and consent', () => {
    const earlier: LeadFields = { ...emptyLead('other-fair'), givenName: 'Testperson', familyName: 'Drei', birthYear: 1990, phone: '0170 999', languages: ['ar'], desiredOccupations: ['Koch'], menteeId: '00000000-0000-4000-8000-0000000000aa', consentFollowUp: true, contacts: [{ employerId: 'x', outcome: 'contract' }] }
    const now: LeadFields = { ...emptyLead(EVENT_ID), givenName: 'Testperson', familyName: 'Drei', birthYear: 1990, languages: ['de'], desiredOccupations: ['koch', 'Maler'], contacts: [{ employerId: 'bau', outcome: 'contact' }] }
    expect(carryOverFromLead(now, earlier)).toMatchObject({
      eventId: EVENT_ID,
      phone: '0170 999',
      languages: ['de', 'ar'],
      desiredOccupations: ['koch', 'Maler'],
      contacts: [{ employerId: 'bau', outcome: 'contact' }],
      consentFollowUp: false,
      menteeId: earlier.menteeId,
    })
  })
})

describe('after the fair', () => {
  it('counts visitors (anonymised ones too), self-intakes and talks per employer', () => {
    const leads = [
      lead({ contacts: [{ employerId: 'bau', outcome: 'contact' }, { employerId: 'pflege', outcome: 'internship' }], consentFollowUp: true }),
      lead({ selfIntake: true, contacts: [{ employerId: 'bau', outcome: 'contract' }] }),
      lead({ anonymised: true, givenName: '', familyName: '', contacts: [{ employerId: 'bau', outcome: 'internship' }, { employerId: 'gone', outcome: 'contact' }] }),
      lead({ menteeId: '00000000-0000-4000-8000-0000000000bb' }),
    ]
    const summary = fairSummary(leads, EMPLOYERS)
    expect(summary).toMatchObject({ visitors: 4, selfIntakes: 1, anonymised: 1, withConsent: 1, talks: 5, internships: 2, contracts: 1, mentees: 1 })
    expect(summary.byEmployer.map(({ employer, ...tally }) => [employer.id, tally])).toEqual([
      ['bau', { talks: 3, internships: 1, contracts: 1 }],
      ['pflege', { talks: 1, internships: 1, contracts: 0 }],
    ])
  })

  it('lists open follow-ups of people who consented, earliest first', () => {
    const a = lead({ consentFollowUp: true, followUpDue: '2026-03-20' })
    const b = lead({ consentFollowUp: true, followUpDue: '2026-03-17' })
    const done = lead({ consentFollowUp: true, followUpDue: '2026-03-10', followUpDone: true })
    const noConsent = lead({ followUpDue: '2026-03-10' })
    expect(openFollowUps([a, b, done, noConsent]).map((l) => l.id)).toEqual([b.id, a.id])
  })
})

describe('lead repository for the fair', () => {
  beforeEach(() => {
    freshDatabase()
  })

  it('changes one field of a lead as stored, and merges a second lead into the first, deleting it', async () => {
    const event = await saveEvent(undefined, { name: 'Testmesse', date: '2026-03-10', place: '', employers: EMPLOYERS })
    const first = await saveLead(undefined, { ...emptyLead(event.id), givenName: 'Testperson', familyName: 'Vier', phone: '0170 444', contacts: [{ employerId: 'bau', outcome: 'contact' }] })
    const second = await saveLead(undefined, { ...emptyLead(event.id), givenName: 'Testperson', familyName: 'Vier', birthYear: 1995, selfIntake: true, contacts: [{ employerId: 'bau', outcome: 'contract' }] })

    const patched = await patchLead(first.id, { followUpDone: true })
    expect(patched).toMatchObject({ followUpDone: true, phone: '0170 444' })

    const merged = await mergeLeadInto(first.id, second.id)
    expect(merged).toMatchObject({ birthYear: 1995, phone: '0170 444', contacts: [{ employerId: 'bau', outcome: 'contract' }] })
    expect(await getLead(second.id)).toBeUndefined()
    expect((await listLeadsOf(event.id)).map((l) => l.id)).toEqual([first.id])
    const deletes = (await getDatabase().outbox.toArray()).filter((entry) => entry.op === 'delete')
    expect(deletes.map((entry) => entry.recordId)).toEqual([second.id])
  })
})
