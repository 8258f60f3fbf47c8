import type { SyncedTable } from '@/shared/records'
import { contentOf } from '@/shared/records'
import { validateFields } from '@/shared/validation'
import { getDatabase } from '../db'
import { ValidationFailed } from '../errors'
import { inWriteTransaction } from '../outbox'
import { isLive } from './common'

/**
 * Writes one field back to a value that lost a conflict. It is an ordinary new write, so it
 * syncs like any edit and wins over the value that overwrote it.
 */
export async function restoreFieldValue(table: SyncedTable, id: string, field: string, value: unknown): Promise<void> {
  const checked = validateFields(table, { [field]: value })
  if (!checked.ok) throw new ValidationFailed({ [checked.field]: checked.error })
  await inWriteTransaction(async (ops) => {
    const record = await getDatabase()[table].get(id)
    if (!isLive(record)) throw new ValidationFailed({ _: { key: 'gone' } })
    await ops.put(table, id, { ...contentOf(record), ...checked.value } as never)
  })
}
