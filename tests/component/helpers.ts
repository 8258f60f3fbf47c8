import { vi } from 'vitest'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import { createMemoryHistory, createRouter, type Router } from 'vue-router'
import { defineComponent, type Plugin } from 'vue'
import { mount, type DOMWrapper, type VueWrapper } from '@vue/test-utils'
import { openDatabase, useDatabase, type LotseDatabase } from '@/db/db'
import { i18n, setLocale } from '@/i18n'
import { routes } from '@/router'
import { emptyMentee, type ChecklistItem, type MenteeFields, type Note } from '@/shared/records'

/** What `wrapper.get()` returns: an element that is known to exist. */
export type Found<T extends Element> = Omit<DOMWrapper<T>, 'exists'>

export interface TestContext {
  db: LotseDatabase
  pinia: Pinia
}

/** A fresh database, a fresh Pinia and the German UI: call in `beforeEach`. */
export async function setupComponentTest(): Promise<TestContext> {
  const db = openDatabase('test-' + crypto.randomUUID())
  useDatabase(db)
  const pinia = createPinia()
  setActivePinia(pinia)
  await setLocale('de', false)
  return { db, pinia }
}

export function createTestRouter(): Router {
  return createRouter({ history: createMemoryHistory(), routes })
}

/** Mentee fields that pass validation, with fictional defaults. */
export function menteeFields(overrides: Partial<MenteeFields> = {}): MenteeFields {
  return { ...emptyMentee(), givenName: 'Testperson', familyName: 'Beispiel', ...overrides }
}

export function testNote(overrides: Partial<Note> = {}): Note {
  return {
    id: crypto.randomUUID(),
    createdAt: 1,
    updatedAt: 1,
    menteeId: crypto.randomUUID(),
    date: '2025-03-01',
    kind: 'talk',
    text: 'Gespräch mit Testperson',
    topics: [],
    followUpText: '',
    followUpDue: '',
    followUpDone: false,
    ...overrides,
  }
}

export function testChecklistItem(overrides: Partial<ChecklistItem> = {}): ChecklistItem {
  return {
    id: crypto.randomUUID(),
    createdAt: 1,
    updatedAt: 1,
    appointmentId: crypto.randomUUID(),
    templateKey: null,
    label: '',
    done: false,
    position: 0,
    ...overrides,
  }
}

/** The form control a `<label for>` with this text points at. */
export function controlByLabel(wrapper: VueWrapper, labelText: string): Found<HTMLInputElement> {
  const label = wrapper.findAll('label').find((candidate) => candidate.text().trim() === labelText)
  if (!label) throw new Error(`no label "${labelText}"`)
  const id = label.attributes('for')
  if (!id) throw new Error(`label "${labelText}" has no for`)
  return wrapper.get<HTMLInputElement>(`[id="${id}"]`)
}

/** The element whose id is `id` (ids from `useId()` may contain characters CSS would need escaped). */
export function byId(wrapper: VueWrapper, id: string): Found<Element> {
  return wrapper.get(`[id="${id}"]`)
}

/**
 * Makes every `put` into `table` reject with `error` (once, or until restored). Dexie hands out
 * two Table objects per store, `db[name]` and `db.table(name)`, so both are replaced; whichever
 * the repository uses fails.
 */
export function failPuts(db: LotseDatabase, table: 'mentees', error: unknown, options: { once?: boolean } = {}) {
  const tables = [...new Set([db[table], db.table(table)])]
  const spies = tables.map((target) => {
    const spy = vi.spyOn(target, 'put')
    return options.once ? spy.mockRejectedValueOnce(error) : spy.mockRejectedValue(error)
  })
  return {
    /** How often any of the replaced `put`s was called. */
    calls: () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0),
  }
}

/**
 * `vi.waitFor` with room for a busy machine: fake-indexeddb, lazy route chunks and locale
 * chunks all resolve on later ticks, and `flushPromises()` does not wait for them.
 */
export function eventually<T>(assertion: () => T | Promise<T>, timeout = 5000): Promise<T> {
  return vi.waitFor(assertion, { timeout, interval: 20 })
}

/**
 * Runs a composable inside the setup of a throwaway component (composables that call `useI18n()`
 * or lifecycle hooks need one). Unmount the returned wrapper when done.
 */
export function withSetup<T>(composable: () => T, plugins: Plugin[] = [i18n]): { result: T; wrapper: VueWrapper } {
  let result: T | undefined
  const Host = defineComponent({
    setup() {
      result = composable()
      return () => null
    },
  })
  const wrapper = mount(Host, { global: { plugins } })
  return { result: result as T, wrapper }
}
