import { toIsoDate } from '@/shared/dates'
import type { Mentee, MenteeFields } from '@/shared/records'
import { validateMentee } from '@/shared/validation'
import { getDatabase } from '../db'
import { guarded, ValidationFailed } from '../errors'
import { inWriteTransaction, newId } from '../outbox'
import { isLive } from './common'

export async function getMentee(id: string): Promise<Mentee | undefined> {
  const mentee = await guarded(() => getDatabase().mentees.get(id))
  return isLive(mentee) ? mentee : undefined
}

/** The live mentees among `ids`, by id (missing and deleted ones left out). */
export async function getMenteesByIds(ids: readonly string[]): Promise<Map<string, Mentee>> {
  const found = await guarded(() => getDatabase().mentees.bulkGet([...new Set(ids)]))
  return new Map(found.filter(isLive).map((m) => [m.id, m]))
}

export async function listMentees(): Promise<Mentee[]> {
  // toArray() reads in one getAll(); a Dexie filter() would walk a cursor record by record.
  const all = await guarded(() => getDatabase().mentees.toArray())
  return all.filter((m) => !m.deletedAt)
}

/**
 * The fields with the stage change recorded: a new mentee or a changed stage adds an entry dated
 * `today`, so reports can count transitions (into internship, training…) per period.
 */
export function withStageHistory(stored: Pick<MenteeFields, 'stage'> | undefined, fields: MenteeFields, today: string): MenteeFields {
  if (stored && stored.stage === fields.stage) return fields
  const history = fields.stageHistory ?? []
  if (history.at(-1)?.stage === fields.stage) return fields
  return { ...fields, stageHistory: [...history, { stage: fields.stage, date: today }] }
}

export async function createMentee(fields: MenteeFields): Promise<Mentee> {
  const checked = validateMentee(withStageHistory(undefined, fields, toIsoDate(new Date())))
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return inWriteTransaction((ops) => ops.put('mentees', newId(), checked.value))
}

export async function updateMentee(id: string, fields: MenteeFields): Promise<Mentee> {
  const checked = validateMentee(fields)
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return inWriteTransaction(async (ops) => {
    // The history is the record's, not the form's: a form opened before a sync must not shorten it.
    const stored = await getDatabase().mentees.get(id)
    const fields = { ...checked.value, stageHistory: stored?.stageHistory ?? checked.value.stageHistory }
    return ops.put('mentees', id, withStageHistory(stored, fields, toIsoDate(new Date())))
  })
}

/** Deletes a mentee with their notes, appointments and checklist items, all or nothing. */
export async function deleteMentee(id: string): Promise<void> {
  const db = getDatabase()
  await inWriteTransaction(async (ops) => {
    const [notes, appointments] = await Promise.all([
      db.notes.where('menteeId').equals(id).primaryKeys(),
      db.appointments.where('menteeId').equals(id).primaryKeys(),
    ])
    const items = await db.checklistItems.where('appointmentId').anyOf(appointments).primaryKeys()
    for (const itemId of items) await ops.remove('checklistItems', itemId)
    for (const appointmentId of appointments) await ops.remove('appointments', appointmentId)
    for (const noteId of notes) await ops.remove('notes', noteId)
    await ops.remove('mentees', id)
  })
}
