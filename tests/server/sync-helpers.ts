/**
 * Helpers for the sync API tests: a real server on loopback with a clock the test can move, users
 * of every role, and a test device that numbers its mutations and stamps them like the app does.
 * Every request asserts that the answer is not a 5xx: nothing a client sends may cause one.
 */
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildServer } from '../../server/app'
import { createTeam, createUser } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import { HybridLogicalClock } from '../../src/shared/hlc'
import {
  PROTOCOL_SCHEMA_VERSION,
  type Change,
  type Mutation,
  type PullResponse,
  type PushResponse,
  type Role,
  type SessionResponse,
} from '../../src/shared/protocol'
import type { SyncedTable } from '../../src/shared/records'

export const PASSWORD = 'correct horse battery'
/** Opening PGlite (WebAssembly) and hashing passwords take seconds on a busy machine. */
export const SETUP_TIMEOUT_MS = 60_000
/** Some tests make hundreds of calls; vitest's 5 s default is too tight when files run in parallel. */
export const TEST_TIMEOUT_MS = 30_000

/** The server's clock: real time plus `offsetMs`, or exactly `fixed` when set. */
export class TestClock {
  offsetMs = 0
  fixed: number | undefined
  readonly now = (): number => this.fixed ?? Date.now() + this.offsetMs
}

export interface RunningServer {
  app: FastifyInstance
  baseUrl: string
  clock: TestClock
}

export async function startServer(db: Database, clock = new TestClock()): Promise<RunningServer> {
  // No build needed: the API answers without one (the app shell would answer 503).
  const app = await buildServer({ distDir: path.join(os.tmpdir(), 'lotse-no-build'), db, now: clock.now })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { app, baseUrl: `http://127.0.0.1:${port}`, clock }
}

export interface Answer<T = unknown> {
  status: number
  body: T
  headers: Headers
}

/** Any request; the body is sent as given when it is a string, else as JSON. */
export async function call<T = unknown>(
  server: RunningServer,
  method: string,
  urlPath: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  let body: string | undefined
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    headers['content-type'] ??= 'application/json'
  }
  const response = await fetch(`${server.baseUrl}${urlPath}`, { method, headers, body })
  const text = await response.text()
  expect(response.status, `${method} ${urlPath} answered ${response.status}: ${text.slice(0, 300)}`).toBeLessThan(500)
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers }
}

export interface TestUsers {
  teamA: string
  teamB: string
  /** username by role name used in the tests */
  coordinator: string
  coachA: string
  coachA2: string
  coachB: string
  pate: string
  pate2: string
  guide: string
}

let userCounter = 0

/** A new team and user of each role; unique names, so one database can hold several sets. */
export async function createTestUsers(db: Database): Promise<TestUsers> {
  const suffix = `${process.pid}${(userCounter += 1)}`
  const teamA = `Nord ${suffix}`
  const teamB = `Sued ${suffix}`
  await createTeam(db, teamA)
  await createTeam(db, teamB)
  const make = async (name: string, role: Role, teamName?: string) => {
    const username = `${name}${suffix}`
    await createUser(db, { username, displayName: `${name} display`, role, teamName, password: PASSWORD })
    return username
  }
  const [coordinator, coachA, coachA2, coachB, pate, pate2, guide] = await Promise.all([
    make('coordinator', 'coordinator'),
    make('coacha', 'coach', teamA),
    make('coacha2-', 'coach', teamA),
    make('coachb', 'coach', teamB),
    make('pate', 'pate', teamA),
    make('pate2-', 'pate', teamA),
    make('guide', 'guide'),
  ])
  return { teamA, teamB, coordinator, coachA, coachA2, coachB, pate, pate2, guide }
}

/** A team of its own with one coach and one Pate, for tests that count everything in scope. */
export async function createLoneTeam(db: Database): Promise<{ team: string; coach: string; pate: string }> {
  const suffix = `${process.pid}${(userCounter += 1)}`
  const team = `Team ${suffix}`
  await createTeam(db, team)
  const [coach, pate] = [`lonecoach${suffix}`, `lonepate${suffix}`]
  await Promise.all([
    createUser(db, { username: coach, role: 'coach', teamName: team, password: PASSWORD }),
    createUser(db, { username: pate, role: 'pate', teamName: team, password: PASSWORD }),
  ])
  return { team, coach, pate }
}

export async function signIn(server: RunningServer, username: string, deviceName = 'test device'): Promise<SessionResponse> {
  const answer = await call<SessionResponse>(server, 'POST', '/api/v1/session', {
    body: { username, password: PASSWORD, deviceName },
  })
  expect(answer.status).toBe(201)
  return answer.body
}

type UpsertMutation = Extract<Mutation, { op: 'upsert' }>
type DeleteMutation = Extract<Mutation, { op: 'delete' }>

/** A signed-in device: its own seq line and hybrid logical clock, as the app keeps them. */
export class TestDevice {
  private seq = 0
  readonly clock: HybridLogicalClock

  constructor(
    readonly server: RunningServer,
    readonly session: SessionResponse,
    wallClock: () => number = Date.now,
  ) {
    this.clock = new HybridLogicalClock(randomUUID(), wallClock)
  }

  static async signIn(server: RunningServer, username: string, wallClock?: () => number): Promise<TestDevice> {
    return new TestDevice(server, await signIn(server, username), wallClock)
  }

  get token(): string {
    return this.session.token
  }

  upsert(table: SyncedTable, id: string, fields: Record<string, unknown>, hlc = this.clock.now()): UpsertMutation {
    return { seq: (this.seq += 1), table, id, op: 'upsert', fields, hlc }
  }

  delete(table: SyncedTable, id: string, hlc = this.clock.now()): DeleteMutation {
    return { seq: (this.seq += 1), table, id, op: 'delete', hlc }
  }

  call<T = unknown>(method: string, urlPath: string, body?: unknown): Promise<Answer<T>> {
    return call<T>(this.server, method, urlPath, { token: this.token, body })
  }

  pushRaw(body: unknown): Promise<Answer<PushResponse>> {
    return this.call<PushResponse>('POST', '/api/v1/sync/push', body)
  }

  async push(...mutations: Mutation[]): Promise<PushResponse> {
    const answer = await this.pushRaw({ deviceId: this.session.deviceId, schemaVersion: PROTOCOL_SCHEMA_VERSION, mutations })
    expect(answer.status, JSON.stringify(answer.body)).toBe(200)
    return answer.body
  }

  async pull(cursor?: string, limit?: number): Promise<Answer<PullResponse>> {
    const query = new URLSearchParams()
    if (cursor !== undefined) query.set('cursor', cursor)
    if (limit !== undefined) query.set('limit', String(limit))
    const suffix = query.size > 0 ? `?${query.toString()}` : ''
    return this.call<PullResponse>('GET', `/api/v1/sync/pull${suffix}`)
  }

  /** Pulls pages until `hasMore` is false. */
  async pullAll(cursor?: string, limit?: number): Promise<{ changes: Change[]; cursor: string; through: number; pages: number }> {
    const changes: Change[] = []
    let pages = 0
    for (;;) {
      const answer = await this.pull(cursor, limit)
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      pages += 1
      changes.push(...answer.body.changes)
      cursor = answer.body.cursor
      if (!answer.body.hasMore) return { changes, cursor, through: answer.body.through, pages }
      expect(pages, 'pull does not end').toBeLessThan(10_000)
    }
  }
}

/** The state a device holds after applying `changes` in order, as the app applies them. */
export function applyChanges(changes: readonly Change[]): Map<string, Record<string, unknown>> {
  const state = new Map<string, Record<string, unknown>>()
  for (const change of changes) {
    const key = `${change.table}:${change.id}`
    if (change.op === 'upsert') state.set(key, { ...state.get(key), ...change.fields })
    else state.delete(key)
  }
  return state
}

export function upsertsOf(changes: readonly Change[], table?: SyncedTable): Extract<Change, { op: 'upsert' }>[] {
  return changes.filter(
    (change): change is Extract<Change, { op: 'upsert' }> => change.op === 'upsert' && (table === undefined || change.table === table),
  )
}

export const mentee = (givenName = 'Amira', extra: Record<string, unknown> = {}) => ({
  givenName,
  familyName: 'Test',
  stage: 'firstContact',
  ...extra,
})

export const note = (menteeId: string, text = 'Erstgespräch', extra: Record<string, unknown> = {}) => ({
  menteeId,
  date: '2025-03-01',
  kind: 'talk',
  text,
  ...extra,
})

export const appointment = (menteeId: string, extra: Record<string, unknown> = {}) => ({
  menteeId,
  startsAt: '2025-03-02T10:00',
  place: 'Rathaus',
  type: 'jobcenter',
  ...extra,
})

export const checklistItem = (appointmentId: string, label = 'Pass mitnehmen', extra: Record<string, unknown> = {}) => ({
  appointmentId,
  templateKey: null,
  label,
  done: false,
  position: 0,
  ...extra,
})
