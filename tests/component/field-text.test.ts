import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import { useFieldText } from '@/composables/useFieldText'
import { useFormat } from '@/composables/useFormat'
import { setLocale } from '@/i18n'
import type { GermanLevelEntry } from '@/shared/records'
import { setupComponentTest, withSetup } from './helpers'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

const mounted: VueWrapper[] = []

function fieldText() {
  const { result, wrapper } = withSetup(() => useFieldText())
  mounted.push(wrapper)
  return result
}

function format() {
  const { result, wrapper } = withSetup(() => useFormat())
  mounted.push(wrapper)
  return result
}

beforeEach(async () => {
  await setupComponentTest()
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
})

describe('useFieldText', () => {
  it('names fields in German', () => {
    const { fieldName } = fieldText()
    expect(fieldName('mentees', 'phone')).toBe('Telefon')
    expect(fieldName('mentees', 'germanLevelHistory')).toBe('Verlauf des Deutschniveaus')
    expect(fieldName('notes', 'followUpDone')).toBe('Wiedervorlage erledigt')
    expect(fieldName('appointments', 'place')).toBe('Ort')
    expect(fieldName('checklistItems', 'done')).toBe('Abgehakt')
  })

  it('writes booleans as "ja" and "nein"', () => {
    const { fieldValue } = fieldText()
    expect(fieldValue('notes', 'followUpDone', true)).toBe('ja')
    expect(fieldValue('checklistItems', 'done', false)).toBe('nein')
  })

  it('writes empty values as "(leer)"', () => {
    const { fieldValue } = fieldText()
    expect(fieldValue('mentees', 'phone', '')).toBe('(leer)')
    expect(fieldValue('mentees', 'germanLevel', null)).toBe('(leer)')
    expect(fieldValue('mentees', 'email', undefined)).toBe('(leer)')
  })

  // Regression: an empty list used to show as nothing at all.
  it('writes an empty list as "(leer)" too', () => {
    const { fieldValue } = fieldText()
    expect(fieldValue('mentees', 'tags', [])).toBe('(leer)')
  })

  it('joins lists with commas', () => {
    const { fieldValue } = fieldText()
    expect(fieldValue('mentees', 'tags', ['B1', 'B2'])).toBe('B1, B2')
    expect(fieldValue('mentees', 'tags', ['Beispieltag'])).toBe('Beispieltag')
  })

  it('writes a German level history readably, without JSON', () => {
    const { fieldValue } = fieldText()
    const history: GermanLevelEntry[] = [
      { level: 'A2', date: '2023-01-10' },
      { level: 'B1', date: '2024-03-01' },
    ]
    const text = fieldValue('mentees', 'germanLevelHistory', history)
    expect(text).toBe('A2 10.01.2023, B1 01.03.2024')
    expect(text).not.toMatch(/[{}"[\]]/)
  })

  it('names values of closed lists, languages, countries and dates in German', () => {
    const { fieldValue } = fieldText()
    expect(fieldValue('mentees', 'stage', 'firstContact')).toBe('Erstkontakt')
    expect(fieldValue('mentees', 'residenceStatus', 'toleratedStay')).toBe('Duldung')
    expect(fieldValue('mentees', 'goals', ['eq', 'job'])).toBe('Einstiegsqualifizierung (EQ), Arbeit')
    expect(fieldValue('mentees', 'languages', ['ar'])).toBe('Arabisch')
    expect(fieldValue('mentees', 'permitExpiry', '2026-12-10')).toBe('10.12.2026')
    expect(fieldValue('checklistItems', 'templateKey', 'passport')).toBe('Reisepass oder Passersatz')
  })

  it('writes numbers and text as they are', () => {
    const { fieldValue } = fieldText()
    expect(fieldValue('checklistItems', 'position', 3)).toBe('3')
    expect(fieldValue('checklistItems', 'position', 0)).toBe('0')
    expect(fieldValue('mentees', 'phone', '+49 000 111')).toBe('+49 000 111')
  })

  it('follows the UI language', async () => {
    await setLocale('en', false)
    const { fieldName, fieldValue } = fieldText()
    expect(fieldName('mentees', 'phone')).toBe('Phone')
    expect(fieldValue('checklistItems', 'done', true)).toBe('yes')
    expect(fieldValue('checklistItems', 'done', false)).toBe('no')
  })
})

describe('useFormat().formatAge', () => {
  it('counts minutes below an hour', () => {
    const { formatAge } = format()
    expect(formatAge(0)).toBe('0 Minuten')
    expect(formatAge(59 * 1000)).toBe('0 Minuten')
    expect(formatAge(MINUTE)).toBe('1 Minute')
    expect(formatAge(59 * MINUTE + 59 * 1000)).toBe('59 Minuten')
  })

  it('counts whole hours from one hour up to two days', () => {
    const { formatAge } = format()
    expect(formatAge(HOUR)).toBe('1 Stunde')
    expect(formatAge(2 * HOUR + 59 * MINUTE)).toBe('2 Stunden')
    expect(formatAge(47 * HOUR + 59 * MINUTE)).toBe('47 Stunden')
  })

  it('counts whole days from two days on', () => {
    const { formatAge } = format()
    expect(formatAge(2 * DAY)).toBe('2 Tage')
    expect(formatAge(10 * DAY + 23 * HOUR)).toBe('10 Tage')
  })

  it('never goes below zero (a clock set back)', () => {
    const { formatAge } = format()
    expect(formatAge(-5 * MINUTE)).toBe('0 Minuten')
  })

  it('formats in the UI language', async () => {
    await setLocale('en', false)
    const { formatAge } = format()
    expect(formatAge(2 * HOUR)).toBe('2 hours')
    expect(formatAge(3 * DAY)).toBe('3 days')
  })
})
