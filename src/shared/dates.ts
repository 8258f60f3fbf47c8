/**
 * Calendar dates are stored as `YYYY-MM-DD` and appointment times as local wall-clock
 * `YYYY-MM-DDTHH:mm` (the time the letter from the office says). Both sort as text, so Dexie
 * range queries on them are correct, and neither shifts when a phone changes time zone.
 */

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/

function isRealDate(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day))
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day
}

export function isIsoDate(value: string): boolean {
  const m = DATE_RE.exec(value)
  return m !== null && isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))
}

export function isLocalDateTime(value: string): boolean {
  const m = DATE_TIME_RE.exec(value)
  return (
    m !== null &&
    isRealDate(Number(m[1]), Number(m[2]), Number(m[3])) &&
    Number(m[4]) < 24 &&
    Number(m[5]) < 60
  )
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

export function toIsoDate(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

export function toLocalDateTime(date: Date): string {
  return `${toIsoDate(date)}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** Parses `YYYY-MM-DD` (or the date part of a local date-time) as local midnight. */
export function parseIsoDate(value: string): Date {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number)
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1)
}

export function parseLocalDateTime(value: string): Date {
  const date = parseIsoDate(value)
  const [h, min] = value.slice(11, 16).split(':').map(Number)
  date.setHours(h ?? 0, min ?? 0, 0, 0)
  return date
}

export function addDays(isoDate: string, days: number): string {
  const d = parseIsoDate(isoDate)
  d.setDate(d.getDate() + days)
  return toIsoDate(d)
}

/** Whole days from `from` to `to` (negative when `to` lies before `from`). */
export function daysBetween(from: string, to: string): number {
  const ms = Date.UTC(...ymd(to)) - Date.UTC(...ymd(from))
  return Math.round(ms / 86_400_000)
}

function ymd(iso: string): [number, number, number] {
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number)
  return [y ?? 1970, (m ?? 1) - 1, d ?? 1]
}
