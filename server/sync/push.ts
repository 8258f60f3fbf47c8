/**
 * Applies a device's pushed mutations (SYNC.md, "Push"): one transaction per batch, holding the
 * change lock from the first read, so concurrent pushes (even the same batch sent twice at once)
 * are applied one after the other and each sees what the one before wrote.
 */
import { randomUUID } from 'node:crypto'
import { formatStamp, parseStamp } from '../../src/shared/hlc'
import { MAX_CLOCK_SKEW_MS, PARENT_FIELD, type MutationResult, type RejectionReason } from '../../src/shared/protocol'
import type { SyncedTable } from '../../src/shared/records'
import { validateFields } from '../../src/shared/validation'
import { takeChangeLock, type Database, type Queryable } from '../db/database'
import type { IncomingMutation } from './envelope'
import { isStorableValue, isSyncedTable, isUuid, isValidStamp, sameJson } from './input'
import { loadRecord, PARENT_TABLE, RECORD_COLUMNS, type RecordRow, type Writer } from './records'
import {
  isSensitive,
  loadScope,
  mayCreateMentee,
  mayDeleteIn,
  mayCreateEvent,
  mayWrite,
  seesSensitive,
  type Actor,
  type Scope,
} from './scope'

export interface PushInput {
  actor: Actor
  deviceId: string
  mutations: readonly IncomingMutation[]
  /** The server's clock (epoch ms), for clamping, `receivedAt` and `changed_at`. */
  now: number
}

export interface PushOutcome {
  ackSeq: number
  results: MutationResult[]
}

interface PushContext {
  tx: Queryable
  scope: Scope
  deviceId: string
  now: number
  /** The last stamp clamped in this batch: later clamped stamps must stay after it. */
  lastClamped: string | undefined
  clampedCount: number
  records: BatchRecords
}

const keyOf = (table: SyncedTable, id: string) => `${table}:${id}`

/**
 * The records a batch names (its ids and their parents) and which of them were purged, read in
 * two queries at the start instead of two or three per mutation: a batch of 200 cost some 600
 * round trips, on PGlite each a turn of the one thread that serves every request. Read under the
 * change lock, so nothing else changes them during the batch; what the batch itself writes is
 * kept up to date here (a created row is known exactly), or forgotten so it is read again (an
 * update; after a deletion, which may take children along, everything).
 */
class BatchRecords {
  private readonly known = new Map<string, RecordRow | null>()
  private readonly purged = new Set<string>()
  private readonly purgedKnown = new Set<string>()

  constructor(private readonly tx: Queryable) {}

  async prefetch(mutations: readonly IncomingMutation[]): Promise<void> {
    const wanted = new Map<string, [SyncedTable, string]>()
    const own = new Map<string, [SyncedTable, string]>()
    for (const mutation of mutations) {
      if (!isSyncedTable(mutation.table) || !isUuid(mutation.id)) continue
      own.set(keyOf(mutation.table, mutation.id), [mutation.table, mutation.id])
      wanted.set(keyOf(mutation.table, mutation.id), [mutation.table, mutation.id])
      const parentField = PARENT_FIELD[mutation.table]
      const parentTable = PARENT_TABLE[mutation.table]
      const parentId = mutation.op === 'upsert' && parentField !== undefined ? (mutation.fields as Record<string, unknown>)[parentField] : undefined
      if (parentTable !== undefined && isUuid(parentId)) wanted.set(keyOf(parentTable, parentId), [parentTable, parentId])
    }
    if (wanted.size === 0) return
    const pairs = [...wanted.values()]
    const { rows } = await this.tx.query<RecordRow>(
      `SELECT ${RECORD_COLUMNS} FROM records
        WHERE (tbl, id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))`,
      [pairs.map(([table]) => table), pairs.map(([, id]) => id)],
    )
    for (const key of wanted.keys()) this.known.set(key, null)
    for (const row of rows) this.known.set(keyOf(row.tbl, row.id), row)
    const ownPairs = [...own.values()]
    const { rows: purged } = await this.tx.query<{ tbl: SyncedTable; id: string }>(
      `SELECT tbl, id::text AS id FROM purged_records
        WHERE (tbl, id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))`,
      [ownPairs.map(([table]) => table), ownPairs.map(([, id]) => id)],
    )
    for (const key of own.keys()) this.purgedKnown.add(key)
    for (const row of purged) this.purged.add(keyOf(row.tbl, row.id))
  }

  async load(table: SyncedTable, id: string): Promise<RecordRow | undefined> {
    const known = this.known.get(keyOf(table, id))
    if (known !== undefined) return known ?? undefined
    return loadRecord(this.tx, table, id)
  }

  async isPurged(table: SyncedTable, id: string): Promise<boolean> {
    const key = keyOf(table, id)
    if (this.purgedKnown.has(key)) return this.purged.has(key)
    const { rows } = await this.tx.query('SELECT 1 FROM purged_records WHERE tbl = $1 AND id = $2', [table, id])
    return rows.length > 0
  }

  created(row: RecordRow): void {
    this.known.set(keyOf(row.tbl, row.id), row)
  }

  changed(table: SyncedTable, id: string): void {
    this.known.delete(keyOf(table, id))
  }

  deletedSome(): void {
    this.known.clear()
  }
}

const MAX_COUNTER = 99_999

export async function applyPush(db: Database, input: PushInput): Promise<PushOutcome> {
  return db.transaction(async (tx) => {
    await takeChangeLock(tx)
    const { rows } = await tx.query<{ ack_seq: number }>('SELECT ack_seq FROM devices WHERE id = $1', [input.deviceId])
    const device = rows[0]
    if (!device) throw new Error('push for a device that does not exist')
    const ctx: PushContext = {
      tx,
      scope: await loadScope(tx, input.actor),
      deviceId: input.deviceId,
      now: input.now,
      lastClamped: undefined,
      clampedCount: 0,
      records: new BatchRecords(tx),
    }
    const earlier = await earlierRejections(tx, input.deviceId, input.mutations.filter((m) => m.seq <= device.ack_seq).map((m) => m.seq))
    await ctx.records.prefetch(input.mutations.filter((mutation) => mutation.seq > device.ack_seq))
    const results: MutationResult[] = []
    for (const mutation of input.mutations) {
      if (mutation.seq <= device.ack_seq) {
        // Sent again (its answer was lost): applied before is `duplicate`, refused before is refused again.
        results.push(earlier.get(mutation.seq) ?? { seq: mutation.seq, status: 'duplicate' })
        continue
      }
      const result = await applyMutation(ctx, mutation)
      if (result.status === 'rejected') {
        await tx.query('INSERT INTO rejected_mutations (device_id, seq, reason, detail) VALUES ($1, $2, $3, $4)', [
          input.deviceId,
          mutation.seq,
          result.reason,
          result.detail ?? null,
        ])
      }
      results.push(result)
    }
    // Rejected mutations are acknowledged too: sent again they would be rejected again.
    const ackSeq = Math.max(device.ack_seq, ...input.mutations.map((mutation) => mutation.seq))
    await tx.query('UPDATE devices SET ack_seq = $2, clamped_stamps = clamped_stamps + $3 WHERE id = $1', [
      input.deviceId,
      ackSeq,
      ctx.clampedCount,
    ])
    return { ackSeq, results }
  })
}

/** The refusals this device was given for any of `seqs`, as they were answered then. */
async function earlierRejections(tx: Queryable, deviceId: string, seqs: number[]): Promise<Map<number, MutationResult>> {
  if (seqs.length === 0) return new Map()
  const { rows } = await tx.query<{ seq: number; reason: RejectionReason; detail: string | null }>(
    'SELECT seq, reason, detail FROM rejected_mutations WHERE device_id = $1 AND seq = ANY($2::bigint[])',
    [deviceId, seqs],
  )
  return new Map(
    rows.map((row): [number, MutationResult] => [
      row.seq,
      { seq: row.seq, status: 'rejected', reason: row.reason, ...(row.detail !== null ? { detail: row.detail } : {}) },
    ]),
  )
}

type Outcome =
  | { status: 'applied' }
  | { status: 'superseded'; fields: string[] }
  | { status: 'rejected'; reason: RejectionReason; detail?: string }

const applied: Outcome = { status: 'applied' }
const forbidden: Outcome = { status: 'rejected', reason: 'forbidden' }
const deleted: Outcome = { status: 'rejected', reason: 'deleted' }
const invalid = (detail: string): Outcome => ({ status: 'rejected', reason: 'invalid', detail })

async function applyMutation(ctx: PushContext, mutation: IncomingMutation): Promise<MutationResult> {
  const { seq } = mutation
  const outcome = await decide(ctx, mutation)
  if (outcome.outcome.status !== 'rejected' && outcome.clamped) {
    ctx.clampedCount += 1
    ctx.lastClamped = outcome.stamp
  }
  return { seq, ...outcome.outcome }
}

/** The mutation's effect; `stamp` is the stamp used (clamped or not). */
async function decide(
  ctx: PushContext,
  mutation: IncomingMutation,
): Promise<{ outcome: Outcome; stamp?: string; clamped?: boolean }> {
  // Checks that need nothing stored come first: they refuse the request as sent.
  if (!isSyncedTable(mutation.table)) return { outcome: invalid('table') }
  const table = mutation.table
  if (!isUuid(mutation.id)) return { outcome: invalid('id') }
  if (!isValidStamp(mutation.hlc)) return { outcome: invalid('hlc') }
  let fields: Record<string, unknown> = {}
  if (mutation.op === 'upsert') {
    const checked = validateFields(table, mutation.fields)
    if (!checked.ok) return { outcome: invalid(checked.field) }
    for (const [field, value] of Object.entries(checked.value)) {
      if (!isStorableValue(value)) return { outcome: invalid(field) }
    }
    fields = checked.value
    const parentField = PARENT_FIELD[table]
    // Ids must be in the form PostgreSQL gives back, or the child would not find its parent.
    if (parentField !== undefined && parentField in fields && !isUuid(fields[parentField])) {
      return { outcome: invalid(parentField) }
    }
  }
  const { stamp, clamped } = clampStamp(mutation.hlc, ctx.now, ctx.lastClamped)

  const existing = await ctx.records.load(table, mutation.id)
  const outcome = existing
    ? await changeRecord(ctx, existing, mutation.op, fields, stamp, clamped, mutation.op === 'upsert' ? mutation.seen : undefined)
    : await createRecord(ctx, table, mutation.id, mutation.op, fields, stamp)
  return { outcome, stamp, clamped }
}

/**
 * A stamp more than MAX_CLOCK_SKEW_MS ahead of the server becomes the server's time (same counter
 * and node): a device with a wrong clock must not win every conflict for days. Within one batch
 * clamped stamps keep their order, so a device's later edit still beats its earlier one.
 */
export function clampStamp(stamp: string, now: number, lastClamped: string | undefined): { stamp: string; clamped: boolean } {
  const parsed = parseStamp(stamp)!
  if (parsed.millis <= now + MAX_CLOCK_SKEW_MS) return { stamp, clamped: false }
  let result = formatStamp({ millis: now, counter: parsed.counter, node: parsed.node })
  const last = lastClamped === undefined ? undefined : parseStamp(lastClamped)
  if (last && result <= lastClamped!) {
    result = formatStamp(
      last.counter < MAX_COUNTER
        ? { millis: last.millis, counter: last.counter + 1, node: parsed.node }
        : { millis: last.millis + 1, counter: 0, node: parsed.node },
    )
  }
  return { stamp: result, clamped: true }
}

/**
 * Each field's writer, as JSON text whose change numbers the statement fills in (`withSeq`): the
 * number a later write's `seen` is compared with is only known inside the statement that takes it.
 */
function writersParam(fields: readonly string[], writer: Writer): string {
  const json = JSON.stringify({ ...writer, seq: 0 })
  return `{${fields.map((field) => `${JSON.stringify(field)}:${json}`).join(',')}}`
}

/**
 * SQL for parameter `param` (from `writersParam`) with the statement's change number `seq` put in.
 * A text replace rather than rebuilding the JSON object per field: the same result at no measurable
 * cost (pushes on PGlite ran 20 % slower with jsonb_each/jsonb_object_agg). Safe, because writers
 * hold only ids (uuids), numbers and the placeholder, never a field's value.
 */
function withSeq(param: string, seq: string): string {
  return `replace(${param}, '"seq":0}', '"seq":' || ${seq} || '}')::jsonb`
}

function writerOf(ctx: PushContext): Writer {
  return { userId: ctx.scope.actor.id, deviceId: ctx.deviceId, receivedAt: ctx.now }
}

function touchesSensitive(table: SyncedTable, fields: Record<string, unknown>): boolean {
  return Object.keys(fields).some((field) => isSensitive(table, field))
}

async function createRecord(
  ctx: PushContext,
  table: SyncedTable,
  id: string,
  op: IncomingMutation['op'],
  fields: Record<string, unknown>,
  stamp: string,
): Promise<Outcome> {
  const { actor } = ctx.scope
  if (op === 'delete') {
    // Nothing to delete (the record never reached this server, or its tombstone was purged): the
    // wish is already true.
    return mayDeleteIn(actor, table) ? applied : forbidden
  }
  // Deleted so long ago that its tombstone was purged: an edit from a device that was away for
  // longer than that must not bring it back to life as a new record.
  if (await ctx.records.isPurged(table, id)) return deleted

  let owner: { team_id: string | null; mentee_id: string; parent_id: string | null }
  const parentField = PARENT_FIELD[table]
  const parentTable = PARENT_TABLE[table]
  if (table === 'events') {
    // A fair belongs to its creator's team and anchors itself.
    if (!mayCreateEvent(actor)) return forbidden
    owner = { team_id: actor.teamId, mentee_id: id, parent_id: null }
  } else if (parentField === undefined || parentTable === undefined) {
    // A mentee: it belongs to its creator's team, and to itself.
    if (!mayCreateMentee(actor)) return forbidden
    if (!fields.givenName && !fields.familyName) return invalid('givenName')
    owner = { team_id: actor.teamId, mentee_id: id, parent_id: null }
  } else {
    const parentId = fields[parentField]
    if (typeof parentId !== 'string') return invalid(parentField)
    const parent = await ctx.records.load(parentTable, parentId)
    if (!parent || !mayWrite(ctx.scope, parent)) return forbidden
    // Created offline while someone deleted the parent: a race, not a question of rights.
    if (parent.deleted) return deleted
    // A lead anchors itself: it is about a person who is not (yet) a mentee.
    owner = { team_id: parent.team_id, mentee_id: table === 'leads' ? id : parent.mentee_id, parent_id: parentId }
  }
  if (touchesSensitive(table, fields) && !seesSensitive(ctx.scope, owner.mentee_id)) return forbidden

  const writer = writerOf(ctx)
  const stamps = Object.fromEntries(Object.keys(fields).map((field) => [field, stamp]))
  const writers = Object.fromEntries(Object.keys(fields).map((field) => [field, writer]))
  // nextval in the statement: applyPush took the change lock first, so numbers stay in order.
  await ctx.tx.query(
    `WITH next AS (SELECT nextval('change_seq') AS seq)
     INSERT INTO records (tbl, id, team_id, mentee_id, parent_id, fields, stamps, writers, created_by, change_seq, changed_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, (SELECT ${withSeq('$8', 'seq')} FROM next), $9, (SELECT seq FROM next), $10)`,
    [
      table,
      id,
      owner.team_id,
      owner.mentee_id,
      owner.parent_id,
      JSON.stringify(fields),
      JSON.stringify(stamps),
      writersParam(Object.keys(fields), writer),
      actor.id,
      new Date(ctx.now),
    ],
  )
  // As the database gives it back (JSON round trip), so comparisons later in the batch agree.
  const stored = JSON.parse(JSON.stringify({ fields, stamps, writers })) as Pick<RecordRow, 'fields' | 'stamps' | 'writers'>
  ctx.records.created({ tbl: table, id, ...owner, created_by: actor.id, ...stored, deleted: false })
  return applied
}

async function changeRecord(
  ctx: PushContext,
  record: RecordRow,
  op: IncomingMutation['op'],
  fields: Record<string, unknown>,
  stamp: string,
  clamped: boolean,
  seen: number | undefined,
): Promise<Outcome> {
  // Rights come before "deleted", so a record out of reach stays unknown, deleted or not.
  if (!mayWrite(ctx.scope, record)) return forbidden
  if (op === 'delete') {
    if (!mayDeleteIn(ctx.scope.actor, record.tbl)) return forbidden
    if (record.deleted) return applied
    await tombstone(ctx, record, stamp)
    return applied
  }
  if (touchesSensitive(record.tbl, fields) && !seesSensitive(ctx.scope, record.mentee_id)) return forbidden
  if (record.deleted) return deleted
  const parentField = PARENT_FIELD[record.tbl]
  if (parentField !== undefined && parentField in fields && fields[parentField] !== record.parent_id) {
    return invalid(parentField)
  }
  return merge(ctx, record, fields, stamp, clamped, seen)
}

interface LostValue {
  field: string
  value: unknown
  stamp: string
  lostBy: string
  wonBy: string | null
}

/**
 * Per-field last-writer-wins by stamp. Nothing typed is lost silently: a losing incoming value goes
 * to the conflict log, and so does a stored value its author could not have seen (a concurrent
 * edit) that the incoming one beats.
 *
 * "Could not have seen" is exact when the write says what its device had pulled (`seen`) and the
 * stored value its change number: a higher number was not on the device. Otherwise it is judged by
 * time: a write whose stamp is earlier than the stored value's arrival. A stamp tells the time only
 * as well as its device's clock: one running ahead hides concurrent edits, which is why clients
 * send `seen`. A clamped stamp tells nothing about when its write was made (clamping set it to
 * now), so without `seen` it counts as made before anything stored.
 */
async function merge(
  ctx: PushContext,
  record: RecordRow,
  fields: Record<string, unknown>,
  stamp: string,
  clamped: boolean,
  seen: number | undefined,
): Promise<Outcome> {
  const incomingMillis = clamped ? Number.NEGATIVE_INFINITY : parseStamp(stamp)!.millis
  const unseen = (stored: Writer): boolean =>
    seen !== undefined && stored.seq !== undefined ? stored.seq > seen : stored.receivedAt > incomingMillis
  const writer = writerOf(ctx)
  const won: Record<string, unknown> = {}
  const superseded: string[] = []
  const lost: LostValue[] = []
  for (const [field, value] of Object.entries(fields)) {
    const storedStamp = record.stamps[field]
    const storedWriter = record.writers[field]
    const same = sameJson(record.fields[field], value)
    if (storedStamp === undefined || stamp > storedStamp) {
      won[field] = value
      if (
        storedStamp !== undefined &&
        storedWriter !== undefined &&
        storedWriter.deviceId !== ctx.deviceId &&
        unseen(storedWriter) &&
        !same
      ) {
        lost.push({ field, value: record.fields[field], stamp: storedStamp, lostBy: storedWriter.userId, wonBy: writer.userId })
      }
    } else if (!same) {
      // An equal value that arrives late loses nothing, so it is neither logged nor reported.
      superseded.push(field)
      lost.push({ field, value, stamp, lostBy: writer.userId, wonBy: storedWriter?.userId ?? null })
    }
  }

  const wonFields = Object.keys(won)
  if (wonFields.length > 0) {
    await ctx.tx.query(
      `WITH next AS (SELECT nextval('change_seq') AS seq)
       UPDATE records SET fields = fields || $3::jsonb, stamps = stamps || $4::jsonb, writers = writers || ${withSeq('$5', 'next.seq')},
              change_seq = next.seq, changed_at = $6
         FROM next
        WHERE tbl = $1 AND id = $2`,
      [
        record.tbl,
        record.id,
        JSON.stringify(won),
        JSON.stringify(Object.fromEntries(wonFields.map((field) => [field, stamp]))),
        writersParam(wonFields, writer),
        new Date(ctx.now),
      ],
    )
    ctx.records.changed(record.tbl, record.id)
  }
  for (const entry of lost) {
    await ctx.tx.query(
      `INSERT INTO conflicts (id, tbl, record_id, mentee_id, field, value, stamp, lost_by, won_by, at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10)`,
      [
        randomUUID(),
        record.tbl,
        record.id,
        record.mentee_id,
        entry.field,
        JSON.stringify(entry.value),
        entry.stamp,
        entry.lostBy,
        entry.wonBy,
        new Date(ctx.now),
      ],
    )
  }
  return superseded.length > 0 ? { status: 'superseded', fields: superseded } : applied
}

const TOMBSTONE_SET = `deleted = true, fields = '{}', stamps = '{}', writers = '{}'`

/**
 * Deletes a record for good: a tombstone keeps its id (so late edits are refused) and nothing of
 * its content. A mentee takes its notes, appointments and checklist items along, an appointment its
 * checklist items; each tombstone gets a change number of its own. The conflict log of everything
 * deleted goes too: deleting a person's data must not leave copies of it behind.
 */
async function tombstone(ctx: PushContext, record: RecordRow, stamp: string): Promise<void> {
  const { tx } = ctx
  const changedAt = new Date(ctx.now)
  ctx.records.deletedSome()
  await tx.query(
    `UPDATE records SET ${TOMBSTONE_SET}, deleted_stamp = $3, change_seq = nextval('change_seq'), changed_at = $4 WHERE tbl = $1 AND id = $2`,
    [record.tbl, record.id, stamp, changedAt],
  )
  await tx.query('DELETE FROM conflicts WHERE tbl = $1 AND record_id = $2', [record.tbl, record.id])

  const children =
    record.tbl === 'mentees'
      ? { where: `mentee_id = $1 AND tbl <> 'mentees'`, id: record.id }
      : record.tbl === 'appointments'
        ? { where: `parent_id = $1 AND tbl = 'checklistItems'`, id: record.id }
        : record.tbl === 'events'
          ? { where: `parent_id = $1 AND tbl = 'leads'`, id: record.id }
          : undefined
  if (!children) return
  // nextval per row rather than nextChangeSeq per row: the change lock is already held (applyPush
  // took it first), and one statement beats one round trip per child of a large mentee.
  const { rows } = await tx.query<{ tbl: string; id: string }>(
    `UPDATE records SET ${TOMBSTONE_SET}, deleted_stamp = $2, change_seq = nextval('change_seq'), changed_at = $3
      WHERE ${children.where} AND NOT deleted
      RETURNING tbl, id::text AS id`,
    [children.id, stamp, changedAt],
  )
  if (record.tbl === 'mentees') {
    await tx.query('DELETE FROM conflicts WHERE mentee_id = $1', [record.id])
  } else if (rows.length > 0) {
    await tx.query(`DELETE FROM conflicts WHERE tbl = $1 AND record_id = ANY($2::uuid[])`, [
      record.tbl === 'events' ? 'leads' : 'checklistItems',
      rows.map((row) => row.id),
    ])
  }
}
