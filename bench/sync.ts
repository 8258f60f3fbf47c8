/**
 * Figures 4 and 5: initial and incremental sync, in Chromium, through the app's real sync path.
 *
 * The endpoint runs in a child process (bench/server/child.ts) on PGlite, its `records` seeded
 * directly with SQL (bench/server/seed.ts) before it starts. The benchmark page (bench/browser/
 * sync-entry.ts) is served by that same endpoint under /__bench/, signs in with POST
 * /api/v1/session, stores the session with `saveSession` and runs `syncOnce` with a `SyncClient`
 * into an empty database. Baseline: raw Dexie `bulkPut` of the same rows in the same browser.
 * A slow sync is stopped at a page boundary after a deadline (normally 3x the baseline, when the
 * budget of 2x is failed for certain; less when the run is short of time) and the rest projected
 * at the pace of its last pages, so a slow sync path cannot stretch the whole run.
 *
 * Then another coach's device pushes one changed mentee field over HTTP, and the page syncs
 * again: the bytes of that sync are taken from Chromium's network events (CDP).
 */
import type { Browser, CDPSession, Page } from 'playwright-core'
import { openDatabase } from '../server/db/database'
import { encodeCursor } from '../server/sync/cursor'
import { HybridLogicalClock } from '../src/shared/hlc'
import { PROTOCOL_SCHEMA_VERSION, type PushRequest } from '../src/shared/protocol'
import { jsHeapUsed, withTimeout } from './lib/browser'
import { pushFromNode, signInFromNode, type NodeDevice } from './lib/node-client'
import type { PgliteDirs } from './lib/pglite-dirs'
import { median } from './lib/stats'
import { callSyncPage, openSyncPage } from './lib/sync-page'
import { seedTeam } from './server/seed'
import { ServerProcess } from './server/process'
import type { ServerStats } from './server/protocol'
import { generateMentees } from './shared/data'
import type { BaselineRun, SyncRun } from './shared/sync-api'

const COACH = { username: 'bench.coach', password: 'bench-coach-password' }
const OTHER_COACH = { username: 'bench.coach.two', password: 'bench-coach-two-password' }
const HEAP_SAMPLE_MS = 250
const THROTTLED_DEADLINE_MAX_MS = 240_000
/** A stopped sync's remaining pages are projected at the pace of this many last pages. */
const PACE_PAGES = 10

export interface DatasetSize {
  label: string
  mentees: number
  notesPerMentee: number
}

/** One request of an incremental sync, from Chromium's network events. */
export interface WireRequest {
  method: string
  path: string
  status: number
  requestBodyBytes: number
  /** Response body as it came over the wire (compressed when the server compressed it). */
  responseBodyBytes: number
  /** Decoded response body. */
  responseDecodedBytes: number
  contentEncoding: string
  /** Approximate (from CDP's header list); 0 when Chromium sent no ExtraInfo event. */
  requestHeaderBytes: number
  responseHeaderBytes: number
}

export interface IncrementalRun {
  ms: number
  pulled: number
  pushRequests: number
  pullRequests: number
  /** Request + response bodies of every sync call, as on the wire. */
  bodyBytes: number
  /**
   * Everything on the wire, HTTP headers included: what the endpoint's sockets read and wrote
   * during the sync (only the benchmark page talks to it then).
   */
  totalBytes: number
  requests: WireRequest[]
  serverBytesRead: number
  serverBytesWritten: number
}

export interface InitialSyncResult {
  run: SyncRun
  /** After this long the sync is stopped at the next page boundary. */
  deadlineMs: number
  /** Changes the device had to pull, and how many it applied before it was done or stopped. */
  totalChanges: number
  appliedChanges: number
  /**
   * `run.ms` when it completed; else `run.ms` plus the remaining pages at the mean pace (pull +
   * apply) of the last PACE_PAGES pages. High rather than low when pages get cheaper as the sync
   * proceeds (the log compares the first and last pages).
   */
  projectedMs: number
  /** Pull responses over the wire (headers + encoded bodies), projected the same way when stopped. */
  projectedWireBytes: number
  /** Raw bulkPut of the same rows, when this dataset was asked to have one. */
  baseline?: BaselineRun
  /** Request → response finished on the server, summed over the pulls. */
  serverPullMs: number
  /** Bytes the endpoint wrote during the sync (headers and compressed bodies): a cross-check. */
  wireBytesWritten: number
  serverPeakRssBytes: number
  /** The endpoint's RSS just before the sync (database open, nothing asked yet). */
  serverIdleRssBytes: number
  serverStats: ServerStats
  browserPeakHeapBytes: number
  heapSamples: number
  seedInsertMs: number
}

export interface SyncDatasetResult {
  size: DatasetSize
  records: number
  initial: InitialSyncResult
  incremental: IncrementalRun[]
  throttled?: ThrottledInitialSync
}

export interface SyncOptions {
  appDir: string
  pglite: PgliteDirs
  today: string
  /** Incremental syncs per dataset (each after one pushed change). */
  incrementalRounds: number
  /** Whether to time the raw bulkPut baseline of the same rows too. */
  baseline: boolean
  /**
   * How long the initial sync may run, given the baseline (if measured); bench/run.ts also weighs
   * the run's time left. Default: 3x the baseline, 20 s to 120 s (120 s without a baseline).
   */
  deadlineFor?: (baselineMs: number | undefined) => number
  /**
   * After the incremental syncs, the initial sync again with Chromium's CPU slowed down this
   * many times (CDP Emulation.setCPUThrottlingRate), next to a baseline slowed down the same way.
   */
  throttledRate?: number
  /** The throttled sync's deadline is 3x its baseline without the THROTTLED_DEADLINE_MAX_MS cap. */
  throttledToTheEnd?: boolean
  log: (line: string) => void
}

/** The initial sync and its baseline again under CPU throttling (a slower phone). */
export interface ThrottledInitialSync {
  rate: number
  baseline: BaselineRun
  initial: Omit<InitialSyncResult, 'baseline' | 'seedInsertMs'>
}

function defaultDeadline(baselineMs: number | undefined): number {
  return baselineMs === undefined ? 120_000 : Math.min(120_000, Math.max(20_000, 3 * baselineMs))
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

/** Samples `sample` every `intervalMs` until `work` settles; sampling errors are ignored. */
async function sampleWhile<T>(work: Promise<T>, intervalMs: number, sample: () => Promise<void>): Promise<T> {
  let done = false
  const loop = (async () => {
    while (!done) {
      await sample().catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  })()
  try {
    return await work
  } finally {
    done = true
    await loop
  }
}

/** Collects the sync calls' bytes from CDP Network events while `work` runs. */
async function captureWire<T>(cdp: CDPSession, work: () => Promise<T>): Promise<{ result: T; requests: WireRequest[] }> {
  interface Pending {
    method: string
    path: string
    status: number
    requestBodyBytes: number
    requestHeaderBytes: number
    responseHeaderBytes: number
    headerBytesAtResponse: number
    decodedBytes: number
    contentEncoding: string
    totalBytes?: number
  }
  const byId = new Map<string, Pending>()
  const headerBytes = (headers: Record<string, unknown>) =>
    Object.entries(headers).reduce((sum, [name, value]) => sum + Buffer.byteLength(`${name}: ${String(value)}\r\n`), 2)

  const onRequest = (event: { requestId: string; request: { url: string; method: string; postData?: string; postDataEntries?: { bytes?: string }[] } }) => {
    const url = new URL(event.request.url)
    if (!url.pathname.startsWith('/api/v1/sync/')) return
    const { postData, postDataEntries } = event.request
    const requestBodyBytes =
      postData !== undefined
        ? Buffer.byteLength(postData)
        : (postDataEntries ?? []).reduce((sum, entry) => sum + Buffer.from(entry.bytes ?? '', 'base64').length, 0)
    byId.set(event.requestId, {
      method: event.request.method,
      path: `${url.pathname}${url.search}`,
      status: 0,
      requestBodyBytes,
      requestHeaderBytes: 0,
      responseHeaderBytes: 0,
      headerBytesAtResponse: 0,
      decodedBytes: 0,
      contentEncoding: '',
    })
  }
  const onRequestExtra = (event: { requestId: string; headers: Record<string, unknown> }) => {
    const entry = byId.get(event.requestId)
    if (entry) entry.requestHeaderBytes = headerBytes(event.headers) + entry.method.length + entry.path.length + 12
  }
  const onResponse = (event: { requestId: string; response: { status: number; encodedDataLength: number; headers: Record<string, string> } }) => {
    const entry = byId.get(event.requestId)
    if (!entry) return
    entry.status = event.response.status
    entry.headerBytesAtResponse = event.response.encodedDataLength
    const encoding = Object.entries(event.response.headers).find(([name]) => name.toLowerCase() === 'content-encoding')
    entry.contentEncoding = encoding?.[1] ?? 'identity'
  }
  const onResponseExtra = (event: { requestId: string; headersText?: string }) => {
    const entry = byId.get(event.requestId)
    if (entry && event.headersText !== undefined) entry.responseHeaderBytes = Buffer.byteLength(event.headersText)
  }
  const onData = (event: { requestId: string; dataLength: number }) => {
    const entry = byId.get(event.requestId)
    if (entry) entry.decodedBytes += event.dataLength
  }
  const onFinished = (event: { requestId: string; encodedDataLength: number }) => {
    const entry = byId.get(event.requestId)
    if (entry) entry.totalBytes = event.encodedDataLength
  }

  cdp.on('Network.requestWillBeSent', onRequest)
  cdp.on('Network.requestWillBeSentExtraInfo', onRequestExtra)
  cdp.on('Network.responseReceived', onResponse)
  cdp.on('Network.responseReceivedExtraInfo', onResponseExtra)
  cdp.on('Network.dataReceived', onData)
  cdp.on('Network.loadingFinished', onFinished)
  await cdp.send('Network.enable')
  try {
    const result = await work()
    // loadingFinished can trail the page's own promise by a moment.
    for (let i = 0; i < 50 && [...byId.values()].some((entry) => entry.totalBytes === undefined); i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    const requests = [...byId.values()].map((entry): WireRequest => {
      const responseHeaderBytes = entry.responseHeaderBytes || entry.headerBytesAtResponse
      return {
        method: entry.method,
        path: entry.path,
        status: entry.status,
        requestBodyBytes: entry.requestBodyBytes,
        responseBodyBytes: Math.max(0, (entry.totalBytes ?? 0) - responseHeaderBytes),
        responseDecodedBytes: entry.decodedBytes,
        contentEncoding: entry.contentEncoding,
        requestHeaderBytes: entry.requestHeaderBytes,
        responseHeaderBytes,
      }
    })
    return { result, requests }
  } finally {
    await cdp.send('Network.disable').catch(() => undefined)
    cdp.off('Network.requestWillBeSent', onRequest)
    cdp.off('Network.requestWillBeSentExtraInfo', onRequestExtra)
    cdp.off('Network.responseReceived', onResponse)
    cdp.off('Network.responseReceivedExtraInfo', onResponseExtra)
    cdp.off('Network.dataReceived', onData)
    cdp.off('Network.loadingFinished', onFinished)
  }
}

/** Another coach's device changes one field of one mentee, through the real push endpoint. */
async function pushOneChange(
  baseUrl: string,
  device: NodeDevice,
  clock: HybridLogicalClock,
  seq: number,
  menteeId: string,
  phone: string,
): Promise<void> {
  const request: PushRequest = {
    deviceId: device.deviceId,
    schemaVersion: PROTOCOL_SCHEMA_VERSION,
    mutations: [{ seq, table: 'mentees', id: menteeId, op: 'upsert', fields: { phone }, hlc: clock.now() }],
  }
  const response = await pushFromNode(baseUrl, device.token, JSON.stringify(request))
  const status = response.results[0]?.status
  if (status !== 'applied') throw new Error(`the other device's change was not applied: ${JSON.stringify(response.results)}`)
}

function logInitialSync(
  log: (line: string) => void,
  size: DatasetSize,
  initial: Omit<InitialSyncResult, 'baseline' | 'seedInsertMs'>,
  baseline: BaselineRun | undefined,
): void {
  const { run, deadlineMs } = initial
  const pages = run.pagePullMs.length
  // Medians of the first and the last ten pages: does a page get dearer as the sync proceeds?
  const trend = (values: number[]) =>
    `${median(values).toFixed(0)} ms (first 10 ${median(values.slice(0, 10)).toFixed(0)}, ` +
    `last 10 ${median(values.slice(-10)).toFixed(0)})`
  const ratio = baseline ? ` = ${(initial.projectedMs / baseline.ms).toFixed(2)}x the baseline (${baseline.ms.toFixed(0)} ms)` : ''
  log(
    `sync ${size.label}: initial sync ${run.completed ? 'completed' : `STOPPED at its deadline (${(deadlineMs / 1000).toFixed(0)} s)`} ` +
      `after ${run.ms.toFixed(0)} ms${run.completed ? ratio : ''}, ${initial.appliedChanges} of ${initial.totalChanges} changes in ${pages} pulls of ` +
      `${run.pageSize}${run.completed ? '' : `; projected ${(initial.projectedMs / 1000).toFixed(0)} s for all${ratio}`}`,
  )
  log(
    `sync ${size.label}: in SyncClient.pull ${run.pullMs.toFixed(0)} ms (server ${initial.serverPullMs.toFixed(0)} ms, ` +
      `${(initial.serverPullMs / Math.max(1, run.pullRequests)).toFixed(0)} ms per page), ` +
      `waiting for pulls ${run.pullWaitMs.toFixed(0)} ms, applying ${run.applyMs.toFixed(0)} ms; per page median pull ` +
      `${trend(run.pagePullMs)}, apply ${trend(run.pageApplyMs)}; ` +
      `${(run.pageWireBytes.reduce((sum, v) => sum + v, 0) / 1024 / 1024).toFixed(1)} MB pulled over the wire ` +
      `(server sockets: ${(initial.wireBytesWritten / 1024 / 1024).toFixed(1)} MB out); server RSS ${mb(initial.serverIdleRssBytes)} before, ` +
      `peak ${mb(initial.serverPeakRssBytes)}; browser heap peak ${mb(initial.browserPeakHeapBytes)} (${initial.heapSamples} samples)`,
  )
}

async function initialSync(
  page: Page,
  cdp: CDPSession,
  server: ServerProcess,
  size: DatasetSize,
  deadlineMs: number,
): Promise<Omit<InitialSyncResult, 'baseline' | 'seedInsertMs'>> {
  await callSyncPage(page, 'reset')
  await callSyncPage(page, 'signIn', COACH.username, COACH.password)
  // The page's own start-up garbage is not the sync's.
  await cdp.send('HeapProfiler.collectGarbage')
  let browserPeakHeapBytes = 0
  let heapSamples = 0
  const idle = await server.call('stats', null)
  await server.call('resetStats', null)
  const run = await sampleWhile(
    withTimeout(callSyncPage(page, 'sync', deadlineMs), deadlineMs + 60_000, `initial sync of ${size.label}`),
    HEAP_SAMPLE_MS,
    async () => {
      browserPeakHeapBytes = Math.max(browserPeakHeapBytes, await jsHeapUsed(cdp))
      heapSamples += 1
    },
  )
  const serverStats = await server.call('stats', null)
  const expectedNotes = size.mentees * size.notesPerMentee
  const totalChanges = size.mentees + expectedNotes
  const appliedChanges = run.mentees + run.notes
  if (run.completed ? appliedChanges !== totalChanges : appliedChanges === 0 || appliedChanges >= totalChanges) {
    throw new Error(
      `initial sync (${run.completed ? 'completed' : 'stopped'}) stored ${run.mentees} mentees and ${run.notes} notes ` +
        `of ${size.mentees} and ${expectedNotes}`,
    )
  }
  const remainingPages = (totalChanges - appliedChanges) / run.pageSize
  const pace = (values: number[]) => {
    const last = values.slice(-PACE_PAGES)
    return last.reduce((sum, v) => sum + v, 0) / Math.max(1, last.length)
  }
  const wireBytes = run.pageWireBytes.reduce((sum, v) => sum + v, 0)
  return {
    run,
    deadlineMs,
    totalChanges,
    appliedChanges,
    projectedMs: run.ms + remainingPages * (pace(run.pagePullMs) + pace(run.pageApplyMs)),
    projectedWireBytes: wireBytes + remainingPages * pace(run.pageWireBytes),
    serverPullMs: serverStats.requests['/api/v1/sync/pull']?.totalMs ?? 0,
    wireBytesWritten: serverStats.bytesWritten,
    serverPeakRssBytes: serverStats.peakRssBytes,
    serverIdleRssBytes: idle.rssBytes,
    serverStats,
    browserPeakHeapBytes,
    heapSamples,
  }
}

export async function measureSyncDataset(browser: Browser, size: DatasetSize, options: SyncOptions): Promise<SyncDatasetResult> {
  const { log } = options
  const dataDir = await options.pglite.fresh(`sync-${size.label}`)
  const seedDb = await openDatabase({ dataDir })
  let seeded
  try {
    seeded = await seedTeam(seedDb, {
      menteeCount: size.mentees,
      notesPerMentee: size.notesPerMentee,
      today: options.today,
      teamName: 'Team Benchmark',
      coaches: [COACH, OTHER_COACH],
    })
  } finally {
    await seedDb.close()
  }
  const records = seeded.mentees + seeded.notes
  log(
    `sync ${size.label}: seeded ${seeded.mentees} mentees + ${seeded.notes} notes with SQL ` +
      `(validate ${seeded.validateMs.toFixed(0)} ms, insert ${seeded.insertMs.toFixed(0)} ms)`,
  )

  const server = await ServerProcess.start(`sync-${size.label}`)
  const context = await browser.newContext({ locale: 'de-DE' })
  try {
    await server.call('open', { engine: 'pglite', dataDir })
    const { url } = await server.call('listen', { distDir: options.appDir })

    let baseline: BaselineRun | undefined
    if (options.baseline) {
      // In a page of its own, so the sync page starts with a heap of its own too.
      const baselinePage = await openSyncPage(context, url)
      baseline = await withTimeout(
        callSyncPage(baselinePage, 'baseline', size.mentees, size.notesPerMentee, options.today),
        120_000,
        'bulkPut baseline',
      )
      await baselinePage.close()
      log(`sync ${size.label}: baseline bulkPut of ${baseline.mentees + baseline.notes} rows ${baseline.ms.toFixed(0)} ms`)
    }

    const page = await openSyncPage(context, url)
    page.on('pageerror', (error) => log(`sync bench page error: ${error.message}`))
    const cdp = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    const deadlineMs = (options.deadlineFor ?? defaultDeadline)(baseline?.ms)
    const initial = await initialSync(page, cdp, server, size, deadlineMs)
    const { run } = initial
    logInitialSync(log, size, initial, baseline)
    if (!run.completed) {
      // The device is not caught up; an incremental sync would pull the rest. Move its cursor to
      // the end, as if the remaining pages had been applied (the records not yet pulled stay
      // missing, which changes neither the bytes nor, measurably, the time of one more pull).
      await callSyncPage(page, 'setCursor', encodeCursor({ seq: seeded.lastChangeSeq, purged: 0 }))
      log(`sync ${size.label}: cursor moved to change ${seeded.lastChangeSeq} for the incremental syncs`)
    }

    // Incremental: another coach's device changes one field, this device syncs.
    const other = await signInFromNode(url, OTHER_COACH.username, OTHER_COACH.password, 'Benchmark other device')
    const clock = new HybridLogicalClock(other.deviceId)
    const mentees = generateMentees({ count: size.mentees, today: options.today })
    const incremental: IncrementalRun[] = []
    for (let round = 0; round < options.incrementalRounds; round++) {
      const mentee = mentees[(round * 7919) % mentees.length]
      if (!mentee) throw new Error('no mentee to change')
      const phone = `+49 170 ${String(1_000_000 + round)}`
      await pushOneChange(url, other, clock, round + 1, mentee.id, phone)
      await server.call('resetStats', null)
      const { result: synced, requests } = await captureWire(cdp, () =>
        withTimeout(callSyncPage(page, 'sync'), 30_000, 'incremental sync'),
      )
      const stats = await server.call('stats', null)
      if ((await callSyncPage(page, 'menteeField', mentee.id, 'phone')) !== phone) {
        throw new Error('the incremental sync did not bring the changed phone number')
      }
      if (synced.pulled !== 1) throw new Error(`the incremental sync pulled ${synced.pulled} changes, not the 1 changed record`)
      const bodyBytes = requests.reduce((sum, r) => sum + r.requestBodyBytes + r.responseBodyBytes, 0)
      const totalBytes = stats.bytesRead + stats.bytesWritten
      incremental.push({
        ms: synced.ms,
        pulled: synced.pulled,
        pushRequests: synced.pushRequests,
        pullRequests: synced.pullRequests,
        bodyBytes,
        totalBytes,
        requests,
        serverBytesRead: stats.bytesRead,
        serverBytesWritten: stats.bytesWritten,
      })
    }
    let throttled: ThrottledInitialSync | undefined
    if (options.throttledRate !== undefined && baseline) {
      const rate = options.throttledRate
      // The same page and database name: a device that starts over, on a slower CPU.
      await cdp.send('Emulation.setCPUThrottlingRate', { rate })
      try {
        const baselinePage = await openSyncPage(context, url)
        const baselineCdp = await context.newCDPSession(baselinePage)
        await baselineCdp.send('Emulation.setCPUThrottlingRate', { rate })
        const slowBaseline = await withTimeout(
          callSyncPage(baselinePage, 'baseline', size.mentees, size.notesPerMentee, options.today),
          300_000,
          `bulkPut baseline at ${rate}x CPU`,
        )
        await baselinePage.close()
        log(`sync ${size.label} @${rate}x CPU: baseline bulkPut ${slowBaseline.ms.toFixed(0)} ms`)
        // Its own deadline (3x its baseline, at most 4 minutes), so it is measured to the end when it is within budget.
        const slowInitial = await initialSync(page, cdp, server, size, Math.min(options.throttledToTheEnd ? Number.POSITIVE_INFINITY : THROTTLED_DEADLINE_MAX_MS, 3 * slowBaseline.ms))
        logInitialSync(log, { ...size, label: `${size.label} @${rate}x CPU` }, slowInitial, slowBaseline)
        throttled = { rate, baseline: slowBaseline, initial: slowInitial }
      } finally {
        await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 })
      }
    }

    const last = incremental.at(-1)
    log(
      `sync ${size.label}: incremental sync median ${median(incremental.map((r) => r.ms)).toFixed(1)} ms, ` +
        `bodies ${last?.bodyBytes} B (with headers ${last?.totalBytes} B: ${last?.serverBytesRead} B in, ` +
        `${last?.serverBytesWritten} B out at the endpoint); requests: ` +
        (last?.requests ?? [])
          .map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status} ${r.responseBodyBytes} B ${r.contentEncoding} (${r.responseDecodedBytes} B decoded)`)
          .join(', '),
    )
    return {
      size,
      records,
      initial: { ...initial, baseline, seedInsertMs: seeded.insertMs },
      incremental,
      throttled,
    }
  } finally {
    await context.close()
    await server.stop()
  }
}
