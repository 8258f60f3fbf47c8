/**
 * The properties, judged against the server's database read directly with SQL (not through the
 * code under test):
 *   (a) once quiet, every device holds exactly the server's view for its user, field by field;
 *   (b) every write the server acknowledged is the current value, or is in the conflict log, or was
 *       overwritten by a write made after it reached the server (SYNC.md: "before this write could
 *       have been seen", with the documented 5-minute tolerance for clocks), or its record is deleted
 *       (erased records included: erasure deliberately removes their values and conflict entries);
 *   (c) a deleted record exists nowhere but as a tombstone: not live on the server again, not live on
 *       a device, no conflict-log entries left; an erased mentee's records (Art. 17) moreover keep
 *       no content on the server (fields, stamps, writers empty, or purged), none of its records
 *       has a conflict-log entry, and no record of it was created after the erasure;
 *   (d) no device holds a record or a field outside its user's scope, and the conflict log a user
 *       reads holds nothing outside it either;
 *   (e) replaying any push, any number of times, changes nothing.
 *
 * (b) needs history: the `Ledger` sees every push the app ran (through the transport's `deliver`),
 * with the affected rows before and after, and keeps an obligation per acknowledged field value.
 */
import type { Database } from '../../../server/db/database'
import type { LotseDatabase } from '@/db/db'
import { MAX_CLOCK_SKEW_MS, SENSITIVE_FIELDS, TABLE_FIELDS, type ConflictsResponse, type Mutation, type MutationResult, type PushRequest, type PushResponse, type User } from '@/shared/protocol'
import { parseStamp } from '@/shared/hlc'
import { emptyContent, SYNCED_TABLES, type SyncedTable } from '@/shared/records'
import type { LightMyRequestResponse as InjectResponse } from 'fastify'
import type { SimServer } from './server'
import type { SimRequest } from './transport'

export type PropertyId = 'a' | 'b' | 'c' | 'd' | 'e' | 'run'

export const PROPERTY_NAMES: Record<PropertyId, string> = {
  a: '(a) device = server view',
  b: '(b) acknowledged writes kept',
  c: '(c) deleted stays deleted',
  d: '(d) nothing outside scope',
  e: '(e) replayed push changes nothing',
  run: 'run (errors, convergence)',
}

export interface Violation {
  property: PropertyId
  message: string
}

interface Writer {
  userId: string
  deviceId: string
  receivedAt: number
}

interface Row {
  tbl: SyncedTable
  id: string
  team_id: string | null
  mentee_id: string
  fields: Record<string, unknown>
  stamps: Record<string, string>
  writers: Record<string, Writer>
  deleted: boolean
}

const ROW_COLUMNS = `tbl, id::text AS id, team_id::text AS team_id, mentee_id::text AS mentee_id, fields, stamps, writers, deleted`

type Upsert = Extract<Mutation, { op: 'upsert' }>

/** JSON with sorted keys: jsonb gives objects back in its own key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b)

function describeResult(result: MutationResult): string {
  return result.status === 'rejected' ? `rejected (${result.reason}${result.detail ? `/${result.detail}` : ''})` : result.status
}

/** What a mutation sent again must be answered: `duplicate` if it was applied, the same refusal if it was refused. */
function isRepeatAnswer(first: MutationResult, again: MutationResult): boolean {
  if (first.status === 'rejected') return again.status === 'rejected' && again.reason === first.reason && again.detail === first.detail
  return again.status === 'duplicate'
}
const recordKey = (table: string, id: string) => `${table}:${id}`
const short = (id: string) => id.slice(-4)

interface Obligation {
  table: SyncedTable
  id: string
  field: string
  value: unknown
  /** Acknowledged writes of this value not yet legitimately replaced. */
  open: number
  by: string
}

export class Ledger {
  readonly violations: Violation[] = []
  /** `${device}:${outbox seq}` → the true time (server clock) the user made that local write. */
  readonly writeTimes = new Map<string, number>()
  /** Every push the app answered with 200, for (e). */
  readonly pushes: { device: number; request: SimRequest }[] = []
  /** First outcomes of the mutations the app pushed, to show how much contention a run had. */
  readonly outcomes = { applied: 0, superseded: 0, rejected: 0 }
  /**
   * Values replaced by a write whose stamp ran more than MAX_CLOCK_SKEW_MS ahead of the true time
   * it was made, pushed after the server's clock passed that stamp (so not clamped), that were
   * logged as they must be. Judged by stamps these looked like later edits; `seen` catches them.
   * Counted to show the case occurs; one not logged is a violation of (b) like any other.
   */
  aheadLogged = 0
  /** Records the server ever held as tombstones (collected before each purge and at the end). */
  readonly everDeleted = new Set<string>()
  /** Mentees erased (Art. 17), and every record of theirs the server held right after the erasure. */
  readonly erasedMentees = new Set<string>()
  readonly erased = new Set<string>()
  /** The first answer the server gave each `${deviceId}:${seq}`. */
  private readonly firstOutcome = new Map<string, MutationResult>()
  private readonly obligations = new Map<string, Obligation>()

  constructor(
    private readonly db: Database,
    private readonly describeDevice: (index: number) => string,
  ) {}

  violation(property: PropertyId, message: string): void {
    this.violations.push({ property, message })
  }

  private async loadRows(ids: readonly string[]): Promise<Map<string, Row>> {
    if (ids.length === 0) return new Map()
    const { rows } = await this.db.query<Row>(`SELECT ${ROW_COLUMNS} FROM records WHERE id::text = ANY($1::text[])`, [
      [...new Set(ids)],
    ])
    return new Map(rows.map((row) => [recordKey(row.tbl, row.id), row]))
  }

  async beforePush(body: string): Promise<Map<string, Row>> {
    const parsed = JSON.parse(body) as PushRequest
    return this.loadRows(parsed.mutations.map((m) => m.id))
  }

  async afterPush(device: number, request: SimRequest, answer: InjectResponse, before: Map<string, Row>, receivedAt: number): Promise<void> {
    if (answer.statusCode !== 200) {
      this.violation('run', `${this.describeDevice(device)}: push answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`)
      return
    }
    const body = JSON.parse(request.body!) as PushRequest
    const response = answer.json<PushResponse>()
    this.pushes.push({ device, request })
    const who = this.describeDevice(device)
    const fresh: Upsert[] = []
    body.mutations.forEach((mutation, i) => {
      const result = response.results[i]
      if (!result || result.seq !== mutation.seq) {
        this.violation('run', `${who}: push result ${i} does not answer seq ${mutation.seq}`)
        return
      }
      const key = `${body.deviceId}:${mutation.seq}`
      const first = this.firstOutcome.get(key)
      if (first !== undefined) {
        // Sent before: the device settles its outbox by this answer, so it must tell the truth.
        if (!isRepeatAnswer(first, result)) {
          const property = result.status === 'duplicate' ? 'b' : 'e'
          this.violation(property, `${who}: seq ${mutation.seq} was ${describeResult(first)}; sent again it was answered ${describeResult(result)}`)
        }
        return
      }
      if (result.status === 'duplicate') {
        this.violation('b', `${who}: seq ${mutation.seq} answered "duplicate" but the server never processed it`)
        return
      }
      this.firstOutcome.set(key, result)
      this.outcomes[result.status] += 1
      if (result.status !== 'rejected' && mutation.op === 'upsert') fresh.push(mutation)
    })
    if (fresh.length === 0) return

    for (const mutation of fresh) {
      for (const [field, value] of Object.entries(mutation.fields)) this.oblige(mutation.table, mutation.id, field, value, `${who} seq ${mutation.seq}`)
    }
    const after = await this.loadRows(fresh.map((m) => m.id))
    const mustBeLogged: { table: SyncedTable; id: string; field: string; value: unknown; why: string; known?: boolean }[] = []
    const groups = new Map<string, Upsert[]>()
    for (const mutation of fresh) {
      const key = recordKey(mutation.table, mutation.id)
      groups.set(key, [...(groups.get(key) ?? []), mutation])
    }
    for (const [key, mutations] of groups) {
      const row = after.get(key)
      const prior = before.get(key)
      if (!row || row.deleted) continue
      const { tbl: table, id } = row
      for (const field of new Set(mutations.flatMap((m) => Object.keys(m.fields)))) {
        const writes = mutations.filter((m) => field in m.fields)
        const values = writes.map((m) => m.fields[field])
        const last = values[values.length - 1]
        const stored = row.fields[field]
        if (!prior || prior.deleted) {
          // Created by this push: the device's later values replaced its earlier ones.
          for (const value of values) if (!same(value, stored)) this.release(table, id, field, value)
          continue
        }
        const writer = row.writers[field]
        const wonNow = writer?.deviceId === body.deviceId && writer.receivedAt === receivedAt && prior.stamps[field] !== row.stamps[field]
        if (!wonNow) {
          for (const value of values.slice(0, -1)) if (!same(value, last)) this.release(table, id, field, value)
          if (!same(last, stored)) mustBeLogged.push({ table, id, field, value: last, why: 'it lost to a newer stamp' })
          continue
        }
        for (const value of values) if (!same(value, stored)) this.release(table, id, field, value)
        if (!(field in prior.fields)) continue
        const old = prior.fields[field]
        const oldWriter = prior.writers[field]
        if (same(old, stored)) continue
        if (!oldWriter || oldWriter.deviceId === body.deviceId || values.some((value) => same(value, old))) {
          this.release(table, id, field, old)
          continue
        }
        // When did the user make the write that replaced `old`? The latest of this push's writes
        // of the field (the earliest one may have lost): judging by it can only excuse more.
        const madeAt = Math.max(...writes.map((m) => this.writeTimes.get(`${device}:${m.seq}`) ?? receivedAt))
        if (madeAt >= oldWriter.receivedAt - MAX_CLOCK_SKEW_MS) {
          this.release(table, id, field, old)
        } else {
          const ahead = Math.round((oldWriter.receivedAt - madeAt) / 60_000)
          // A stamp running more than the tolerance ahead of true time (a fast clock, or a clock
          // that took in such stamps), pushed once the server's clock has passed it, escapes the
          // clamp and looks made later: only the write's `seen` tells the endpoint (aheadLogged).
          const stampMillis = parseStamp(row.stamps[field] ?? '')?.millis ?? 0
          // (A clamped stamp is the server's time of this push: the endpoint logs those anyway.)
          const known = stampMillis - madeAt > MAX_CLOCK_SKEW_MS && stampMillis >= oldWriter.receivedAt && stampMillis !== receivedAt
          mustBeLogged.push({
            table,
            id,
            field,
            value: old,
            why: `${who} overwrote it with a write made ${ahead} min before that value reached the server (stamp ${row.stamps[field]}${known ? `, ${Math.round((stampMillis - madeAt) / 60_000)} min ahead of when it was made` : ''})`,
            known,
          })
        }
      }
    }
    if (mustBeLogged.length === 0) return
    const { rows: logged } = await this.db.query<{ tbl: string; record_id: string; field: string; value: unknown }>(
      'SELECT tbl, record_id::text AS record_id, field, value FROM conflicts WHERE record_id::text = ANY($1::text[])',
      [[...new Set(mustBeLogged.map((m) => m.id))]],
    )
    for (const lost of mustBeLogged) {
      const found = logged.some((c) => c.tbl === lost.table && c.record_id === lost.id && c.field === lost.field && same(c.value, lost.value))
      if (found) {
        if (lost.known) this.aheadLogged += 1
        continue
      }
      this.violation('b', `${lost.table}/${short(lost.id)}.${lost.field} = ${canonical(lost.value)} vanished without a conflict entry: ${lost.why}`)
    }
  }

  firstAnswer(deviceId: string, seq: number): MutationResult | undefined {
    return this.firstOutcome.get(`${deviceId}:${seq}`)
  }

  private oblige(table: SyncedTable, id: string, field: string, value: unknown, by: string): void {
    const key = `${recordKey(table, id)}:${field}:${canonical(value)}`
    const existing = this.obligations.get(key)
    if (existing) existing.open += 1
    else this.obligations.set(key, { table, id, field, value, open: 1, by })
  }

  /** A value legitimately replaced (by its own device, or by a write that could have seen it). */
  private release(table: SyncedTable, id: string, field: string, value: unknown): void {
    const obligation = this.obligations.get(`${recordKey(table, id)}:${field}:${canonical(value)}`)
    if (obligation) obligation.open = 0
  }

  /** Remembers every tombstone: after each push, before a purge takes them away, and at the end. */
  async noteTombstones(): Promise<void> {
    const { rows } = await this.db.query<{ tbl: string; id: string }>('SELECT tbl, id::text AS id FROM records WHERE deleted')
    for (const row of rows) this.everDeleted.add(recordKey(row.tbl, row.id))
  }

  /** After an erasure: its records are tombstones now, deleted for (c), and out of (b). */
  async noteErasure(menteeId: string): Promise<void> {
    this.erasedMentees.add(menteeId)
    const { rows } = await this.db.query<{ tbl: string; id: string }>('SELECT tbl, id::text AS id FROM records WHERE mentee_id = $1', [menteeId])
    for (const row of rows) this.erased.add(recordKey(row.tbl, row.id))
    await this.noteTombstones()
  }

  /** (b) at the end: every open obligation is current, logged, or its record is gone. */
  async checkAcknowledgedWrites(): Promise<void> {
    const { rows } = await this.db.query<Row>(`SELECT ${ROW_COLUMNS} FROM records`)
    const byKey = new Map(rows.map((row) => [recordKey(row.tbl, row.id), row]))
    const { rows: conflicts } = await this.db.query<{ tbl: string; record_id: string; field: string; value: unknown }>(
      'SELECT tbl, record_id::text AS record_id, field, value FROM conflicts',
    )
    for (const obligation of this.obligations.values()) {
      if (obligation.open === 0) continue
      const key = recordKey(obligation.table, obligation.id)
      // Erased: its acknowledged values and their conflict entries are gone on purpose.
      if (this.erased.has(key)) continue
      const row = byKey.get(key)
      if (!row || row.deleted || this.everDeleted.has(key)) continue
      if (same(row.fields[obligation.field], obligation.value)) continue
      const logged = conflicts.some(
        (c) => c.tbl === obligation.table && c.record_id === obligation.id && c.field === obligation.field && same(c.value, obligation.value),
      )
      if (!logged) {
        this.violation(
          'b',
          `${obligation.table}/${short(obligation.id)}.${obligation.field} = ${canonical(obligation.value)} (acknowledged, ${obligation.by}) is neither current (${canonical(row.fields[obligation.field])}) nor in the conflict log`,
        )
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// (a), (c), (d): the state once every device synced until quiet.

export interface DeviceUnderTest {
  index: number
  label: string
  user: User
  db: LotseDatabase
  token: string
}

interface UserView {
  records: Map<string, Row>
  shared: Set<string>
  isPate: boolean
}

async function serverViewOf(db: Database, user: User): Promise<UserView> {
  if (user.role === 'pate') {
    const { rows } = await db.query<Row>(
      `SELECT ${ROW_COLUMNS} FROM records WHERE NOT deleted AND mentee_id IN (SELECT mentee_id FROM assignments WHERE user_id = $1)`,
      [user.id],
    )
    const { rows: shares } = await db.query<{ mentee_id: string }>('SELECT mentee_id::text AS mentee_id FROM shares WHERE user_id = $1', [user.id])
    return { records: new Map(rows.map((r) => [recordKey(r.tbl, r.id), r])), shared: new Set(shares.map((s) => s.mentee_id)), isPate: true }
  }
  // The simulation's other users are coaches: their team's records, every field.
  const { rows } = await db.query<Row>(`SELECT ${ROW_COLUMNS} FROM records WHERE NOT deleted AND team_id = $1`, [user.teamId])
  return { records: new Map(rows.map((r) => [recordKey(r.tbl, r.id), r])), shared: new Set(), isPate: false }
}

function isSensitive(table: SyncedTable, field: string): boolean {
  return SENSITIVE_FIELDS[table]?.includes(field) ?? false
}

function seesField(view: UserView, row: Pick<Row, 'tbl' | 'mentee_id'>, field: string): boolean {
  return !view.isPate || !isSensitive(row.tbl, field) || view.shared.has(row.mentee_id)
}

type LocalRecord = Record<string, unknown> & { id: string; deletedAt?: number }

async function localRecords(db: LotseDatabase): Promise<Map<string, { table: SyncedTable; record: LocalRecord }>> {
  const all = new Map<string, { table: SyncedTable; record: LocalRecord }>()
  for (const table of SYNCED_TABLES) {
    const rows = (await db.table(table).toArray()) as LocalRecord[]
    for (const record of rows) all.set(recordKey(table, record.id), { table, record })
  }
  return all
}

export async function checkConvergedState(server: SimServer, ledger: Ledger, devices: readonly DeviceUnderTest[]): Promise<void> {
  const db = server.db
  const { rows: allRows } = await db.query<Row>(`SELECT ${ROW_COLUMNS} FROM records`)
  const everything = new Map(allRows.map((row) => [recordKey(row.tbl, row.id), row]))

  // (c) on the server: a tombstone never comes back to life, and the conflict log forgets deleted records.
  for (const key of ledger.everDeleted) {
    const row = everything.get(key)
    if (row && !row.deleted) ledger.violation('c', `server: ${key} was deleted and is live again: ${canonical(row.fields)}`)
  }
  const { rows: orphanConflicts } = await db.query<{ tbl: string; record_id: string; field: string }>(
    `SELECT c.tbl, c.record_id::text AS record_id, c.field FROM conflicts c
       LEFT JOIN records r ON r.tbl = c.tbl AND r.id = c.record_id
      WHERE r.id IS NULL OR r.deleted`,
  )
  for (const c of orphanConflicts) ledger.violation('c', `server: conflict entry ${c.tbl}/${short(c.record_id)}.${c.field} of a deleted record`)
  await checkErasures(db, ledger, everything)

  for (const device of devices) {
    const view = await serverViewOf(db, device.user)
    const local = await localRecords(device.db)
    const pending = await device.db.outbox.count()
    if (pending > 0) ledger.violation('a', `${device.label}: ${pending} change(s) still in the outbox after syncing until quiet`)

    for (const [key, { table, record }] of local) {
      const inView = view.records.get(key)
      if (record.deletedAt) {
        if (inView) ledger.violation('a', `${device.label}: holds ${key} as deleted, but it is live on the server`)
        continue
      }
      if (!inView) {
        const row = everything.get(key)
        if (row && !row.deleted) ledger.violation('d', `${device.label}: holds ${key}, which is outside its user's scope`)
        else if (row?.deleted || ledger.everDeleted.has(key)) ledger.violation('c', `${device.label}: holds deleted record ${key} as a live record`)
        else ledger.violation(orphanProperty(local, everything, view, table, record), `${device.label}: holds ${key} ${canonical(contentOf(table, record))}, which the server never accepted`)
        continue
      }
      const empty = emptyContent(table) as Record<string, unknown>
      for (const field of TABLE_FIELDS[table]) {
        const expected = seesField(view, inView, field) ? (field in inView.fields ? inView.fields[field] : empty[field]) : empty[field]
        if (same(record[field], expected)) continue
        const property: PropertyId = seesField(view, inView, field) ? 'a' : 'd'
        ledger.violation(property, `${device.label}: ${key}.${field} is ${canonical(record[field])}, server view ${canonical(expected)}`)
      }
    }
    for (const key of view.records.keys()) {
      if (!local.has(key)) ledger.violation('a', `${device.label}: misses ${key}, which is in its user's view`)
    }

    // (d) the conflict log as this user reads it (GET /api/v1/conflicts): nothing outside scope.
    const answer = await server.app.inject({ method: 'GET', url: '/api/v1/conflicts', headers: { authorization: `Bearer ${device.token}` } })
    if (answer.statusCode !== 200) {
      ledger.violation('run', `${device.label}: GET /conflicts answered ${answer.statusCode}`)
      continue
    }
    for (const entry of answer.json<ConflictsResponse>().conflicts) {
      const row = view.records.get(recordKey(entry.table, entry.recordId))
      if (!row) ledger.violation('d', `${device.label}: conflict log shows ${entry.table}/${short(entry.recordId)}, outside its scope`)
      else if (!seesField(view, row, entry.field)) ledger.violation('d', `${device.label}: conflict log shows sensitive ${entry.table}/${short(entry.recordId)}.${entry.field}`)
    }
  }
}

/**
 * (c) for erasures: the server keeps nothing of an erased mentee but content-free tombstones (or
 * nothing, once purged): no field, stamp or writer, no record of it that is live or came later, no
 * conflict-log entry (by record or by mentee), whatever the devices pushed after the erasure.
 */
async function checkErasures(db: Database, ledger: Ledger, everything: Map<string, Row>): Promise<void> {
  if (ledger.erasedMentees.size === 0) return
  const mentees = [...ledger.erasedMentees]
  const empty = (value: Record<string, unknown>) => Object.keys(value ?? {}).length === 0
  for (const key of ledger.erased) {
    const row = everything.get(key)
    if (!row) continue
    if (!row.deleted) ledger.violation('c', `server: erased ${key} is live again: ${canonical(row.fields)}`)
    else if (!empty(row.fields) || !empty(row.stamps) || !empty(row.writers)) {
      ledger.violation('c', `server: erased ${key} keeps content: fields ${canonical(row.fields)}, stamps ${canonical(row.stamps)}, writers ${canonical(row.writers)}`)
    }
  }
  for (const row of everything.values()) {
    const key = recordKey(row.tbl, row.id)
    if (ledger.erasedMentees.has(row.mentee_id) && !ledger.erased.has(key)) {
      ledger.violation('c', `server: ${key} of erased mentee ${short(row.mentee_id)} appeared after the erasure (${row.deleted ? 'tombstone' : 'live'}: ${canonical(row.fields)})`)
    }
  }
  const erasedIds = [...ledger.erased].map((key) => key.slice(key.indexOf(':') + 1))
  const { rows: kept } = await db.query<{ tbl: string; record_id: string; field: string; value: unknown }>(
    `SELECT tbl, record_id::text AS record_id, field, value FROM conflicts
      WHERE mentee_id::text = ANY($1::text[]) OR record_id::text = ANY($2::text[])`,
    [mentees, erasedIds],
  )
  for (const c of kept) {
    ledger.violation('c', `server: conflict log keeps ${c.tbl}/${short(c.record_id)}.${c.field} = ${canonical(c.value)} of an erased mentee`)
  }
}

function contentOf(table: SyncedTable, record: LocalRecord): Record<string, unknown> {
  return Object.fromEntries(TABLE_FIELDS[table].filter((f) => f in record).map((f) => [f, record[f]]))
}

/** Why a device holds a record the server never accepted: its mentee was deleted (c), is out of scope (d), or neither (a). */
function orphanProperty(
  local: Map<string, { table: SyncedTable; record: LocalRecord }>,
  everything: Map<string, Row>,
  view: UserView,
  table: SyncedTable,
  record: LocalRecord,
): PropertyId {
  let menteeId: unknown = table === 'mentees' ? record.id : record.menteeId
  if (table === 'checklistItems') {
    const appointment = everything.get(recordKey('appointments', String(record.appointmentId)))
    menteeId = appointment?.mentee_id ?? local.get(recordKey('appointments', String(record.appointmentId)))?.record.menteeId
  }
  const mentee = everything.get(recordKey('mentees', String(menteeId)))
  if (mentee?.deleted) return 'c'
  if (mentee && !view.records.has(recordKey('mentees', mentee.id))) return 'd'
  return 'a'
}

// ---------------------------------------------------------------------------------------------
// (e) Replaying pushes.

async function snapshot(db: Database): Promise<string> {
  const parts = await Promise.all([
    db.query(`SELECT ${ROW_COLUMNS}, deleted_stamp, created_by::text AS created_by, change_seq, changed_at FROM records ORDER BY tbl, id`),
    db.query('SELECT * FROM conflicts ORDER BY id'),
    db.query('SELECT * FROM access_events ORDER BY seq'),
    db.query('SELECT id::text AS id, ack_seq, clamped_stamps FROM devices ORDER BY id'),
    db.query('SELECT last_value, is_called FROM change_seq'),
  ])
  return canonical(parts.map((part) => part.rows))
}

/** Sends the given pushes again, in order, and checks that nothing in the database moved. */
export async function checkReplay(server: SimServer, ledger: Ledger, pushes: Ledger['pushes']): Promise<number> {
  if (pushes.length === 0) return 0
  const before = await snapshot(server.db)
  for (const { device, request } of pushes) {
    const answer = await server.app.inject({
      method: 'POST',
      url: request.url,
      headers: request.headers,
      ...(request.body !== undefined ? { payload: request.body } : {}),
    })
    if (answer.statusCode !== 200) {
      ledger.violation('e', `replaying a push of dev${device} answered ${answer.statusCode}`)
      continue
    }
    const body = JSON.parse(request.body!) as PushRequest
    answer.json<PushResponse>().results.forEach((result, i) => {
      const first = ledger.firstAnswer(body.deviceId, body.mutations[i]?.seq ?? -1)
      if (!first || !isRepeatAnswer(first, result)) {
        ledger.violation('e', `replaying a push of dev${device}: seq ${result.seq} answered ${describeResult(result)}, first ${first ? describeResult(first) : 'never'}`)
      }
    })
  }
  const after = await snapshot(server.db)
  if (after !== before) ledger.violation('e', `replaying ${pushes.length} push(es) changed the database`)
  return pushes.length
}
