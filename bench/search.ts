/**
 * Figure 3: search-as-you-type over 10,000 mentees, in Chromium, with the app's real code.
 * bench/browser/search-entry.ts is bundled with Vite into dist-bench/ and served from
 * 127.0.0.1; the page seeds the app's Dexie database and a baseline database with a givenName
 * index, builds the store's index and times each keystroke for both.
 */
import type { Browser, CDPSession, Page } from 'playwright-core'
import type { Mentee } from '../src/shared/records'
import type { IndexBreakdown, IndexBuildResult, KeystrokeRun, LotseBenchApi } from './shared/api'
import { jsHeapUsed, withTimeout } from './lib/browser'
import { buildBenchBundle } from './lib/bundle'
import { startStaticServer } from './lib/static-server'
import { median } from './lib/stats'

export async function buildSearchBundle(projectRoot: string, outDir: string): Promise<void> {
  await buildBenchBundle({ projectRoot, outDir, pages: ['index.html'] })
}

export interface SearchSeries {
  /** Index builds from the encrypted database (decrypting every mentee). */
  index: IndexBuildResult[]
  /** The same from the same rows without encryption at rest. */
  plainIndex: IndexBuildResult[]
  /** Unlock times (key derivation and unwrapping), ms. */
  unlockMs: number[]
  /** Keystrokes over the index built from the encrypted database. */
  keystrokes: KeystrokeRun
  /** Keystrokes over the index from the encrypted database and from the plain one, interleaved. */
  both: { sealed: number[]; plain: number[] }
}

export interface SearchResult {
  count: number
  x1: SearchSeries
  x4: SearchSeries
  /** Where the index build time goes (1x CPU), step by step. */
  breakdown: IndexBreakdown[]
  /** Highest JS heap used seen after index builds and keystrokes (sampled, no forced GC). */
  peakHeapBytes: number
  /** JS heap used after a forced GC, with the index held by the store. */
  retainedHeapBytes: number
}

export interface SearchOptions {
  bundleDir: string
  mentees: readonly Mentee[]
  words: readonly string[]
  rounds: number
  indexBuilds: number
  log: (line: string) => void
}

type BenchMethod = keyof LotseBenchApi

/** Calls `window.lotseBench[method](...args)` in the page. */
async function callBench<M extends BenchMethod>(
  page: Page,
  method: M,
  ...args: Parameters<LotseBenchApi[M]>
): Promise<Awaited<ReturnType<LotseBenchApi[M]>>> {
  const result: unknown = await page.evaluate(
    ({ method, args }) => {
      const api = window.lotseBench
      if (!api) throw new Error('bench page not ready')
      return (api[method] as (...a: unknown[]) => Promise<unknown>)(...args)
    },
    { method, args: args as unknown[] },
  )
  return result as Awaited<ReturnType<LotseBenchApi[M]>>
}

const UNLOCK_RUNS = 3

async function series(page: Page, options: SearchOptions, sampleHeap: () => Promise<void>): Promise<SearchSeries> {
  const unlockMs: number[] = []
  for (let i = 0; i < UNLOCK_RUNS; i++) unlockMs.push(await withTimeout(callBench(page, 'unlock'), 60_000, 'unlock'))
  const build = async (source: 'sealed' | 'plain') => {
    const runs: IndexBuildResult[] = []
    for (let i = 0; i < options.indexBuilds; i++) {
      runs.push(await withTimeout(callBench(page, 'buildIndex', source), 60_000, 'index build'))
      await sampleHeap()
    }
    return runs
  }
  const type = async () => {
    const run = await withTimeout(callBench(page, 'typeWords', options.words, options.rounds), 90_000, 'typing')
    await sampleHeap()
    return run
  }
  const plainIndex = await build('plain')
  const index = await build('sealed')
  const keystrokes = await type()
  const both = await withTimeout(callBench(page, 'typeBoth', options.words, options.rounds), 90_000, 'typing over both indexes')
  await sampleHeap()
  return { index, plainIndex, unlockMs, keystrokes, both }
}

export async function measureSearch(browser: Browser, options: SearchOptions): Promise<SearchResult> {
  const server = await startStaticServer(options.bundleDir)
  const context = await browser.newContext({ locale: 'de-DE' })
  try {
    const page = await context.newPage()
    page.on('pageerror', (error) => options.log(`bench page error: ${error.message}`))
    await page.goto(server.url)
    await page.waitForFunction(() => window.lotseBench !== undefined, null, { timeout: 15_000 })
    const seeded = await withTimeout(
      callBench(page, 'seed', [...options.mentees]),
      60_000,
      'seeding',
    )
    if (seeded.appCount !== options.mentees.length || seeded.baselineCount !== options.mentees.length) {
      throw new Error(`seeding wrote ${seeded.appCount} / ${seeded.baselineCount} of ${options.mentees.length} mentees`)
    }

    const cdp: CDPSession = await context.newCDPSession(page)
    await cdp.send('Performance.enable')
    // The seeding's garbage is not the app's: start the heap figures from a clean heap.
    await cdp.send('HeapProfiler.collectGarbage')
    let peakHeapBytes = 0
    const sampleHeap = async () => {
      peakHeapBytes = Math.max(peakHeapBytes, await jsHeapUsed(cdp))
    }

    const x1 = await series(page, options, sampleHeap)
    options.log(
      `search 1x: index ${median(x1.index.map((r) => r.totalMs)).toFixed(0)} ms, ${x1.keystrokes.ours.length} keystrokes`,
    )
    await cdp.send('HeapProfiler.collectGarbage')
    const retainedHeapBytes = await jsHeapUsed(cdp)

    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 })
    const x4 = await series(page, { ...options, indexBuilds: Math.min(options.indexBuilds, 2) }, sampleHeap)
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 })
    options.log(`search 4x: index ${median(x4.index.map((r) => r.totalMs)).toFixed(0)} ms`)

    const breakdown: IndexBreakdown[] = []
    for (let i = 0; i < 2; i++) {
      breakdown.push(await withTimeout(callBench(page, 'indexBreakdown'), 60_000, 'index breakdown'))
    }
    return { count: seeded.appCount, x1, x4, breakdown, peakHeapBytes, retainedHeapBytes }
  } finally {
    await context.close()
    await server.close()
  }
}
