import { describe, expect, it } from 'vitest'
import { validateAppointment, validateMentee, validateNote, LIMITS } from '@/shared/validation'
import { fictionalMentee } from './helpers'

const menteeId = '6f1c7a4e-2b7d-4c1e-9a53-0c8b1f2d3e4a'

describe('mentee validation', () => {
  it('accepts a mentee with only a given name, in any script', () => {
    expect(validateMentee(fictionalMentee({ givenName: 'كريم', familyName: '' })).ok).toBe(true)
    expect(validateMentee(fictionalMentee({ givenName: '', familyName: 'Тестенко' })).ok).toBe(true)
  })

  it('trims names and needs at least one', () => {
    const result = validateMentee(fictionalMentee({ givenName: '   ', familyName: ' ' }))
    expect(result).toEqual({ ok: false, errors: { givenName: { key: 'nameRequired' } } })
    const trimmed = validateMentee(fictionalMentee({ givenName: '  Ana  ' }))
    expect(trimmed.ok && trimmed.value.givenName).toBe('Ana')
  })

  it('names the limit of an over-long field', () => {
    const result = validateMentee(fictionalMentee({ familyName: 'x'.repeat(LIMITS.name + 1) }))
    expect(result).toEqual({ ok: false, errors: { familyName: { key: 'tooLong', params: { max: LIMITS.name } } } })
  })

  it('refuses a school leaving date before the arrival', () => {
    const result = validateMentee(fictionalMentee({ arrivalDate: '2024-05-01', expectedLeavingDate: '2023-07-01' }))
    expect(result).toEqual({ ok: false, errors: { expectedLeavingDate: { key: 'leavingBeforeArrival' } } })
  })

  it('refuses impossible dates and dates outside a plausible range', () => {
    expect(validateMentee(fictionalMentee({ permitExpiry: '2026-02-30' }))).toMatchObject({
      ok: false,
      errors: { permitExpiry: { key: 'invalidDate' } },
    })
    expect(validateMentee(fictionalMentee({ arrivalDate: '1900-01-01' }))).toMatchObject({
      ok: false,
      errors: { arrivalDate: { key: 'yearOutOfRange', params: { min: LIMITS.minYear, max: LIMITS.maxYear } } },
    })
  })

  it('checks phone, e-mail and closed lists', () => {
    expect(validateMentee(fictionalMentee({ phone: 'call me' }))).toMatchObject({ errors: { phone: { key: 'invalidPhone' } } })
    expect(validateMentee(fictionalMentee({ email: 'nope' }))).toMatchObject({ errors: { email: { key: 'invalidEmail' } } })
    expect(validateMentee({ ...fictionalMentee(), stage: 'unknown' as never })).toMatchObject({
      errors: { stage: { key: 'invalidChoice' } },
    })
  })

  it('keeps the German level history and refuses a level reached before arrival', () => {
    const ok = validateMentee(
      fictionalMentee({ arrivalDate: '2024-01-10', germanLevelHistory: [{ level: 'A2', date: '2024-09-01' }], germanLevel: 'A2' }),
    )
    expect(ok.ok).toBe(true)
    const bad = validateMentee(fictionalMentee({ arrivalDate: '2024-01-10', germanLevelHistory: [{ level: 'A1', date: '2023-01-01' }] }))
    expect(bad).toMatchObject({ ok: false, errors: { germanLevelHistory: { key: 'levelBeforeArrival' } } })
  })
})

describe('note and appointment validation', () => {
  const note = { menteeId, date: '2026-11-20', kind: 'talk' as const, text: 'Gespräch', topics: [], followUpText: '', followUpDue: '', followUpDone: false }

  it('needs text and a date for a follow-up', () => {
    expect(validateNote({ ...note, text: '  ' })).toMatchObject({ ok: false, errors: { text: { key: 'required' } } })
    expect(validateNote({ ...note, followUpText: 'Zeugnis abholen' })).toMatchObject({
      ok: false,
      errors: { followUpDue: { key: 'followUpNeedsDate' } },
    })
    expect(validateNote({ ...note, followUpText: 'Zeugnis abholen', followUpDue: '2026-11-27' }).ok).toBe(true)
  })

  it('refuses an appointment in 1900 and a malformed time', () => {
    const appointment = { menteeId, startsAt: '1900-01-01T10:00', place: '', type: 'jobcenter' as const, companion: '', outcome: '' }
    expect(validateAppointment(appointment)).toMatchObject({ ok: false, errors: { startsAt: { key: 'yearOutOfRange' } } })
    expect(validateAppointment({ ...appointment, startsAt: '2026-12-01T25:00' })).toMatchObject({
      errors: { startsAt: { key: 'invalidDate' } },
    })
    expect(validateAppointment({ ...appointment, startsAt: '2026-12-01T09:30' }).ok).toBe(true)
  })
})
