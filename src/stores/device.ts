import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import { pendingChangeCount } from '@/db/outbox'

export interface StorageStatus {
  persisted: boolean | null
  usageBytes: number | null
  quotaBytes: number | null
}

/** The device: storage, unsent changes, and whether an app update waits for the user. */
export const useDeviceStore = defineStore('device', () => {
  const storage = shallowRef<StorageStatus>({ persisted: null, usageBytes: null, quotaBytes: null })
  const pendingChanges = shallowRef(0)
  const updateReady = shallowRef(false)
  let applyUpdate: (() => Promise<void>) | undefined
  /** Forms with unsaved input; an update must not reload while any is open. */
  const unsavedForms = shallowRef(new Set<string>())

  async function refreshStorage(): Promise<void> {
    const manager = navigator.storage
    if (!manager?.estimate) return
    const [persisted, estimate] = await Promise.all([manager.persisted?.() ?? Promise.resolve(null), manager.estimate()])
    storage.value = { persisted, usageBytes: estimate.usage ?? null, quotaBytes: estimate.quota ?? null }
  }

  /** Asks the browser not to evict our data under storage pressure. */
  async function requestPersistence(): Promise<boolean> {
    const granted = (await navigator.storage?.persist?.()) ?? false
    await refreshStorage()
    return granted
  }

  async function refreshPending(): Promise<void> {
    pendingChanges.value = await pendingChangeCount()
  }

  function offerUpdate(apply: () => Promise<void>): void {
    applyUpdate = apply
    updateReady.value = true
  }

  async function installUpdate(): Promise<void> {
    if (unsavedForms.value.size > 0 || !applyUpdate) return
    await applyUpdate()
  }

  function markUnsaved(formKey: string, unsaved: boolean): void {
    const next = new Set(unsavedForms.value)
    if (unsaved) next.add(formKey)
    else next.delete(formKey)
    unsavedForms.value = next
  }

  return {
    storage,
    pendingChanges,
    updateReady,
    unsavedForms,
    refreshStorage,
    requestPersistence,
    refreshPending,
    offerUpdate,
    installUpdate,
    markUnsaved,
  }
})
