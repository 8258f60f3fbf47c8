/**
 * Who may see and write which records, down to the field (SYNC.md, "Scope" and "Rights to write").
 * Push, pull and the conflict log all ask these functions, so the three answers never disagree.
 */
import { SENSITIVE_FIELDS, type User } from '../../src/shared/protocol'
import type { SyncedTable } from '../../src/shared/records'
import type { Queryable } from '../db/database'

/** The part of a signed-in user that decides their scope. */
export type Actor = Pick<User, 'id' | 'role' | 'teamId'>

export interface Scope {
  actor: Actor
  /** A Pate's mentees; empty for the other roles, whose scope does not depend on assignments. */
  assigned: ReadonlySet<string>
  /** Mentees whose sensitive fields were shared with this Pate. */
  shared: ReadonlySet<string>
}

/** The columns of a `records` row that scope depends on. */
export interface ScopedRow {
  tbl: SyncedTable
  team_id: string | null
  mentee_id: string
  /** Who created the record: a guide sees the leads they captured, not a colleague's. */
  created_by: string
}

/** The job-fair tables: a guide's whole world, and never part of a Pate's. */
export const FAIR_TABLES: ReadonlySet<SyncedTable> = new Set(['events', 'leads'])

export async function loadScope(q: Queryable, actor: Actor): Promise<Scope> {
  if (actor.role !== 'pate') return { actor, assigned: new Set(), shared: new Set() }
  const [assigned, shared] = await Promise.all([
    q.query<{ mentee_id: string }>('SELECT mentee_id::text AS mentee_id FROM assignments WHERE user_id = $1', [actor.id]),
    q.query<{ mentee_id: string }>('SELECT mentee_id::text AS mentee_id FROM shares WHERE user_id = $1', [actor.id]),
  ])
  return {
    actor,
    assigned: new Set(assigned.rows.map((row) => row.mentee_id)),
    shared: new Set(shared.rows.map((row) => row.mentee_id)),
  }
}

/** Whether the user sees this record at all. Writing needs the same, plus the role rules below. */
export function inScope(scope: Scope, row: ScopedRow): boolean {
  const { actor } = scope
  switch (actor.role) {
    case 'coordinator':
      return true
    case 'coach':
      return actor.teamId !== null && row.team_id === actor.teamId
    case 'pate':
      return !FAIR_TABLES.has(row.tbl) && scope.assigned.has(row.mentee_id)
    case 'guide':
      if (row.tbl === 'events') return actor.teamId !== null && row.team_id === actor.teamId
      return row.tbl === 'leads' && row.created_by === actor.id
  }
}

/**
 * SQL condition for "this `records` row is in scope", reading assignments in the same statement
 * so a page of changes and the scope that filtered it come from one snapshot. Appends its
 * parameters to `params`.
 */
export function scopeCondition(actor: Actor, alias: string, params: unknown[]): string {
  switch (actor.role) {
    case 'coordinator':
      return 'TRUE'
    case 'coach':
      if (actor.teamId === null) return 'FALSE'
      params.push(actor.teamId)
      return `${alias}.team_id = $${params.length}`
    case 'pate':
      params.push(actor.id)
      return `${alias}.mentee_id IN (SELECT mentee_id FROM assignments WHERE user_id = $${params.length})`
    case 'guide': {
      params.push(actor.id)
      const own = `(${alias}.tbl = 'leads' AND ${alias}.created_by = $${params.length})`
      if (actor.teamId === null) return own
      params.push(actor.teamId)
      return `((${alias}.tbl = 'events' AND ${alias}.team_id = $${params.length}) OR ${own})`
    }
  }
}

/**
 * For pull: like `scopeCondition`, but a Pate's record write counts only if no later `assign` of
 * its mentee follows it: that assign's expansion brings the record's current state anyway, so the
 * write would otherwise arrive twice. Deletions always count, because the expansion sends live
 * records only and the device may still hold the record from an earlier assignment.
 */
export function pullScopeCondition(actor: Actor, alias: string, params: unknown[]): string {
  const inScopeNow = scopeCondition(actor, alias, params)
  if (actor.role !== 'pate') return inScopeNow
  // The assign expansion below refers to the Pate's id, the last parameter scopeCondition added.
  return `${inScopeNow} AND (${alias}.deleted OR NOT EXISTS (
    SELECT 1 FROM access_events later
     WHERE later.user_id = $${params.length} AND later.mentee_id = ${alias}.mentee_id
       AND later.kind = 'assign' AND later.seq > ${alias}.change_seq))`
}

export function isSensitive(table: SyncedTable, field: string): boolean {
  return SENSITIVE_FIELDS[table]?.includes(field) ?? false
}

/** Whether the user sees the sensitive fields of records of this mentee (given they see it). */
export function seesSensitive(scope: Scope, menteeId: string): boolean {
  return scope.actor.role !== 'pate' || scope.shared.has(menteeId)
}

/** A record's fields (or stamps) cut to what the user may see. */
export function visiblePart<T>(scope: Scope, row: Pick<ScopedRow, 'tbl' | 'mentee_id'>, values: Record<string, T>): Record<string, T> {
  if (seesSensitive(scope, row.mentee_id)) return values
  return Object.fromEntries(Object.entries(values).filter(([field]) => !isSensitive(row.tbl, field)))
}

/** Whether the user may change an existing record (or add a child to it, for a parent). */
export function mayWrite(scope: Scope, row: ScopedRow): boolean {
  return inScope(scope, row)
}

/** Whether the role may delete records of this table at all (a Pate deletes no mentees). */
export function mayDeleteIn(actor: Actor, table: SyncedTable): boolean {
  if (actor.role === 'guide') return FAIR_TABLES.has(table)
  return !(actor.role === 'pate' && (table === 'mentees' || FAIR_TABLES.has(table)))
}

/** Whether the role may create job-fair events; an event belongs to its creator's team. */
export function mayCreateEvent(actor: Actor): boolean {
  return actor.role === 'coordinator' || ((actor.role === 'coach' || actor.role === 'guide') && actor.teamId !== null)
}

/** Whether the role may create mentees; a coach needs a team for the mentee to belong to. */
export function mayCreateMentee(actor: Actor): boolean {
  return actor.role === 'coordinator' || (actor.role === 'coach' && actor.teamId !== null)
}
