/**
 * Figure 2: offline cold start. Visit once online until the service worker is activated and
 * controls the page, go offline (and stop the app server, so nothing can come from the network),
 * then open new pages in the same context, each from a stopped service worker and a fresh JS heap,
 * and time navigation start → TodayView's `lotse:today-ready` mark.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Appointment, Mentee, Note } from '../src/shared/records'
import { jsHeapUsed, unlockApp, waitForTodayReady, withTimeout } from './lib/browser'
import { callSyncPage, openSyncPage, storeBenchSession } from './lib/sync-page'
import { BENCH_PASSPHRASE } from './shared/sync-api'

export interface ColdStartRun {
  ms: number
  heapBytes: number
  /** List items on the Today screen: a check that the data really was there. */
  todayItems: number
}

export interface ColdStartResult {
  empty1x: ColdStartRun[]
  empty4x: ColdStartRun[]
  seeded1x: ColdStartRun[]
  seeded4x: ColdStartRun[]
  seededMentees: number
  /** Requests during the offline runs that did not come from the service worker (should be 0). */
  notFromServiceWorker: string[]
  /**
   * Sync API calls the app tried while offline (they fail; the API is never served from the
   * cache). Not app shell, so not part of the check above.
   */
  offlineApiCalls: string[]
  /** Whether each run could stop the service worker first (CDP ServiceWorker.stopAllWorkers). */
  serviceWorkerStopped: boolean
}

export interface ColdStartOptions {
  appUrl: string
  runs: number
  /** Fewer runs under 4x CPU throttling: each takes several seconds. */
  throttledRuns: number
  mentees: readonly Mentee[]
  notes: readonly Note[]
  appointments: readonly Appointment[]
  /** Called once the app is installed: stops the server, so the offline runs cannot reach it. */
  stopServer: () => Promise<void>
  log: (line: string) => void
}

async function installApp(context: BrowserContext, appUrl: string): Promise<void> {
  const page = await context.newPage()
  await page.goto(appUrl)
  await unlockApp(page, BENCH_PASSPHRASE)
  await waitForTodayReady(page)
  // `ready` can resolve while the worker is still activating: wait for the state itself.
  await withTimeout(
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready
      const worker = registration.active
      if (!worker) throw new Error('no active service worker')
      if (worker.state === 'activated') return
      await new Promise<void>((resolve) => {
        worker.addEventListener('statechange', () => {
          if (worker.state === 'activated') resolve()
        })
      })
    }),
    30_000,
    'service worker activation',
  )
  // src/sw.ts does not claim clients, so the first page stays uncontrolled: reload it.
  if (!(await page.evaluate(() => navigator.serviceWorker.controller !== null))) {
    await page.reload()
    await unlockApp(page, BENCH_PASSPHRASE)
    await waitForTodayReady(page)
  }
  await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, {
    timeout: 15_000,
  })
  await page.close()
}

/**
 * Stores the records through the app's own data layer (sealed, as the app stores them), from the
 * bench page opened while the server still ran: seeding needs IndexedDB only, not the network.
 */
async function seed(
  seeder: Page,
  data: { mentees: readonly Mentee[]; notes: readonly Note[]; appointments: readonly Appointment[] },
): Promise<number> {
  try {
    return await withTimeout(callSyncPage(seeder, 'seedRecords', data), 120_000, 'seeding the app database')
  } finally {
    await seeder.close()
  }
}

async function coldRun(
  context: BrowserContext,
  appUrl: string,
  cpuRate: number,
  notFromServiceWorker: string[],
  offlineApiCalls: string[],
): Promise<ColdStartRun & { stopped: boolean }> {
  const page = await context.newPage()
  const note = (url: string, entry: string) => {
    const list = new URL(url).pathname.startsWith('/api/') ? offlineApiCalls : notFromServiceWorker
    list.push(entry)
  }
  page.on('response', (response) => {
    if (!response.fromServiceWorker() && !response.url().startsWith('data:')) note(response.url(), response.url())
  })
  page.on('requestfailed', (request) => note(request.url(), `${request.url()} (failed)`))
  try {
    const cdp = await context.newCDPSession(page)
    let stopped = true
    try {
      await cdp.send('ServiceWorker.enable')
      await cdp.send('ServiceWorker.stopAllWorkers')
    } catch {
      stopped = false
    }
    await cdp.send('Performance.enable')
    if (cpuRate !== 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuRate })
    await page.goto(appUrl, { waitUntil: 'commit' })
    // Typing the passphrase is instant here; the time includes the key derivation.
    await unlockApp(page, BENCH_PASSPHRASE)
    const ms = await waitForTodayReady(page)
    const heapBytes = await jsHeapUsed(cdp)
    const todayItems = await page.locator('[data-testid="today"] li').count()
    await cdp.detach()
    return { ms, heapBytes, todayItems, stopped }
  } finally {
    await page.close()
  }
}

export async function measureOfflineColdStart(browser: Browser, options: ColdStartOptions): Promise<ColdStartResult> {
  const { appUrl, runs, log } = options
  const context = await browser.newContext({ locale: 'de-DE' })
  try {
    // Signed in once before (the app opens on Today only with a session), then installed.
    await storeBenchSession(context, appUrl)
    // Opened before the service worker is there: once it is, its navigation fallback would
    // answer this page's address with the app.
    const seeder = await openSyncPage(context, appUrl)
    await installApp(context, appUrl)
    await context.setOffline(true)
    await options.stopServer()
    log('service worker active and controlling; offline, app server stopped')

    const notFromServiceWorker: string[] = []
    const offlineApiCalls: string[] = []
    let serviceWorkerStopped = true
    const series = async (cpuRate: number, label: string): Promise<ColdStartRun[]> => {
      const result: ColdStartRun[] = []
      const count = cpuRate === 1 ? runs : options.throttledRuns
      for (let i = 0; i < count; i++) {
        const { stopped, ...run } = await coldRun(context, appUrl, cpuRate, notFromServiceWorker, offlineApiCalls)
        serviceWorkerStopped &&= stopped
        result.push(run)
      }
      log(`${label}: ${result.map((r) => r.ms.toFixed(0)).join(', ')} ms (Today list items: ${result[0]?.todayItems ?? 0})`)
      return result
    }

    const empty1x = await series(1, 'cold start, empty database, 1x CPU')
    const empty4x = await series(4, 'cold start, empty database, 4x CPU')
    const seededMentees = await seed(seeder, {
      mentees: options.mentees,
      notes: options.notes,
      appointments: options.appointments,
    })
    const seeded1x = await series(1, `cold start, ${seededMentees} mentees, 1x CPU`)
    const seeded4x = await series(4, `cold start, ${seededMentees} mentees, 4x CPU`)
    return { empty1x, empty4x, seeded1x, seeded4x, seededMentees, notFromServiceWorker, offlineApiCalls, serviceWorkerStopped }
  } finally {
    await context.close()
  }
}
