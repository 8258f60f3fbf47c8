import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext } from 'playwright-core'
import {
  collectPageErrors,
  createAppointment,
  createMentee,
  formatViolations,
  isoDate,
  launchBrowser,
  newPhoneContext,
  openSignedIn,
  POLL,
  pdfPageCount,
  runAxe,
  startServer,
  TEST_RESULTS_DIR,
  text,
  type RunningServer,
} from './helpers'

let server: RunningServer
let browser: Browser
let context: BrowserContext

beforeAll(async () => {
  server = await startServer()
  browser = await launchBrowser()
  context = await newPhoneContext(browser)
})

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.close()
})

describe('checklist to hand over', () => {
  it('shows an appointment’s checklist in German and Arabic and prints it on one A4 page without the app’s header', async () => {
    const page = await context.newPage()
    const pageErrors = collectPageErrors(page)
    await openSignedIn(page, server)
    await createMentee(page, server.baseUrl, { givenName: 'Handzettel', familyName: 'Testperson' })
    await createAppointment(page, 'immigrationOffice', `${isoDate(7)}T09:30`)
    await page.getByTestId('new-checklist-item').fill('Kopie vom Mietvertrag')
    await page.getByTestId('new-checklist-item').press('Enter')
    await page.getByTestId('checklist').getByText('Kopie vom Mietvertrag').waitFor()

    await page.getByTestId('open-handout').click()
    await page.getByTestId('handout-sheet').waitFor()
    await page.getByTestId('handout-language').selectOption('ar')
    const arabic = page.locator('[data-testid="handout-items"] td[lang="ar"]')
    await expect.poll(() => arabic.first().textContent(), POLL).toBe(text('ar', 'checklist.items.passport'))
    expect(await arabic.first().getAttribute('dir')).toBe('rtl')
    expect(await page.getByTestId('handout-type').locator('[lang="ar"]').textContent()).toBe(text('ar', 'appointmentType.immigrationOffice'))
    const violations = await runAxe(page)
    expect(violations, formatViolations('handout (de + ar)', violations)).toEqual([])

    await mkdir(TEST_RESULTS_DIR, { recursive: true })
    await page.screenshot({ path: path.join(TEST_RESULTS_DIR, 'handout-de-ar-phone.png'), fullPage: true })

    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('.app-header').isVisible()).toBe(false)
    expect(await page.getByTestId('handout-print').isVisible()).toBe(false)
    expect(await page.getByTestId('handout-language').isVisible()).toBe(false)
    expect(await page.getByTestId('handout-sheet').isVisible()).toBe(true)

    const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true })
    await writeFile(path.join(TEST_RESULTS_DIR, 'handout-de-ar.pdf'), pdf)
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(pdf.byteLength).toBeGreaterThan(5_000)
    expect(pdfPageCount(pdf)).toBe(1)
    // A4 in points (595 × 842), as the print stylesheet asks.
    expect(pdf.toString('latin1')).toMatch(/\/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?\s*\]/)
    // The same print layout as a picture, to look at without a PDF viewer (A4 at 96 dpi).
    await page.setViewportSize({ width: 794, height: 1123 })
    await page.screenshot({ path: path.join(TEST_RESULTS_DIR, 'handout-de-ar-print.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })
})
