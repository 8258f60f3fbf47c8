import ICAL from 'ical.js'
import { describe, expect, it } from 'vitest'
import { buildIcs, escapeText, foldLine, ICS_UID_DOMAIN, type IcsEvent } from '@/shared/ics'

// Fictional texts in the scripts mentees read: Arabic, Ukrainian, and an emoji (4 octets).
const ARABIC = 'جواز السفر أو بديل جواز السفر، تصريح الإقامة أو وثيقة التسامح، رسالة الدعوة، صورة بيومترية'
const UKRAINIAN = 'Паспорт або документ, що його замінює; дозвіл на проживання, запрошення, біометричне фото'
const ID = '0b7d3c1e-5f7a-4e0b-9a51-2f2d9c8e1a10'
const STAMP = new Date(Date.UTC(2026, 10, 20, 7, 5, 9))

function event(overrides: Partial<IcsEvent> = {}): IcsEvent {
  return {
    id: ID,
    startsAt: '2026-12-01T09:00',
    summary: 'Ausländerbehörde / دائرة الأجانب',
    location: 'Rathaus, Zimmer 3; 2. Stock',
    description: `Was mitbringen?\n☐ Reisepass\n   ${ARABIC}\n☐ ${UKRAINIAN}`,
    stamp: STAMP,
    reminder: 'Morgen: Ausländerbehörde / دائرة الأجانب 🗓️',
    ...overrides,
  }
}

const encoder = new TextEncoder()
const octets = (text: string) => encoder.encode(text).length
/** RFC 5545 §3.1: remove every CRLF followed by one space or tab. */
const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, '')
const physicalLines = (ics: string) => ics.split('\r\n').slice(0, -1)
const contentLines = (ics: string) => unfold(ics).split('\r\n').slice(0, -1)
/** The lines of one property of the VEVENT itself (not of its time zone or alarm). */
function property(ics: string, name: string): string[] {
  const lines = contentLines(ics)
  const own = lines.slice(lines.indexOf('BEGIN:VEVENT'), lines.indexOf('END:VEVENT'))
  const alarm = own.indexOf('BEGIN:VALARM')
  return (alarm === -1 ? own : own.slice(0, alarm)).filter((line) => line.startsWith(`${name}:`) || line.startsWith(`${name};`))
}
/** The lines of the calendar object itself, before its first component. */
const calendarProperty = (ics: string, name: string) =>
  contentLines(ics)
    .slice(0, contentLines(ics).indexOf('BEGIN:VTIMEZONE'))
    .filter((line) => line.startsWith(`${name}:`))

/** Parses the file with ical.js and returns the event, its time zone registered from the file itself. */
function parse(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics))
  for (const zone of calendar.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(zone)
  const vevent = calendar.getFirstSubcomponent('vevent')
  if (!vevent) throw new Error('no VEVENT')
  return { calendar, vevent, event: new ICAL.Event(vevent) }
}

/** Minutes Europe/Berlin is ahead of UTC at a moment, from the ICU time-zone data of Node. */
const BERLIN_OFFSET = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', timeZoneName: 'longOffset' })
function berlinOffsetMinutes(utcMs: number): number {
  const parts = BERLIN_OFFSET.formatToParts(utcMs)
  const name = parts.find((part) => part.type === 'timeZoneName')?.value ?? ''
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name)
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0
}

describe('escapeText', () => {
  it('escapes backslash, semicolon, comma and line breaks, and drops other control characters', () => {
    expect(escapeText('a\\b;c,d\ne')).toBe('a\\\\b\\;c\\,d\\ne')
    expect(escapeText('eins\r\nzwei\rdrei')).toBe('eins\\nzwei\\ndrei')
    expect(escapeText('tab\tbleibt\u0007\u001f\u007f')).toBe('tab\tbleibt')
    expect(escapeText('Doppelpunkt: "bleibt"')).toBe('Doppelpunkt: "bleibt"')
  })
})

describe('foldLine', () => {
  it('leaves a line of 75 octets alone and folds one of 76', () => {
    expect(foldLine('x'.repeat(75))).toBe('x'.repeat(75))
    expect(foldLine('x'.repeat(76))).toBe(`${'x'.repeat(75)}\r\n x`)
  })

  it.each([
    ['Arabic', ARABIC.repeat(3)],
    ['Ukrainian', UKRAINIAN.repeat(3)],
    ['emoji and mixed', `${'ä😀ب'.repeat(40)}x`],
  ])('folds %s text at 75 octets without cutting a character, and unfolds to the same text', (_name, text) => {
    const line = `DESCRIPTION:${text}`
    const folded = foldLine(line)
    const lines = folded.split('\r\n')
    expect(lines.length).toBeGreaterThan(2)
    for (const [i, physical] of lines.entries()) {
      expect(octets(physical)).toBeLessThanOrEqual(75)
      // No lone surrogate: each piece is whole characters, so it survives a UTF-8 round trip.
      expect(new TextDecoder('utf-8', { fatal: true }).decode(encoder.encode(physical))).toBe(physical)
      if (i > 0) expect(physical.startsWith(' ')).toBe(true)
    }
    // Lines are filled: each but the last is within 3 octets of the limit (a character is at most 4).
    for (const physical of lines.slice(0, -1)) expect(octets(physical)).toBeGreaterThan(71)
    expect(unfold(folded)).toBe(line)
  })
})

describe('buildIcs', () => {
  it('ends every line with CRLF and no physical line is longer than 75 octets', () => {
    const ics = buildIcs(event())
    expect(ics.endsWith('\r\n')).toBe(true)
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/)
    for (const line of physicalLines(ics)) expect(octets(line)).toBeLessThanOrEqual(75)
  })

  it('balances every BEGIN with its END, in order', () => {
    const stack: string[] = []
    for (const line of contentLines(buildIcs(event()))) {
      if (line.startsWith('BEGIN:')) stack.push(line.slice(6))
      if (line.startsWith('END:')) expect(stack.pop()).toBe(line.slice(4))
    }
    expect(stack).toEqual([])
    const names = contentLines(buildIcs(event())).filter((l) => l.startsWith('BEGIN:'))
    expect(names).toEqual(['BEGIN:VCALENDAR', 'BEGIN:VTIMEZONE', 'BEGIN:DAYLIGHT', 'BEGIN:STANDARD', 'BEGIN:VEVENT', 'BEGIN:VALARM'])
  })

  it('has the calendar’s and the event’s required properties, once each', () => {
    const ics = buildIcs(event())
    const lines = contentLines(ics)
    expect(lines[0]).toBe('BEGIN:VCALENDAR')
    expect(lines.at(-1)).toBe('END:VCALENDAR')
    expect(calendarProperty(ics, 'VERSION')).toEqual(['VERSION:2.0'])
    expect(calendarProperty(ics, 'CALSCALE')).toEqual(['CALSCALE:GREGORIAN'])
    expect(calendarProperty(ics, 'METHOD')).toEqual(['METHOD:PUBLISH'])
    expect(calendarProperty(ics, 'PRODID')).toHaveLength(1)
    expect(property(ics, 'UID')).toEqual([`UID:${ID}@${ICS_UID_DOMAIN}`])
    expect(property(ics, 'DTSTAMP')).toEqual(['DTSTAMP:20261120T070509Z'])
    expect(property(ics, 'DTSTART')).toHaveLength(1)
    expect(property(ics, 'DTEND')).toHaveLength(1)
    expect(property(ics, 'SUMMARY')).toEqual(['SUMMARY:Ausländerbehörde / دائرة الأجانب'])
    expect(property(ics, 'LOCATION')).toEqual(['LOCATION:Rathaus\\, Zimmer 3\\; 2. Stock'])
    expect(lines).toContain('TRIGGER:-P1D')
    expect(lines).toContain('ACTION:DISPLAY')
  })

  it('carries the Europe/Berlin time zone with its summer and winter rules', () => {
    const lines = contentLines(buildIcs(event()))
    const zone = lines.slice(lines.indexOf('BEGIN:VTIMEZONE'), lines.indexOf('END:VTIMEZONE') + 1)
    expect(zone).toContain('TZID:Europe/Berlin')
    expect(zone).toContain('RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU')
    expect(zone).toContain('RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU')
    expect(zone.filter((l) => l.startsWith('TZOFFSETTO:'))).toEqual(['TZOFFSETTO:+0200', 'TZOFFSETTO:+0100'])
  })

  it.each([
    ['winter', '2026-12-01T09:00', '20261201T090000', '20261201T100000'],
    ['summer', '2026-07-15T14:30', '20260715T143000', '20260715T153000'],
    ['across midnight', '2026-12-31T23:30', '20261231T233000', '20270101T003000'],
  ])('writes the %s wall-clock start and an end one hour later with the TZID', (_name, startsAt, start, end) => {
    const ics = buildIcs(event({ startsAt }))
    expect(property(ics, 'DTSTART')).toEqual([`DTSTART;TZID=Europe/Berlin:${start}`])
    expect(property(ics, 'DTEND')).toEqual([`DTEND;TZID=Europe/Berlin:${end}`])
  })

  it('takes another duration and leaves out what is not given', () => {
    const ics = buildIcs(event({ durationMinutes: 90, location: '', description: undefined, reminder: undefined }))
    expect(property(ics, 'DTEND')).toEqual(['DTEND;TZID=Europe/Berlin:20261201T103000'])
    expect(property(ics, 'LOCATION')).toEqual([])
    expect(property(ics, 'DESCRIPTION')).toEqual([])
    expect(ics).not.toContain('VALARM')
  })

  it('refuses a start that is not a local date-time', () => {
    expect(() => buildIcs(event({ startsAt: '2026-12-01' }))).toThrow(RangeError)
    expect(() => buildIcs(event({ startsAt: '2026-02-30T09:00' }))).toThrow(RangeError)
  })
})

describe('buildIcs, read back by a parser (ical.js)', () => {
  it('gives back every text exactly, in both languages', () => {
    const input = event({ description: `Zeile 1; mit Komma, und \\ Backslash\r\n${ARABIC}\n${UKRAINIAN}` })
    const { vevent, event: parsed } = parse(buildIcs(input))
    expect(parsed.uid).toBe(`${ID}@${ICS_UID_DOMAIN}`)
    expect(parsed.summary).toBe(input.summary)
    expect(parsed.location).toBe(input.location)
    expect(parsed.description).toBe(`Zeile 1; mit Komma, und \\ Backslash\n${ARABIC}\n${UKRAINIAN}`)
    const alarm = vevent.getFirstSubcomponent('valarm')
    expect(alarm?.getFirstPropertyValue('action')).toBe('DISPLAY')
    expect(alarm?.getFirstPropertyValue('description')).toBe(input.reminder)
    expect(String(alarm?.getFirstPropertyValue('trigger'))).toBe('-P1D')
  })

  it.each([
    ['winter', '2026-12-01T09:00', Date.UTC(2026, 11, 1, 8, 0)],
    ['summer', '2026-07-15T14:30', Date.UTC(2026, 6, 15, 12, 30)],
    ['the day summer time starts, after the change', '2026-03-29T10:00', Date.UTC(2026, 2, 29, 8, 0)],
    ['the day before winter time starts', '2026-10-24T10:00', Date.UTC(2026, 9, 24, 8, 0)],
    ['the day winter time starts', '2026-10-25T10:00', Date.UTC(2026, 9, 25, 9, 0)],
  ])('puts the start (%s) at the right moment in UTC', (_name, startsAt, utc) => {
    const { event: parsed } = parse(buildIcs(event({ startsAt })))
    expect(parsed.startDate.zone.tzid).toBe('Europe/Berlin')
    expect(parsed.startDate.toUnixTime() * 1000).toBe(utc)
    expect((parsed.endDate.toUnixTime() - parsed.startDate.toUnixTime()) / 60).toBe(60)
  })

  it('agrees with the time-zone database on the offset at noon and at 03:30 on every day from 2026 to 2030', { timeout: 20_000 }, () => {
    const { event: parsed } = parse(buildIcs(event()))
    const zone = parsed.startDate.zone
    const mismatches: string[] = []
    for (let day = Date.UTC(2026, 0, 1); day < Date.UTC(2031, 0, 1); day += 86_400_000) {
      const date = new Date(day)
      for (const [hour, minute] of [[12, 0], [3, 30]] as const) {
        const local = ICAL.Time.fromData(
          { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour, minute, second: 0, isDate: false },
          zone,
        )
        const utcMs = local.toUnixTime() * 1000
        const wallClockAsUtc = day + (hour * 60 + minute) * 60_000
        if (wallClockAsUtc - utcMs !== berlinOffsetMinutes(utcMs) * 60_000) mismatches.push(`${date.toISOString().slice(0, 10)} ${hour}:${minute}`)
      }
    }
    expect(mismatches).toEqual([])
  })
})
