import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  collectPageErrors,
  horizontalOverflow,
  isoDate,
  launchBrowser,
  newPhoneContext,
  POLL,
  openSignedIn,
  startServer,
  TEST_RESULTS_DIR,
  text,
  type RunningServer,
} from './helpers'

// Clearly fictional, in Arabic script.
const GIVEN = 'تجربة'
const FAMILY = 'اختبار'
const NOTE = 'ملاحظة تجريبية\nسطر ثانٍ'

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

function documentDirection(page: Page): Promise<{ dir: string; lang: string }> {
  return page.evaluate(() => ({ dir: document.documentElement.dir, lang: document.documentElement.lang }))
}

function navLabels(page: Page): Promise<string[]> {
  return page
    .getByRole('navigation')
    .getByRole('link')
    .evaluateAll((links) => links.map((link) => (link as HTMLElement).innerText.trim()))
}

async function expectNoHorizontalOverflow(page: Page, screen: string): Promise<void> {
  const overflow = await horizontalOverflow(page)
  expect(
    overflow.scrollWidth,
    `${screen}: horizontal overflow at ${overflow.innerWidth} px (scrollWidth ${overflow.scrollWidth}); sticking out: ${overflow.widest.join(', ') || 'none found'}`,
  ).toBeLessThanOrEqual(overflow.innerWidth)
}

const COACH_NAV = ['today', 'mentees', 'conference', 'reports', 'fairs', 'sync', 'settings'] as const

describe('right-to-left (Arabic)', () => {
  it('switches to Arabic, mirrors the layout without overflow at 360 px, remembers the choice and switches back', async () => {
    const page = await context.newPage()
    const pageErrors = collectPageErrors(page)
    await openSignedIn(page, server)
    expect(await documentDirection(page)).toEqual({ dir: 'ltr', lang: 'de' })

    // The language switcher, as a user would use it.
    await page.getByTestId('language-switcher').selectOption('ar')
    await page.waitForFunction(() => document.documentElement.dir === 'rtl')
    expect(await documentDirection(page)).toEqual({ dir: 'rtl', lang: 'ar' })
    // A coach's navigation has every screen, so this is the longest one to fit into 360 px.
    const arabicNav = COACH_NAV.map((link) => text('ar', `nav.${link}`))
    await expect.poll(() => navLabels(page), POLL).toEqual(arabicNav)
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(text('ar', 'today.title'))

    // The brand sits at the start of the header, which is the right side in RTL.
    const brand = await page.locator('.app-header__brand').boundingBox()
    const switcher = await page.getByTestId('language-switcher').boundingBox()
    expect(brand && switcher, 'header brand and language switcher are visible').toBeTruthy()
    expect(brand!.x, 'RTL: the brand is right of the language switcher').toBeGreaterThan(switcher!.x)
    await expectNoHorizontalOverflow(page, 'Today (ar)')

    // The new-mentee form.
    await page.getByRole('link', { name: text('ar', 'mentee.new') }).first().click()
    await page.getByLabel(text('ar', 'mentee.fields.givenName')).waitFor()
    await expectNoHorizontalOverflow(page, 'new-mentee form (ar)')
    await page.getByLabel(text('ar', 'mentee.fields.givenName')).fill(GIVEN)
    await page.getByLabel(text('ar', 'mentee.fields.familyName')).fill(FAMILY)
    await page.getByLabel(text('ar', 'mentee.fields.permitExpiry')).fill(isoDate(20))
    await page.getByRole('button', { name: text('ar', 'actions.save') }).click()

    // The profile, with a note.
    await page.waitForURL(/\/mentees\/(?!new)[^/]+$/)
    expect(await page.getByTestId('mentee-name').innerText()).toBe(`${GIVEN} ${FAMILY}`)
    await page.getByRole('button', { name: text('ar', 'note.add') }).click()
    await page.getByTestId('note-form').getByLabel(text('ar', 'note.fields.text')).fill(NOTE)
    await page.getByTestId('note-form').getByRole('button', { name: text('ar', 'note.add') }).click()
    await page.getByTestId('note-form').waitFor({ state: 'detached' })
    expect(await page.getByTestId('note-timeline').locator('.timeline__text').innerText()).toBe(NOTE)
    await expectNoHorizontalOverflow(page, 'profile (ar)')
    await mkdir(TEST_RESULTS_DIR, { recursive: true })
    await page.screenshot({ path: path.join(TEST_RESULTS_DIR, 'profile-ar-360.png'), fullPage: true })

    // An appointment with its checklist.
    await page.getByRole('link', { name: text('ar', 'appointment.new') }).click()
    await page.getByLabel(text('ar', 'appointment.fields.startsAt')).fill(`${isoDate(1)}T09:30`)
    await page.getByRole('button', { name: text('ar', 'actions.save') }).click()
    await page.waitForURL(/\/appointments\/[^/]+$/)
    await page.getByTestId('checklist').waitFor()
    expect(await page.getByTestId('checklist').innerText()).toContain(text('ar', 'checklist.items.passport'))
    await expectNoHorizontalOverflow(page, 'appointment (ar)')

    // The choice survives a reload.
    await page.reload()
    await page.getByTestId('checklist').waitFor()
    expect(await documentDirection(page)).toEqual({ dir: 'rtl', lang: 'ar' })
    await expect.poll(() => navLabels(page), POLL).toEqual(arabicNav)

    // And back to German.
    await page.getByTestId('language-switcher').selectOption('de')
    await page.waitForFunction(() => document.documentElement.dir === 'ltr')
    expect(await documentDirection(page)).toEqual({ dir: 'ltr', lang: 'de' })
    await expect.poll(() => navLabels(page), POLL).toEqual(COACH_NAV.map((link) => text('de', `nav.${link}`)))
    const brandLtr = await page.locator('.app-header__brand').boundingBox()
    const switcherLtr = await page.getByTestId('language-switcher').boundingBox()
    expect(brandLtr!.x, 'LTR: the brand is left of the language switcher').toBeLessThan(switcherLtr!.x)
    await page.reload()
    await page.getByTestId('checklist').waitFor()
    expect(await documentDirection(page)).toEqual({ dir: 'ltr', lang: 'de' })

    expect(pageErrors).toEqual([])
  })
})
