import type { Note, NoteFields } from '@/shared/records'
import { validateNote } from '@/shared/validation'
import { getDatabase } from '../db'
import { guarded, ValidationFailed } from '../errors'
import { inWriteTransaction, newId } from '../outbox'
import { isLive } from './common'

/** A mentee's notes, newest first. */
export async function listNotesOf(menteeId: string): Promise<Note[]> {
  const notes = await guarded(() => getDatabase().notes.where('menteeId').equals(menteeId).toArray())
  return notes.filter(isLive).sort((a, b) => b.date.localeCompare(a.date) || b.createdAt - a.createdAt)
}

export async function getNote(id: string): Promise<Note | undefined> {
  const note = await guarded(() => getDatabase().notes.get(id))
  return isLive(note) ? note : undefined
}

export async function saveNote(id: string | undefined, fields: NoteFields): Promise<Note> {
  const checked = validateNote(fields)
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return inWriteTransaction((ops) => ops.put('notes', id ?? newId(), checked.value))
}

export async function setFollowUpDone(id: string, done: boolean): Promise<Note> {
  const note = await getNote(id)
  if (!note) throw new ValidationFailed({ _: { key: 'gone' } })
  return saveNote(id, { ...note, followUpDone: done })
}

export async function deleteNote(id: string): Promise<void> {
  await inWriteTransaction((ops) => ops.remove('notes', id))
}

/** Open follow-ups due on or before `until` (overdue ones included), soonest first. */
export async function listOpenFollowUps(until: string): Promise<Note[]> {
  const notes = await guarded(() => getDatabase().notes.where('followUpDue').between('0', until, true, true).toArray())
  return notes.filter((n) => isLive(n) && !n.followUpDone).sort((a, b) => a.followUpDue.localeCompare(b.followUpDue))
}
