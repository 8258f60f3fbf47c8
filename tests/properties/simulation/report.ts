/**
 * Counters over a whole run and the table printed at its end: how many schedules, which faults were
 * really injected (counted where they happen, not where they were planned: a fault planned for a
 * request that was never sent is not counted), and the violations per property.
 */
import { FAULT_KINDS, PENDING_FAULT_KINDS, type FaultKind } from './model'
import { PROPERTY_NAMES, type PropertyId, type Violation } from './properties'

export interface Stats {
  schedules: number
  steps: number
  /** Injected faults by kind (see FAULT_KINDS): counted where they happened. */
  faults: Record<FaultKind, number>
  accessChanges: number
  edits: number
  editsWithoutTarget: number
  offlineRequests: number
  heldDelivered: number
  pushesDelivered: number
  pullsDelivered: number
  replayedPushes: number
  /** First outcomes of the pushed mutations. */
  outcomes: { applied: number; superseded: number; rejected: number }
  conflictsLogged: number
  quietRounds: number
  violations: Record<PropertyId, number>
  failedSchedules: number
  /** Values replaced unseen by an unclamped stamp running ahead of true time, logged thanks to `seen` (Ledger.aheadLogged). */
  aheadLogged: number
}

export function newStats(): Stats {
  return {
    schedules: 0,
    steps: 0,
    faults: Object.fromEntries(Object.keys(FAULT_KINDS).map((kind) => [kind, 0])) as Record<FaultKind, number>,
    accessChanges: 0,
    edits: 0,
    editsWithoutTarget: 0,
    offlineRequests: 0,
    heldDelivered: 0,
    pushesDelivered: 0,
    pullsDelivered: 0,
    replayedPushes: 0,
    outcomes: { applied: 0, superseded: 0, rejected: 0 },
    conflictsLogged: 0,
    quietRounds: 0,
    violations: { a: 0, b: 0, c: 0, d: 0, e: 0, run: 0 },
    failedSchedules: 0,
    aheadLogged: 0,
  }
}

export function countViolations(stats: Stats, violations: readonly Violation[]): void {
  for (const violation of violations) stats.violations[violation.property] += 1
  if (violations.length > 0) stats.failedSchedules += 1
}

function table(rows: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length))
  const valueWidth = Math.max(...rows.map(([, value]) => String(value).length))
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${String(value).padStart(valueWidth)}`).join('\n')
}

export function formatReport(stats: Stats, options: { seed: number; runs: number; durationMs: number; interrupted: boolean }): string {
  const faultRows: [string, number | string][] = [
    ...(Object.entries(FAULT_KINDS) as [FaultKind, string][]).map(([kind, label]): [string, number] => [label, stats.faults[kind]]),
    ...Object.values(PENDING_FAULT_KINDS).map((label): [string, string] => [label, 'not yet']),
  ]
  const runRows: [string, number | string][] = [
    ['schedules', stats.schedules],
    ['steps', stats.steps],
    ['local edits (of which without target)', `${stats.edits} (${stats.editsWithoutTarget})`],
    ['pushes / pulls reaching the server', `${stats.pushesDelivered} / ${stats.pullsDelivered}`],
    ['mutations applied / superseded / refused', `${stats.outcomes.applied} / ${stats.outcomes.superseded} / ${stats.outcomes.rejected}`],
    ['assignment/share changes (all)', stats.accessChanges],
    ['requests refused while offline', stats.offlineRequests],
    ['held requests delivered late', stats.heldDelivered],
    ['conflict-log entries at the end', stats.conflictsLogged],
    ['logged because of `seen` (stamp > 5 min ahead, unclamped)', stats.aheadLogged],
    ['pushes replayed for (e)', stats.replayedPushes],
    ['sync rounds until quiet', stats.quietRounds],
  ]
  const violationRows: [string, number][] = (Object.keys(PROPERTY_NAMES) as PropertyId[]).map((id) => [PROPERTY_NAMES[id], stats.violations[id]])
  const total = Object.values(stats.violations).reduce((a, b) => a + b, 0)
  return [
    `Sync simulation: ${stats.schedules} schedules (asked ${options.runs}${options.interrupted ? ', stopped by the time limit' : ''}), seed ${options.seed}, ${(options.durationMs / 1000).toFixed(1)} s`,
    table(runRows),
    'Faults injected, by kind:',
    table(faultRows),
    `Violations: ${total} (schedules failing: ${stats.failedSchedules}, shrinking runs included)`,
    table(violationRows),
  ].join('\n')
}
