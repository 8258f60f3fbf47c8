/**
 * A simulated device: the app's own database code, repositories and sync engine on a
 * fake-indexeddb database of its own, with its own skewed wall clock and a faulty network.
 *
 * The app keeps one current database per process (`useDatabase`), so a device's code may only
 * run after `activate()` and devices take turns strictly one at a time (the runner awaits each
 * step). A crash closes the Dexie handle and opens the same database again: what survives is what
 * IndexedDB committed, and the in-memory state (clock, session, client) is rebuilt from it, as the
 * app does on start.
 */
import { Dexie } from 'dexie'
import { setWallClock } from '@/db/clock'
import { openDatabase, useDatabase, type LotseDatabase } from '@/db/db'
import { StorageError, ValidationFailed } from '@/db/errors'
import { addChecklistItem, deleteChecklistItem, setChecklistItemDone } from '@/db/repositories/checklistItems'
import { createAppointment, deleteAppointment, updateAppointment } from '@/db/repositories/appointments'
import { createMentee, deleteMentee, updateMentee } from '@/db/repositories/mentees'
import { deleteNote, saveNote } from '@/db/repositories/notes'
import { restoreFieldValue } from '@/db/repositories/restore'
import { readSession, saveSession, type StoredSession } from '@/db/sync-store'
import type { AppointmentType } from '@/shared/vocabulary'
import { contentOf, emptyMentee, type MenteeFields, type RecordsByTable, type SyncedTable } from '@/shared/records'
import { EndpointError, NetworkError, SyncClient } from '@/sync/client'
import { syncOnce, type SyncReport } from '@/sync/engine'
import type { Edit, Fault, Persona } from './model'
import { POOLS } from './model'
import type { Ledger } from './properties'
import type { SimServer, Slot } from './server'
import type { Network, NetworkPeer } from './transport'

/** `crashed`: the device died during the sync, so nobody saw how the sync ended. */
export type SyncOutcome = { ok: true; report: SyncReport } | { ok: false; error: unknown; crashed: boolean }

const at = <T>(pool: readonly T[], index: number): T => pool[index % pool.length]!

export class SimDevice implements NetworkPeer {
  db!: LotseDatabase
  session!: StoredSession
  private client!: SyncClient
  offline = false
  faults: Fault[] = []
  mangledAnswers = 0
  /** Set by a `crash` fault inside a sync: the database was closed under the running app. */
  private crashed = false
  /** The highest outbox seq already given a write time in the ledger. */
  private lastOutboxSeq = 0

  constructor(
    readonly index: number,
    readonly persona: Persona,
    readonly label: string,
    private readonly dbName: string,
    /** The wall clock's distance from true time; read on every tick, so a change applies at once. */
    public skewMs: number,
    private readonly server: SimServer,
    private readonly network: Network,
    private readonly ledger: Ledger,
  ) {}

  get isCoach(): boolean {
    return this.persona !== 'pate1'
  }

  /** First start: an empty database that holds the session of its sign-in. */
  async boot(slot: Slot): Promise<void> {
    await this.open()
    const { token, deviceId, user } = slot.session
    await saveSession({ token, deviceId, user })
    await this.loadSession()
  }

  private async open(): Promise<void> {
    this.db = openDatabase(this.dbName)
    setWallClock(this.db, () => this.server.now + this.skewMs)
    this.activate()
    await this.db.open()
    this.crashed = false
  }

  private async loadSession(): Promise<void> {
    const session = await readSession()
    if (!session) throw new Error(`${this.label}: no session in its database`)
    this.session = session
    this.client = new SyncClient(session.token, '', this.network.transportFor(this))
  }

  activate(): void {
    useDatabase(this.db)
  }

  crashNow(): void {
    this.crashed = true
    this.db.close()
  }

  /** Dies and starts again from what its database committed. */
  async restart(): Promise<void> {
    this.db.close()
    await this.open()
    await this.loadSession()
  }

  async destroy(): Promise<void> {
    this.db.close()
    await Dexie.delete(this.dbName)
  }

  /** Gives the ledger the true time of each new local write (outbox entries it has not seen). */
  private async noteWrites(): Promise<void> {
    const entries = await this.db.outbox.where('seq').above(this.lastOutboxSeq).toArray()
    for (const entry of entries) {
      this.ledger.writeTimes.set(`${this.index}:${entry.seq}`, this.server.now)
      this.lastOutboxSeq = Math.max(this.lastOutboxSeq, entry.seq ?? 0)
    }
  }

  /** The `index`-th live local record of a table (modulo their number), in id order: ids are deterministic here. */
  private async pick<T extends SyncedTable>(table: T, index: number): Promise<RecordsByTable[T] | undefined> {
    const rows = (await this.db.table(table).toArray()) as RecordsByTable[T][]
    const live = rows.filter((row) => !row.deletedAt).sort((a, b) => (a.id < b.id ? -1 : 1))
    return live.length === 0 ? undefined : live[index % live.length]
  }

  /** The ids of the live local records of a table, in the order `pick` indexes them. */
  async liveIds(table: SyncedTable): Promise<string[]> {
    const rows = (await this.db.table(table).toArray()) as { id: string; deletedAt?: number }[]
    return rows
      .filter((row) => !row.deletedAt)
      .map((row) => row.id)
      .sort((a, b) => (a < b ? -1 : 1))
  }

  /** One local edit through the repositories; false when there was nothing to edit. */
  async edit(edit: Edit): Promise<boolean> {
    this.activate()
    try {
      const done = await this.applyEdit(edit)
      await this.noteWrites()
      return done
    } catch (error) {
      // What the app's forms show as a message: the edit did not happen.
      if (error instanceof ValidationFailed || (error instanceof StorageError && error.kind === 'notFound')) return false
      throw error
    }
  }

  private async applyEdit(edit: Edit): Promise<boolean> {
    switch (edit.op) {
      case 'createMentee': {
        // A Pate cannot create mentees (the app does not offer it).
        if (!this.isCoach) return false
        // Sensitive fields filled in, so that one reaching a Pate without a share would show.
        await createMentee({
          ...emptyMentee(),
          givenName: at(POOLS.givenName, edit.name),
          familyName: at(POOLS.familyName, edit.name),
          residenceStatus: 'asylumPending',
          permitExpiry: '2025-12-31',
        })
        return true
      }
      case 'updateMentee': {
        const mentee = await this.pick('mentees', edit.target)
        if (!mentee) return false
        const value = at<unknown>(POOLS[edit.field], edit.value)
        await updateMentee(mentee.id, { ...contentOf(mentee), [edit.field]: value } as MenteeFields)
        return true
      }
      case 'deleteMentee': {
        if (!this.isCoach) return false
        const mentee = await this.pick('mentees', edit.target)
        if (!mentee) return false
        await deleteMentee(mentee.id)
        return true
      }
      case 'createNote': {
        const mentee = await this.pick('mentees', edit.mentee)
        if (!mentee) return false
        await saveNote(undefined, {
          menteeId: mentee.id,
          date: '2025-01-06',
          kind: 'talk',
          text: at(POOLS.noteText, edit.text),
          topics: [],
          followUpText: '',
          followUpDue: '',
          followUpDone: false,
        })
        return true
      }
      case 'updateNote': {
        const note = await this.pick('notes', edit.target)
        if (!note) return false
        const change = edit.field === 'text' ? { text: at(POOLS.noteText, edit.value) } : { followUpDone: edit.value % 2 === 1 }
        await saveNote(note.id, { ...contentOf(note), ...change })
        return true
      }
      case 'deleteNote': {
        const note = await this.pick('notes', edit.target)
        if (!note) return false
        await deleteNote(note.id)
        return true
      }
      case 'createAppointment': {
        const mentee = await this.pick('mentees', edit.mentee)
        if (!mentee) return false
        await createAppointment({
          menteeId: mentee.id,
          startsAt: '2025-02-03T10:00',
          place: 'Rathaus',
          type: at(POOLS.appointmentType, edit.type) as AppointmentType,
          companion: '',
          outcome: '',
        })
        return true
      }
      case 'updateAppointment': {
        const appointment = await this.pick('appointments', edit.target)
        if (!appointment) return false
        await updateAppointment(appointment.id, { ...contentOf(appointment), place: at(POOLS.place, edit.place) })
        return true
      }
      case 'deleteAppointment': {
        const appointment = await this.pick('appointments', edit.target)
        if (!appointment) return false
        await deleteAppointment(appointment.id)
        return true
      }
      case 'tick': {
        const item = await this.pick('checklistItems', edit.target)
        if (!item) return false
        await setChecklistItemDone(item.id, edit.done)
        return true
      }
      case 'addChecklistItem': {
        const appointment = await this.pick('appointments', edit.appointment)
        if (!appointment) return false
        await addChecklistItem(appointment.id, at(POOLS.label, edit.label))
        return true
      }
      case 'deleteChecklistItem': {
        const item = await this.pick('checklistItems', edit.target)
        if (!item) return false
        await deleteChecklistItem(item.id)
        return true
      }
      case 'restore': {
        // The conflict inbox: the user's own values that lost, on records this device holds.
        if (this.offline) return false
        let entries
        try {
          entries = (await this.client.conflicts()).conflicts
        } catch (error) {
          if (error instanceof NetworkError || error instanceof EndpointError) return false
          throw error
        }
        const mine = []
        for (const entry of entries) {
          if (entry.lostBy.userId !== this.session.user.id) continue
          const local = (await this.db.table(entry.table).get(entry.recordId)) as { deletedAt?: number } | undefined
          if (local && !local.deletedAt) mine.push(entry)
        }
        if (mine.length === 0) return false
        const chosen = mine[edit.pick % mine.length]!
        await restoreFieldValue(chosen.table, chosen.recordId, chosen.field, chosen.value)
        return true
      }
    }
  }

  /**
   * One `syncOnce` with the given faults on its requests. Failing is normal under faults (the app's
   * scheduler simply tries again later); a crash inside it restarts the device.
   */
  async sync(faults: Fault[]): Promise<SyncOutcome> {
    this.activate()
    this.faults = [...faults]
    try {
      return { ok: true, report: await syncOnce(this.client, this.session.deviceId) }
    } catch (error) {
      return { ok: false, error, crashed: this.crashed }
    } finally {
      this.faults = []
      if (this.crashed) await this.restart()
    }
  }
}
