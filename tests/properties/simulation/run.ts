/**
 * Runs schedules: sets up the devices, interprets each step, lets the devices sync until quiet
 * once the faults stop, and checks the properties. `Simulation.run` drives it with fast-check
 * (generation, shrinking, replay by seed and path) and returns the report.
 */
import fc from 'fast-check'
import { AccountError, assign, share, unassign, unshare } from '../../../server/accounts/accounts'
import { eraseMentee } from '../../../server/privacy/erasure'
import { purgeTombstones, TOMBSTONE_RETENTION_MS } from '../../../server/sync/purge'
import { EndpointError, NetworkError } from '@/sync/client'
import { SimDevice, type SyncOutcome } from './devices'
import { DAY, describeSchedule, ROSTERS, scheduleArb, type Edit, type Schedule, type Step } from './model'
import { checkConvergedState, checkReplay, Ledger, PROPERTY_NAMES, type Violation } from './properties'
import { countViolations, formatReport, newStats, type Stats } from './report'
import { SimServer } from './server'
import { Network } from './transport'

/** Rounds of "every device syncs once" allowed before devices must be quiet. */
const MAX_QUIET_ROUNDS = 6

export interface RunOptions {
  runs: number
  seed: number
  path?: string
  maxSteps: number
  timeLimitMs: number
  /** Print a progress line every this many schedules (0: never). */
  progressEvery: number
  /** Print the whole report so far every this many schedules (0: never), so a long run shows its figures while it runs. */
  reportEvery?: number
  log: (line: string) => void
  /** The command that replays this run's failure; `{seed}` and `{path}` are filled in. */
  replayCommand: string
}

export interface RunResult {
  stats: Stats
  report: string
  /** Set when a schedule failed: the shrunk schedule, its violations and how to replay it. */
  failure?: string
  interrupted: boolean
}

class ScheduleFailed extends Error {
  constructor(readonly violations: readonly Violation[]) {
    super(violations.map((v) => `${PROPERTY_NAMES[v.property]}: ${v.message}`).join('\n'))
    this.name = 'ScheduleFailed'
  }
}

/**
 * Ids from a counter instead of `crypto.randomUUID` while a schedule runs: record ids and clock
 * nodes then come out the same on every replay, and so does everything ordered by them (pull
 * expansions, stamps that tie on time and counter).
 */
async function withDeterministicUuids<T>(work: () => Promise<T>): Promise<T> {
  const target = globalThis.crypto
  const own = Object.getOwnPropertyDescriptor(target, 'randomUUID')
  let counter = 0
  Object.defineProperty(target, 'randomUUID', {
    configurable: true,
    writable: true,
    value: () => `00000000-0000-4000-8000-${(counter += 1).toString(16).padStart(12, '0')}`,
  })
  try {
    return await work()
  } finally {
    if (own) Object.defineProperty(target, 'randomUUID', own)
    else delete (target as { randomUUID?: unknown }).randomUUID
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}`
  return String(error)
}

export class Simulation {
  readonly stats = newStats()
  private scheduleCounter = 0

  private constructor(private readonly server: SimServer) {}

  static async create(): Promise<Simulation> {
    return new Simulation(await SimServer.create())
  }

  async close(): Promise<void> {
    await this.server.close()
  }

  async runSchedule(schedule: Schedule): Promise<Violation[]> {
    const server = this.server
    const stats = this.stats
    const roster = ROSTERS[schedule.roster]!
    const labels = roster.map((persona, i) => `dev${i}:${persona}`)
    this.scheduleCounter += 1
    stats.schedules += 1
    await server.startSchedule()
    const ledger = new Ledger(server.db, (i) => labels[i] ?? `dev${i}`)
    const network = new Network(server, ledger, stats)
    const devices = roster.map(
      (persona, i) =>
        new SimDevice(i, persona, labels[i]!, `sim-${process.pid}-${this.scheduleCounter}-${i}`, schedule.skews[i % schedule.skews.length]!, server, network, ledger),
    )
    stats.faults.clockSkewDays += devices.filter((device) => Math.abs(device.skewMs) >= DAY).length
    const slots = server.slotsFor(roster)
    try {
      await withDeterministicUuids(async () => {
        for (const [i, device] of devices.entries()) await device.boot(slots[i]!)
        await this.seed(schedule, devices)
        for (const step of schedule.steps) {
          stats.steps += 1
          await this.step(step, devices, network, ledger)
        }
        if (!(await this.syncUntilQuiet(devices, network, ledger))) return
        await ledger.noteTombstones()
        await checkConvergedState(server, ledger, devices.map((d) => ({ index: d.index, label: d.label, user: d.session.user, db: d.db, token: d.session.token })))
        await ledger.checkAcknowledgedWrites()
        const { rows } = await server.db.query<{ count: number }>('SELECT count(*) AS count FROM conflicts')
        stats.conflictsLogged += rows[0]?.count ?? 0
        // Past the rate limiter's window, so replays are judged on their own.
        server.now += 61_000
        // Every push once more, and the first one (the oldest, so the furthest behind) twice more.
        stats.replayedPushes += await checkReplay(server, ledger, [...ledger.pushes, ...ledger.pushes.slice(0, 1), ...ledger.pushes.slice(0, 1)])
      })
    } catch (error) {
      ledger.violation('run', `the schedule stopped with ${error instanceof Error ? (error.stack ?? describeError(error)) : String(error)}`)
    } finally {
      for (const device of devices) await device.destroy().catch(() => undefined)
      await server.endSchedule()
    }
    for (const status of ['applied', 'superseded', 'rejected'] as const) stats.outcomes[status] += ledger.outcomes[status]
    countViolations(stats, ledger.violations)
    stats.aheadLogged += ledger.aheadLogged
    return ledger.violations
  }

  /** Before the schedule: the first coach creates a few mentees (one with a note and an appointment), everybody syncs. */
  private async seed(schedule: Schedule, devices: SimDevice[]): Promise<void> {
    const creator = devices[0]!
    for (let i = 0; i < schedule.seedMentees; i++) await creator.edit({ op: 'createMentee', name: i })
    await creator.edit({ op: 'createNote', mentee: 0, text: 0 })
    await creator.edit({ op: 'createAppointment', mentee: 0, type: 0 })
    await this.mustSync(creator)
    if (schedule.seedAssign !== 'none' && devices.some((d) => d.persona === 'pate1')) {
      const { rows } = await this.server.db.query<{ id: string }>(`SELECT id::text AS id FROM records WHERE tbl = 'mentees' ORDER BY id LIMIT 1`)
      const first = rows[0]!.id
      await assign(this.server.db, 'pate1', first, this.server.now)
      if (schedule.seedAssign === 'shared') await share(this.server.db, 'pate1', first, this.server.now)
    }
    // The creator has pulled its own records already; everybody else catches up.
    for (const device of devices.slice(1)) await this.mustSync(device)
  }

  private async mustSync(device: SimDevice): Promise<void> {
    this.server.now += 1000
    const outcome = await device.sync([])
    if (!outcome.ok) throw new Error(`${device.label}: sync without faults failed: ${describeError(outcome.error)}`)
  }

  /** A failed sync is normal under faults; anything but a network error or an answer the network mangled is not. */
  private judge(device: SimDevice, outcome: SyncOutcome, ledger: Ledger): void {
    if (outcome.ok) return
    const { error } = outcome
    // The app died mid-sync: whatever was under way (a page being applied while the next was asked
    // for) fails on the closed database, which no user sees. What it left is judged by (a)-(e).
    if (outcome.crashed) return
    if (error instanceof NetworkError) return
    if (error instanceof EndpointError && device.mangledAnswers > 0) return
    ledger.violation('run', `${device.label}: sync failed with ${describeError(error)}`)
  }

  private async step(step: Step, devices: SimDevice[], network: Network, ledger: Ledger): Promise<void> {
    const server = this.server
    const stats = this.stats
    server.now += step.dt
    switch (step.kind) {
      case 'edit': {
        const device = devices[step.device % devices.length]!
        await this.edit(device, step.edit)
        if (step.crashAfter) {
          stats.faults.crashAfterWrite += 1
          await device.restart()
        }
        return
      }
      case 'race': {
        const first = devices[step.first % devices.length]!
        const second = devices[step.second % devices.length]!
        const done = await this.edit(first, step.edit)
        server.now += 1000
        const again = await this.edit(second, { ...step.edit, value: step.edit.value + 1 })
        if (done && again && first !== second) {
          stats.faults.concurrentEdit += 1
          if (step.thenSync) {
            for (const device of [second, first]) {
              server.now += 1000
              device.mangledAnswers = 0
              this.judge(device, await device.sync([]), ledger)
            }
          }
        }
        return
      }
      case 'sync': {
        const device = devices[step.device % devices.length]!
        device.mangledAnswers = 0
        this.judge(device, await device.sync(step.faults), ledger)
        return
      }
      case 'skew': {
        devices[step.device % devices.length]!.skewMs = step.skewMs
        if (Math.abs(step.skewMs) >= DAY) stats.faults.clockSkewDays += 1
        return
      }
      case 'offline':
        devices[step.device % devices.length]!.offline = step.offline
        return
      case 'deliverHeld':
        await network.deliverHeld(step.pick)
        return
      case 'access':
        await this.changeAccess(step, devices)
        return
      case 'horizon': {
        // Offline from now on (until a step brings it back, or the faults stop), while the
        // server's clock passes the horizon and the purge removes every older tombstone.
        const away = devices[step.device % devices.length]!
        away.offline = true
        stats.faults.offlinePastHorizon += 1
        const deleter = devices[step.deleteBy % devices.length]!
        if (deleter !== away && !deleter.offline) {
          await this.edit(deleter, step.deletes === 'notes' ? { op: 'deleteNote', target: step.target } : { op: 'deleteMentee', target: step.target })
          await deleter.sync([])
        }
        await ledger.noteTombstones()
        server.now += (180 + step.extraDays) * DAY
        await purgeTombstones(server.db, { olderThan: new Date(server.now - TOMBSTONE_RETENTION_MS) })
        return
      }
      case 'erase':
        await this.erase(step, devices, ledger)
        return
    }
  }

  /**
   * A coach of the mentee's team erases it on the server while `away` is offline; `away` may go
   * on editing it offline and hears of the erasure only at its next pull (its pushes of the erased
   * records are refused).
   */
  private async erase(step: Extract<Step, { kind: 'erase' }>, devices: SimDevice[], ledger: Ledger): Promise<void> {
    const server = this.server
    const away = devices[step.device % devices.length]!
    const raced = step.conflictFirst && !away.offline ? await this.conflictOn(away, step.mentee, devices, ledger) : undefined
    away.offline = true
    // The mentee the offline device holds, so that it has something to go on editing; else any.
    let candidates = await away.liveIds('mentees')
    if (candidates.length === 0) {
      const { rows } = await server.db.query<{ id: string }>(`SELECT id::text AS id FROM records WHERE tbl = 'mentees' ORDER BY id`)
      candidates = rows.map((row) => row.id)
    }
    if (candidates.length === 0) return
    const menteeId = raced ?? candidates[step.mentee % candidates.length]!
    const { rows: found } = await server.db.query<{ team_id: string | null }>(
      `SELECT team_id::text AS team_id FROM records WHERE tbl = 'mentees' AND id = $1`,
      [menteeId],
    )
    // Not on the server (yet): the device created it offline; nobody can erase it.
    if (found.length === 0) return
    const coach = (['coach1', 'coach2', 'coachB'] as const).map((p) => server.users[p]).find((user) => user.teamId === found[0]!.team_id)
    if (!coach) throw new Error(`no coach of team ${found[0]!.team_id} to erase mentee ${menteeId}`)
    const { rows: logged } = await server.db.query<{ count: number }>('SELECT count(*) AS count FROM conflicts WHERE mentee_id = $1', [menteeId])
    const outcome = await eraseMentee(server.db, { actor: coach, deviceId: null, menteeId, now: server.now, reason: 'request' })
    if (!outcome.ok) {
      ledger.violation('run', `erasure of mentee ${menteeId} by ${coach.username} answered ${outcome.error}`)
      return
    }
    await ledger.noteErasure(menteeId)
    this.stats.faults.erasureWhileOffline += 1
    if ((logged[0]?.count ?? 0) > 0) this.stats.faults.erasureOfConflicts += 1
    if (!step.thenEdit) return
    const index = (await away.liveIds('mentees')).indexOf(menteeId)
    if (index < 0) return
    server.now += 1000
    const edited = await this.edit(away, { op: 'updateMentee', target: index, field: 'phone', value: step.mentee + 1 })
    server.now += 1000
    const created = await this.edit(away, { op: 'createNote', mentee: index, text: step.mentee })
    if (edited || created) this.stats.faults.editErasedOffline += 1
  }

  /**
   * `first` and an online device holding the same mentee write its phone one after the other, the
   * other syncs, then `first`: `first`'s value loses and is logged (clocks permitting).
   */
  private async conflictOn(first: SimDevice, pick: number, devices: SimDevice[], ledger: Ledger): Promise<string | undefined> {
    const mine = await first.liveIds('mentees')
    if (mine.length === 0) return undefined
    const menteeId = mine[pick % mine.length]!
    for (const second of devices) {
      if (second === first || second.offline) continue
      const index = (await second.liveIds('mentees')).indexOf(menteeId)
      if (index < 0) continue
      const done = await this.edit(first, { op: 'updateMentee', target: pick, field: 'phone', value: 1 })
      this.server.now += 1000
      const again = await this.edit(second, { op: 'updateMentee', target: index, field: 'phone', value: 2 })
      if (!done || !again) return undefined
      this.stats.faults.concurrentEdit += 1
      for (const device of [second, first]) {
        this.server.now += 1000
        device.mangledAnswers = 0
        this.judge(device, await device.sync([]), ledger)
      }
      return menteeId
    }
    return undefined
  }

  /** One local edit, counted by what it did to the shared records. */
  private async edit(device: SimDevice, edit: Edit): Promise<boolean> {
    const stats = this.stats
    stats.edits += 1
    const done = await device.edit(edit)
    if (!done) stats.editsWithoutTarget += 1
    else if (edit.op === 'restore') stats.faults.restore += 1
    else if (edit.op.startsWith('delete')) stats.faults.deleteShared += 1
    else if (!edit.op.startsWith('create') && edit.op !== 'addChecklistItem') stats.faults.editShared += 1
    return done
  }

  private async changeAccess(step: Extract<Step, { kind: 'access' }>, devices: SimDevice[]): Promise<void> {
    const pate = devices.find((d) => d.persona === 'pate1')
    if (!pate) return
    const { rows } = await this.server.db.query<{ id: string }>(`SELECT id::text AS id FROM records WHERE tbl = 'mentees' AND NOT deleted ORDER BY id`)
    if (rows.length === 0) return
    const menteeId = rows[step.mentee % rows.length]!.id
    const change = { assign, unassign, share, unshare }[step.change]
    try {
      const result = await change(this.server.db, 'pate1', menteeId, this.server.now)
      if (result.changed) {
        this.stats.accessChanges += 1
        if (pate.offline) this.stats.faults.accessChangeWhileOffline += 1
      }
    } catch (error) {
      // Sharing a mentee that is not assigned: the admin CLI refuses it, nothing changes.
      if (!(error instanceof AccountError)) throw error
    }
  }

  /** Faults stop: held requests arrive, everybody is online, devices sync in turn until nothing moves. */
  private async syncUntilQuiet(devices: SimDevice[], network: Network, ledger: Ledger): Promise<boolean> {
    for (const device of devices) device.offline = false
    await network.deliverAllHeld()
    for (let round = 1; round <= MAX_QUIET_ROUNDS; round++) {
      let moved = 0
      for (const device of devices) {
        this.server.now += 1000
        const outcome = await device.sync([])
        if (!outcome.ok) {
          ledger.violation('run', `${device.label}: sync failed after the faults stopped: ${describeError(outcome.error)}`)
          return false
        }
        moved += outcome.report.pushed + outcome.report.refused + outcome.report.pulled
      }
      this.stats.quietRounds += 1
      if (moved === 0) return true
    }
    ledger.violation('run', `devices still push or pull after ${MAX_QUIET_ROUNDS} rounds without faults`)
    return false
  }

  async run(options: RunOptions): Promise<RunResult> {
    const started = performance.now()
    let executed = 0
    const property = fc.asyncProperty(scheduleArb(options.maxSteps), async (schedule) => {
      const violations = await this.runSchedule(schedule)
      executed += 1
      if (options.progressEvery > 0 && executed % options.progressEvery === 0) {
        const failing = this.stats.failedSchedules
        options.log(`[sync simulation] ${executed}/${options.runs} schedules, ${failing} failing, ${((performance.now() - started) / 1000).toFixed(0)} s`)
      }
      if (options.reportEvery && executed % options.reportEvery === 0 && executed < options.runs) {
        options.log(`[sync simulation] report so far:\n${formatReport(this.stats, { seed: options.seed, runs: options.runs, durationMs: performance.now() - started, interrupted: false })}`)
      }
      if (violations.length > 0) throw new ScheduleFailed(violations)
    })
    const details = await fc.check<[Schedule]>(property, {
      seed: options.seed,
      numRuns: options.runs,
      ...(options.path !== undefined ? { path: options.path } : {}),
      // The plugin is typed for any property; fast-check's generics do not carry it over.
      plugins: [fc.interruptAfterTimeLimit(options.timeLimitMs) as unknown as NonNullable<fc.Parameters<[Schedule]>['plugins']>[number]],
    })
    const report = formatReport(this.stats, {
      seed: options.seed,
      runs: options.runs,
      durationMs: performance.now() - started,
      interrupted: details.interrupted,
    })
    if (!details.failed) return { stats: this.stats, report, interrupted: details.interrupted }
    const schedule = details.counterexample?.[0]
    const error = details.errorInstance
    const violations = error instanceof ScheduleFailed ? error.message : describeError(error)
    const command = options.replayCommand.replace('{seed}', String(details.seed)).replace('{path}', details.counterexamplePath ?? '')
    const failure = [
      `Sync simulation FAILED on schedule ${details.numRuns} (shrunk ${details.numShrinks} times).`,
      'Violations of the shrunk schedule:',
      violations.replace(/^/gm, '  '),
      'Shrunk schedule:',
      schedule ? describeSchedule(schedule).replace(/^/gm, '  ') : '  (none)',
      `As data: ${JSON.stringify(schedule)}`,
      `Replay it: ${command}`,
    ].join('\n')
    return { stats: this.stats, report, failure, interrupted: details.interrupted }
  }
}
