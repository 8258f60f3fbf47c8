/**
 * Simulated devices for the load test: each signs in, then pushes its records in batches and
 * pulls pages from its cursor, over real HTTP with keep-alive (Node's fetch), as the app would:
 * a batch that got no answer is sent again unchanged (same seqs); connection errors, timeouts,
 * 429 and 5xx are retried after the app's own delay (`backoffDelay` from src/shared/retry.ts, as src/sync/schedule.ts uses it:
 * full jitter, 1 s growing to 5 min, or the `Retry-After` when the endpoint sends a longer one),
 * and a request that got no answer within the app's own timeout (`REQUEST_TIMEOUT_MS`) counts as
 * failed. Every request is recorded (kind, status or error code, latency, time), every
 * acknowledgement and every pulled record is kept for the checks at the end.
 */
import { setMaxListeners } from 'node:events'
import { HybridLogicalClock } from '../src/shared/hlc'
import {
  PROTOCOL_SCHEMA_VERSION,
  type Mutation,
  type PullResponse,
  type PushResponse,
  type SessionResponse,
} from '../src/shared/protocol'
import type { SyncedTable } from '../src/shared/records'
import { backoffDelay, REQUEST_TIMEOUT_MS } from '../src/shared/retry'

export type RequestKind = 'session' | 'push' | 'pull'

export interface Sample {
  kind: RequestKind
  /** HTTP status, or the connection error's code (ECONNREFUSED, ECONNRESET, timeout, ...). */
  outcome: number | string
  ms: number
  /** Epoch ms when the request was sent and when it ended. */
  sentAt: number
  endedAt: number
}

export interface Generated {
  table: SyncedTable
  id: string
  fields: Record<string, unknown>
  team: string
}

export interface LoadSettings {
  rounds: number
  pushBatch: number
  pullLimit: number
  /** Upper bound of the random pause between a device's requests (a phone is not a loop). */
  thinkMs: number
  /** Attempts per request before the device gives up (bounds every loop). */
  maxAttempts: number
}

export class Recorder {
  readonly samples: Sample[] = []
  /** Mutation results per record id: applied, superseded, duplicate or rejected/reason. */
  readonly acknowledged = new Map<string, string>()
  readonly rejected: { id: string; status: string }[] = []
  /** Pulled upserts: record id and the device's team (for the leak check) and fields. */
  pulled = 0
  readonly leaks: string[] = []
  readonly pulledMismatches: string[] = []
  readonly failures: string[] = []
  pushesAcknowledged = 0
  /** Records that went out in a push (at least once). */
  readonly sent = new Set<string>()
  /** Rounds each device completed (a round: one push and one pull). */
  roundsCompleted = 0
  /** Aborted when the run's hard time limit passed: requests and waits end, devices stop. */
  private readonly stop = new AbortController()
  // Every device's waits and requests listen to it at once.
  private readonly unlimitedListeners = setMaxListeners(0, this.stop.signal)

  get aborted(): boolean {
    return this.stop.signal.aborted
  }

  get abortSignal(): AbortSignal {
    return this.stop.signal
  }

  abort(): void {
    this.stop.abort()
  }

  constructor(
    readonly generated: Map<string, Generated>,
    private readonly onPushAcknowledged: (done: number) => void,
  ) {}

  sample(sample: Sample): void {
    this.samples.push(sample)
  }

  pushAcknowledged(): void {
    this.pushesAcknowledged += 1
    this.onPushAcknowledged(this.pushesAcknowledged)
  }
}

/** Waits `ms`, or less when `signal` aborts (the run's hard time limit). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })

class GaveUp extends Error {}

function errorCode(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout'
  const cause = (error as { cause?: { code?: unknown; name?: unknown } } | undefined)?.cause
  if (typeof cause?.code === 'string') return cause.code
  if (typeof cause?.name === 'string') return cause.name
  return error instanceof Error ? error.name : 'unknown'
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]))
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a)
    return keysA.length === Object.keys(b).length && keysA.every((key) => sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  }
  return a === b
}

export { sameValue }

export class Device {
  private token = ''
  private deviceId = ''
  private cursor: string | undefined
  private seq = 0
  private clock: HybridLogicalClock | undefined
  /** What the device is doing, for the report should it never stop. */
  phase = 'not started'

  constructor(
    readonly index: number,
    readonly account: { username: string; password: string; team: string },
    readonly records: Generated[],
    private readonly baseUrl: string,
    private readonly settings: LoadSettings,
    private readonly recorder: Recorder,
  ) {}

  /** One request until it gets a 2xx, retrying what a phone would retry; other answers are failures. */
  private async request<T>(kind: RequestKind, method: string, path: string, body?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.token) headers.authorization = `Bearer ${this.token}`
    for (let attempt = 1; ; attempt += 1) {
      if (this.recorder.aborted) throw new GaveUp(`device ${this.index}: stopped at the run's time limit during a ${kind}`)
      this.phase = `${kind}, attempt ${attempt}`
      const sentAt = Date.now()
      const started = performance.now()
      let retryAfterMs = 0
      try {
        // The app's timeout, or the run's hard limit. (Not AbortSignal.any: on Node 20 such a
        // signal can be collected before it fires, and a request then hangs past the timeout.)
        const abort = new AbortController()
        const timer = setTimeout(() => abort.abort(new DOMException('request timed out', 'TimeoutError')), REQUEST_TIMEOUT_MS)
        const stop = () => abort.abort(new DOMException('run stopped', 'AbortError'))
        this.recorder.abortSignal.addEventListener('abort', stop, { once: true })
        let response: Response
        let text: string
        try {
          // Raced against the abort as well: a fetch of Node 20 caught by the endpoint's restart
          // once ignored its signal and never settled, which held the whole run past its limit.
          const exchange = fetch(`${this.baseUrl}${path}`, { method, headers, body, signal: abort.signal }).then(async (answer) => ({
            answer,
            answerText: await answer.text(),
          }))
          exchange.catch(() => undefined)
          const given = new Promise<never>((_, reject) => {
            if (abort.signal.aborted) reject(abort.signal.reason as Error)
            abort.signal.addEventListener('abort', () => reject(abort.signal.reason as Error), { once: true })
          })
          ;({ answer: response, answerText: text } = await Promise.race([exchange, given]))
        } finally {
          clearTimeout(timer)
          this.recorder.abortSignal.removeEventListener('abort', stop)
        }
        this.recorder.sample({ kind, outcome: response.status, ms: performance.now() - started, sentAt, endedAt: Date.now() })
        if (response.ok) return JSON.parse(text) as T
        if (response.status !== 429 && response.status < 500) {
          throw new GaveUp(`device ${this.index}: ${kind} answered ${response.status}: ${text.slice(0, 200)}`)
        }
        const retryAfter = Number(response.headers.get('retry-after') ?? 0)
        retryAfterMs = Number.isFinite(retryAfter) ? retryAfter * 1000 : 0
      } catch (error) {
        if (error instanceof GaveUp) throw error
        this.recorder.sample({ kind, outcome: errorCode(error), ms: performance.now() - started, sentAt, endedAt: Date.now() })
      }
      if (attempt >= this.settings.maxAttempts) throw new GaveUp(`device ${this.index}: ${kind} failed ${attempt} times`)
      // As the app's scheduler does after a failed sync (src/sync/schedule.ts).
      this.phase = `${kind}, back-off after attempt ${attempt}`
      await sleep(Math.max(retryAfterMs, backoffDelay(attempt, Math.random)), this.recorder.abortSignal)
    }
  }

  private async think(): Promise<void> {
    if (this.settings.thinkMs > 0) await sleep(Math.random() * this.settings.thinkMs, this.recorder.abortSignal)
  }

  /** The session token, once signed in. */
  get sessionToken(): string {
    return this.token
  }

  /**
   * Signs in after `startDelayMs` (phones do not all start in the same millisecond), then works
   * its rounds; no new round starts after `deadline` (epoch ms), the one under way is finished.
   */
  async run(startDelayMs: number, deadline: number): Promise<void> {
    await sleep(startDelayMs, this.recorder.abortSignal)
    try {
      if (Date.now() > deadline) return
      const session = await this.request<SessionResponse>(
        'session',
        'POST',
        '/api/v1/session',
        JSON.stringify({ username: this.account.username, password: this.account.password, deviceName: `Lasttest ${this.index}` }),
      )
      this.token = session.token
      this.deviceId = session.deviceId
      this.clock = new HybridLogicalClock(session.deviceId)
      for (let round = 0; round < this.settings.rounds; round += 1) {
        if (Date.now() > deadline) return
        await this.think()
        const batch = this.records.slice(round * this.settings.pushBatch, (round + 1) * this.settings.pushBatch)
        if (batch.length > 0) await this.push(batch)
        await this.think()
        await this.pull()
        this.recorder.roundsCompleted += 1
      }
    } catch (error) {
      this.recorder.failures.push(error instanceof Error ? error.message : String(error))
    } finally {
      this.phase = 'done'
    }
  }

  private async push(batch: Generated[]): Promise<void> {
    const mutations: Mutation[] = batch.map((record) => ({
      seq: ++this.seq,
      table: record.table,
      id: record.id,
      op: 'upsert',
      fields: record.fields,
      hlc: this.clock!.now(),
    }))
    for (const mutation of mutations) this.recorder.sent.add(mutation.id)
    // Serialised once: a retry sends exactly the same batch.
    const body = JSON.stringify({ deviceId: this.deviceId, schemaVersion: PROTOCOL_SCHEMA_VERSION, mutations })
    const response = await this.request<PushResponse>('push', 'POST', '/api/v1/sync/push', body)
    const bySeq = new Map(response.results.map((result) => [result.seq, result]))
    for (const mutation of mutations) {
      const result = bySeq.get(mutation.seq)
      if (!result) {
        this.recorder.failures.push(`device ${this.index}: push answer without a result for seq ${mutation.seq}`)
        continue
      }
      if (result.status === 'rejected') this.recorder.rejected.push({ id: mutation.id, status: `rejected/${result.reason}/${result.detail ?? ''}` })
      else this.recorder.acknowledged.set(mutation.id, result.status)
    }
    this.recorder.pushAcknowledged()
  }

  private async pull(): Promise<void> {
    const query = new URLSearchParams({ limit: String(this.settings.pullLimit) })
    if (this.cursor) query.set('cursor', this.cursor)
    const page = await this.request<PullResponse>('pull', 'GET', `/api/v1/sync/pull?${query.toString()}`)
    this.cursor = page.cursor
    for (const change of page.changes) {
      const generated = this.recorder.generated.get(change.id)
      if (!generated || generated.team !== this.account.team) {
        this.recorder.leaks.push(`${this.account.team} device ${this.index} received ${change.table} ${change.id} (${generated?.team ?? 'unknown'})`)
        continue
      }
      this.recorder.pulled += 1
      if (change.op !== 'upsert' || !sameValue(change.fields, generated.fields)) {
        this.recorder.pulledMismatches.push(`device ${this.index}: ${change.table} ${change.id} came as ${change.op} with other values`)
      }
    }
  }
}
