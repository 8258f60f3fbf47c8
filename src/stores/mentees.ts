import { defineStore } from 'pinia'
import { computed, shallowRef } from 'vue'
import {
  createMentee,
  deleteMentee,
  listMentees,
  updateMentee,
} from '@/db/repositories/mentees'
import type { Mentee, MenteeFields } from '@/shared/records'
import { buildSearchKey } from '@/shared/search'
import { i18n } from '@/i18n'
import { useDeviceStore } from './device'
import { compareByName, type IndexedMentee } from './mentee-query'

function indexed(mentee: Mentee): IndexedMentee {
  return { mentee, searchKey: buildSearchKey(mentee.givenName, mentee.familyName) }
}

/**
 * Every mentee on the device, held in memory with a prepared search key, so search-as-you-type
 * is a scan over strings rather than an IndexedDB query per keystroke.
 */
export const useMenteesStore = defineStore('mentees', () => {
  const locale = i18n.global.locale
  const byId = shallowRef(new Map<string, IndexedMentee>())
  const loaded = shallowRef(false)
  let loading: Promise<void> | undefined

  function ensureLoaded(): Promise<void> {
    loading ??= listMentees().then((all) => {
      byId.value = new Map(all.map((m) => [m.id, indexed(m)]))
      loaded.value = true
    })
    return loading.catch((error: unknown) => {
      loading = undefined
      throw error
    })
  }

  /** Re-reads everything, e.g. after another tab or a sync changed the database. */
  function reload(): Promise<void> {
    loading = undefined
    return ensureLoaded()
  }

  const sorted = computed<IndexedMentee[]>(() => {
    const compare = compareByName(new Intl.Collator(locale.value, { sensitivity: 'base', numeric: true }))
    return [...byId.value.values()].sort((a, b) => compare(a.mentee, b.mentee))
  })

  const schools = computed(() =>
    [...new Set([...byId.value.values()].map(({ mentee }) => mentee.school.trim()).filter(Boolean))].sort((a, b) =>
      a.localeCompare(b, locale.value),
    ),
  )

  function get(id: string): Mentee | undefined {
    return byId.value.get(id)?.mentee
  }

  function remember(mentee: Mentee): Mentee {
    const next = new Map(byId.value)
    next.set(mentee.id, indexed(mentee))
    byId.value = next
    return mentee
  }

  async function create(fields: MenteeFields): Promise<Mentee> {
    const mentee = remember(await createMentee(fields))
    // Once there is something to lose, ask the browser not to evict it under storage pressure.
    if (byId.value.size === 1) void useDeviceStore().requestPersistence().catch(() => false)
    return mentee
  }

  async function update(id: string, fields: MenteeFields): Promise<Mentee> {
    return remember(await updateMentee(id, fields))
  }

  async function remove(id: string): Promise<void> {
    await deleteMentee(id)
    const next = new Map(byId.value)
    next.delete(id)
    byId.value = next
  }

  const count = computed(() => byId.value.size)

  /** Forgets every mentee held in memory (on lock); the next screen reads them again. */
  function clear(): void {
    loading = undefined
    byId.value = new Map()
    loaded.value = false
  }

  return { loaded, count, sorted, schools, ensureLoaded, reload, get, create, update, remove, clear }
})
