import { getDatabase } from '../db'
import { guarded } from '../errors'

export async function readSetting<T>(key: string): Promise<T | undefined> {
  const setting = await guarded(() => getDatabase().settings.get(key))
  return setting?.value as T | undefined
}

export async function writeSetting(key: string, value: unknown): Promise<void> {
  await guarded(() => getDatabase().settings.put({ key, value }))
}
