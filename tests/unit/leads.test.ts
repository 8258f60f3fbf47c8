/**
 * Job-fair leads on the device: who may be the same person, how a second capture joins the first,
 * turning a lead into a mentee, and anonymising leads without consent after the fair.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { pendingEntries } from '@/db/outbox'
import { saveEvent } from '@/db/repositories/events'
import {
  anonymiseExpiredLeads,
  convertLeadToMentee,
  getLead,
  listLeadsOf,
  mergeIntoLead,
  saveLead,
} from '@/db/repositories/leads'
import { getMentee } from '@/db/repositories/mentees'
import { ValidationFailed } from '@/db/errors'
import { addDays } from '@/shared/dates'
import { anonymisedLead, findDuplicates, isDueForAnonymising, mergeContacts, mergeLeads, nameKey, phoneKey } from '@/shared/leads'
import { emptyEvent, emptyLead, LEAD_PERSONAL_FIELDS, type LeadFields } from '@/shared/records'
import { freshDatabase } from './helpers'

const TODAY = '2026-11-22'
const EVENT_ID = '00000000-0000-4000-8000-000000000001'

const lead = (overrides: Partial<LeadFields> = {}): LeadFields => ({
  ...emptyLead(EVENT_ID),
  givenName: 'Testperson',
  familyName: 'Messe Eins',
  birthYear: 1998,
  phone: '+49 170 0000001',
  ...overrides,
})

describe('duplicates', () => {
  it('takes a name in any order, case and accent as the same name', () => {
    expect(nameKey({ givenName: 'Olena Testperson', familyName: 'KOVÁLENKO' })).toBe(nameKey({ givenName: 'kovalenko', familyName: 'testperson olena' }))
  })

  it('takes one phone number in its national and international forms as the same', () => {
    expect(phoneKey('+49 170 0000001')).toBe(phoneKey('0170 / 000 00 01'))
    expect(phoneKey('0049 170 0000001')).toBe(phoneKey('01700000001'))
    expect(phoneKey('123')).toBe('')
  })

  it('offers a match by phone, or by name and birth year, but not by name alone', () => {
    const known = [
      { ...lead(), id: 'same-phone', givenName: 'Andere', familyName: 'Person', birthYear: 1980 },
      { ...lead(), id: 'same-name-year', phone: '' , givenName: 'Messe Eins', familyName: 'Testperson' },
      { ...lead(), id: 'same-name-other-year', phone: '', birthYear: 1999 },
      { ...lead(), id: 'stranger', givenName: 'Fremd', phone: '+380 00 000 0000' },
    ]
    const matches = findDuplicates(lead(), known)
    expect(matches.map((m) => [m.record.id, m.reason])).toEqual([
      ['same-phone', 'phone'],
      ['same-name-year', 'nameAndBirthYear'],
    ])
  })

  it('does not match people of whom too little is known', () => {
    const unknownYear = lead({ birthYear: null, phone: '' })
    expect(findDuplicates(unknownYear, [{ ...unknownYear }])).toEqual([])
  })
})

describe('merging a second capture', () => {
  it('keeps what the first holds, fills gaps, joins lists, keeps the further outcome per employer', () => {
    const first = lead({ messenger: '', languages: ['uk'], contacts: [{ employerId: 'a', outcome: 'contract' }, { employerId: 'b', outcome: 'contact' }], followUpDue: '2026-12-05' })
    const second = lead({ givenName: 'Anders', messenger: 'Telegram @testperson', languages: ['ru', 'uk'], contacts: [{ employerId: 'a', outcome: 'contact' }, { employerId: 'b', outcome: 'internship' }, { employerId: 'c', outcome: 'contact' }], followUpDue: '2026-11-30' })
    const merged = mergeLeads(first, second)
    expect(merged.givenName).toBe('Testperson')
    expect(merged.messenger).toBe('Telegram @testperson')
    expect(merged.languages).toEqual(['uk', 'ru'])
    expect(merged.contacts).toEqual([
      { employerId: 'a', outcome: 'contract' },
      { employerId: 'b', outcome: 'internship' },
      { employerId: 'c', outcome: 'contact' },
    ])
    expect(merged.followUpDue).toBe('2026-11-30')
  })

  it('counts a consent given at either capture, with its date and text version', () => {
    const merged = mergeLeads(lead(), lead({ consentFollowUp: true, consentDate: TODAY, consentLanguage: 'uk', consentTextVersion: 'fair-1' }))
    expect(merged).toMatchObject({ consentFollowUp: true, consentDate: TODAY, consentLanguage: 'uk', consentTextVersion: 'fair-1' })
  })

  it('leaves each employer once', () => {
    expect(mergeContacts([{ employerId: 'a', outcome: 'internship' }], [{ employerId: 'a', outcome: 'internship' }])).toHaveLength(1)
  })
})

describe('anonymising leads without consent', () => {
  it('is due only after the retention days, and never with consent or twice', () => {
    const fairDay = '2026-11-01'
    expect(isDueForAnonymising(lead(), fairDay, addDays(fairDay, 14), 14)).toBe(false)
    expect(isDueForAnonymising(lead(), fairDay, addDays(fairDay, 15), 14)).toBe(true)
    expect(isDueForAnonymising(lead({ consentFollowUp: true }), fairDay, addDays(fairDay, 99), 14)).toBe(false)
    expect(isDueForAnonymising(lead({ anonymised: true }), fairDay, addDays(fairDay, 99), 14)).toBe(false)
  })

  it('removes every personal field and keeps the fair counts', () => {
    const before = lead({ messenger: 'Signal', desiredOccupations: ['Pflege'], contacts: [{ employerId: 'a', outcome: 'internship' }], selfIntake: true })
    const after = anonymisedLead(before)
    for (const field of LEAD_PERSONAL_FIELDS) expect(after[field], field).toEqual(emptyLead(EVENT_ID)[field])
    expect(after).toMatchObject({ anonymised: true, contacts: before.contacts, selfIntake: true, eventId: EVENT_ID })
  })
})

describe('lead repository', () => {
  beforeEach(async () => {
    freshDatabase()
  })

  async function fair(date: string) {
    return saveEvent(undefined, { ...emptyEvent(), name: 'Testmesse', date, employers: [{ id: 'a', name: 'Beispiel GmbH', sector: '', openPositions: '' }] })
  }

  it('stores a lead and its outbox entry together, and refuses one without a name in the user\'s terms', async () => {
    const event = await fair(TODAY)
    await saveLead(undefined, lead({ eventId: event.id }))
    expect((await pendingEntries()).map((entry) => entry.table)).toEqual(['events', 'leads'])
    await expect(saveLead(undefined, lead({ eventId: event.id, givenName: '', familyName: '' }))).rejects.toMatchObject({
      errors: { givenName: { key: 'nameRequired' } },
    })
    await expect(saveLead(undefined, lead({ eventId: event.id, consentFollowUp: true, phone: '', messenger: '' }))).rejects.toBeInstanceOf(ValidationFailed)
    expect(await listLeadsOf(event.id)).toHaveLength(1)
  })

  it('merges a second capture into the first instead of a second lead', async () => {
    const event = await fair(TODAY)
    const first = await saveLead(undefined, lead({ eventId: event.id, contacts: [{ employerId: 'a', outcome: 'contact' }] }))
    await mergeIntoLead(first.id, lead({ eventId: event.id, contacts: [{ employerId: 'a', outcome: 'contract' }] }))
    const leads = await listLeadsOf(event.id)
    expect(leads).toHaveLength(1)
    expect(leads[0]?.contacts).toEqual([{ employerId: 'a', outcome: 'contract' }])
  })

  it('turns a lead into a mentee in one step, once', async () => {
    const event = await fair(TODAY)
    const saved = await saveLead(undefined, lead({ eventId: event.id, consentFollowUp: true, consentDate: TODAY, consentLanguage: 'uk', languages: ['uk'] }))
    const { mentee } = await convertLeadToMentee(saved.id, undefined, TODAY)
    expect(await getMentee(mentee.id)).toMatchObject({
      givenName: 'Testperson',
      familyName: 'Messe Eins',
      birthYear: 1998,
      languages: ['uk'],
      consentPurposes: ['fairFollowUp'],
      stageHistory: [{ stage: 'firstContact', date: TODAY }],
    })
    expect((await getLead(saved.id))?.menteeId).toBe(mentee.id)
    await expect(convertLeadToMentee(saved.id, undefined, TODAY)).rejects.toMatchObject({ errors: { _: { key: 'alreadyMentee' } } })
  })

  it('anonymises leads without consent once the retention days after their fair have passed', async () => {
    const oldFair = await fair(addDays(TODAY, -15))
    const recentFair = await fair(addDays(TODAY, -3))
    const gone = await saveLead(undefined, lead({ eventId: oldFair.id }))
    const kept = await saveLead(undefined, lead({ eventId: oldFair.id, consentFollowUp: true, consentDate: addDays(TODAY, -15) }))
    const recent = await saveLead(undefined, lead({ eventId: recentFair.id }))
    expect(await anonymiseExpiredLeads(TODAY, 14)).toBe(1)
    expect(await getLead(gone.id)).toMatchObject({ anonymised: true, givenName: '', familyName: '', phone: '', birthYear: null })
    expect(await getLead(kept.id)).toMatchObject({ anonymised: false, givenName: 'Testperson' })
    expect(await getLead(recent.id)).toMatchObject({ anonymised: false })
    expect(await anonymiseExpiredLeads(TODAY, 14)).toBe(0)
    // The endpoint learns it like any edit: the blanked fields travel in the outbox.
    const last = (await pendingEntries()).at(-1)
    expect(last).toMatchObject({ table: 'leads', recordId: gone.id, fields: { givenName: '', anonymised: true } })
  })
})

