import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  addNote,
  createAppointment,
  createMentee,
  formatViolations,
  isoDate,
  launchBrowser,
  newPhoneContext,
  runAxe,
  openSignedIn,
  POLL,
  startServer,
  text,
  unlockOnEveryLoad,
  type RunningServer,
} from './helpers'

let server: RunningServer
let browser: Browser
let context: BrowserContext
let menteeId: string
let appointmentId: string

beforeAll(async () => {
  server = await startServer()
  browser = await launchBrowser()
  context = await newPhoneContext(browser)
  // One mentee with a note (with a follow-up) and an appointment with its checklist, so every
  // screen shows its lists rather than its empty states.
  const page = await context.newPage()
  await openSignedIn(page, server)
  menteeId = await createMentee(page, server.baseUrl, {
    givenName: 'Barrierefrei',
    familyName: 'Prüfperson',
    permitExpiry: isoDate(20),
  })
  await addNote(page, { text: 'Fiktive Notiz\nmit zweiter Zeile', followUpText: 'Rückruf', followUpDue: isoDate(2) })
  appointmentId = await createAppointment(page, 'immigrationOffice', `${isoDate(1)}T09:30`)
  await page.close()
})

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.close()
})

type Locale = 'de' | 'ar'

interface Screen {
  name: string
  /** Opens the screen and waits until its content is there. */
  open: (page: Page, locale: Locale) => Promise<void>
}

const screens: Screen[] = [
  {
    name: 'Today',
    open: async (page) => {
      await page.goto(`${server.baseUrl}/`)
      // Tomorrow's appointment is both on the due list (a reminder) and in the week's appointments.
      const links = page.getByTestId('today').locator(`a[href="/appointments/${appointmentId}"]`)
      await links.first().waitFor()
      await expect.poll(() => links.count(), POLL).toBe(2)
    },
  },
  {
    name: 'mentee list',
    open: async (page) => {
      await page.goto(`${server.baseUrl}/mentees`)
      await page.getByTestId('mentee-list').locator('.mentee-card').first().waitFor()
    },
  },
  {
    name: 'mentee profile (note + appointment)',
    open: async (page) => {
      await page.goto(`${server.baseUrl}/mentees/${menteeId}`)
      await page.getByTestId('note-timeline').waitFor()
      await page.getByTestId('mentee-profile').locator(`a[href="/appointments/${appointmentId}"]`).waitFor()
    },
  },
  {
    name: 'note form open',
    open: async (page, locale) => {
      await page.goto(`${server.baseUrl}/mentees/${menteeId}`)
      await page.getByTestId('note-timeline').waitFor()
      await page.getByRole('button', { name: text(locale, 'note.add') }).click()
      await page.getByTestId('note-form').waitFor()
    },
  },
  {
    name: 'appointment (checklist)',
    open: async (page) => {
      await page.goto(`${server.baseUrl}/appointments/${appointmentId}`)
      await page.getByTestId('checklist').getByRole('checkbox').first().waitFor()
    },
  },
  {
    name: 'new-mentee form',
    open: async (page) => {
      await page.goto(`${server.baseUrl}/mentees/new`)
      await page.getByTestId('given-name').waitFor()
    },
  },
  {
    // Locked from the header, without a reload (the next screen's load unlocks again).
    name: 'unlock screen',
    open: async (page) => {
      await page.goto(`${server.baseUrl}/`)
      await page.getByTestId('today').waitFor()
      await page.getByTestId('lock-header').click()
      await page.getByTestId('unlock-passphrase').waitFor()
    },
  },
]

async function useLanguage(page: Page, locale: Locale): Promise<void> {
  await page.goto(`${server.baseUrl}/`)
  await page.getByTestId('today').waitFor()
  await page.getByTestId('language-switcher').selectOption(locale)
  await page.waitForFunction((lang) => document.documentElement.lang === lang, locale)
}

describe('accessibility (axe-core: WCAG 2.1 A/AA and best practices)', () => {
  it.each<Locale>(['de', 'ar'])('no serious or critical violations on any screen in %s', async (locale) => {
    const page = await context.newPage()
    unlockOnEveryLoad(page)
    try {
      await useLanguage(page, locale)
      const reports: string[] = []
      let total = 0
      for (const screen of screens) {
        await screen.open(page, locale)
        expect(await page.evaluate(() => document.documentElement.lang)).toBe(locale)
        const violations = await runAxe(page)
        total += violations.length
        if (violations.length > 0) reports.push(formatViolations(`${screen.name} [${locale}]`, violations))
      }
      if (total > 0) console.error(reports.join('\n\n'))
      expect(total, `\n${reports.join('\n\n')}\n`).toBe(0)
    } finally {
      await page.close()
    }
  })
})
