/**
 * `npm run bench:load`: the municipal endpoint under load and faults, as a separate process on
 * 127.0.0.1, once on PGlite and once on PostgreSQL.
 *
 * 200 simulated devices (100 coaches in 4 teams, two devices each) sign in and each push 200
 * records (40 people, 160 notes) in 10 batches while pulling 10 pages of 20 changes from their
 * cursors; they sign in spread over 20 s. In the middle the endpoint is restarted (SIGTERM, then
 * started again on the same data); on PostgreSQL the database also goes away later on: its
 * connections are dropped (`pg_terminate_backend`) and new ones refused for a few seconds, then
 * allowed again, and the endpoint must reconnect by itself. Devices retry as the app does
 * (full-jitter back-off, `Retry-After`, the app's request timeout) and send an unanswered batch
 * again unchanged. Then autocannon
 * fires pulls with the devices' tokens for a few seconds (throughput of the read path).
 *
 * Checked at the end, straight in the database: every record a device got acknowledged
 * (applied / superseded / duplicate) is stored with the values sent; no device pulled a record of
 * another team; no 5xx outside the fault windows. Figures go to the console and to
 * bench-results-load.json. Exit code 1 when a check fails.
 *
 * Environment: LOAD_ENGINES (default `pglite,postgres`), LOAD_DEVICES (200), LOAD_RECORDS (200),
 * LOAD_BUDGET_SECONDS (110: no device starts a new round after this, or after the time the
 * sign-ins need at this machine's measured password-check speed if longer; the figures say how
 * many records were sent, so a slow machine gives a shorter but still fully checked run).
 */
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { hashPassword, passwordCheckLimits, verifyPassword } from '../server/accounts/passwords'
import { emptyMentee } from '../src/shared/records'
import { validateFields } from '../src/shared/validation'
import { Device, Recorder, sameValue, type Generated, type LoadSettings, type Sample } from './load-devices'
import {
  createAccounts,
  EndpointProcess,
  freePort,
  startPostgres,
  dropDatabaseConnections,
  withDatabase,
  type Account,
  type Engine,
  type PostgresCluster,
} from './load-server'

const RESULTS_FILE = fileURLToPath(new URL('../bench-results-load.json', import.meta.url))
const DEVICES = Number(process.env.LOAD_DEVICES ?? 200)
const RECORDS_PER_DEVICE = Number(process.env.LOAD_RECORDS ?? 200)
const DEVICES_PER_USER = 2
const TEAMS = ['Team Last Nord', 'Team Last Süd', 'Team Last Ost', 'Team Last West']
const PASSWORD = 'lasttest-passwort-1234'
const SETTINGS: LoadSettings = { rounds: 10, pushBatch: Math.ceil(RECORDS_PER_DEVICE / 10), pullLimit: 20, thinkMs: 50, maxAttempts: 400 }
/**
 * Time for the devices' work per engine: no device starts a new round after it, so the whole
 * command stays near five minutes even on a busy machine (the figures say how much got done).
 */
const BUDGET_MS = Number(process.env.LOAD_BUDGET_SECONDS ?? 110) * 1000
/**
 * Every device signs in once, and a sign-in costs one scrypt password check (~0.1 s on a quiet
 * core, ten times that on a busy shared machine), of which the endpoint runs `passwordCheckLimits
 * .concurrent` at a time. So the budget is at least the ramp-up, the sign-ins at the speed this
 * machine checks passwords right now (measured before the run), with a margin, and time for the
 * rounds after the last sign-in: still bounded, but not shorter than the sign-ins alone need.
 */
const ROUNDS_AFTER_SIGN_IN_MS = 45_000
/** Under the run's own load a check takes longer than measured alone (seen: 2-4x on 2 busy cores). */
const SIGN_IN_MARGIN = 3
/** When the faults strike: at this share of all push batches acknowledged, or of the budget. */
const RESTART_AT = 0.35
const TERMINATE_AT = 0.65
/** How long PostgreSQL refuses connections after they were dropped (the outage). */
const DATABASE_OUTAGE_MS = 5_000
/** 5xx answers to requests in flight when the database connections came back are expected too. */
const TERMINATE_GRACE_MS = 2_000
const AUTOCANNON_SECONDS = 6
/** Devices sign in spread over this time, as phones opening the app in the morning would. */
const RAMP_UP_MS = 20_000

/** How long one password check (scrypt with today's parameters) takes on this machine now. */
async function timePasswordCheck(): Promise<number> {
  const stored = await hashPassword('lasttest-kalibrierung-1234')
  let best = Number.POSITIVE_INFINITY
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now()
    await verifyPassword('lasttest-kalibrierung-1234', stored)
    best = Math.min(best, performance.now() - started)
  }
  return best
}

interface FaultWindow {
  kind: 'restart' | 'pg-terminate' | 'crash'
  start: number
  /** Restart: when the old process had exited (from `start` to here it drained its requests). */
  exited?: number
  end: number
  detail: string
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

function latency(samples: Sample[]): { p50: number; p95: number; p99: number; max: number } {
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b)
  const round = (n: number) => Math.round(n * 10) / 10
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) }
}

/** The lines of a crash log that name the error (the timestamp and pid prefix taken off). */
function firstErrorLine(log: string): string {
  const lines = log.split('\n').map((line) => line.replace(/^[\d:.]+ \[\d+\] /, '').trim())
  const error = lines.find((line) => /^\w*error\b.*:/i.test(line)) ?? 'no error line'
  const emitted = lines.find((line) => line.startsWith('Emitted ') || line.includes("Unhandled 'error' event"))
  return emitted ? `${error} (${emitted})` : error
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

/** Each device's records: people first, each followed later by their notes (4 per person). */
function generate(deviceIndex: number, team: string, count: number): Generated[] {
  const people = Math.ceil(count / 5)
  const mentees: Generated[] = Array.from({ length: people }, (_, i) => ({
    table: 'mentees',
    id: randomUUID(),
    team,
    fields: {
      ...emptyMentee(),
      givenName: 'Lasttest',
      familyName: `Gerät ${deviceIndex} Person ${i + 1}`,
      phone: `+49 000 ${String(deviceIndex).padStart(3, '0')} ${String(i).padStart(3, '0')}`,
      languages: ['ar', 'de'],
      stage: 'accompanied',
      tags: ['Lasttest'],
    },
  }))
  const records: Generated[] = []
  for (const [i, mentee] of mentees.entries()) {
    records.push(mentee)
    for (let n = 0; n < 4 && records.length < count; n += 1) {
      records.push({
        table: 'notes',
        id: randomUUID(),
        team,
        fields: { menteeId: mentee.id, date: '2026-11-20', kind: 'talk', text: `Erfundene Notiz ${n + 1} zu Person ${i + 1} (Lasttest).`, topics: ['Lasttest'], followUpText: '', followUpDue: '', followUpDone: false },
      })
    }
    if (records.length >= count) break
  }
  for (const record of records) {
    const checked = validateFields(record.table, record.fields)
    if (!checked.ok) throw new Error(`generated ${record.table} is invalid: ${checked.field}`)
  }
  return records
}

interface RunResult {
  engine: string
  devices: number
  recordsPerDevice: number
  durationSeconds: number
  /** One password check on this machine before the run, and the time budget that followed from it. */
  passwordCheckMs: number
  budgetSeconds: number
  requests: number
  requestsByKind: Record<string, number>
  latencyMs: Record<string, { p50: number; p95: number; p99: number; max: number }>
  outcomes: Record<string, number>
  faults: (FaultWindow & { durationMs: number })[]
  errorsInFaultWindows: Record<string, number>
  errorsOutsideFaultWindows: Record<string, number>
  /** Restarts: errors of requests sent while the old process drained, and while none ran (only connection errors allowed). */
  errorsWhileDraining: Record<string, number>
  errorsWhileDown: Record<string, number>
  mutationsPerSecond: number
  fiveHundredsOutsideFaultWindows: number
  acknowledged: Record<string, number>
  rejected: number
  /** Records pushed at least once (all of them unless the time budget ran out first). */
  recordsSent: number
  roundsCompleted: number
  unacknowledged: number
  lost: number
  wrongValues: number
  pulledChanges: number
  leaks: number
  pulledMismatches: number
  deviceFailures: string[]
  peakServerRssMiB: number
  serverStarts: number
  crashes: { code: number | null; signal: string | null; error: string }[]
  /** What the endpoint logged behind its 5xx answers. */
  serverErrors: Record<string, number>
  autocannonPulls: {
    requests: number
    requestsPerSecond: number
    latencyMs: { p50: number; p90: number; p97_5: number; p99: number; max: number }
    non2xx: number
    errors: number
    statusCodes: Record<string, number>
  }
  ok: boolean
  problems: string[]
}

async function runOnce(engineKind: 'pglite' | 'postgres'): Promise<RunResult> {
  const started = Date.now()
  let cluster: PostgresCluster | undefined
  let dataDir: string | undefined
  let engine: Engine
  if (engineKind === 'postgres') {
    cluster = await startPostgres()
    engine = { kind: 'postgres', url: cluster.url }
  } else {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lotse-load-'))
    engine = { kind: 'pglite', dataDir }
  }
  let endpoint: EndpointProcess | undefined
  try {
    // Accounts first, straight in the database (the server is not running yet).
    const users = DEVICES / DEVICES_PER_USER
    const accounts: Account[] = Array.from({ length: users }, (_, i) => ({
      username: `last.coach.${String(i + 1).padStart(3, '0')}`,
      password: PASSWORD,
      team: TEAMS[i % TEAMS.length]!,
    }))
    await createAccounts(engine, TEAMS, accounts)

    endpoint = new EndpointProcess(engine, await freePort())
    await endpoint.start()
    console.log(`[${engineKind}] endpoint pid ${endpoint.pid} on ${endpoint.baseUrl}; accounts ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)

    const generated = new Map<string, Generated>()
    const devices: Device[] = []
    const deviceRecords = Array.from({ length: DEVICES }, (_, index) => {
      const account = accounts[index % users]!
      const records = generate(index, account.team, RECORDS_PER_DEVICE)
      for (const record of records) generated.set(record.id, record)
      return { account, records }
    })
    const totalPushes = DEVICES * Math.ceil(RECORDS_PER_DEVICE / SETTINGS.pushBatch)

    const faults: FaultWindow[] = []
    const faultWork: Promise<void>[] = []
    let restarted = false
    let terminated = false
    const reconnectFailures: string[] = []
    const restart = () => {
      restarted = true
      faultWork.push(
        (async () => {
          const start = Date.now()
          const code = await endpoint!.stop().catch((error: unknown) => {
            console.error(`[${engineKind}] ${error instanceof Error ? error.message : String(error)}`)
            return 'killed'
          })
          const exited = Date.now()
          await endpoint!.start()
          const end = Date.now()
          faults.push({ kind: 'restart', start, exited, end, detail: `SIGTERM → exit ${code} after ${exited - start} ms → listening again after ${end - exited} ms` })
          console.log(`[${engineKind}] restarted the endpoint in ${end - start} ms (exit code ${code})`)
        })(),
      )
    }
    const terminate = () => {
      terminated = true
      faultWork.push(
        (async () => {
          const start = Date.now()
          const { terminated: count, reconnected } = await dropDatabaseConnections(cluster!.url, DATABASE_OUTAGE_MS)
          faults.push({
            kind: 'pg-terminate',
            start,
            end: start + DATABASE_OUTAGE_MS + TERMINATE_GRACE_MS,
            detail: `pg_terminate_backend on ${count} connections, no new ones for ${DATABASE_OUTAGE_MS / 1000} s; the endpoint held ${reconnected} again 3 s later`,
          })
          if (reconnected === 0) reconnectFailures.push('the endpoint held no PostgreSQL connection 3 s after the outage')
          console.log(`[${engineKind}] dropped ${count} PostgreSQL connections for ${DATABASE_OUTAGE_MS / 1000} s; ${reconnected} open again 3 s later`)
        })(),
      )
    }
    let workStartedAt = Date.now()
    const checkMs = await timePasswordCheck()
    const signInMs = (DEVICES * checkMs) / passwordCheckLimits.concurrent
    const budgetMs = Math.max(BUDGET_MS, Math.round(RAMP_UP_MS + SIGN_IN_MARGIN * signInMs + ROUNDS_AFTER_SIGN_IN_MS))
    console.log(
      `[${engineKind}] one password check takes ${checkMs.toFixed(0)} ms here, ${passwordCheckLimits.concurrent} at a time: ` +
        `${DEVICES} sign-ins need ~${(signInMs / 1000).toFixed(0)} s; time budget ${(budgetMs / 1000).toFixed(0)} s (+60 s hard limit)`,
    )
    const share = (done: number) => Math.max(done / totalPushes, (Date.now() - workStartedAt) / budgetMs)
    const onProgress = (done: number) => {
      if (!restarted && share(done) >= RESTART_AT) restart()
      if (engineKind === 'postgres' && !terminated && share(done) >= TERMINATE_AT) terminate()
    }
    // Like a process supervisor: a crashed endpoint is started again (and the run fails).
    endpoint.onCrash = () => {
      const crash = endpoint!.crashes.at(-1)!
      console.error(`[${engineKind}] the endpoint CRASHED (exit ${crash.code ?? crash.signal}); starting it again. Its last output:\n${crash.log}`)
      faultWork.push(
        (async () => {
          await endpoint!.start()
          faults.push({ kind: 'crash', start: crash.at, end: Date.now(), detail: `exit ${crash.code ?? crash.signal}: ${firstErrorLine(crash.log)}` })
        })(),
      )
    }
    const recorder = new Recorder(generated, onProgress)
    // Also on time alone, should no push be acknowledged for a while.
    const faultClock = setInterval(() => onProgress(recorder.pushesAcknowledged), 1_000)
    for (const [index, { account, records }] of deviceRecords.entries()) {
      devices.push(new Device(index, account, records, endpoint.baseUrl, SETTINGS, recorder))
    }

    workStartedAt = Date.now()
    const deadline = workStartedAt + budgetMs
    const work = Promise.all(devices.map((device, index) => device.run((index / DEVICES) * RAMP_UP_MS, deadline)))
    // A round under way at the deadline is finished (with its retries); this bounds even that:
    // then requests stop retrying, and the checks below cover what was acknowledged.
    const hardLimitMs = budgetMs + 60_000
    let hitHardLimit = false
    const timer = setTimeout(() => {
      hitHardLimit = true
      recorder.abort()
    }, hardLimitMs)
    let lastCount = 0
    const progress = setInterval(() => {
      const recent = recorder.samples.slice(lastCount)
      lastCount = recorder.samples.length
      const recentOk = recent.filter((sample) => typeof sample.outcome === 'number' && sample.outcome < 300)
      console.log(
        `[${engineKind}] ${Math.round((Date.now() - workStartedAt) / 1000)} s: ${recorder.pushesAcknowledged}/${totalPushes} batches acknowledged; last 10 s ${recent.length} requests, ` +
          `p50 ${latency(recentOk).p50} ms, ${JSON.stringify(countBy(recent, (sample) => String(sample.outcome)))}`,
      )
    }, 10_000)
    try {
      // Past the hard limit every request and wait is aborted; a device still busy a while later
      // is a bug of this harness, reported (and failing the run) rather than waited for forever.
      const settled = await Promise.race([work.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), hardLimitMs + 30_000).unref())])
      if (!settled) {
        const stuck = devices.filter((device) => device.phase !== 'done')
        const phases = countBy(stuck, (device) => device.phase)
        recorder.failures.push(`${stuck.length} device(s) did not stop 30 s after the hard limit: ${JSON.stringify(phases)}`)
        console.error(`[${engineKind}] ${stuck.length} device(s) did not stop after the hard limit: ${JSON.stringify(phases)}`)
      }
    } finally {
      clearTimeout(timer)
      clearInterval(faultClock)
      clearInterval(progress)
    }
    // Crash restarts may have been queued while earlier ones ran.
    for (let i = 0; i < faultWork.length; i += 1) await faultWork[i]
    const workSeconds = (Date.now() - workStartedAt) / 1000
    console.log(`[${engineKind}] ${DEVICES} devices done in ${workSeconds.toFixed(1)} s; autocannon pulls for ${AUTOCANNON_SECONDS} s`)

    // The read path at full speed: pulls of the first page with the devices' tokens, round robin.
    const tokens = devices.map((device) => device.sessionToken).filter(Boolean)
    let next = 0
    const cannon = await autocannon({
      url: endpoint.baseUrl,
      connections: 50,
      duration: AUTOCANNON_SECONDS,
      requests: [
        {
          method: 'GET',
          path: '/api/v1/sync/pull?limit=100',
          setupRequest: (request) => ({ ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` } }),
        },
      ],
    })

    // What the database holds, read directly.
    const expected = [...recorder.acknowledged.keys()]
    const stored = new Map<string, { fields: Record<string, unknown>; deleted: boolean }>()
    const readStored = async () =>
      withDatabase(engine, async (db) => {
        for (let i = 0; i < expected.length; i += 5_000) {
          const { rows } = await db.query<{ id: string; fields: Record<string, unknown>; deleted: boolean }>(
            'SELECT id, fields, deleted FROM records WHERE id = ANY($1::uuid[])',
            [expected.slice(i, i + 5_000)],
          )
          for (const row of rows) stored.set(row.id, row)
        }
      })
    const peakBeforeStop = endpoint.peakRssBytes
    if (engine.kind === 'postgres') {
      await readStored()
      await endpoint.stop()
    } else {
      await endpoint.stop()
      await readStored()
    }
    const lost = expected.filter((id) => !stored.has(id) || stored.get(id)!.deleted)
    const wrongValues = expected.filter((id) => stored.has(id) && !sameValue(stored.get(id)!.fields, generated.get(id)!.fields))

    // Figures.
    const samples = recorder.samples
    const inWindow = (sample: Sample) => faults.some((fault) => sample.endedAt >= fault.start && sample.sentAt <= fault.end)
    const restarts = faults.filter((fault) => fault.exited !== undefined)
    /** Sent between SIGTERM and the old process's exit: it finishes what it has and refuses the rest. */
    const whileDraining = (sample: Sample) => restarts.some((fault) => sample.sentAt >= fault.start && sample.sentAt < fault.exited!)
    /** Sent while no endpoint process existed (from the old one's exit to the new one listening). */
    const whileDown = (sample: Sample) => restarts.some((fault) => sample.sentAt >= fault.exited! && sample.sentAt <= fault.end)
    const isError = (sample: Sample) => typeof sample.outcome === 'string' || sample.outcome >= 400
    const errorsIn = countBy(samples.filter((s) => isError(s) && inWindow(s)), (s) => String(s.outcome))
    const errorsOut = countBy(samples.filter((s) => isError(s) && !inWindow(s)), (s) => String(s.outcome))
    const errorsDraining = countBy(samples.filter((s) => isError(s) && whileDraining(s)), (s) => String(s.outcome))
    const errorsDown = countBy(samples.filter((s) => isError(s) && whileDown(s)), (s) => String(s.outcome))
    const fiveHundredsOutside = samples.filter((s) => typeof s.outcome === 'number' && s.outcome >= 500 && !inWindow(s)).length
    const ok2xx = samples.filter((s) => typeof s.outcome === 'number' && s.outcome < 300)
    const result: RunResult = {
      engine: engineKind,
      devices: DEVICES,
      recordsPerDevice: RECORDS_PER_DEVICE,
      durationSeconds: Math.round(workSeconds * 10) / 10,
      passwordCheckMs: Math.round(checkMs),
      budgetSeconds: Math.round(budgetMs / 1000),
      requests: samples.length,
      requestsByKind: countBy(samples, (s) => s.kind),
      latencyMs: {
        all: latency(ok2xx),
        session: latency(ok2xx.filter((s) => s.kind === 'session')),
        push: latency(ok2xx.filter((s) => s.kind === 'push')),
        pull: latency(ok2xx.filter((s) => s.kind === 'pull')),
      },
      outcomes: countBy(samples, (s) => String(s.outcome)),
      faults: faults.map((fault) => ({ ...fault, durationMs: fault.end - fault.start })),
      errorsInFaultWindows: errorsIn,
      errorsOutsideFaultWindows: errorsOut,
      errorsWhileDraining: errorsDraining,
      errorsWhileDown: errorsDown,
      mutationsPerSecond: Math.round(recorder.acknowledged.size / workSeconds),
      fiveHundredsOutsideFaultWindows: fiveHundredsOutside,
      acknowledged: countBy([...recorder.acknowledged.values()], (status) => status),
      rejected: recorder.rejected.length,
      recordsSent: recorder.sent.size,
      roundsCompleted: recorder.roundsCompleted,
      unacknowledged: recorder.sent.size - recorder.acknowledged.size - recorder.rejected.length,
      lost: lost.length,
      wrongValues: wrongValues.length,
      pulledChanges: recorder.pulled,
      leaks: recorder.leaks.length,
      pulledMismatches: recorder.pulledMismatches.length,
      deviceFailures: recorder.failures.slice(0, 10),
      peakServerRssMiB: Math.round((Math.max(peakBeforeStop, endpoint.peakRssBytes) / 1024 / 1024) * 10) / 10,
      serverStarts: endpoint.starts,
      serverErrors: Object.fromEntries(endpoint.serverErrors),
      crashes: endpoint.crashes.map((crash) => ({ code: crash.code, signal: crash.signal, error: firstErrorLine(crash.log) })),
      autocannonPulls: {
        requests: cannon.requests.total,
        requestsPerSecond: cannon.requests.average,
        latencyMs: { p50: cannon.latency.p50, p90: cannon.latency.p90, p97_5: cannon.latency.p97_5, p99: cannon.latency.p99, max: cannon.latency.max },
        non2xx: cannon.non2xx,
        errors: cannon.errors,
        statusCodes: Object.fromEntries(Object.entries(cannon.statusCodeStats ?? {}).map(([code, stats]) => [code, (stats as { count: number }).count])),
      },
      ok: false,
      problems: [],
    }
    const problems = result.problems
    if (lost.length) problems.push(`${lost.length} acknowledged records are not in the database (e.g. ${lost.slice(0, 3).join(', ')})`)
    if (wrongValues.length) problems.push(`${wrongValues.length} records hold other values than sent`)
    if (result.unacknowledged) problems.push(`${result.unacknowledged} records were never acknowledged`)
    if (result.rejected) problems.push(`${result.rejected} mutations were rejected: ${recorder.rejected.slice(0, 3).map((r) => r.status).join(', ')}`)
    if (recorder.leaks.length) problems.push(`${recorder.leaks.length} pulled records of another team: ${recorder.leaks.slice(0, 3).join('; ')}`)
    if (recorder.pulledMismatches.length) problems.push(`${recorder.pulledMismatches.length} pulled records differ: ${recorder.pulledMismatches.slice(0, 3).join('; ')}`)
    const httpWhileDown = Object.keys(errorsDown).filter((outcome) => /^\d+$/.test(outcome))
    if (httpWhileDown.length) problems.push(`HTTP errors while the endpoint was down (only connection errors expected): ${httpWhileDown.join(', ')}`)
    if (fiveHundredsOutside) problems.push(`${fiveHundredsOutside} 5xx answers outside the fault windows`)
    // 429 and client timeouts (30 s, as in the app) say the endpoint was slow, not that it failed:
    // they are figures, not failures. Any other error outside the fault windows is one.
    const otherErrorsOutside = Object.entries(errorsOut).filter(([outcome]) => outcome !== '429' && outcome !== 'timeout')
    if (otherErrorsOutside.length) problems.push(`errors outside the fault windows: ${JSON.stringify(Object.fromEntries(otherErrorsOutside))}`)
    if (hitHardLimit) problems.push(`the devices had not finished ${hardLimitMs / 1000} s after the start; the rest was cut off`)
    if (recorder.failures.length) problems.push(`${recorder.failures.length} devices gave up: ${recorder.failures.slice(0, 3).join('; ')}`)
    if (cannon.errors || cannon.non2xx) problems.push(`autocannon: ${cannon.errors} errors, ${cannon.non2xx} non-2xx`)
    for (const crash of endpoint.crashes) problems.push(`the endpoint process crashed (exit ${crash.code ?? crash.signal}): ${firstErrorLine(crash.log)}`)
    if (!faults.some((fault) => fault.kind === 'restart')) problems.push('the restart did not happen')
    if (engineKind === 'postgres' && !faults.some((fault) => fault.kind === 'pg-terminate')) problems.push('the connections were not dropped')
    problems.push(...reconnectFailures)
    result.ok = problems.length === 0
    return result
  } catch (error) {
    if (endpoint) console.error(`[${engineKind}] endpoint output:\n${endpoint.log()}`)
    throw error
  } finally {
    await endpoint?.stop().catch(() => undefined)
    if (cluster) await cluster.stop().catch((error: unknown) => console.error(`could not stop PostgreSQL: ${String(error)}`))
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  }
}

function printResult(result: RunResult): void {
  const l = result.latencyMs
  const rows: [string, string][] = [
    ['devices × records', `${result.devices} × ${result.recordsPerDevice} planned; ${result.recordsSent} records sent, ${result.roundsCompleted}/${result.devices * SETTINGS.rounds} rounds`],
    ['duration of the device work', `${result.durationSeconds} s (${result.mutationsPerSecond} acknowledged records/s)`],
    ['time budget', `${result.budgetSeconds} s + 60 s hard limit (one password check here: ${result.passwordCheckMs} ms)`],
    ['requests (session/push/pull)', `${result.requests} (${result.requestsByKind.session ?? 0}/${result.requestsByKind.push ?? 0}/${result.requestsByKind.pull ?? 0})`],
    ['latency 2xx p50/p95/p99 all', `${l.all!.p50} / ${l.all!.p95} / ${l.all!.p99} ms`],
    ['  push', `${l.push!.p50} / ${l.push!.p95} / ${l.push!.p99} ms`],
    ['  pull', `${l.pull!.p50} / ${l.pull!.p95} / ${l.pull!.p99} ms`],
    ['  session', `${l.session!.p50} / ${l.session!.p95} / ${l.session!.p99} ms`],
    ['outcomes', JSON.stringify(result.outcomes)],
    ['faults', result.faults.map((f) => `${f.kind} ${f.durationMs} ms (${f.detail})`).join('; ')],
    ['errors in fault windows', JSON.stringify(result.errorsInFaultWindows)],
    ['  restart: while draining / down', `${JSON.stringify(result.errorsWhileDraining)} / ${JSON.stringify(result.errorsWhileDown)}`],
    ['errors outside fault windows', JSON.stringify(result.errorsOutsideFaultWindows)],
    ['5xx outside fault windows', String(result.fiveHundredsOutsideFaultWindows)],
    ['acknowledged', JSON.stringify(result.acknowledged)],
    ['lost / wrong values / never acked', `${result.lost} / ${result.wrongValues} / ${result.unacknowledged}`],
    ['pulled changes / leaks / mismatches', `${result.pulledChanges} / ${result.leaks} / ${result.pulledMismatches}`],
    ['errors the endpoint logged', JSON.stringify(result.serverErrors)],
    ['peak server RSS / starts / crashes', `${result.peakServerRssMiB} MiB / ${result.serverStarts} / ${result.crashes.length}`],
    [
      'autocannon pulls (limit 100)',
      `${result.autocannonPulls.requests} req, ${result.autocannonPulls.requestsPerSecond} req/s, p50/p90/p99 ${result.autocannonPulls.latencyMs.p50}/${result.autocannonPulls.latencyMs.p90}/${result.autocannonPulls.latencyMs.p99} ms, non-2xx ${result.autocannonPulls.non2xx}`,
    ],
    ['verdict', result.ok ? 'ok' : `FAILED: ${result.problems.join(' | ')}`],
  ]
  const width = Math.max(...rows.map(([name]) => name.length))
  console.log(`\n== ${result.engine} ==`)
  for (const [name, value] of rows) console.log(`${name.padEnd(width)}  ${value}`)
}

async function main(): Promise<void> {
  const engines = (process.env.LOAD_ENGINES ?? 'pglite,postgres').split(',').map((e) => e.trim()) as ('pglite' | 'postgres')[]
  const results: RunResult[] = []
  for (const engine of engines) {
    const result = await runOnce(engine)
    printResult(result)
    results.push(result)
  }
  await writeFile(RESULTS_FILE, `${JSON.stringify({ at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, results }, null, 2)}\n`)
  console.log(`\nFigures written to ${path.relative(process.cwd(), RESULTS_FILE)}`)
  if (results.some((result) => !result.ok)) process.exitCode = 1
}

await main()
