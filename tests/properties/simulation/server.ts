/**
 * The real endpoint for the simulation: `buildServer` on one in-memory PGlite per test worker,
 * with a clock the simulation moves. Opening PGlite (even from the migrated template) takes about a
 * second and a sign-in hashes a password with scrypt (~100 ms), both far too slow per schedule, so:
 * - the database is opened once and emptied between schedules (TRUNCATE, sequence restarted);
 * - the accounts are created once, and each device slot signs in once through the real
 *   `POST /api/v1/session`; between schedules its device row goes back to what a fresh sign-in
 *   leaves (`ack_seq` 0), which is all the endpoint keeps per device besides the token;
 * - the Fastify app is built anew per schedule, so its in-memory rate limiter (calls per device per
 *   minute of the server's clock) starts empty while each schedule's clock starts at the same time.
 */
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { buildServer } from '../../../server/app'
import { createTeam, createUser } from '../../../server/accounts/accounts'
import { openDatabase, type Database } from '../../../server/db/database'
import type { SessionResponse, User } from '../../../src/shared/protocol'
import type { Persona } from './model'

/** Where every schedule's clock starts: a Monday morning. */
export const SIM_EPOCH = Date.UTC(2025, 0, 6, 8, 0, 0)
const PASSWORD = 'simulation only, not a secret'
const TEAM_A = 'Simulation Team A'
const TEAM_B = 'Simulation Team B'
/** Device slots signed in once per worker: `coach1` twice (one user, two devices). */
const SLOTS: readonly Persona[] = ['coach1', 'coach1', 'coach2', 'coachB', 'pate1']
const DIST_DIR = path.join(os.tmpdir(), 'lotse-simulation-no-build')

export interface Slot {
  persona: Persona
  session: SessionResponse
}

export class SimServer {
  /** The server's clock (epoch ms); only the simulation moves it. */
  now = SIM_EPOCH
  private current: FastifyInstance | undefined

  private constructor(
    readonly db: Database,
    readonly slots: readonly Slot[],
    readonly users: Readonly<Record<Persona, User>>,
  ) {}

  static async create(): Promise<SimServer> {
    const db = await openDatabase({ inMemory: true })
    await createTeam(db, TEAM_A)
    await createTeam(db, TEAM_B)
    const team: Record<Persona, string> = { coach1: TEAM_A, coach2: TEAM_A, coachB: TEAM_B, pate1: TEAM_A }
    const role: Record<Persona, 'coach' | 'pate'> = { coach1: 'coach', coach2: 'coach', coachB: 'coach', pate1: 'pate' }
    const users = {} as Record<Persona, User>
    for (const persona of ['coach1', 'coach2', 'coachB', 'pate1'] as const) {
      users[persona] = await createUser(db, {
        username: persona.toLowerCase(),
        displayName: persona,
        role: role[persona],
        teamName: team[persona],
        password: PASSWORD,
      })
    }
    const server = new SimServer(db, [], users)
    const app = await server.buildApp()
    const slots: Slot[] = []
    for (const persona of SLOTS) {
      const answer = await app.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { username: persona.toLowerCase(), password: PASSWORD, deviceName: `simulated ${persona}` },
      })
      if (answer.statusCode !== 201) throw new Error(`sign-in of ${persona} answered ${answer.statusCode}: ${answer.body}`)
      slots.push({ persona, session: answer.json<SessionResponse>() })
    }
    await app.close()
    return new SimServer(db, slots, users)
  }

  private buildApp(): Promise<FastifyInstance> {
    return buildServer({ distDir: DIST_DIR, db: this.db, now: () => this.now })
  }

  get app(): FastifyInstance {
    if (!this.current) throw new Error('no schedule running')
    return this.current
  }

  /** An empty endpoint: no records, conflicts, access changes or purge mark; devices as freshly signed in. */
  async startSchedule(): Promise<void> {
    await this.db.query('TRUNCATE records, conflicts, access_events, assignments, shares, server_state, login_failures, rejected_mutations, purged_records')
    await this.db.query('ALTER SEQUENCE change_seq RESTART')
    await this.db.query(
      'UPDATE devices SET ack_seq = 0, clamped_stamps = 0, last_seen_at = NULL, revoked_at = NULL, ended_at = NULL',
    )
    this.now = SIM_EPOCH
    this.current = await this.buildApp()
  }

  async endSchedule(): Promise<void> {
    await this.current?.close()
    this.current = undefined
  }

  /** The slots for a roster: the n-th use of a persona takes its n-th slot. */
  slotsFor(roster: readonly Persona[]): Slot[] {
    const used = new Map<Persona, number>()
    return roster.map((persona) => {
      const nth = used.get(persona) ?? 0
      used.set(persona, nth + 1)
      const slot = this.slots.filter((s) => s.persona === persona)[nth]
      if (!slot) throw new Error(`no device slot ${nth} for ${persona}`)
      return slot
    })
  }

  async close(): Promise<void> {
    await this.endSchedule()
    await this.db.close()
  }
}
