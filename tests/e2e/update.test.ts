import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  collectPageErrors,
  countRecords,
  DIST_DIR,
  ensureServiceWorkerControl,
  formatViolations,
  launchBrowser,
  newPhoneContext,
  POLL,
  runAxe,
  serviceWorkerState,
  openSignedIn,
  startServer,
  text,
  waitForServiceWorkerControl,
  type RunningServer,
} from './helpers'

const TYPED_NAME = 'Ungespeichert-Beispiel'
const CONTROLLER_CHANGED = 'e2e:controllerchange'

let browser: Browser
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  browser = await launchBrowser()
})

afterAll(async () => {
  // Contexts, servers and temp dirs of a test that failed half-way; then the browser.
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  await browser?.close()
})

/** A copy of the build, served on its own, so the "next version" is published without touching dist/. */
async function serveDistCopy(): Promise<{ server: RunningServer; distCopy: string }> {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'lotse-e2e-update-'))
  cleanups.push(() => rm(tempDir, { recursive: true, force: true }))
  const distCopy = path.join(tempDir, 'dist')
  await cp(DIST_DIR, distCopy, { recursive: true })
  const server = await startServer(distCopy)
  cleanups.push(() => server.close())
  return { server, distCopy }
}

function reloadButton(page: Page) {
  return page.getByTestId('update-banner').getByRole('button', { name: text('de', 'update.reload') })
}

const scenarios = [
  // The page that installed the worker is still open when the update arrives (workbox-window
  // saw no controller when it registered).
  { when: 'the page of the first visit', reloadFirst: false },
  // The usual case: the app was started again, controlled from its start.
  { when: 'a page controlled from its start', reloadFirst: true },
]

describe('app update', () => {
  it.each(scenarios)('on $when: offers a new version, refuses to reload over unsaved input, reloads into the new worker once it is discarded', async ({ reloadFirst }) => {
    const { server, distCopy } = await serveDistCopy()
    const context: BrowserContext = await newPhoneContext(browser)
    cleanups.push(() => context.close())
    const page = await context.newPage()
    const pageErrors = collectPageErrors(page)
    await openSignedIn(page, server)
    await ensureServiceWorkerControl(page)
    if (reloadFirst) {
      await page.reload()
      await page.getByTestId('today').waitFor()
      await waitForServiceWorkerControl(page)
    }
    const before = await serviceWorkerState(page)
    expect(before.controllerUrl).toBe(`${server.baseUrl}/sw.js`)
    expect(before.waitingState).toBeNull()
    expect(await page.getByTestId('update-banner').count()).toBe(0)

    // Marks this page instance and records a controller change across the coming reload.
    await page.evaluate((key) => {
      ;(window as unknown as { e2eOldPage?: boolean }).e2eOldPage = true
      sessionStorage.removeItem(key)
      navigator.serviceWorker.addEventListener('controllerchange', () => sessionStorage.setItem(key, 'yes'))
    }, CONTROLLER_CHANGED)

    // The next version is published: the service worker file changes by one byte-level comment.
    await appendFile(path.join(distCopy, 'sw.js'), '\n// next version\n')
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration()
      await registration?.update()
    })

    const banner = page.getByTestId('update-banner')
    await banner.waitFor({ timeout: 20_000 })
    expect(await banner.innerText()).toContain(text('de', 'update.ready'))
    expect(await reloadButton(page).isEnabled()).toBe(true)
    await expect.poll(async () => (await serviceWorkerState(page)).waitingState, POLL).toBe('installed')

    // Unsaved input in a form: the reload is refused, and the banner says why.
    await page.getByRole('link', { name: text('de', 'mentee.new') }).first().click()
    const givenName = page.getByLabel(text('de', 'mentee.fields.givenName'))
    await givenName.fill(TYPED_NAME)
    await expect.poll(() => reloadButton(page).isDisabled(), POLL).toBe(true)
    expect(await banner.innerText()).toContain(text('de', 'update.saveFirst'))
    expect(await givenName.inputValue()).toBe(TYPED_NAME)
    // The typed text is also kept as a draft on the device.
    await expect.poll(async () => (await countRecords(page, ['drafts'])).drafts, POLL).toBe(1)
    const violations = await runAxe(page)
    expect(violations, formatViolations('update banner over an unsaved form [de]', violations)).toEqual([])
    // Still the old page, still the old worker in control.
    expect((await serviceWorkerState(page)).waitingState).toBe('installed')

    // The user discards the input on purpose: now the update may reload.
    await page.getByRole('button', { name: text('de', 'actions.cancel') }).click()
    await page.getByTestId('mentee-list').waitFor()
    await expect.poll(() => reloadButton(page).isEnabled(), POLL).toBe(true)
    expect(await banner.innerText()).not.toContain(text('de', 'update.saveFirst'))
    expect((await countRecords(page, ['drafts'])).drafts).toBe(0)

    const reloaded = page.waitForEvent('load', { timeout: 10_000 }).then(
      () => true,
      () => false,
    )
    await reloadButton(page).click()
    expect(
      await reloaded,
      'pressing the reload button did not reload the page within 10 s. workbox-window reloads on ' +
        '"controlling" only when the page was already controlled when it registered; a page claimed ' +
        'on its first visit needs its own controllerchange → location.reload() (src/pwa.ts).',
    ).toBe(true)
    await page.getByTestId('mentee-list').waitFor()
    await waitForServiceWorkerControl(page)

    // A new page instance, controlled by the worker that was waiting.
    expect(await page.evaluate(() => (window as unknown as { e2eOldPage?: boolean }).e2eOldPage ?? false)).toBe(false)
    expect(await page.evaluate((key) => sessionStorage.getItem(key), CONTROLLER_CHANGED)).toBe('yes')
    const after = await serviceWorkerState(page)
    expect(after).toEqual({
      controllerUrl: `${server.baseUrl}/sw.js`,
      activeState: 'activated',
      waitingState: null,
      installingState: null,
    })
    expect(await page.getByTestId('update-banner').count()).toBe(0)
    expect(pageErrors).toEqual([])
    await context.close()
  })
})
