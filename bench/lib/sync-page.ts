/**
 * Driving the sync benchmark page (bench/browser/sync-entry.ts), which the app server serves
 * under /__bench/ from the copy of dist/ the benchmark uses.
 */
import type { BrowserContext, Page } from 'playwright-core'
import type { BenchSession, LotseSyncBenchApi } from '../shared/sync-api'
import { withTimeout } from './browser'

/** Where the page lies inside the served directory, and its URL path. */
export const SYNC_PAGE_DIR = '__bench'
export const SYNC_PAGE_PATH = `${SYNC_PAGE_DIR}/sync.html`

type Method = keyof LotseSyncBenchApi

/** Calls `window.lotseSyncBench[method](...args)` in the page. */
export async function callSyncPage<M extends Method>(
  page: Page,
  method: M,
  ...args: Parameters<LotseSyncBenchApi[M]>
): Promise<Awaited<ReturnType<LotseSyncBenchApi[M]>>> {
  const result: unknown = await page.evaluate(
    ({ method, args }) => {
      const api = window.lotseSyncBench
      if (!api) throw new Error('sync bench page not ready')
      return (api[method] as (...a: unknown[]) => Promise<unknown>)(...args)
    },
    { method, args: args as unknown[] },
  )
  return result as Awaited<ReturnType<LotseSyncBenchApi[M]>>
}

export async function openSyncPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(new URL(SYNC_PAGE_PATH, origin).href)
  await page.waitForFunction(() => window.lotseSyncBench !== undefined, null, { timeout: 15_000 })
  return page
}

/**
 * The app opens on Today only for a signed-in device (src/router.ts); otherwise on the sign-in
 * screen. The first-screen and cold-start figures are about a returning coach, so the context
 * gets a stored session first, as after a sign-in. Its token is not valid anywhere: the app's
 * automatic sync against the benchmark's app server (which has no database) fails, and offline
 * it does not even try.
 */
export async function storeBenchSession(context: BrowserContext, appUrl: string): Promise<void> {
  const page = await openSyncPage(context, appUrl)
  try {
    const session: BenchSession = {
      token: 'bench-token-not-valid-anywhere',
      deviceId: '00000000-0000-4000-8000-000000000001',
      user: {
        id: '00000000-0000-4000-8000-000000000002',
        username: 'bench.coach',
        displayName: 'Coach (Benchmark)',
        role: 'coach',
        teamId: '00000000-0000-4000-8000-000000000003',
      },
    }
    await withTimeout(callSyncPage(page, 'storeSession', session), 15_000, 'storing the bench session')
  } finally {
    await page.close()
  }
}
