import { describe, expect, it } from 'vitest'
import { addDays, daysBetween, isIsoDate, isLocalDateTime, toIsoDate } from '@/shared/dates'

describe('calendar dates', () => {
  it('accepts real dates only', () => {
    expect(isIsoDate('2028-02-29')).toBe(true)
    expect(isIsoDate('2026-02-29')).toBe(false)
    expect(isIsoDate('2026-13-01')).toBe(false)
    expect(isIsoDate('26-01-01')).toBe(false)
    expect(isLocalDateTime('2026-11-26T09:30')).toBe(true)
    expect(isLocalDateTime('2026-11-26T24:00')).toBe(false)
  })

  it('counts days across the change to winter time', () => {
    expect(daysBetween('2026-10-24', '2026-10-26')).toBe(2)
    expect(daysBetween('2026-11-26', '2026-11-22')).toBe(-4)
    expect(addDays('2026-10-24', 2)).toBe('2026-10-26')
    expect(addDays('2026-12-30', 3)).toBe('2027-01-02')
  })

  it('formats a local date without shifting it to UTC', () => {
    expect(toIsoDate(new Date(2026, 0, 1, 0, 30))).toBe('2026-01-01')
  })
})
