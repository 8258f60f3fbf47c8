import { defineStore } from 'pinia'
import { discardDraft, loadDraft, saveDraft } from '@/db/repositories/drafts'

/** Half-filled forms, so nothing typed is lost to a phone call or an app switch. */
export const useDraftsStore = defineStore('drafts', () => {
  return {
    load: <T>(key: string) => loadDraft<T>(key),
    save: (key: string, value: unknown) => saveDraft(key, value),
    discard: (key: string) => discardDraft(key),
  }
})
