import { defineStore } from 'pinia'
import { shallowRef } from 'vue'
import {
  createAppointment,
  deleteAppointment,
  getAppointment,
  listAppointmentsOf,
  updateAppointment,
} from '@/db/repositories/appointments'
import {
  addChecklistItem,
  deleteChecklistItem,
  listChecklist,
  setChecklistItemDone,
} from '@/db/repositories/checklistItems'
import type { Appointment, AppointmentFields, ChecklistItem } from '@/shared/records'

export const useAppointmentsStore = defineStore('appointments', () => {
  /** Appointments of the mentee whose profile is open. */
  const ofMentee = shallowRef<Appointment[]>([])
  const menteeId = shallowRef<string>()
  /** The appointment open on screen and its checklist. */
  const current = shallowRef<Appointment>()
  const checklist = shallowRef<ChecklistItem[]>([])

  async function openMentee(id: string): Promise<void> {
    menteeId.value = id
    ofMentee.value = []
    const list = await listAppointmentsOf(id)
    if (menteeId.value === id) ofMentee.value = list
  }

  async function open(id: string): Promise<Appointment | undefined> {
    const [appointment, items] = await Promise.all([getAppointment(id), listChecklist(id)])
    current.value = appointment
    checklist.value = items
    return appointment
  }

  async function create(fields: AppointmentFields): Promise<Appointment> {
    const appointment = await createAppointment(fields)
    if (menteeId.value === fields.menteeId) await openMentee(fields.menteeId)
    return appointment
  }

  async function update(id: string, fields: AppointmentFields): Promise<Appointment> {
    const appointment = await updateAppointment(id, fields)
    if (current.value?.id === id) current.value = appointment
    return appointment
  }

  async function remove(id: string): Promise<void> {
    await deleteAppointment(id)
    if (current.value?.id === id) current.value = undefined
    ofMentee.value = ofMentee.value.filter((a) => a.id !== id)
  }

  function replaceItem(item: ChecklistItem): void {
    checklist.value = checklist.value.map((existing) => (existing.id === item.id ? item : existing))
  }

  async function tick(itemId: string, done: boolean): Promise<void> {
    replaceItem(await setChecklistItemDone(itemId, done))
  }

  async function addItem(appointmentId: string, label: string): Promise<void> {
    const item = await addChecklistItem(appointmentId, label)
    checklist.value = [...checklist.value, item]
  }

  async function removeItem(itemId: string): Promise<void> {
    await deleteChecklistItem(itemId)
    checklist.value = checklist.value.filter((item) => item.id !== itemId)
  }

  /** The checklists of several appointments, by appointment id (for printing a whole file). */
  async function checklistsOf(ids: readonly string[]): Promise<Map<string, ChecklistItem[]>> {
    const lists = await Promise.all(ids.map((id) => listChecklist(id)))
    return new Map(ids.map((id, i) => [id, lists[i]!]))
  }

  function clear(): void {
    ofMentee.value = []
    menteeId.value = undefined
    current.value = undefined
    checklist.value = []
  }

  return { ofMentee, current, checklist, openMentee, open, create, update, remove, tick, addItem, removeItem, checklistsOf, clear }
})
