import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import { deleteLocalDatabase } from '@/db/db'
import { isUnlocked, wipeLocalData } from '@/db/keyring'
import { onLocalWrite } from '@/db/outbox'
import { restoreFieldValue } from '@/db/repositories/restore'
import {
  dismissRejection,
  listRejections,
  outboxSummary,
  readLastSyncAt,
  readSession,
  saveSession,
  type StoredSession,
} from '@/db/sync-store'
import type { Rejection } from '@/db/db'
import type { ConflictEntry, ErasureResponse, MenteeExport, ReportResponse } from '@/shared/protocol'
import type { ReportPeriod } from '@/shared/reports'
import { EndpointError, NetworkError, SyncClient } from '@/sync/client'
import { syncOnce } from '@/sync/engine'
import { browserEnvironment, LOCAL_WRITE_DELAY_MS, SyncScheduler } from '@/sync/schedule'
import { useFairsStore } from './fairs'
import { useLockStore } from './lock'
import { useMenteesStore } from './mentees'

export type SyncProblem = 'offline' | 'signedOut' | 'revoked' | 'upgrade' | 'unavailable' | null
/** Why an export or erasure did not happen. */
export type DataProtectionProblem = 'offline' | 'signedOut' | 'forbidden' | 'notFound' | 'unavailable'
export type DataProtectionResult<T> = { ok: true; value: T } | { ok: false; problem: DataProtectionProblem }

export type SignInProblem = 'invalidCredentials' | 'tooManyAttempts' | 'tryAgainShortly' | 'offline' | 'unavailable'

/** Retry-After up to this is a busy endpoint, longer is the limit on failed attempts. */
const SHORT_WAIT_SECONDS = 60

/**
 * The session with the municipal endpoint and the state of sync: what waits to be sent, when sync
 * last worked, what was refused and which of the user's values lost a conflict.
 */
export const useSyncStore = defineStore('sync', () => {
  const session = shallowRef<StoredSession | null>(null)
  const syncing = shallowRef(false)
  const lastSyncAt = shallowRef<number | null>(null)
  const pendingCount = shallowRef(0)
  const oldestPendingAt = shallowRef<number | null>(null)
  const problem = shallowRef<SyncProblem>(null)
  const rejections = shallowRef<Rejection[]>([])
  const conflicts = shallowRef<ConflictEntry[]>([])
  /** Grows whenever sync changed local data, so screens that show it can read it again. */
  const revision = shallowRef(0)

  const client = new SyncClient()
  let scheduler: SyncScheduler | undefined
  const stopListening: (() => void)[] = []

  async function refreshLocalState(): Promise<void> {
    const [summary, last, refused] = await Promise.all([outboxSummary(), readLastSyncAt(), listRejections()])
    pendingCount.value = summary.count
    oldestPendingAt.value = summary.oldestAt
    lastSyncAt.value = last ?? null
    rejections.value = refused
  }

  function classify(error: unknown): SyncProblem {
    if (error instanceof NetworkError) return 'offline'
    if (error instanceof EndpointError) {
      if (error.code === 'device_revoked') return 'revoked'
      if (error.status === 401) return 'signedOut'
      if (error.code === 'upgrade_required') return 'upgrade'
    }
    return 'unavailable'
  }

  async function runSync(): Promise<void> {
    const current = session.value
    if (!current) return
    syncing.value = true
    try {
      const report = await syncOnce(client, current.deviceId)
      problem.value = null
      if (report.changedTables.size > 0) {
        await useMenteesStore().reload()
        if (report.changedTables.has('events') || report.changedTables.has('leads')) await useFairsStore().refresh()
        revision.value += 1
      }
      if (report.superseded.length > 0) void loadConflicts()
    } catch (error) {
      problem.value = classify(error)
      if (problem.value === 'revoked') await wipeDevice()
      throw error
    } finally {
      syncing.value = false
      await refreshLocalState().catch(() => undefined)
    }
  }

  /** Starts syncing on its own: now, on reconnect, on becoming visible, after writes, every minute. */
  function startAutomaticSync(): void {
    if (scheduler || !session.value) return
    scheduler = new SyncScheduler(runSync, browserEnvironment())
    const onOnline = () => scheduler?.request('online')
    const onOffline = () => {
      problem.value = 'offline'
    }
    const onVisible = () => {
      if (document.visibilityState === 'visible') scheduler?.request('visible')
    }
    window.addEventListener('online', onOnline)
    window.addEventListener('offline', onOffline)
    document.addEventListener('visibilitychange', onVisible)
    stopListening.push(
      () => window.removeEventListener('online', onOnline),
      () => window.removeEventListener('offline', onOffline),
      () => document.removeEventListener('visibilitychange', onVisible),
      onLocalWrite(() => {
        void refreshLocalState().catch(() => undefined)
        scheduler?.request('localWrite', LOCAL_WRITE_DELAY_MS)
      }),
    )
    if (!navigator.onLine) problem.value = 'offline'
    scheduler.request('start')
  }

  function stopAutomaticSync(): void {
    scheduler?.stop()
    scheduler = undefined
    for (const stop of stopListening.splice(0)) stop()
  }

  /** Reads the stored session; the app opens offline with it after the first sign-in. */
  async function restore(): Promise<void> {
    session.value = (await readSession()) ?? null
    client.useToken(session.value?.token)
    await refreshLocalState()
  }

  async function signIn(username: string, password: string, deviceName: string): Promise<SignInProblem | null> {
    try {
      const response = await client.signIn({ username, password, deviceName })
      const previous = session.value ?? (await readSession().catch(() => undefined))
      // Another person's data must not stay on a device handed on to someone else.
      if (previous && previous.user.id !== response.user.id) {
        await deleteLocalDatabase()
        useFairsStore().clear()
        await useMenteesStore().reload()
        revision.value += 1
      }
      const next: StoredSession = { token: response.token, deviceId: response.deviceId, user: response.user }
      session.value = next
      client.useToken(next.token)
      problem.value = null
      // The session is stored sealed, so on a device without a passphrase yet it waits in memory
      // for the first one (`persistSession`), and sync starts then.
      if (isUnlocked()) await persistSession()
      return null
    } catch (error) {
      if (error instanceof EndpointError) {
        if (error.status === 401) return 'invalidCredentials'
        // A short wait is the endpoint's sign-in line being full (or a limit about to end): not
        // the user's fault, and not worth telling them about failed attempts.
        if (error.status === 429) return (error.retryAfterSeconds ?? Infinity) <= SHORT_WAIT_SECONDS ? 'tryAgainShortly' : 'tooManyAttempts'
        return 'unavailable'
      }
      return 'offline'
    }
  }

  /** Stores the session (sealed: the device has its passphrase by now) and starts syncing. */
  async function persistSession(): Promise<void> {
    if (!session.value) return
    await saveSession(session.value)
    startAutomaticSync()
  }

  /** On lock: stops syncing and forgets the session and everything read from the database. */
  function suspend(): void {
    stopAutomaticSync()
    session.value = null
    client.useToken(undefined)
    rejections.value = []
    conflicts.value = []
  }

  /** Syncs now, and waits for it; returns whether it worked. */
  async function syncNow(): Promise<boolean> {
    if (!scheduler) startAutomaticSync()
    await scheduler?.idle()
    try {
      await runSync()
      return true
    } catch {
      return false
    }
  }

  /**
   * Signs out and removes this user's data from the device. Refuses while changes are unsent,
   * unless the user confirmed losing them (`discardUnsent`).
   */
  async function signOut(discardUnsent = false): Promise<{ unsent: number } | null> {
    await refreshLocalState()
    if (pendingCount.value > 0 && !discardUnsent) return { unsent: pendingCount.value }
    stopAutomaticSync()
    await client.signOut().catch(() => undefined)
    await wipeDevice()
    return null
  }

  async function wipeDevice(): Promise<void> {
    stopAutomaticSync()
    // The database with the wrapped key, and every cache but the app's own code (issue 5: a
    // sign-out or a revoked device leaves no personal data behind, as ten wrong passphrases do).
    await wipeLocalData()
    useLockStore().forget()
    useFairsStore().clear()
    session.value = null
    client.useToken(undefined)
    await useMenteesStore().reload()
    await refreshLocalState()
    revision.value += 1
  }

  async function dismiss(rejection: Rejection): Promise<void> {
    if (rejection.id !== undefined) await dismissRejection(rejection.id)
    await refreshLocalState()
  }

  /** The values of this user that lost a conflict (needs a connection). */
  async function loadConflicts(): Promise<boolean> {
    const me = session.value?.user.id
    if (!me) return false
    try {
      const response = await client.conflicts()
      conflicts.value = response.conflicts.filter((conflict) => conflict.lostBy.userId === me)
      return true
    } catch {
      return false
    }
  }

  async function restoreConflict(conflict: ConflictEntry): Promise<void> {
    await restoreFieldValue(conflict.table, conflict.recordId, conflict.field, conflict.value)
    conflicts.value = conflicts.value.filter((entry) => entry.id !== conflict.id)
    await useMenteesStore().reload()
    revision.value += 1
  }

  /** Asks the endpoint; these need a connection, there is no offline queue for them. */
  async function askEndpoint<T>(work: () => Promise<T>): Promise<DataProtectionResult<T>> {
    if (!session.value) return { ok: false, problem: 'signedOut' }
    try {
      return { ok: true, value: await work() }
    } catch (error) {
      if (error instanceof NetworkError) return { ok: false, problem: 'offline' }
      if (error instanceof EndpointError) {
        if (error.code === 'device_revoked') {
          problem.value = 'revoked'
          await wipeDevice()
          return { ok: false, problem: 'signedOut' }
        }
        if (error.status === 401) return { ok: false, problem: 'signedOut' }
        if (error.status === 403) return { ok: false, problem: 'forbidden' }
        if (error.status === 404) return { ok: false, problem: 'notFound' }
      }
      return { ok: false, problem: 'unavailable' }
    }
  }

  /** The municipality's figures for funders, counted by the endpoint (coordinators only). */
  function fetchReport(period: ReportPeriod): Promise<DataProtectionResult<ReportResponse>> {
    return askEndpoint(() => client.report(period))
  }

  /** Everything the endpoint stores about the mentee that this user may see (Art. 15). */
  function exportMentee(menteeId: string): Promise<DataProtectionResult<MenteeExport>> {
    return askEndpoint(() => client.exportMentee(menteeId))
  }

  /**
   * Erases the mentee on the endpoint (Art. 17) and starts a sync, so this device removes the
   * records at once; every other device removes them at its next sync.
   */
  async function eraseMentee(menteeId: string): Promise<DataProtectionResult<ErasureResponse>> {
    const result = await askEndpoint(() => client.eraseMentee(menteeId))
    // Not awaited: the caller leaves the erased person's screen at once, and sync removes the records.
    if (result.ok) void syncNow()
    return result
  }

  return {
    session,
    syncing,
    lastSyncAt,
    pendingCount,
    oldestPendingAt,
    problem,
    rejections,
    conflicts,
    revision,
    restore,
    signIn,
    persistSession,
    suspend,
    signOut,
    syncNow,
    startAutomaticSync,
    stopAutomaticSync,
    refreshLocalState,
    dismiss,
    loadConflicts,
    restoreConflict,
    exportMentee,
    eraseMentee,
    fetchReport,
  }
})
