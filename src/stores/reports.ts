import { defineStore } from 'pinia'
import { computed } from 'vue'
import { listEvents } from '@/db/repositories/events'
import { listLeads } from '@/db/repositories/leads'
import { REPORT_ROLES } from '@/shared/protocol'
import { computeReport, suppressReport, type Report, type ReportPeriod } from '@/shared/reports'
import { useMenteesStore } from './mentees'
import { useSyncStore, type DataProtectionProblem } from './sync'

export type ReportSource = 'device' | 'municipality'

export interface LoadedReport {
  report: Report
  source: ReportSource
  /** When the endpoint counted (municipality figures); undefined for the device's own. */
  countedAt?: string
}

export type ReportProblem = DataProtectionProblem | 'storage'
export type ReportOutcome = { ok: true; value: LoadedReport } | { ok: false; problem: ReportProblem }

/**
 * The figures for funders: a coach's from the records on the device (their team's), counted
 * here; a coordinator's for the whole municipality from the endpoint. Both come out under the
 * same k-anonymity rule (`src/shared/reports.ts`); nothing is kept after the screen has them.
 */
export const useReportsStore = defineStore('reports', () => {
  const sync = useSyncStore()
  const role = computed(() => sync.session?.user.role ?? null)
  const mayRead = computed(() => role.value !== null && REPORT_ROLES.includes(role.value))
  const mayAskMunicipality = computed(() => role.value === 'coordinator')

  /** Counts over everything this device holds: the team's records for a coach. */
  async function countOnDevice(period: ReportPeriod): Promise<ReportOutcome> {
    try {
      const mentees = useMenteesStore()
      // The mentees are in memory already for the list and search; events and leads are few.
      const [events, leads] = await Promise.all([listEvents(), listLeads(), mentees.ensureLoaded()])
      const input = { mentees: mentees.sorted.map((entry) => entry.mentee), events, leads }
      return { ok: true, value: { report: suppressReport(computeReport(input, period)), source: 'device' } }
    } catch {
      return { ok: false, problem: 'storage' }
    }
  }

  /** The whole municipality, counted by the endpoint (coordinators; needs a connection). */
  async function askMunicipality(period: ReportPeriod): Promise<ReportOutcome> {
    const result = await sync.fetchReport(period)
    if (!result.ok) return result
    return { ok: true, value: { report: result.value.report, source: 'municipality', countedAt: result.value.serverTime } }
  }

  return { mayRead, mayAskMunicipality, countOnDevice, askMunicipality }
})
