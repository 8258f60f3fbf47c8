import { getDatabase } from '../db'
import { guarded } from '../errors'

export async function loadDraft<T>(key: string): Promise<T | undefined> {
  const draft = await guarded(() => getDatabase().drafts.get(key))
  return draft?.value as T | undefined
}

export async function saveDraft(key: string, value: unknown): Promise<void> {
  // Plain data only: reactive proxies do not survive structured cloning.
  const plain: unknown = JSON.parse(JSON.stringify(value))
  await guarded(() => getDatabase().drafts.put({ key, value: plain, savedAt: Date.now() }))
}

export async function discardDraft(key: string): Promise<void> {
  await guarded(() => getDatabase().drafts.delete(key))
}
