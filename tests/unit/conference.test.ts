import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createMentee, deleteMentee } from '@/db/repositories/mentees'
import {
  caseCodeOf,
  caseSummary,
  conferenceWeeks,
  DEFAULT_CONFERENCE_WEEKS,
  isConferenceCase,
  maySharePersonalDetails,
  NEVER_SHOWN_FIELDS,
  RECENTLY_LEFT_DAYS,
  selectConferenceCases,
  summaryFields,
} from '@/shared/conference'
import { addDays } from '@/shared/dates'
import type { Mentee } from '@/shared/records'
import { useConferenceStore } from '@/stores/conference'
import { fictionalMentee, freshDatabase } from './helpers'

const today = '2026-05-04'
let counter = 0
function mentee(overrides: Partial<Mentee> = {}): Mentee {
  counter += 1
  return { ...fictionalMentee(), id: `0f3a9c1e-0000-4000-8000-${String(counter).padStart(12, '0')}`, createdAt: 0, updatedAt: 0, ...overrides }
}
const leaving = (days: number) => mentee({ expectedLeavingDate: addDays(today, days) })

describe('who is on the conference list', () => {
  it('takes pupils leaving from today up to exactly N weeks ahead, both days included', () => {
    expect(isConferenceCase(leaving(0), today, 8)).toBe(true)
    expect(isConferenceCase(leaving(56), today, 8)).toBe(true)
    expect(isConferenceCase(leaving(57), today, 8)).toBe(false)
    expect(isConferenceCase(leaving(14), today, 2)).toBe(true)
    expect(isConferenceCase(leaving(15), today, 2)).toBe(false)
  })

  it('keeps those who left in the last four weeks, not earlier ones', () => {
    expect(isConferenceCase(leaving(-1), today, 8)).toBe(true)
    expect(isConferenceCase(leaving(-RECENTLY_LEFT_DAYS), today, 8)).toBe(true)
    expect(isConferenceCase(leaving(-RECENTLY_LEFT_DAYS - 1), today, 8)).toBe(false)
  })

  it('leaves out pupils with a follow-on offer, keeps "no" and "nobody asked yet"', () => {
    expect(isConferenceCase(mentee({ expectedLeavingDate: today, followOnOffer: true }), today, 8)).toBe(false)
    expect(isConferenceCase(mentee({ expectedLeavingDate: today, followOnOffer: false }), today, 8)).toBe(true)
    expect(isConferenceCase(mentee({ expectedLeavingDate: today, followOnOffer: null }), today, 8)).toBe(true)
  })

  it('leaves out deleted records, closed cases and mentees without a (valid) leaving date', () => {
    expect(isConferenceCase(mentee({ expectedLeavingDate: today, deletedAt: 1 }), today, 8)).toBe(false)
    expect(isConferenceCase(mentee({ expectedLeavingDate: today, stage: 'closed' }), today, 8)).toBe(false)
    expect(isConferenceCase(mentee({ expectedLeavingDate: '' }), today, 8)).toBe(false)
    expect(isConferenceCase(mentee({ expectedLeavingDate: '2026-02-30' }), today, 8)).toBe(false)
  })

  it('sorts by leaving date, those who already left first, then by name', () => {
    const later = mentee({ familyName: 'Anfang', expectedLeavingDate: addDays(today, 30) })
    const sameDayB = mentee({ familyName: 'Zeller', expectedLeavingDate: addDays(today, 7) })
    const sameDayA = mentee({ familyName: 'Berger', expectedLeavingDate: addDays(today, 7) })
    const left = mentee({ familyName: 'Vorbei', expectedLeavingDate: addDays(today, -3) })
    const tooLate = mentee({ expectedLeavingDate: addDays(today, 90) })
    expect(selectConferenceCases([later, sameDayB, tooLate, sameDayA, left], today, 8).map((m) => m.familyName)).toEqual([
      'Vorbei',
      'Berger',
      'Zeller',
      'Anfang',
    ])
  })

  it('takes whole weeks from 1 to 52, else the default', () => {
    expect(conferenceWeeks('12')).toBe(12)
    expect(conferenceWeeks(4)).toBe(4)
    expect(conferenceWeeks(200)).toBe(52)
    for (const bad of [undefined, null, '', 'abc', '0', -3, 2.5, ['4']]) expect(conferenceWeeks(bad)).toBe(DEFAULT_CONFERENCE_WEEKS)
  })
})

describe('what a case summary shows', () => {
  const full = (overrides: Partial<Mentee> = {}) =>
    mentee({
      givenName: 'Тестова',
      familyName: 'Особа',
      birthYear: 2007,
      phone: '+49 000 555',
      email: 'test@example.invalid',
      countryOfOrigin: 'UA',
      arrivalDate: '2024-03-01',
      residenceStatus: 'temporaryProtection',
      permitExpiry: '2027-03-04',
      school: 'Testkolleg',
      schoolClass: 'IFK 3',
      expectedLeavingDate: '2026-06-19',
      germanLevel: 'B1',
      goals: ['training'],
      barriers: ['mobility'],
      tags: ['vertraulich'],
      assignedPate: 'Pate Beispiel',
      foreignQualifications: 'Testzeugnis',
      ...overrides,
    })
  const withConsent = (overrides: Partial<Mentee> = {}) =>
    full({ consentDate: '2026-01-10', consentPurposes: ['counselling', 'partnerSharing'], ...overrides })

  it('needs the purpose partnerSharing, with its date', () => {
    expect(maySharePersonalDetails(withConsent())).toBe(true)
    expect(maySharePersonalDetails(full({ consentDate: '2026-01-10', consentPurposes: ['counselling'] }))).toBe(false)
    expect(maySharePersonalDetails(full({ consentDate: '', consentPurposes: ['partnerSharing'] }))).toBe(false)
    expect(maySharePersonalDetails(full())).toBe(false)
  })

  it('with consent: name in its own script, school, class, leaving day, situation, residence for a coach', () => {
    const summary = caseSummary(withConsent(), { role: 'coach' })
    expect(summary.shared).toBe(true)
    expect(summary.name).toBe('Тестова Особа')
    expect(summary.consentDate).toBe('2026-01-10')
    const shown = Object.fromEntries(summary.fields.map(({ field, value }) => [field, value]))
    expect(shown).toMatchObject({
      school: 'Testkolleg',
      schoolClass: 'IFK 3',
      expectedLeavingDate: '2026-06-19',
      germanLevel: 'B1',
      stage: 'firstContact',
      goals: ['training'],
      barriers: ['mobility'],
      residenceStatus: 'temporaryProtection',
      permitExpiry: '2027-03-04',
    })
  })

  it('shows residence details only to coaches and coordinators', () => {
    expect(summaryFields(withConsent(), { role: 'coordinator' })).toContain('residenceStatus')
    for (const role of ['pate', 'guide', undefined] as const) {
      const fields = summaryFields(withConsent(), { role })
      expect(fields).not.toContain('residenceStatus')
      expect(fields).not.toContain('permitExpiry')
    }
  })

  it('without consent: no name, school, class, day, birth year or residence; the situation and the leaving month only', () => {
    const summary = caseSummary(full({ consentDate: '2026-01-10', consentPurposes: ['counselling'] }), { role: 'coach' })
    expect(summary.shared).toBe(false)
    expect(summary.name).toBe('')
    expect(summary.consentDate).toBe('')
    expect(summary.leavingMonth).toBe('2026-06')
    expect(summary.fields.map(({ field }) => field)).toEqual([
      'germanLevel',
      'schoolQualification',
      'recognitionStatus',
      'stage',
      'goals',
      'barriers',
      'followOnOffer',
    ])
    const text = JSON.stringify(summary)
    for (const secret of ['Тестова', 'Особа', 'Testkolleg', 'IFK 3', '2026-06-19', '2007', 'temporaryProtection', '2027-03-04']) {
      expect(text).not.toContain(secret)
    }
  })

  it('never shows contact data, notes, origin or free text, whatever the consent and the viewer', () => {
    for (const m of [withConsent(), full()]) {
      for (const role of ['coach', 'coordinator'] as const) {
        const summary = caseSummary(m, { role })
        const fields: readonly string[] = summary.fields.map(({ field }) => field)
        for (const never of NEVER_SHOWN_FIELDS) expect(fields).not.toContain(never)
        const text = JSON.stringify(summary)
        for (const secret of ['+49 000 555', 'test@example.invalid', 'UA', '2024-03-01', 'vertraulich', 'Pate Beispiel', 'Testzeugnis']) {
          expect(text).not.toContain(secret)
        }
      }
    }
  })

  it('names the case by a short code from its id', () => {
    expect(caseCodeOf('0f3a9c1e-1234-4000-8000-000000000001')).toBe('0F3A9C')
  })
})

describe('the conference store', () => {
  beforeEach(() => {
    freshDatabase()
    setActivePinia(createPinia())
  })

  it('reads the leavers from the device, without deleted ones, and keeps the chosen weeks', async () => {
    const now = new Date(2026, 4, 4, 9, 0)
    const soon = await createMentee(fictionalMentee({ familyName: 'Bald', expectedLeavingDate: '2026-05-20' }))
    const gone = await createMentee(fictionalMentee({ familyName: 'Gelöscht', expectedLeavingDate: '2026-05-10' }))
    await deleteMentee(gone.id)
    await createMentee(fictionalMentee({ familyName: 'Versorgt', expectedLeavingDate: '2026-05-12', followOnOffer: true }))
    const later = await createMentee(fictionalMentee({ familyName: 'Später', expectedLeavingDate: '2026-07-20' }))

    const store = useConferenceStore()
    await store.load(8, now)
    expect(store.cases.map((m) => m.id)).toEqual([soon.id])
    await store.load('12', now)
    expect(store.weeks).toBe(12)
    expect(store.cases.map((m) => m.id)).toEqual([soon.id, later.id])
  })
})
