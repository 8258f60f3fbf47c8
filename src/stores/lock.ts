import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import {
  changePassphrase as rewrapDataKey,
  createKeyring,
  hasKeyring,
  isUnlocked,
  lockLocalData,
  MIN_PASSPHRASE_LENGTH,
  unlock as unlockLocalData,
  verifyPassphrase as checkPassphrase,
  wipeLocalData,
  type UnlockOutcome,
} from '@/db/keyring'
import { readSetting, writeSetting } from '@/db/repositories/settings'
import { useAppointmentsStore } from './appointments'
import { useConferenceStore } from './conference'
import { useFairsStore } from './fairs'
import { useHandoverStore } from './handover'
import { useMenteesStore } from './mentees'
import { useNotesStore } from './notes'
import { useSyncStore } from './sync'
import { useTodayStore } from './today'

/** For screens, which do not reach into `@/db`. */
export const MIN_PASSPHRASE_LENGTH_FOR_UI = MIN_PASSPHRASE_LENGTH
export const AUTO_LOCK_DEFAULT_MINUTES = 5
export const AUTO_LOCK_MIN_MINUTES = 1
export const AUTO_LOCK_MAX_MINUTES = 30
const AUTO_LOCK_SETTING = 'autoLockMinutes'

/**
 * - `checking`: not known yet (before `initialize`).
 * - `noKey`: no passphrase on this device yet (new sign-in, or data from before encryption).
 * - `locked`: the data is there, sealed; the passphrase opens it.
 * - `unlocked`: the data key is held in memory.
 */
export type LockState = 'checking' | 'noKey' | 'locked' | 'unlocked'

export type PassphraseProblem = 'tooShort' | 'mismatch'

export function checkNewPassphrase(passphrase: string, repeated: string): PassphraseProblem | null {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return 'tooShort'
  if (passphrase !== repeated) return 'mismatch'
  return null
}

function clampMinutes(minutes: unknown): number {
  const value = typeof minutes === 'number' && Number.isFinite(minutes) ? Math.round(minutes) : AUTO_LOCK_DEFAULT_MINUTES
  return Math.min(AUTO_LOCK_MAX_MINUTES, Math.max(AUTO_LOCK_MIN_MINUTES, value))
}

/** The device's lock: the passphrase that opens the local data, and locking it again. */
export const useLockStore = defineStore('lock', () => {
  const state = shallowRef<LockState>('checking')
  const autoLockMinutes = shallowRef(AUTO_LOCK_DEFAULT_MINUTES)
  /** Set when ten wrong passphrases removed the data, so the sign-in screen can say so. */
  const wiped = shallowRef(false)

  async function initialize(): Promise<void> {
    const [keyring, minutes] = await Promise.all([hasKeyring(), readSetting<number>(AUTO_LOCK_SETTING)])
    autoLockMinutes.value = clampMinutes(minutes)
    state.value = keyring ? (isUnlocked() ? 'unlocked' : 'locked') : 'noKey'
  }

  async function opened(): Promise<void> {
    wiped.value = false
    const sync = useSyncStore()
    if (sync.session) {
      state.value = 'unlocked'
      await sync.persistSession()
    } else {
      // The session is read before the app counts as unlocked: unlocked without a session for a
      // moment, App.vue would send the user to the sign-in screen and lose the page they were on.
      try {
        await sync.restore()
      } finally {
        state.value = 'unlocked'
      }
      sync.startAutomaticSync()
    }
    // Start-up work on the data: people from fairs who did not consent lose their details.
    void useFairsStore()
      .anonymiseExpired()
      .catch(() => undefined)
  }

  /** The first passphrase on this device; what is already stored gets sealed with it. */
  async function setUp(passphrase: string, repeated: string): Promise<PassphraseProblem | null> {
    const problem = checkNewPassphrase(passphrase, repeated)
    if (problem) return problem
    await createKeyring(passphrase)
    await opened()
    return null
  }

  async function unlock(passphrase: string): Promise<UnlockOutcome> {
    const outcome = await unlockLocalData(passphrase)
    if (outcome.ok) await opened()
    else if (outcome.reason === 'wiped') afterWipe()
    return outcome
  }

  /** Ten wrong passphrases in a row removed the data. */
  function afterWipe(): void {
    useSyncStore().suspend()
    useHandoverStore().forget()
    state.value = 'noKey'
    wiped.value = true
  }

  /**
   * Checks the passphrase and leaves the device unlocked (taking the phone back from a visitor).
   * Wrong ones count toward the wipe, as on the lock screen.
   */
  async function verifyPassphrase(passphrase: string): Promise<UnlockOutcome> {
    const outcome = await checkPassphrase(passphrase)
    if (!outcome.ok && outcome.reason === 'wiped') {
      lockLocalData()
      afterWipe()
    }
    return outcome
  }

  /** Drops the key and every decrypted value the stores hold; the screens go with them. */
  function lock(): void {
    if (state.value !== 'unlocked') return
    lockLocalData()
    useSyncStore().suspend()
    useMenteesStore().clear()
    useNotesStore().clear()
    useAppointmentsStore().clear()
    useTodayStore().clear()
    useConferenceStore().clear()
    useFairsStore().clear()
    state.value = 'locked'
  }

  async function changePassphrase(current: string, next: string, repeated: string): Promise<PassphraseProblem | 'wrongPassphrase' | null> {
    const problem = checkNewPassphrase(next, repeated)
    if (problem) return problem
    return (await rewrapDataKey(current, next)) ? null : 'wrongPassphrase'
  }

  async function setAutoLockMinutes(minutes: number): Promise<void> {
    autoLockMinutes.value = clampMinutes(minutes)
    await writeSetting(AUTO_LOCK_SETTING, autoLockMinutes.value)
  }

  /**
   * A forgotten passphrase: the sealed data is of no use to anyone, so it goes (unsent changes
   * with it); signing in again loads what the endpoint holds.
   */
  async function removeDeviceData(): Promise<void> {
    lockLocalData()
    useSyncStore().suspend()
    await wipeLocalData()
    useHandoverStore().forget()
    state.value = 'noKey'
  }

  /** After sign-out or a revoked device: no data, so no key either. */
  function forget(): void {
    // The start screen's lists would otherwise outlive the data they were read from.
    useTodayStore().clear()
    useHandoverStore().forget()
    state.value = 'noKey'
  }

  return {
    state,
    autoLockMinutes,
    wiped,
    initialize,
    setUp,
    unlock,
    verifyPassphrase,
    lock,
    changePassphrase,
    setAutoLockMinutes,
    removeDeviceData,
    forget,
  }
})
