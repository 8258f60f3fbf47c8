/**
 * An iCalendar file (RFC 5545) for one appointment, to add to a phone's calendar. Written by hand
 * because it is small and the folding must be exact: phones in the field get Arabic, Farsi and
 * Ukrainian text, and a line cut inside a UTF-8 character shows as garbage in some calendars.
 */
import { isLocalDateTime } from './dates'

/** Appointments are wall-clock times in German towns; the file says so rather than guessing UTC. */
export const ICS_TIME_ZONE = 'Europe/Berlin'
/** UIDs must be globally unique; `.invalid` can never belong to anyone else (RFC 2606). */
export const ICS_UID_DOMAIN = 'lotse.invalid'
export const ICS_PRODID = '-//Lotse//Termin//DE'
const MAX_LINE_OCTETS = 75
const CRLF = '\r\n'

export interface IcsEvent {
  /** The appointment id; the same id gives the same UID, so importing again updates the event. */
  id: string
  /** Local wall-clock time in Europe/Berlin, `YYYY-MM-DDTHH:mm`. */
  startsAt: string
  /** How long the appointment is expected to take (the letters rarely say). */
  durationMinutes?: number
  summary: string
  location?: string
  description?: string
  /** When the file was made (DTSTAMP). */
  stamp: Date
  /** When the appointment was last changed, epoch ms (LAST-MODIFIED). */
  lastModified?: number
  /** Text of the reminder the day before; without it there is no reminder. */
  reminder?: string
}

/**
 * The TEXT value escaping of RFC 5545 §3.3.11. Line breaks of any kind become `\n`; other control
 * characters are not allowed in TEXT and are dropped.
 */
export function escapeText(value: string): string {
  let out = ''
  for (const char of value.replace(/\r\n?/g, '\n')) {
    if (char === '\\' || char === ';' || char === ',') out += `\\${char}`
    else if (char === '\n') out += '\\n'
    else if (char === '\t' || !isControl(char)) out += char
  }
  return out
}

function isControl(char: string): boolean {
  const code = char.codePointAt(0) ?? 0
  return code < 0x20 || code === 0x7f
}

function utf8Length(char: string): number {
  const code = char.codePointAt(0) ?? 0
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4
}

/**
 * Folds a content line into physical lines of at most 75 octets (RFC 5545 §3.1), counting UTF-8
 * octets and cutting only between code points. A continuation starts with one space, which counts
 * toward its 75.
 */
export function foldLine(line: string): string {
  const lines: string[] = []
  let current = ''
  let octets = 0
  let limit = MAX_LINE_OCTETS
  // for…of walks code points, so a surrogate pair (an emoji, say) is never cut in two.
  for (const char of line) {
    const size = utf8Length(char)
    if (octets + size > limit) {
      lines.push(current)
      current = ' '
      octets = 1
      limit = MAX_LINE_OCTETS
    }
    current += char
    octets += size
  }
  lines.push(current)
  return lines.join(CRLF)
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

/** `YYYYMMDDTHHMMSS` of a local wall-clock `YYYY-MM-DDTHH:mm`, shifted by whole minutes. */
function localDateTime(startsAt: string, plusMinutes = 0): string {
  const [date = '', time = ''] = startsAt.split('T')
  const [y, m, d] = date.split('-').map(Number)
  const [h, min] = time.split(':').map(Number)
  // UTC arithmetic on the wall-clock fields: no time zone of this device may shift them.
  const shifted = new Date(Date.UTC(y!, m! - 1, d!, h!, min! + plusMinutes))
  return (
    `${pad(shifted.getUTCFullYear(), 4)}${pad(shifted.getUTCMonth() + 1)}${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}${pad(shifted.getUTCMinutes())}00`
  )
}

/** A moment as UTC `YYYYMMDDTHHMMSSZ`. */
export function utcDateTime(moment: Date | number): string {
  const d = new Date(moment)
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`
  )
}

/**
 * Europe/Berlin since 1996 (EU rule: last Sunday of March 02:00 → 03:00, last Sunday of October
 * 03:00 → 02:00). Calendars need the definition in the file; not every one knows the TZID.
 */
const VTIMEZONE_BERLIN = [
  'BEGIN:VTIMEZONE',
  `TZID:${ICS_TIME_ZONE}`,
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
]

/** The whole `.ics` file: one VEVENT with its time zone, CRLF line endings, folded lines. */
export function buildIcs(event: IcsEvent): string {
  if (!isLocalDateTime(event.startsAt)) throw new RangeError('startsAt is not a local date-time YYYY-MM-DDTHH:mm')
  const duration = event.durationMinutes ?? 60
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${ICS_PRODID}`,
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    ...VTIMEZONE_BERLIN,
    'BEGIN:VEVENT',
    `UID:${escapeText(event.id)}@${ICS_UID_DOMAIN}`,
    `DTSTAMP:${utcDateTime(event.stamp)}`,
    ...(event.lastModified === undefined ? [] : [`LAST-MODIFIED:${utcDateTime(event.lastModified)}`]),
    `DTSTART;TZID=${ICS_TIME_ZONE}:${localDateTime(event.startsAt)}`,
    // Wall-clock end: "one hour" on the office's clock, also on the night the clocks change.
    `DTEND;TZID=${ICS_TIME_ZONE}:${localDateTime(event.startsAt, duration)}`,
    `SUMMARY:${escapeText(event.summary)}`,
    ...(event.location ? [`LOCATION:${escapeText(event.location)}`] : []),
    ...(event.description ? [`DESCRIPTION:${escapeText(event.description)}`] : []),
    'STATUS:CONFIRMED',
    'TRANSP:OPAQUE',
    ...(event.reminder
      ? ['BEGIN:VALARM', 'ACTION:DISPLAY', 'TRIGGER:-P1D', `DESCRIPTION:${escapeText(event.reminder)}`, 'END:VALARM']
      : []),
    'END:VEVENT',
    'END:VCALENDAR',
  ]
  return lines.map(foldLine).join(CRLF) + CRLF
}
