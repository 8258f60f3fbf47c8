import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import type { UnlockOutcome } from '@/db/keyring'
import { discardDraft } from '@/db/repositories/drafts'
import { readSetting, writeSetting } from '@/db/repositories/settings'
import { isSupportedLocale, type AppLocale } from '@/i18n'
import { useLockStore } from './lock'

/** Stored in the settings table, which stays readable while locked: so even the lock screen knows. */
const HANDOVER_SETTING = 'fairHandover'

/**
 * The phone handed to a visitor at a fair: which fair, in which language, and whether they are
 * still typing (`form`) or done (`thanks`). Nothing personal is in it.
 */
export interface HandoverMode {
  eventId: string
  language: AppLocale
  phase: 'form' | 'thanks'
}

/** The draft of the visitor's form: kept through a reload, dropped when the phone changes hands. */
export function handoverDraftKey(eventId: string): string {
  return `fair-handover:${eventId}`
}

function isHandoverMode(value: unknown): value is HandoverMode {
  const mode = value as Partial<HandoverMode> | null | undefined
  return (
    typeof mode?.eventId === 'string' &&
    mode.eventId !== '' &&
    isSupportedLocale(mode.language) &&
    (mode.phase === 'form' || mode.phase === 'thanks')
  )
}

/**
 * Hand-over mode: while a visitor holds the phone, the app shows their form and nothing else,
 * through reloads too (the mode is stored); only the device passphrase ends it.
 */
export const useHandoverStore = defineStore('handover', () => {
  const mode = shallowRef<HandoverMode | null>(null)
  let loading: Promise<void> | undefined

  /** Reads the stored mode once (the router's guard waits for it before every navigation). */
  function ensureLoaded(): Promise<void> {
    loading ??= readSetting<unknown>(HANDOVER_SETTING).then(
      (stored) => {
        mode.value = isHandoverMode(stored) ? stored : null
      },
      () => {
        // Unreadable storage: no hand-over to restore; the next navigation tries again.
        loading = undefined
      },
    )
    return loading
  }

  async function write(next: HandoverMode | null): Promise<void> {
    await writeSetting(HANDOVER_SETTING, next)
    mode.value = next
    loading = Promise.resolve()
  }

  /** The guide hands the phone over: from now on only the visitor's form can be reached. */
  async function start(eventId: string, language: AppLocale): Promise<void> {
    await discardDraft(handoverDraftKey(eventId))
    await write({ eventId, language, phase: 'form' })
  }

  /** The visitor saved: a thank-you, and the next step is the guide's. */
  async function finishVisitor(): Promise<void> {
    if (mode.value) await write({ ...mode.value, phase: 'thanks' })
  }

  /**
   * The guide takes the phone back with the device passphrase (checked without locking; wrong
   * ones count toward the wipe as on the lock screen).
   */
  async function end(passphrase: string): Promise<UnlockOutcome> {
    const outcome = await useLockStore().verifyPassphrase(passphrase)
    if (outcome.ok && mode.value) {
      // What a visitor typed and did not send is not for the next one to see.
      await discardDraft(handoverDraftKey(mode.value.eventId))
      await write(null)
    }
    return outcome
  }

  /**
   * The device's data is gone (wiped, signed out): so is the hand-over. After sign-out or a wipe: no hand-over is left, and none is read back, since reading would
   * open (and so create again) the database the wipe just deleted.
   */
  function forget(): void {
    mode.value = null
    loading = Promise.resolve()
  }

  return { mode, ensureLoaded, start, finishVisitor, end, forget }
})
