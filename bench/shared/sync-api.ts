/**
 * What the sync benchmark page (bench/browser/sync-entry.ts, served by the endpoint itself under
 * /__bench/) exposes on `window`, and what bench/sync.ts calls through Playwright. Types only.
 */
import type { User } from '../../src/shared/protocol'
import type { Appointment, Mentee, Note } from '../../src/shared/records'

/** The device passphrase of the benchmark's (made-up) coach: the app asks for it on every start. */
export const BENCH_PASSPHRASE = 'bench passphrase, made up'

/** The shape of `StoredSession` in src/db/sync-store.ts (restated: that module needs the app's `@` alias). */
export interface BenchSession {
  token: string
  deviceId: string
  user: User
}

export interface SignInResult {
  deviceId: string
  userId: string
  /** POST /api/v1/session and saveSession, for the record (not part of the sync figures). */
  ms: number
}

export interface SyncRun {
  /**
   * `syncOnce` from its call to its return: push (skipped when the outbox is empty), all pulls,
   * all applied pages. When stopped at the deadline: up to the end of the last applied page.
   */
  ms: number
  /** False when the deadline stopped the sync before its last page (see `sync`). */
  completed: boolean
  pushed: number
  pulled: number
  pushRequests: number
  pullRequests: number
  /**
   * Inside `SyncClient.push` / `.pull`: request, the server's work, transfer and JSON parsing.
   * Pulls overlap applying (the engine asks for the next page while it applies one).
   */
  pushMs: number
  pullMs: number
  /** Summed over the pages: how long the engine waited for a page, and how long it applied them. */
  pullWaitMs: number
  applyMs: number
  /** The page size the engine asks for (`PULL_PAGE_SIZE`). */
  pageSize: number
  /** What the app's database holds afterwards. */
  mentees: number
  notes: number
  /**
   * Per pulled page (engine's `PullObserver`): ms the engine waited for it once ready for it, and
   * ms applying it; `pageCallMs`: ms inside each `SyncClient.pull` call (overlapping the applies).
   */
  pagePullMs: number[]
  pageApplyMs: number[]
  pageCallMs: number[]
  /** Per pulled page: bytes over the wire (Resource Timing `transferSize`: headers + encoded body). */
  pageWireBytes: number[]
}

export interface BaselineRun {
  /** Raw Dexie `bulkPut` of the same rows into an empty database with the app's schema. */
  ms: number
  mentees: number
  notes: number
}

export interface LotseSyncBenchApi {
  /** Deletes the app's database (and the baseline's): the next sync starts from empty. */
  reset(): Promise<void>
  /** Stores a session without signing in: lets the app open on Today (first screen, cold start). */
  storeSession(session: BenchSession): Promise<void>
  signIn(username: string, password: string): Promise<SignInResult>
  /**
   * `syncOnce` into the app's database. With `deadlineMs`, a pull that would start later than that
   * after the start is not made (the client throws instead): the pages applied so far stay.
   */
  sync(deadlineMs?: number): Promise<SyncRun>
  /** Stores records as the app does (sealed with the device's key), for the cold start. */
  seedRecords(records: { mentees: readonly Mentee[]; notes: readonly Note[]; appointments: readonly Appointment[] }): Promise<number>
  /** Stores a pull cursor as the engine does after a page, for a device that is caught up. */
  setCursor(cursor: string): Promise<void>
  baseline(menteeCount: number, notesPerMentee: number, today: string): Promise<BaselineRun>
  /** A field of a mentee in the app's database (to check an incremental sync arrived). */
  menteeField(id: string, field: string): Promise<unknown>
}

declare global {
  interface Window {
    lotseSyncBench?: LotseSyncBenchApi
  }
}
