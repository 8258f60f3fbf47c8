/**
 * Browser side of the sync benchmark: the app's real sync path (`syncOnce` with a `SyncClient`,
 * the session stored with `saveSession`, pages applied by `applyPulledPage` into the app's Dexie
 * database) and the baseline (raw `bulkPut` of the same rows). Bundled by bench/sync.ts into the
 * copy of dist/ the endpoint serves, under /__bench/, so its fetches go to the same origin.
 */
import { Dexie } from 'dexie'
import { defineSchema, deleteLocalDatabase, getDatabase, type LotseDatabase } from '@/db/db'
import { createKeyring, hasKeyring, isUnlocked, unlock } from '@/db/keyring'
import { readSession, saveSession, type StoredSession } from '@/db/sync-store'
import type { PullResponse, PushRequest, PushResponse } from '@/shared/protocol'
import type { Mentee } from '@/shared/records'
import { SyncClient } from '@/sync/client'
import { PULL_PAGE_SIZE, syncOnce, type PullObserver } from '@/sync/engine'
import { generateMentees, generateNotes } from '../shared/data'
import { BENCH_PASSPHRASE, type BaselineRun, type LotseSyncBenchApi, type SignInResult, type SyncRun } from '../shared/sync-api'
import type { Appointment, Note } from '@/shared/records'

const BASELINE_DATABASE = 'lotse-bench-baseline'

/** The setting key under which src/db/sync-store.ts keeps the cursor (checked by the benchmark). */
const CURSOR_KEY = 'syncCursor'

class DeadlineReached extends Error {}

/**
 * The real client; only counts and times its calls, and refuses to pull after a deadline. The
 * engine asks for the next page while it applies one, so time inside `pull` overlaps applying;
 * what the engine waited for and what it applied comes from its `PullObserver`.
 */
class TimedSyncClient extends SyncClient implements PullObserver {
  pushRequests = 0
  pullRequests = 0
  pushMs = 0
  pullMs = 0
  readonly pagePullMs: number[] = []
  readonly pageApplyMs: number[] = []
  readonly pageCallMs: number[] = []

  pageApplied(page: { waitMs: number; applyMs: number }): void {
    this.pagePullMs.push(page.waitMs)
    this.pageApplyMs.push(page.applyMs)
  }

  constructor(
    token: string,
    private readonly deadline = Number.POSITIVE_INFINITY,
  ) {
    super(token)
  }

  override async push(request: PushRequest): Promise<PushResponse> {
    const t0 = performance.now()
    try {
      return await super.push(request)
    } finally {
      this.pushRequests += 1
      this.pushMs += performance.now() - t0
    }
  }

  override async pull(cursor: string | undefined, limit: number): Promise<PullResponse> {
    const t0 = performance.now()
    if (t0 > this.deadline) throw new DeadlineReached('deadline reached')
    try {
      return await super.pull(cursor, limit)
    } finally {
      const t1 = performance.now()
      this.pullRequests += 1
      this.pullMs += t1 - t0
      this.pageCallMs.push(t1 - t0)
    }
  }
}

/** The app's data is sealed: this page holds the key as the app does after unlock. */
async function ensureUnlocked(): Promise<void> {
  if (!(await hasKeyring())) await createKeyring(BENCH_PASSPHRASE)
  else if (!isUnlocked() && !(await unlock(BENCH_PASSPHRASE)).ok) throw new Error('the bench passphrase did not unlock')
}

async function reset(): Promise<void> {
  await deleteLocalDatabase()
  await Dexie.delete(BASELINE_DATABASE)
  await ensureUnlocked()
}

async function seedRecords(records: { mentees: readonly Mentee[]; notes: readonly Note[]; appointments: readonly Appointment[] }): Promise<number> {
  await ensureUnlocked()
  const db = getDatabase()
  await db.transaction('rw', [db.mentees, db.notes, db.appointments], async () => {
    await db.mentees.bulkPut([...records.mentees])
    await db.notes.bulkPut([...records.notes])
    await db.appointments.bulkPut([...records.appointments])
  })
  const count = await db.mentees.count()
  db.close()
  return count
}

async function storeSession(session: StoredSession): Promise<void> {
  await ensureUnlocked()
  await saveSession(session)
  // Let the app (another page) have the database to itself.
  getDatabase().close()
}

async function signIn(username: string, password: string): Promise<SignInResult> {
  await ensureUnlocked()
  const t0 = performance.now()
  const response = await new SyncClient().signIn({ username, password, deviceName: 'Lotse benchmark' })
  await saveSession({ token: response.token, deviceId: response.deviceId, user: response.user })
  return { deviceId: response.deviceId, userId: response.user.id, ms: performance.now() - t0 }
}

async function sync(deadlineMs?: number): Promise<SyncRun> {
  await ensureUnlocked()
  const session = await readSession()
  if (!session) throw new Error('sign in first')
  // Room for one entry per pull (the default buffer holds 250), and none left from earlier syncs.
  performance.setResourceTimingBufferSize(10_000)
  performance.clearResourceTimings()
  const t0 = performance.now()
  const client = new TimedSyncClient(session.token, deadlineMs === undefined ? undefined : t0 + deadlineMs)
  let report: Awaited<ReturnType<typeof syncOnce>> | undefined
  let end: number
  try {
    report = await syncOnce(client, session.deviceId, client)
    end = performance.now()
  } catch (error) {
    if (!(error instanceof DeadlineReached)) throw error
    // The refused pull was asked for while the last page was applied: it ends with that page.
    end = performance.now()
  }
  const ms = end - t0
  const db = getDatabase()
  const [mentees, notes] = [await db.mentees.count(), await db.notes.count()]
  const pageWireBytes = performance
    .getEntriesByType('resource')
    .filter((entry): entry is PerformanceResourceTiming => entry instanceof PerformanceResourceTiming)
    .filter((entry) => new URL(entry.name).pathname === '/api/v1/sync/pull')
    .map((entry) => entry.transferSize)
  return {
    ms,
    completed: report !== undefined,
    pushed: report?.pushed ?? 0,
    // Stopped: every record pulled so far is one change applied (nothing was deleted).
    pulled: report?.pulled ?? mentees + notes,
    pushRequests: client.pushRequests,
    pullRequests: client.pullRequests,
    pushMs: client.pushMs,
    pullMs: client.pullMs,
    pullWaitMs: client.pagePullMs.reduce((sum, v) => sum + v, 0),
    applyMs: client.pageApplyMs.reduce((sum, v) => sum + v, 0),
    pageSize: PULL_PAGE_SIZE,
    mentees,
    notes,
    pagePullMs: client.pagePullMs,
    pageApplyMs: client.pageApplyMs,
    pageCallMs: client.pageCallMs,
    pageWireBytes,
  }
}

async function setCursor(cursor: string): Promise<void> {
  await ensureUnlocked()
  await getDatabase().settings.put({ key: CURSOR_KEY, value: cursor })
}

async function baseline(menteeCount: number, notesPerMentee: number, today: string): Promise<BaselineRun> {
  // What applying a pulled upsert stores: the record's fields, its id, createdAt and updatedAt.
  const mentees = generateMentees({ count: menteeCount, today })
  const notes = generateNotes(mentees, notesPerMentee, today)
  await Dexie.delete(BASELINE_DATABASE)
  // The app's schema, raw: no encryption at rest (what a plain Dexie bulkPut costs).
  const db = new Dexie(BASELINE_DATABASE) as LotseDatabase
  defineSchema(db)
  await db.open()
  const t0 = performance.now()
  await db.mentees.bulkPut(mentees)
  await db.notes.bulkPut(notes)
  const ms = performance.now() - t0
  const result = { ms, mentees: await db.mentees.count(), notes: await db.notes.count() }
  db.close()
  await Dexie.delete(BASELINE_DATABASE)
  return result
}

async function menteeField(id: string, field: string): Promise<unknown> {
  await ensureUnlocked()
  const mentee = await getDatabase().mentees.get(id)
  return mentee ? (mentee as unknown as Record<string, unknown>)[field as keyof Mentee] : undefined
}

const api: LotseSyncBenchApi = { reset, storeSession, signIn, sync, seedRecords, setCursor, baseline, menteeField }
window.lotseSyncBench = api
document.body.dataset.ready = 'true'
