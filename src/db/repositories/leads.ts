import { anonymisedLead, isDueForAnonymising, mergeLeads, menteeFromLead } from '@/shared/leads'
import { contentOf, emptyMentee, type Lead, type LeadFields, type Mentee, type MenteeFields } from '@/shared/records'
import { validateLead, validateMentee } from '@/shared/validation'
import { getDatabase } from '../db'
import { guarded, ValidationFailed } from '../errors'
import { inWriteTransaction, newId } from '../outbox'
import { isLive } from './common'
import { withStageHistory } from './mentees'

export async function getLead(id: string): Promise<Lead | undefined> {
  const lead = await guarded(() => getDatabase().leads.get(id))
  return isLive(lead) ? lead : undefined
}

/** The people captured at one event, in the order they were captured. */
export async function listLeadsOf(eventId: string): Promise<Lead[]> {
  const leads = await guarded(() => getDatabase().leads.where('eventId').equals(eventId).toArray())
  return leads.filter(isLive).sort((a, b) => a.createdAt - b.createdAt)
}

/** Every lead on the device (duplicate checks look across all fairs). */
export async function listLeads(): Promise<Lead[]> {
  const leads = await guarded(() => getDatabase().leads.toArray())
  return leads.filter(isLive)
}

function checkedLead(fields: LeadFields): LeadFields {
  const checked = validateLead(fields)
  if (!checked.ok) throw new ValidationFailed(checked.errors)
  return checked.value
}

export async function saveLead(id: string | undefined, fields: LeadFields): Promise<Lead> {
  const value = checkedLead(fields)
  return inWriteTransaction((ops) => ops.put('leads', id ?? newId(), value))
}

/** A second capture of a person already captured: it joins the first lead instead of a new one. */
export async function mergeIntoLead(keptId: string, second: LeadFields): Promise<Lead> {
  checkedLead(second)
  return inWriteTransaction(async (ops) => {
    const kept = await getDatabase().leads.get(keptId)
    if (!isLive(kept)) throw new ValidationFailed({ _: { key: 'gone' } })
    return ops.put('leads', keptId, checkedLead(mergeLeads(contentOf(kept), second)))
  })
}

/**
 * Changes some fields of a stored lead (the outcomes, the follow-up done), read inside the
 * transaction, so what a sync brought in meanwhile stays.
 */
export async function patchLead(id: string, patch: Partial<LeadFields>): Promise<Lead> {
  return inWriteTransaction(async (ops) => {
    const lead = await getDatabase().leads.get(id)
    if (!isLive(lead)) throw new ValidationFailed({ _: { key: 'gone' } })
    return ops.put('leads', id, checkedLead({ ...contentOf(lead), ...patch }))
  })
}

/**
 * Two stored leads that turned out to be one person (a visitor who typed their own details and
 * was known already): the second joins the first and is deleted, all or nothing.
 */
export async function mergeLeadInto(keptId: string, duplicateId: string): Promise<Lead> {
  return inWriteTransaction(async (ops) => {
    const [kept, duplicate] = await getDatabase().leads.bulkGet([keptId, duplicateId])
    if (!isLive(kept) || !isLive(duplicate) || keptId === duplicateId) throw new ValidationFailed({ _: { key: 'gone' } })
    const merged = await ops.put('leads', keptId, checkedLead(mergeLeads(contentOf(kept), contentOf(duplicate))))
    await ops.remove('leads', duplicateId)
    return merged
  })
}

export async function deleteLead(id: string): Promise<void> {
  await inWriteTransaction((ops) => ops.remove('leads', id))
}

/**
 * Turns a lead into a mentee in one step: the mentee is created from what was captured and the
 * lead remembers it, in one transaction. `adjust` lets the caller complete the mentee's fields.
 */
export async function convertLeadToMentee(
  leadId: string,
  adjust: (fields: MenteeFields) => MenteeFields = (fields) => fields,
  today: string,
): Promise<{ lead: Lead; mentee: Mentee }> {
  return inWriteTransaction(async (ops) => {
    const lead = await getDatabase().leads.get(leadId)
    if (!isLive(lead)) throw new ValidationFailed({ _: { key: 'gone' } })
    if (lead.menteeId !== '') throw new ValidationFailed({ _: { key: 'alreadyMentee' } })
    const fields = withStageHistory(undefined, adjust(menteeFromLead(lead, emptyMentee())), today)
    const checked = validateMentee(fields)
    if (!checked.ok) throw new ValidationFailed(checked.errors)
    const mentee = await ops.put('mentees', newId(), checked.value)
    const updated = await ops.put('leads', leadId, { ...contentOf(lead), menteeId: mentee.id })
    return { lead: updated, mentee }
  })
}

/** Links a lead to a mentee who was already known (a duplicate of an existing mentee). */
export async function linkLeadToMentee(leadId: string, menteeId: string): Promise<Lead> {
  return inWriteTransaction(async (ops) => {
    const lead = await getDatabase().leads.get(leadId)
    if (!isLive(lead)) throw new ValidationFailed({ _: { key: 'gone' } })
    return ops.put('leads', leadId, { ...contentOf(lead), menteeId })
  })
}

/**
 * Removes the personal fields of every lead whose person gave no consent for follow-up, once
 * `retentionDays` have passed since the fair. Returns how many were anonymised.
 */
export async function anonymiseExpiredLeads(today: string, retentionDays: number): Promise<number> {
  const db = getDatabase()
  const [events, leads] = await guarded(() => Promise.all([db.events.toArray(), db.leads.toArray()]))
  const eventDates = new Map(events.map((event) => [event.id, event.date]))
  const isDue = (lead: Lead | undefined): lead is Lead =>
    isLive(lead) && isDueForAnonymising(lead, eventDates.get(lead.eventId) ?? '', today, retentionDays)
  const dueIds = leads.filter(isDue).map((lead) => lead.id)
  if (dueIds.length === 0) return 0
  // Read again inside the transaction: a sync may have changed a lead since.
  return inWriteTransaction(async (ops) => {
    const current = (await db.leads.bulkGet(dueIds)).filter(isDue)
    for (const lead of current) await ops.put('leads', lead.id, anonymisedLead(contentOf(lead)))
    return current.length
  })
}

/** Open follow-ups of leads due on or before `until` (overdue ones included), soonest first. */
export async function listOpenLeadFollowUps(until: string): Promise<Lead[]> {
  const leads = await guarded(() => getDatabase().leads.where('followUpDue').between('0', until, true, true).toArray())
  return leads.filter((lead) => isLive(lead) && !lead.followUpDone).sort((a, b) => a.followUpDue.localeCompare(b.followUpDue))
}
