import type { Appointment, AppointmentFields } from '@/shared/records'
import { validateAppointment } from '@/shared/validation'
import { CHECKLIST_TEMPLATES } from '@/shared/vocabulary'
import { getDatabase } from '../db'
import { guarded, ValidationFailed } from '../errors'
import { inWriteTransaction, newId } from '../outbox'
import { isLive } from './common'

export async function getAppointment(id: string): Promise<Appointment | undefined> {
  const appointment = await guarded(() => getDatabase().appointments.get(id))
  return isLive(appointment) ? appointment : undefined
}

/** A mentee's appointments, soonest first. */
export async function listAppointmentsOf(menteeId: string): Promise<Appointment[]> {
  const list = await guarded(() => getDatabase().appointments.where('menteeId').equals(menteeId).toArray())
  return list.filter(isLive).sort((a, b) => a.startsAt.localeCompare(b.startsAt))
}

/** Appointments starting in [from, to), both local `YYYY-MM-DDTHH:mm`. */
export async function listAppointmentsBetween(from: string, to: string): Promise<Appointment[]> {
  const list = await guarded(() => getDatabase().appointments.where('startsAt').between(from, to, true, false).toArray())
  return list.filter(isLive).sort((a, b) => a.startsAt.localeCompare(b.startsAt))
}

/** Creates an appointment together with the checklist of its type's template. */
export async function createAppointment(fields: AppointmentFields): Promise<Appointment> {
  const checked = validateAppointment(fields)
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return inWriteTransaction(async (ops) => {
    const appointment = await ops.put('appointments', newId(), checked.value)
    let position = 0
    for (const templateKey of CHECKLIST_TEMPLATES[appointment.type]) {
      await ops.put('checklistItems', newId(), {
        appointmentId: appointment.id,
        templateKey,
        label: '',
        done: false,
        position: position++,
      })
    }
    return appointment
  })
}

export async function updateAppointment(id: string, fields: AppointmentFields): Promise<Appointment> {
  const checked = validateAppointment(fields)
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return inWriteTransaction((ops) => ops.put('appointments', id, checked.value))
}

export async function deleteAppointment(id: string): Promise<void> {
  const db = getDatabase()
  await inWriteTransaction(async (ops) => {
    const items = await db.checklistItems.where('appointmentId').equals(id).primaryKeys()
    for (const itemId of items) await ops.remove('checklistItems', itemId)
    await ops.remove('appointments', id)
  })
}
