/**
 * Retention: a closed case (stage `closed`) is erased automatically once it has been closed for
 * `RETENTION_MONTHS` months (default 24). "Closed since" is when the server received the write
 * that set the stage to `closed` (`writers.stage.receivedAt`, the server's clock), not the stamp a
 * device gave it: a device's wrong clock must not shorten or lengthen anybody's retention. A case
 * reopened before then is not erased; closed again, its period starts anew.
 */
import type { Database } from '../db/database'
import { closedBeforeCondition, eraseMentee } from './erasure'

export const DEFAULT_RETENTION_MONTHS = 24

/** `RETENTION_MONTHS` from the environment: a whole number of months from 1 to 1200. */
export function retentionMonthsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.RETENTION_MONTHS?.trim()
  if (value === undefined || value === '') return DEFAULT_RETENTION_MONTHS
  const months = Number(value)
  if (!/^[0-9]+$/.test(value) || !Number.isInteger(months) || months < 1 || months > 1200) {
    throw new Error(`RETENTION_MONTHS must be a whole number of months from 1 to 1200, got "${value}"`)
  }
  return months
}

/** The moment `months` calendar months before `now` (the end of a shorter month is clamped). */
export function monthsBefore(now: number, months: number): number {
  const date = new Date(now)
  const day = date.getUTCDate()
  date.setUTCDate(1)
  date.setUTCMonth(date.getUTCMonth() - months)
  const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate()
  date.setUTCDate(Math.min(day, lastDay))
  return date.getTime()
}

export interface RetentionResult {
  erased: string[]
}

/**
 * Erases every case closed before `now - months`, each in a transaction of its own (a backlog
 * must not hold the change lock for long), and audits each as an erasure by the server.
 */
export async function eraseExpiredClosedCases(
  db: Database,
  { now, months = DEFAULT_RETENTION_MONTHS }: { now: number; months?: number },
): Promise<RetentionResult> {
  const cutoff = monthsBefore(now, months)
  const { rows } = await db.query<{ id: string }>(
    `SELECT id::text AS id FROM records r
      WHERE tbl = 'mentees' AND NOT deleted AND ${closedBeforeCondition('$1')}
      ORDER BY id`,
    [cutoff],
  )
  const erased: string[] = []
  for (const { id } of rows) {
    const outcome = await eraseMentee(db, { actor: null, deviceId: null, menteeId: id, now, reason: 'retention', closedBefore: cutoff })
    if (outcome.ok) erased.push(id)
  }
  return { erased }
}
