import type { EventFields, FairEvent } from '@/shared/records'
import { validateEvent } from '@/shared/validation'
import { getDatabase } from '../db'
import { guarded, ValidationFailed } from '../errors'
import { inWriteTransaction, newId } from '../outbox'
import { isLive } from './common'

export async function getEvent(id: string): Promise<FairEvent | undefined> {
  const event = await guarded(() => getDatabase().events.get(id))
  return isLive(event) ? event : undefined
}

/** Every job-fair event on the device, the latest first. */
export async function listEvents(): Promise<FairEvent[]> {
  const events = await guarded(() => getDatabase().events.toArray())
  return events.filter(isLive).sort((a, b) => b.date.localeCompare(a.date) || b.createdAt - a.createdAt)
}

export async function saveEvent(id: string | undefined, fields: EventFields): Promise<FairEvent> {
  const checked = validateEvent(fields)
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return inWriteTransaction((ops) => ops.put('events', id ?? newId(), checked.value))
}

/** Deletes an event with every lead captured at it, all or nothing. */
export async function deleteEvent(id: string): Promise<void> {
  const db = getDatabase()
  await inWriteTransaction(async (ops) => {
    const leads = await db.leads.where('eventId').equals(id).primaryKeys()
    for (const leadId of leads) await ops.remove('leads', leadId)
    await ops.remove('events', id)
  })
}
