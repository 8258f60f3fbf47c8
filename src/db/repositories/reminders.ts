import { readSetting, writeSetting } from './settings'

/**
 * The device's reminder settings. Both stay readable in the settings table (not sealed): the
 * announced keys are record ids, dates and stages, which the table indexes keep readable anyway,
 * and no name or note text is among them. A sign-out or wipe removes them with the database.
 */
const NOTIFY_WHILE_OPEN_SETTING = 'reminders.notifyWhileOpen'
const ANNOUNCED_SETTING = 'reminders.announced'

export async function readNotifyWhileOpen(): Promise<boolean> {
  return (await readSetting<unknown>(NOTIFY_WHILE_OPEN_SETTING)) === true
}

export async function writeNotifyWhileOpen(on: boolean): Promise<void> {
  await writeSetting(NOTIFY_WHILE_OPEN_SETTING, on)
}

/** The keys of the due items a notification has told the user about (`DueItem.key`). */
export async function readAnnouncedReminders(): Promise<Set<string>> {
  const stored = await readSetting<unknown>(ANNOUNCED_SETTING)
  return new Set(Array.isArray(stored) ? stored.filter((key): key is string => typeof key === 'string') : [])
}

export async function writeAnnouncedReminders(keys: Iterable<string>): Promise<void> {
  await writeSetting(ANNOUNCED_SETTING, [...keys])
}
