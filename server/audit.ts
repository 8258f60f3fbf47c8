/**
 * The server's audit log (GDPR Art. 5(2), 30, 32): who signed in, who failed to, which device
 * received which records, who exported or erased a mentee, which devices were revoked. Ids,
 * counts and table names only, never a personal value:
 * - a failed sign-in names the account's id when the username belongs to one; an unknown username
 *   (it may be a person's name typed into the wrong field) is kept only as a keyed hash, whose key
 *   lives outside the database (`AUDIT_HASH_KEY`, else a random key per server process), so a copy
 *   of the database alone cannot be searched for names;
 * - no address, no device name, no record content.
 * An erasure empties the details of entries about the erased mentee and removes the ids of its
 * records from pull entries (`scrubAuditOf`), so an erased person leaves only ids without content.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { AuditAction, AuditEntry } from '../src/shared/protocol'
import type { Queryable } from './db/database'

export const MAX_AUDIT_PAGE = 500
export const DEFAULT_AUDIT_PAGE = 100

export interface AuditInput {
  action: AuditAction
  at: number
  actorId?: string | null
  deviceId?: string | null
  targetId?: string | null
  /** Ids, counts, table names and reasons only. */
  details?: Record<string, unknown>
  recordIds?: readonly string[]
}

export async function audit(q: Queryable, entry: AuditInput): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (at, action, actor_id, device_id, target_id, details, record_ids)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::uuid[])`,
    [
      new Date(entry.at),
      entry.action,
      entry.actorId ?? null,
      entry.deviceId ?? null,
      entry.targetId ?? null,
      JSON.stringify(entry.details ?? {}),
      entry.recordIds ? [...entry.recordIds] : null,
    ],
  )
}

let hashKey: Buffer | undefined

function auditHashKey(): Buffer {
  if (hashKey) return hashKey
  const configured = process.env.AUDIT_HASH_KEY?.trim()
  hashKey = configured ? Buffer.from(configured, 'utf8') : randomBytes(32)
  return hashKey
}

/**
 * A keyed hash of a typed username, so repeated attempts on the same unknown name can be told
 * apart from a spray over many names, without storing the name. 64 bits are plenty for that.
 */
export function keyedUsernameHash(username: string): string {
  return usernameLimitKey(username).slice(0, 16)
}

/**
 * The full keyed hash of a typed username: what `login_failures` keeps for the per-username
 * sign-in limit instead of the name (a typo in the username field may be someone's name).
 */
export function usernameLimitKey(username: string): string {
  return createHmac('sha256', auditHashKey()).update(username.trim().toLowerCase()).digest('hex')
}

interface AuditRow {
  id: number
  at: Date
  action: AuditAction
  actor_id: string | null
  device_id: string | null
  target_id: string | null
  details: Record<string, unknown>
  record_ids: string[] | null
}

/** Newest first; `before` (an entry id) continues a previous page. */
export async function listAudit(
  q: Queryable,
  { before, limit }: { before?: number; limit: number },
): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
  const params: unknown[] = [limit + 1]
  let where = ''
  if (before !== undefined) {
    params.push(before)
    where = 'WHERE id < $2'
  }
  const { rows } = await q.query<AuditRow>(
    `SELECT id, at, action, actor_id::text AS actor_id, device_id::text AS device_id, target_id::text AS target_id,
            details, record_ids::text[] AS record_ids
       FROM audit_log ${where} ORDER BY id DESC LIMIT $1`,
    params,
  )
  const page = rows.slice(0, limit)
  return {
    entries: page.map((row) => ({
      id: row.id,
      at: row.at.toISOString(),
      action: row.action,
      actorId: row.actor_id,
      deviceId: row.device_id,
      targetId: row.target_id,
      details: row.details,
      recordIds: row.record_ids ?? [],
    })),
    nextBefore: rows.length > limit ? page[page.length - 1]!.id : null,
  }
}

/**
 * Removes the audit details of an erased mentee: entries about it keep action, time and ids of
 * who acted, but lose their details; pull entries lose the ids of its records. The erasure's own
 * entries are kept whole (they hold counts only), so the erasure itself stays accountable.
 */
export async function scrubAuditOf(tx: Queryable, menteeId: string, recordIds: readonly string[]): Promise<void> {
  await tx.query(`UPDATE audit_log SET details = '{}' WHERE target_id = $1 AND action <> 'erasure'`, [menteeId])
  if (recordIds.length === 0) return
  await tx.query(
    `UPDATE audit_log
        SET record_ids = ARRAY(SELECT kept FROM unnest(record_ids) AS kept WHERE kept <> ALL($1::uuid[]))
      WHERE record_ids && $1::uuid[]`,
    [[...recordIds]],
  )
}
