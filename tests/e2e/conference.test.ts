import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  collectPageErrors,
  formatViolations,
  isoDate,
  launchBrowser,
  newPhoneContext,
  openSignedIn,
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

interface Pupil {
  givenName: string
  familyName: string
  leavingInDays: number
  partnerSharing: boolean
}

/** A pupil with every goal and barrier ticked: the longest summary the sheet has to hold. */
async function createPupil(page: Page, pupil: Pupil): Promise<void> {
  await page.goto(`${server.baseUrl}/mentees/new`)
  await page.getByTestId('given-name').fill(pupil.givenName)
  await page.getByTestId('family-name').fill(pupil.familyName)
  await page.getByLabel(text('de', 'mentee.fields.school'), { exact: true }).fill('Berufskolleg Testdorf')
  await page.getByLabel(text('de', 'mentee.fields.schoolClass'), { exact: true }).fill('IFK 2b')
  await page.getByTestId('leaving-date').fill(isoDate(pupil.leavingInDays))
  await page.getByTestId('permit-expiry').fill(isoDate(200))
  for (const key of ['schoolQualification', 'languageCourse', 'internship', 'eq', 'training', 'job']) {
    await page.getByRole('checkbox', { name: text('de', `goal.${key}`), exact: true }).check()
  }
  for (const key of ['childcare', 'mobility', 'language', 'documents', 'residenceRules', 'health', 'housing', 'other']) {
    await page.getByRole('checkbox', { name: text('de', `barrier.${key}`), exact: true }).check()
  }
  await page.getByLabel(text('de', 'mentee.fields.consentDate'), { exact: true }).fill(isoDate(-30))
  await page.getByRole('checkbox', { name: text('de', 'consentPurpose.counselling'), exact: true }).check()
  if (pupil.partnerSharing) await page.getByRole('checkbox', { name: text('de', 'consentPurpose.partnerSharing'), exact: true }).check()
  await page.getByTestId('save-mentee').click()
  await page.waitForURL(/\/mentees\/(?!new)[^/]+$/)
  await page.getByTestId('mentee-name').waitFor()
}

async function printSummary(page: Page, name: string): Promise<Buffer> {
  await page.emulateMedia({ media: 'print' })
  expect(await page.locator('.app-header').isVisible()).toBe(false)
  expect(await page.getByTestId('conference-print').isVisible()).toBe(false)
  expect(await page.getByTestId('conference-sheet').isVisible()).toBe(true)
  const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true })
  await writeFile(path.join(TEST_RESULTS_DIR, `${name}.pdf`), pdf)
  const viewport = page.viewportSize()
  await page.setViewportSize({ width: 794, height: 1123 })
  await page.screenshot({ path: path.join(TEST_RESULTS_DIR, `${name}-print.png`), fullPage: true })
  if (viewport) await page.setViewportSize(viewport)
  await page.emulateMedia({ media: 'screen' })
  return pdf
}

describe('transition conference', () => {
  it('lists the leavers and prints each case summary on one A4 page, with or without consent to share', async () => {
    const page = await context.newPage()
    const pageErrors = collectPageErrors(page)
    await openSignedIn(page, server)
    await createPupil(page, { givenName: 'أمينة', familyName: 'الاختبار', leavingInDays: 10, partnerSharing: true })
    await createPupil(page, { givenName: 'Testperson', familyName: 'Ohnename', leavingInDays: 20, partnerSharing: false })

    await page.goto(`${server.baseUrl}/conference`)
    const names = page.getByTestId('conference-name')
    await names.nth(1).waitFor()
    expect(await names.allTextContents()).toEqual(['أمينة الاختبار', 'Testperson Ohnename'])
    const listViolations = await runAxe(page)
    expect(listViolations, formatViolations('conference list', listViolations)).toEqual([])

    await mkdir(TEST_RESULTS_DIR, { recursive: true })
    await page.getByTestId('conference-summary-link').first().click()
    await page.getByTestId('summary-name').waitFor()
    expect(await page.getByTestId('summary-name').textContent()).toBe('أمينة الاختبار')
    const sharedViolations = await runAxe(page)
    expect(sharedViolations, formatViolations('case summary (shared)', sharedViolations)).toEqual([])
    const shared = await printSummary(page, 'conference-summary-shared')
    expect(pdfPageCount(shared)).toBe(1)
    expect(shared.toString('latin1')).toMatch(/\/MediaBox\s*\[\s*0 0 59[45](\.\d+)? 84[12](\.\d+)?\s*\]/)

    await page.goto(`${server.baseUrl}/conference`)
    await page.getByTestId('conference-summary-link').nth(1).click()
    await page.getByTestId('summary-no-consent').waitFor()
    expect(await page.getByTestId('conference-sheet').textContent()).not.toContain('Ohnename')
    const anonymousViolations = await runAxe(page)
    expect(anonymousViolations, formatViolations('case summary (without name)', anonymousViolations)).toEqual([])
    const anonymous = await printSummary(page, 'conference-summary-anonymous')
    expect(pdfPageCount(anonymous)).toBe(1)
    expect(pageErrors).toEqual([])
  })
})
