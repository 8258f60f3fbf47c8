import { contentOf, type ChecklistItem, type ChecklistItemFields } from '@/shared/records'
import { validateChecklistItem } from '@/shared/validation'
import { getDatabase } from '../db'
import { guarded, ValidationFailed } from '../errors'
import { inWriteTransaction, newId } from '../outbox'
import { isLive } from './common'

export async function listChecklist(appointmentId: string): Promise<ChecklistItem[]> {
  const items = await guarded(() => getDatabase().checklistItems.where('appointmentId').equals(appointmentId).toArray())
  return items.filter(isLive).sort((a, b) => a.position - b.position)
}

export async function addChecklistItem(appointmentId: string, label: string): Promise<ChecklistItem> {
  const existing = await listChecklist(appointmentId)
  const fields: ChecklistItemFields = {
    appointmentId,
    templateKey: null,
    label,
    done: false,
    position: existing.reduce((max, item) => Math.max(max, item.position + 1), 0),
  }
  const checked = validateChecklistItem(fields)
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return inWriteTransaction((ops) => ops.put('checklistItems', newId(), checked.value))
}

/** Ticks one item. Only `done` is recorded as changed, so two devices ticking different items both win. */
export async function setChecklistItemDone(id: string, done: boolean): Promise<ChecklistItem> {
  return inWriteTransaction(async (ops) => {
    const item = await getDatabase().checklistItems.get(id)
    if (!isLive(item)) throw new ValidationFailed({ _: { key: 'gone' } })
    return ops.put('checklistItems', id, { ...contentOf(item), done })
  })
}

export async function deleteChecklistItem(id: string): Promise<void> {
  await inWriteTransaction((ops) => ops.remove('checklistItems', id))
}
