import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import { deleteNote, listNotesOf, saveNote, setFollowUpDone } from '@/db/repositories/notes'
import type { Note, NoteFields } from '@/shared/records'

/** The notes timeline of the mentee on screen. */
export const useNotesStore = defineStore('notes', () => {
  const menteeId = shallowRef<string>()
  const timeline = shallowRef<Note[]>([])

  async function open(id: string): Promise<void> {
    menteeId.value = id
    timeline.value = []
    const notes = await listNotesOf(id)
    if (menteeId.value === id) timeline.value = notes
  }

  async function refresh(): Promise<void> {
    if (menteeId.value) timeline.value = await listNotesOf(menteeId.value)
  }

  async function save(id: string | undefined, fields: NoteFields): Promise<Note> {
    const note = await saveNote(id, fields)
    await refresh()
    return note
  }

  async function toggleFollowUp(id: string, done: boolean): Promise<void> {
    await setFollowUpDone(id, done)
    await refresh()
  }

  async function remove(id: string): Promise<void> {
    await deleteNote(id)
    await refresh()
  }

  function clear(): void {
    menteeId.value = undefined
    timeline.value = []
  }

  return { menteeId, timeline, open, save, toggleFollowUp, remove, clear }
})
