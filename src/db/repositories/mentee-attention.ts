import type { Mentee } from '@/shared/records'
import { getDatabase } from '../db'
import { guarded } from '../errors'
import { isLive } from './common'

/** Mentees (not closed) whose permit expires on or before `until`, already expired ones included. */
export async function listPermitsExpiringBy(until: string): Promise<Mentee[]> {
  const list = await guarded(() => getDatabase().mentees.where('permitExpiry').between('0', until, true, true).toArray())
  return list.filter((m) => isLive(m) && m.stage !== 'closed').sort((a, b) => a.permitExpiry.localeCompare(b.permitExpiry))
}

/** Pupils (not closed) leaving school in [from, until] who have no follow-on offer yet. */
export async function listLeaversWithoutOffer(from: string, until: string): Promise<Mentee[]> {
  const list = await guarded(() =>
    getDatabase().mentees.where('expectedLeavingDate').between(from, until, true, true).toArray(),
  )
  return list
    .filter((m) => isLive(m) && m.stage !== 'closed' && m.followOnOffer !== true)
    .sort((a, b) => a.expectedLeavingDate.localeCompare(b.expectedLeavingDate))
}

/** Live mentees whose expected leaving date lies in [from, until] (the conference list filters further). */
export async function listMenteesLeavingBetween(from: string, until: string): Promise<Mentee[]> {
  const list = await guarded(() =>
    getDatabase().mentees.where('expectedLeavingDate').between(from, until, true, true).toArray(),
  )
  return list.filter(isLive)
}
