/**
 * Figure 1: the JS and CSS the first screen (Today) needs, as gzip bytes. Loads the built app in a
 * fresh browser context (nothing of the app cached, no service worker yet; only a stored session,
 * so the app opens on Today), takes every .js/.css resource the page requested up to TodayView's
 * ready mark, and gzips each file from dist/ at level 9.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Browser } from 'playwright-core'
import { unlockApp, waitForTodayReady } from './lib/browser'
import { storeBenchSession } from './lib/sync-page'
import { BENCH_PASSPHRASE } from './shared/sync-api'

export interface FirstScreenFile {
  path: string
  rawBytes: number
  gzipBytes: number
}

export interface FirstScreenResult {
  gzipBytes: number
  rawBytes: number
  readyMs: number
  files: FirstScreenFile[]
  /** JS/CSS the page fetched after Today was ready (not counted), e.g. lazily loaded code. */
  later: string[]
}

export async function measureFirstScreen(browser: Browser, appUrl: string, distDir: string): Promise<FirstScreenResult> {
  const context = await browser.newContext({ locale: 'de-DE' })
  try {
    // A returning coach: signed in once, so the app asks for the device passphrase, then opens Today.
    await storeBenchSession(context, appUrl)
    const page = await context.newPage()
    await page.goto(appUrl)
    await unlockApp(page, BENCH_PASSPHRASE)
    const readyMs = await waitForTodayReady(page)
    // Let requests that started before the mark finish, so they show up in Resource Timing.
    await page.waitForLoadState('load')
    await page.waitForTimeout(500)
    const entries = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e) => ({ url: e.name, startTime: e.startTime })),
    )
    const origin = new URL(appUrl).origin
    const assets = entries.filter((e) => {
      const url = new URL(e.url)
      return url.origin === origin && /\.(?:js|css)$/.test(url.pathname)
    })
    const counted = [...new Set(assets.filter((e) => e.startTime <= readyMs).map((e) => new URL(e.url).pathname))]
    const later = [...new Set(assets.filter((e) => e.startTime > readyMs).map((e) => new URL(e.url).pathname))]

    const files: FirstScreenFile[] = []
    for (const pathname of counted.sort()) {
      const file = path.join(distDir, decodeURIComponent(pathname))
      const bytes = await readFile(file)
      files.push({ path: pathname, rawBytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length })
    }
    if (files.length === 0) throw new Error('no JS or CSS was loaded for the first screen: is dist/ a real build?')
    return {
      gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
      rawBytes: files.reduce((sum, f) => sum + f.rawBytes, 0),
      readyMs,
      files,
      later: later.filter((p) => !counted.includes(p)),
    }
  } finally {
    await context.close()
  }
}
