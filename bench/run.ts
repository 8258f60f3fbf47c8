/**
 * Lotse performance benchmark. Run after `vite build` (npm run bench does both):
 *
 *   npx vite build && npx tsx bench/run.ts
 *
 * Prints a table and writes bench-results.json (figure → { value, unit, baseline?, ratio?,
 * budget? }). Exits non-zero when a budgeted figure is over its budget. Only 127.0.0.1 is
 * contacted: the built app is served by server/app.ts, the search bundle by a tiny static server.
 */
import { existsSync } from 'node:fs'
import { cp, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { buildServer } from '../server/app'
import { toIsoDate } from '../src/shared/dates'
import { measureOfflineColdStart } from './cold-start'
import { measureFirstScreen } from './first-screen'
import { launchChromium } from './lib/browser'
import { Figures } from './lib/figures'
import { median, percentile } from './lib/stats'
import { buildSearchBundle, measureSearch } from './search'
import { generateAgenda, generateMentees, SEARCH_WORDS } from './shared/data'

const FIRST_SCREEN_BUDGET_BYTES = 150 * 1024
const SEARCH_P95_BUDGET_MS = 50
const MENTEE_COUNT = 10_000
const COLD_START_RUNS = 7
const COLD_START_THROTTLED_RUNS = 5
const SEARCH_ROUNDS = 3
const INDEX_BUILDS = 3
/** Hard limit for the whole run: a hung browser must not hang CI. */
const WATCHDOG_MS = 300_000

const projectRoot = fileURLToPath(new URL('..', import.meta.url))
const builtDir = path.join(projectRoot, 'dist')
const benchDistDir = path.join(projectRoot, 'dist-bench')
/** A copy of dist/ taken at the start, so a parallel `vite build` cannot change files mid-run. */
const distDir = path.join(benchDistDir, 'app')
const searchBundleDir = path.join(benchDistDir, 'search')
const resultsFile = path.join(projectRoot, 'bench-results.json')
/** Every single measurement, for a closer look (dist-bench/ is git-ignored). */
const samplesFile = path.join(benchDistDir, 'samples.json')

const started = performance.now()
function log(line: string): void {
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`)
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${WATCHDOG_MS / 1000} s, giving up`)
    process.exit(3)
  }, WATCHDOG_MS)
  watchdog.unref()

  if (!existsSync(path.join(builtDir, 'index.html')) || !existsSync(path.join(builtDir, 'sw.js'))) {
    console.error('dist/ has no built app (index.html, sw.js): run `npx vite build` first.')
    return 2
  }
  await rm(distDir, { recursive: true, force: true })
  await cp(builtDir, distDir, { recursive: true })

  const today = toIsoDate(new Date())
  const mentees = generateMentees({ count: MENTEE_COUNT, today })
  const agenda = generateAgenda(mentees, today)
  log(`generated ${mentees.length} mentees, ${agenda.notes.length} notes, ${agenda.appointments.length} appointments`)

  await buildSearchBundle(projectRoot, searchBundleDir)
  log('built the search bench bundle into dist-bench/search/')

  const app = await buildServer({ distDir })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`
  let appRunning = true
  const stopApp = async () => {
    if (!appRunning) return
    appRunning = false
    await app.close()
  }

  const figures = new Figures()
  const samples: Record<string, unknown> = {}
  let browser: Browser | undefined
  try {
    browser = await launchChromium()
    log(`Chromium ${browser.version()}, app at ${appUrl}`)

    // 1. First screen
    const first = await measureFirstScreen(browser, appUrl, distDir)
    log(`first screen: ${first.files.length} files, ${kb(first.gzipBytes)} gzip, ${kb(first.rawBytes)} raw`)
    for (const f of first.files) log(`    ${f.path.padEnd(48)} ${kb(f.gzipBytes).padStart(9)} gzip ${kb(f.rawBytes).padStart(9)} raw`)
    if (first.later.length > 0) log(`    loaded after Today was ready (not counted): ${first.later.join(', ')}`)
    figures.add('firstScreenGzipBytes', first.gzipBytes, 'bytes', { budget: FIRST_SCREEN_BUDGET_BYTES })
    figures.add('firstScreenRawBytes', first.rawBytes, 'bytes')

    // 2. Offline cold start
    const cold = await measureOfflineColdStart(browser, {
      appUrl,
      runs: COLD_START_RUNS,
      throttledRuns: COLD_START_THROTTLED_RUNS,
      mentees,
      notes: agenda.notes,
      appointments: agenda.appointments,
      stopServer: stopApp,
      log,
    })
    samples.coldStart = cold
    if (cold.notFromServiceWorker.length > 0) {
      log(`WARNING: offline runs made requests not answered by the service worker: ${[...new Set(cold.notFromServiceWorker)].join(', ')}`)
    }
    if (!cold.serviceWorkerStopped) log('note: could not stop the service worker before each run (it may have been warm)')
    if (cold.seeded1x.some((r) => r.todayItems === 0)) log('WARNING: Today showed no items with the seeded database')
    const ms = (runs: { ms: number }[]) => median(runs.map((r) => r.ms))
    figures.add('offlineColdStartMs', ms(cold.seeded1x), 'ms')
    figures.add('offlineColdStartMs4xCpu', ms(cold.seeded4x), 'ms')
    figures.add('offlineColdStartHeapBytes', Math.max(...cold.seeded1x.map((r) => r.heapBytes)), 'bytes')
    figures.add('offlineColdStartEmptyDbMs', ms(cold.empty1x), 'ms')
    figures.add('offlineColdStartEmptyDbMs4xCpu', ms(cold.empty4x), 'ms')
    figures.add('offlineColdStartEmptyDbHeapBytes', Math.max(...cold.empty1x.map((r) => r.heapBytes)), 'bytes')

    // 3. Search as you type
    const search = await measureSearch(browser, {
      bundleDir: searchBundleDir,
      mentees,
      words: SEARCH_WORDS,
      rounds: SEARCH_ROUNDS,
      indexBuilds: INDEX_BUILDS,
      log,
    })
    samples.search = search
    const k1 = search.x1.keystrokes
    const k4 = search.x4.keystrokes
    log(`search: ${k1.ours.length} keystrokes per series; matches ours ${k1.oursMatches}, baseline ${k1.baselineMatches}`)
    const i1 = search.x1.index
    const steps = search.breakdown
    log(
      `index build steps (median): listMentees ${median(steps.map((r) => r.listMs)).toFixed(0)} ms, ` +
        `search keys ${median(steps.map((r) => r.keysMs)).toFixed(0)} ms, sort ${median(steps.map((r) => r.sortMs)).toFixed(0)} ms`,
    )
    figures.add('searchP50Ms', percentile(k1.ours, 50), 'ms', { baseline: percentile(k1.baseline, 50) })
    figures.add('searchP95Ms', percentile(k1.ours, 95), 'ms', {
      baseline: percentile(k1.baseline, 95),
      budget: SEARCH_P95_BUDGET_MS,
    })
    figures.add('searchMaxMs', Math.max(...k1.ours), 'ms', { baseline: Math.max(...k1.baseline) })
    figures.add('searchP50Ms4xCpu', percentile(k4.ours, 50), 'ms', { baseline: percentile(k4.baseline, 50) })
    figures.add('searchP95Ms4xCpu', percentile(k4.ours, 95), 'ms', { baseline: percentile(k4.baseline, 95) })
    figures.add('searchIndexBuildMs', median(i1.map((r) => r.totalMs)), 'ms')
    figures.add('searchIndexBuildMs4xCpu', median(search.x4.index.map((r) => r.totalMs)), 'ms')
    figures.add('searchHeapBytes', search.peakHeapBytes, 'bytes')
    figures.add('searchRetainedHeapBytes', search.retainedHeapBytes, 'bytes')
  } finally {
    await browser?.close()
    await stopApp()
  }

  await figures.write(resultsFile)
  await writeFile(samplesFile, JSON.stringify(samples) + '\n')
  console.log('')
  console.log(figures.table())
  console.log('')
  console.log(`Written to ${path.relative(process.cwd(), resultsFile) || resultsFile} in ${((performance.now() - started) / 1000).toFixed(0)} s.`)
  const failures = figures.failures()
  if (failures.length > 0) {
    console.error(`Over budget: ${failures.join(', ')}`)
    return 1
  }
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('bench failed:', error instanceof Error ? (error.stack ?? error.message) : error)
    process.exit(1)
  },
)
