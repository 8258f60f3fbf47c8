/**
 * Teams, users, devices (one per sign-in), Paten's assignments and shares, and sessions.
 * Used by the session routes, the sync routes (authenticate) and the admin CLI.
 *
 * Times: every function that records a time takes `now` as epoch milliseconds (default
 * `Date.now()`), so tests can move the clock; the database's own now() is not used for them.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { ROLES, type Role, type User } from '../../src/shared/protocol'
import { audit, usernameLimitKey } from '../audit'
import { nextChangeSeq, type Database, type Queryable } from '../db/database'
import { dummyVerify, hashPassword, PasswordCheckBusy, passwordNeedsRehash, verifyPassword } from './passwords'

export const USERNAME_PATTERN = /^[a-z0-9._-]{3,64}$/
export const MIN_PASSWORD_LENGTH = 10
/** Long enough for any passphrase; a bound so a megabyte "password" is refused before hashing. */
export const MAX_PASSWORD_LENGTH = 1024
export const MAX_NAME_LENGTH = 100
export const MAX_LOGIN_FAILURES = 10
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000
/** last_seen_at is written at most this often per device, not on every sync call. */
export const LAST_SEEN_RESOLUTION_MS = 60 * 1000
const TOKEN_BYTES = 32
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Attempted usernames and addresses are stored for the limit only; cap what a client can make us store. */
const MAX_STORED_ATTEMPT_LENGTH = 200
const UNIQUE_VIOLATION = '23505'

/** A refused account operation, with a message meant for the administrator. */
export class AccountError extends Error {
  constructor(
    readonly code: 'invalid' | 'not_found' | 'conflict',
    message: string,
  ) {
    super(message)
    this.name = 'AccountError'
  }
}

export interface Team {
  id: string
  name: string
}

export interface UserSummary extends User {
  teamName: string | null
  disabledAt: Date | null
  createdAt: Date
  /** Devices signed in and neither revoked nor signed out. */
  activeDevices: number
}

export interface DeviceSummary {
  id: string
  userId: string
  name: string
  createdAt: Date
  lastSeenAt: Date | null
  revokedAt: Date | null
  endedAt: Date | null
}

export interface AuthenticatedDevice {
  id: string
  userId: string
  name: string
  /** The highest push `seq` applied for this device. */
  ackSeq: number
  clampedStamps: number
}

export interface NewUser {
  username: string
  displayName?: string
  role: Role | string
  teamName?: string
  password: string
}

export type SignInResult =
  | { ok: true; token: string; deviceId: string; user: User }
  | { ok: false; reason: 'invalid_credentials'; userId?: string }
  | { ok: false; reason: 'too_many_requests'; retryAfterSeconds: number; userId?: string }

export type AuthenticateResult =
  | { user: User; device: AuthenticatedDevice }
  | { error: 'unauthorized' | 'device_revoked' }

export type AccessKind = 'assign' | 'unassign' | 'share' | 'unshare'

export interface AccessChange {
  /** False when nothing changed (already assigned, not shared, ...); no event was written then. */
  changed: boolean
  /** The access event's change number when `changed`. */
  seq: number | null
}

interface UserRow {
  id: string
  username: string
  display_name: string
  role: Role
  team_id: string | null
  password_hash: string
  disabled_at: Date | null
}

function toUser(row: Pick<UserRow, 'id' | 'username' | 'display_name' | 'role' | 'team_id'>): User {
  return { id: row.id, username: row.username, displayName: row.display_name, role: row.role, teamId: row.team_id }
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value)
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION
}

/** SHA-256 hex of a session token: what `devices.token_hash` holds. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

// ---------------------------------------------------------------------------------------------
// Teams and users

export async function createTeam(db: Queryable, name: string): Promise<Team> {
  const teamName = name.trim()
  if (teamName === '' || teamName.length > MAX_NAME_LENGTH) {
    throw new AccountError('invalid', `A team name needs 1 to ${MAX_NAME_LENGTH} characters.`)
  }
  const id = randomUUID()
  try {
    await db.query('INSERT INTO teams (id, name) VALUES ($1, $2)', [id, teamName])
  } catch (error) {
    if (isUniqueViolation(error)) throw new AccountError('conflict', `A team named "${teamName}" already exists.`)
    throw error
  }
  return { id, name: teamName }
}

export async function listTeams(db: Queryable): Promise<Team[]> {
  const { rows } = await db.query<Team>('SELECT id, name FROM teams ORDER BY name')
  return rows
}

async function findTeamByName(db: Queryable, name: string): Promise<Team | undefined> {
  const { rows } = await db.query<Team>('SELECT id, name FROM teams WHERE name = $1', [name.trim()])
  return rows[0]
}

/** Checks a new password against the rules; returns the problem, or undefined when it is fine. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) return `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`
  if (length > MAX_PASSWORD_LENGTH) return `A password may have at most ${MAX_PASSWORD_LENGTH} characters.`
  return undefined
}

/**
 * Coaches belong to a team (they see its mentees). Paten, guides and coordinators may have one;
 * a team named here must already exist (`createTeam`).
 */
export async function createUser(db: Queryable, input: NewUser): Promise<User> {
  const username = input.username.trim()
  if (!USERNAME_PATTERN.test(username)) {
    throw new AccountError(
      'invalid',
      'A username needs 3 to 64 characters: lowercase letters a-z, digits, dot, underscore or hyphen.',
    )
  }
  if (!isRole(input.role)) {
    throw new AccountError('invalid', `Unknown role "${input.role}"; use one of: ${ROLES.join(', ')}.`)
  }
  const displayName = input.displayName?.trim() || username
  if (displayName.length > MAX_NAME_LENGTH) {
    throw new AccountError('invalid', `A display name may have at most ${MAX_NAME_LENGTH} characters.`)
  }
  const problem = passwordProblem(input.password)
  if (problem) throw new AccountError('invalid', problem)

  let teamId: string | null = null
  if (input.teamName !== undefined && input.teamName.trim() !== '') {
    const team = await findTeamByName(db, input.teamName)
    if (!team) {
      throw new AccountError('not_found', `There is no team named "${input.teamName.trim()}"; create it first (team:add).`)
    }
    teamId = team.id
  } else if (input.role === 'coach') {
    throw new AccountError('invalid', 'A coach needs a team (--team <name>): coaches see their team’s mentees.')
  }

  const user: User = { id: randomUUID(), username, displayName, role: input.role, teamId }
  const passwordHash = await hashPassword(input.password)
  try {
    await db.query(
      `INSERT INTO users (id, username, display_name, role, team_id, password_hash)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [user.id, user.username, user.displayName, user.role, user.teamId, passwordHash],
    )
  } catch (error) {
    if (isUniqueViolation(error)) throw new AccountError('conflict', `The username "${username}" is taken.`)
    throw error
  }
  return user
}

export async function listUsers(db: Queryable): Promise<UserSummary[]> {
  const { rows } = await db.query<{
    id: string
    username: string
    display_name: string
    role: Role
    team_id: string | null
    team_name: string | null
    disabled_at: Date | null
    created_at: Date
    active_devices: number
  }>(
    `SELECT u.id, u.username, u.display_name, u.role, u.team_id, t.name AS team_name, u.disabled_at,
            u.created_at,
            (SELECT count(*) FROM devices d
              WHERE d.user_id = u.id AND d.revoked_at IS NULL AND d.ended_at IS NULL) AS active_devices
       FROM users u LEFT JOIN teams t ON t.id = u.team_id
      ORDER BY u.username`,
  )
  return rows.map((row) => ({
    ...toUser(row),
    teamName: row.team_name,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    activeDevices: row.active_devices,
  }))
}

export async function countUsers(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ count: number }>('SELECT count(*) AS count FROM users')
  return rows[0]?.count ?? 0
}

export async function findUserById(db: Queryable, id: string): Promise<(User & { disabled: boolean }) | undefined> {
  if (!isUuid(id)) return undefined
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id])
  const row = rows[0]
  return row ? { ...toUser(row), disabled: row.disabled_at !== null } : undefined
}

export async function findUserByUsername(
  db: Queryable,
  username: string,
): Promise<(User & { disabled: boolean }) | undefined> {
  const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username.trim()])
  const row = rows[0]
  return row ? { ...toUser(row), disabled: row.disabled_at !== null } : undefined
}

async function requireUser(db: Queryable, username: string): Promise<User & { disabled: boolean }> {
  const user = await findUserByUsername(db, username)
  if (!user) throw new AccountError('not_found', `There is no user "${username.trim()}".`)
  return user
}

/** Disables the account and revokes all its devices in one transaction. */
export async function disableUser(
  db: Database,
  username: string,
  now: number = Date.now(),
): Promise<{ revokedDevices: number }> {
  return db.transaction(async (tx) => {
    const user = await requireUser(tx, username)
    const at = new Date(now)
    if (!user.disabled) await tx.query('UPDATE users SET disabled_at = $2 WHERE id = $1', [user.id, at])
    const { rows } = await tx.query<{ id: string }>(
      'UPDATE devices SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id::text AS id',
      [user.id, at],
    )
    for (const device of rows) {
      await audit(tx, { action: 'device_revoked', at: now, targetId: device.id, details: { userId: user.id, via: 'user_disabled' } })
    }
    return { revokedDevices: rows.length }
  })
}

// ---------------------------------------------------------------------------------------------
// Devices

interface DeviceRow {
  id: string
  user_id: string
  name: string
  created_at: Date
  last_seen_at: Date | null
  revoked_at: Date | null
  ended_at: Date | null
}

function toDeviceSummary(row: DeviceRow): DeviceSummary {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    revokedAt: row.revoked_at,
    endedAt: row.ended_at,
  }
}

export async function listDevices(db: Queryable, username: string): Promise<DeviceSummary[]> {
  const user = await requireUser(db, username)
  const { rows } = await db.query<DeviceRow>(
    `SELECT id, user_id, name, created_at, last_seen_at, revoked_at, ended_at
       FROM devices WHERE user_id = $1 ORDER BY created_at, id`,
    [user.id],
  )
  return rows.map(toDeviceSummary)
}

/** From now on every call with this device's token answers `device_revoked`. */
export async function revokeDevice(db: Queryable, deviceId: string, now: number = Date.now()): Promise<DeviceSummary> {
  if (!isUuid(deviceId)) throw new AccountError('invalid', `"${deviceId}" is not a device id (a UUID).`)
  const { rows } = await db.query<DeviceRow>(
    `UPDATE devices SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1
     RETURNING id, user_id, name, created_at, last_seen_at, revoked_at, ended_at`,
    [deviceId, new Date(now)],
  )
  const row = rows[0]
  if (!row) throw new AccountError('not_found', `There is no device ${deviceId}.`)
  if (row.revoked_at !== null && row.revoked_at.getTime() === now) {
    await audit(db, { action: 'device_revoked', at: now, targetId: row.id, details: { userId: row.user_id, via: 'admin' } })
  }
  return toDeviceSummary(row)
}

// ---------------------------------------------------------------------------------------------
// Assignments and shares (Paten only): each change is an access event on the change sequence,
// so the Pate's next pull receives (or evicts) the mentee.

async function requirePate(tx: Queryable, username: string): Promise<User> {
  const user = await requireUser(tx, username)
  if (user.role !== 'pate') {
    throw new AccountError(
      'invalid',
      `${user.username} is a ${user.role}: assignments and shares are for Paten (coaches and coordinators see mentees through their role).`,
    )
  }
  return user
}

function requireMenteeId(menteeId: string): void {
  if (!isUuid(menteeId)) throw new AccountError('invalid', `"${menteeId}" is not a mentee id (a UUID).`)
}

async function requireLiveMentee(tx: Queryable, menteeId: string): Promise<void> {
  const { rows } = await tx.query(
    `SELECT 1 FROM records WHERE tbl = 'mentees' AND id = $1 AND NOT deleted`,
    [menteeId],
  )
  if (rows.length === 0) throw new AccountError('not_found', `There is no mentee ${menteeId} (or it was deleted).`)
}

async function recordAccessEvent(
  tx: Queryable,
  userId: string,
  menteeId: string,
  kind: AccessKind,
  now: number,
): Promise<number> {
  const seq = await nextChangeSeq(tx)
  await tx.query('INSERT INTO access_events (seq, user_id, mentee_id, kind, at) VALUES ($1, $2, $3, $4, $5)', [
    seq,
    userId,
    menteeId,
    kind,
    new Date(now),
  ])
  return seq
}

/** Makes `username` (a Pate) the mentor of the mentee: their next pull brings its records. */
export async function assign(db: Database, username: string, menteeId: string, now: number = Date.now()): Promise<AccessChange> {
  requireMenteeId(menteeId)
  return db.transaction(async (tx) => {
    const user = await requirePate(tx, username)
    await requireLiveMentee(tx, menteeId)
    const { rows } = await tx.query(
      `INSERT INTO assignments (user_id, mentee_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [user.id, menteeId, new Date(now)],
    )
    if (rows.length === 0) return { changed: false, seq: null }
    return { changed: true, seq: await recordAccessEvent(tx, user.id, menteeId, 'assign', now) }
  })
}

/** Ends the assignment and its share: the Pate's next pull evicts the mentee and its records. */
export async function unassign(db: Database, username: string, menteeId: string, now: number = Date.now()): Promise<AccessChange> {
  requireMenteeId(menteeId)
  return db.transaction(async (tx) => {
    const user = await requirePate(tx, username)
    // The share goes too: sensitive fields of a mentee one no longer mentors are nobody's business.
    await tx.query('DELETE FROM shares WHERE user_id = $1 AND mentee_id = $2', [user.id, menteeId])
    const { rows } = await tx.query(
      'DELETE FROM assignments WHERE user_id = $1 AND mentee_id = $2 RETURNING user_id',
      [user.id, menteeId],
    )
    if (rows.length === 0) return { changed: false, seq: null }
    return { changed: true, seq: await recordAccessEvent(tx, user.id, menteeId, 'unassign', now) }
  })
}

/** Lets an assigned Pate see and edit the mentee's sensitive fields. */
export async function share(db: Database, username: string, menteeId: string, now: number = Date.now()): Promise<AccessChange> {
  requireMenteeId(menteeId)
  return db.transaction(async (tx) => {
    const user = await requirePate(tx, username)
    await requireLiveMentee(tx, menteeId)
    const { rows: assigned } = await tx.query(
      'SELECT 1 FROM assignments WHERE user_id = $1 AND mentee_id = $2',
      [user.id, menteeId],
    )
    if (assigned.length === 0) {
      throw new AccountError('invalid', `${user.username} is not assigned to mentee ${menteeId}; assign first.`)
    }
    const { rows } = await tx.query(
      `INSERT INTO shares (user_id, mentee_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING user_id`,
      [user.id, menteeId, new Date(now)],
    )
    if (rows.length === 0) return { changed: false, seq: null }
    return { changed: true, seq: await recordAccessEvent(tx, user.id, menteeId, 'share', now) }
  })
}

/** Takes the sensitive fields back: the Pate keeps the mentee without them. */
export async function unshare(db: Database, username: string, menteeId: string, now: number = Date.now()): Promise<AccessChange> {
  requireMenteeId(menteeId)
  return db.transaction(async (tx) => {
    const user = await requirePate(tx, username)
    const { rows } = await tx.query(
      'DELETE FROM shares WHERE user_id = $1 AND mentee_id = $2 RETURNING user_id',
      [user.id, menteeId],
    )
    if (rows.length === 0) return { changed: false, seq: null }
    return { changed: true, seq: await recordAccessEvent(tx, user.id, menteeId, 'unshare', now) }
  })
}

// ---------------------------------------------------------------------------------------------
// Sessions

export interface SignInInput {
  username: string
  password: string
  deviceName: string
  /** The client's IP address, for the per-address limit. */
  address: string
  now?: number
}

function capForStorage(value: string): string {
  return value.slice(0, MAX_STORED_ATTEMPT_LENGTH)
}

/**
 * Seconds until fewer than MAX_LOGIN_FAILURES failures of `column` = `value` remain within the
 * window, or 0 when the limit is not reached.
 */
async function secondsUntilAllowed(
  db: Queryable,
  column: 'username_hash' | 'address',
  value: string,
  now: number,
): Promise<number> {
  // The MAX-th most recent failure: once it leaves the window, fewer than MAX remain.
  const { rows } = await db.query<{ at: Date }>(
    `SELECT at FROM login_failures WHERE ${column} = $1 AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1`,
    [value, new Date(now - LOGIN_FAILURE_WINDOW_MS), MAX_LOGIN_FAILURES - 1],
  )
  const limiting = rows[0]
  if (!limiting) return 0
  return Math.max(1, Math.ceil((limiting.at.getTime() + LOGIN_FAILURE_WINDOW_MS - now) / 1000))
}

/** The typed username is kept only as its keyed hash (`usernameLimitKey`), never in the clear. */
async function recordFailure(db: Queryable, username: string, address: string, now: number): Promise<void> {
  await db.query('INSERT INTO login_failures (username_hash, address, at) VALUES ($1, $2, $3)', [
    usernameLimitKey(username),
    capForStorage(address),
    new Date(now),
  ])
}

/**
 * Checks the password and opens a session on a new device. A wrong password, an unknown username
 * and a disabled account give the same answer in about the same time. After MAX_LOGIN_FAILURES
 * failures for one username or from one address within the window, further attempts are refused
 * without checking the password (and are not counted, so the wait does not grow).
 */
export async function signIn(db: Queryable, input: SignInInput): Promise<SignInResult> {
  const now = input.now ?? Date.now()
  const username = input.username.trim().toLowerCase()
  const address = input.address

  const retryAfterSeconds = Math.max(
    await secondsUntilAllowed(db, 'username_hash', usernameLimitKey(username), now),
    await secondsUntilAllowed(db, 'address', capForStorage(address), now),
  )
  const { rows } = USERNAME_PATTERN.test(username)
    ? await db.query<UserRow>('SELECT * FROM users WHERE username = $1', [username])
    : { rows: [] as UserRow[] }
  const row = rows[0]
  // The account's id, for the audit log of failures (never the typed name).
  const userId = row ? { userId: row.id } : {}
  if (retryAfterSeconds > 0) return { ok: false, reason: 'too_many_requests', retryAfterSeconds, ...userId }

  // No stored password is this long (createUser caps it), so such a one cannot match.
  const tooLong = input.password.length > MAX_PASSWORD_LENGTH * 2
  let passwordMatches: boolean
  try {
    passwordMatches =
      row && !tooLong
        ? await verifyPassword(input.password, row.password_hash, { refuseWhenBusy: true })
        : await dummyVerify(input.password.slice(0, MAX_PASSWORD_LENGTH), { refuseWhenBusy: true })
  } catch (error) {
    // Too many sign-ins waiting for their password check: come back later. Not a failed attempt.
    if (error instanceof PasswordCheckBusy) return { ok: false, reason: 'too_many_requests', retryAfterSeconds: error.retryAfterSeconds, ...userId }
    throw error
  }
  if (!row || !passwordMatches || row.disabled_at !== null) {
    await recordFailure(db, username, address, now)
    return { ok: false, reason: 'invalid_credentials', ...userId }
  }

  if (passwordNeedsRehash(row.password_hash)) {
    await db.query('UPDATE users SET password_hash = $2 WHERE id = $1', [row.id, await hashPassword(input.password)])
  }

  const token = randomBytes(TOKEN_BYTES).toString('base64url')
  const deviceId = randomUUID()
  const deviceName = input.deviceName.trim().slice(0, MAX_NAME_LENGTH) || 'Unnamed device'
  await db.query(
    `INSERT INTO devices (id, user_id, name, token_hash, created_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $5)`,
    [deviceId, row.id, deviceName, hashToken(token), new Date(now)],
  )
  return { ok: true, token, deviceId, user: toUser(row) }
}

/**
 * The user and device behind a session token. A revoked device, or one of a disabled user, is
 * `device_revoked` (the app should forget its data); an unknown token or a signed-out device is
 * `unauthorized` (sign in again).
 */
export async function authenticate(db: Queryable, token: string, now: number = Date.now()): Promise<AuthenticateResult> {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return { error: 'unauthorized' }
  const { rows } = await db.query<
    DeviceRow & { ack_seq: number; clamped_stamps: number } & Pick<UserRow, 'username' | 'display_name' | 'role' | 'team_id' | 'disabled_at'>
  >(
    `SELECT d.id, d.user_id, d.name, d.ack_seq, d.clamped_stamps, d.created_at, d.last_seen_at,
            d.revoked_at, d.ended_at, u.username, u.display_name, u.role, u.team_id, u.disabled_at
       FROM devices d JOIN users u ON u.id = d.user_id
      WHERE d.token_hash = $1`,
    [hashToken(token)],
  )
  const row = rows[0]
  if (!row) return { error: 'unauthorized' }
  if (row.revoked_at !== null || row.disabled_at !== null) return { error: 'device_revoked' }
  if (row.ended_at !== null) return { error: 'unauthorized' }

  if (row.last_seen_at === null || now - row.last_seen_at.getTime() >= LAST_SEEN_RESOLUTION_MS) {
    await db.query(
      'UPDATE devices SET last_seen_at = $2 WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at <= $3)',
      [row.id, new Date(now), new Date(now - LAST_SEEN_RESOLUTION_MS)],
    )
  }
  return {
    user: toUser({ id: row.user_id, username: row.username, display_name: row.display_name, role: row.role, team_id: row.team_id }),
    device: { id: row.id, userId: row.user_id, name: row.name, ackSeq: row.ack_seq, clampedStamps: row.clamped_stamps },
  }
}

/** Signs the device out: its token stops working (`unauthorized`). True when it was active. */
export async function endSession(db: Queryable, deviceId: string, now: number = Date.now()): Promise<boolean> {
  if (!isUuid(deviceId)) return false
  const { rows } = await db.query(
    'UPDATE devices SET ended_at = $2 WHERE id = $1 AND ended_at IS NULL RETURNING id',
    [deviceId, new Date(now)],
  )
  return rows.length > 0
}

/** Deletes recorded sign-in failures older than `olderThan`; returns how many. */
export async function purgeLoginFailures(db: Queryable, olderThan: Date): Promise<number> {
  const { rows } = await db.query('DELETE FROM login_failures WHERE at < $1 RETURNING id', [olderThan])
  return rows.length
}
