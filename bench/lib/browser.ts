/** Chromium (Debian's, never a downloaded one) and small helpers around pages. */
import type { CDPSession, Page } from 'playwright-core'

export { CHROMIUM_PATH, launchChromium } from '../../tests/support/chromium'

/** Rejects after `ms`, so no wait in the benchmark can hang forever. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export const TODAY_READY_MARK = 'lotse:today-ready'

/**
 * Waits for TodayView's `performance.mark('lotse:today-ready')` and returns its time from
 * navigation start. A buffered PerformanceObserver: no polling that would steal CPU from the page.
 */
export async function waitForTodayReady(page: Page, timeoutMs = 60_000): Promise<number> {
  return withTimeout(
    page.evaluate(
      (name) =>
        new Promise<number>((resolve) => {
          // No named functions in here: tsx (esbuild) would wrap them in a `__name` helper that
          // does not exist in the page.
          const now = performance.getEntriesByName(name, 'mark')[0]?.startTime
          if (now !== undefined) {
            resolve(now)
            return
          }
          const observer = new PerformanceObserver(() => {
            const time = performance.getEntriesByName(name, 'mark')[0]?.startTime
            if (time === undefined) return
            observer.disconnect()
            resolve(time)
          })
          observer.observe({ type: 'mark', buffered: true })
        }),
      TODAY_READY_MARK,
    ),
    timeoutMs,
    `${TODAY_READY_MARK} on ${page.url()}`,
  )
}

export async function jsHeapUsed(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics')
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')
  if (!heap) throw new Error('CDP Performance.getMetrics has no JSHeapUsedSize')
  return heap.value
}

/**
 * A returning user's start: the app asks for the device passphrase first (the data key is kept
 * in memory only), then opens on Today. Resolves when the passphrase has been sent.
 */
export async function unlockApp(page: Page, passphrase: string, timeoutMs = 60_000): Promise<void> {
  const field = page.getByTestId('unlock-passphrase')
  await field.waitFor({ timeout: timeoutMs })
  await field.fill(passphrase)
  await page.getByTestId('unlock-submit').click()
}
