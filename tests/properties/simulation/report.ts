/**
 * Counters over a whole run and the table printed at its end: how many schedules, which faults were
 * really injected (counted where they happen, not where they were planned: a fault planned for a
 * request that was never sent is not counted), and the violations per property.
 */
import type { FaultKind } from './model'
import { PROPERTY_NAMES, type PropertyId, type Violation } from './properties'

export interface Stats {
  schedules: number
  steps: number
  faults: Record<FaultKind, number>
  /** Crashes between a local write and the next step (the `crash` fault counts crashes inside a sync). */
  crashesAfterWrite: number
  clockSkews: number
  /** Devices that were offline past the tombstone horizon while a purge ran. */
  horizons: number
  /** Pulls answered `409 reset_required`. */
  resets: number
  accessChanges: number
  accessChangesWhilePateOffline: number
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
}

export function newStats(): Stats {
  return {
    schedules: 0,
    steps: 0,
    faults: {
      requestLost: 0,
      responseLost: 0,
      duplicate: 0,
      reorder: 0,
      delay: 0,
      serverError: 0,
      gatewayTimeout: 0,
      truncatedBody: 0,
      shortPage: 0,
      crash: 0,
    },
    crashesAfterWrite: 0,
    clockSkews: 0,
    horizons: 0,
    resets: 0,
    accessChanges: 0,
    accessChangesWhilePateOffline: 0,
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
  const f = stats.faults
  const faultRows: [string, number | string][] = [
    ['request lost', f.requestLost],
    ['response lost after commit', f.responseLost],
    ['duplicated delivery', f.duplicate],
    ['reordering (held, delivered later)', f.reorder],
    ['delay (server clock moves on)', f.delay],
    ['5xx from a proxy', f.serverError],
    ['504 after commit (timeout)', f.gatewayTimeout],
    ['pull/push answer cut mid-body', f.truncatedBody],
    ['pull page cut short (smaller limit)', f.shortPage],
    ['crash inside a sync, after commit', f.crash],
    ['crash between a write and the next step', stats.crashesAfterWrite],
    ['clock skew (devices with skew, changes)', stats.clockSkews],
    ['offline beyond the tombstone horizon', stats.horizons],
    ['  ... pulls answered reset_required', stats.resets],
    ['assignment changes', stats.accessChanges],
    ['  ... while the Pate was offline', stats.accessChangesWhilePateOffline],
    ['erasure', 'not yet implemented in the endpoint'],
  ]
  const runRows: [string, number | string][] = [
    ['schedules', stats.schedules],
    ['steps', stats.steps],
    ['local edits (of which without target)', `${stats.edits} (${stats.editsWithoutTarget})`],
    ['pushes / pulls reaching the server', `${stats.pushesDelivered} / ${stats.pullsDelivered}`],
    ['mutations applied / superseded / refused', `${stats.outcomes.applied} / ${stats.outcomes.superseded} / ${stats.outcomes.rejected}`],
    ['requests refused while offline', stats.offlineRequests],
    ['held requests delivered late', stats.heldDelivered],
    ['conflict-log entries at the end', stats.conflictsLogged],
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
