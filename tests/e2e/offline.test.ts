import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { CHECKLIST_TEMPLATES } from '../../src/shared/vocabulary'
import {
  collectPageErrors,
  countRecords,
  ensureServiceWorkerControl,
  horizontalOverflow,
  isoDate,
  launchBrowser,
  newPhoneContext,
  POLL,
  plural,
  openSignedIn,
  startServer,
  text,
  waitForServiceWorkerActivated,
  waitForServiceWorkerControl,
  type RunningServer,
} from './helpers'

const GIVEN = 'Testperson'
const FAMILY = 'Offline-Beispiel'
const FULL_NAME = `${GIVEN} ${FAMILY}`
const NOTE_FIRST_LINE = 'Erstes Gespräch in der Berufsschule (fiktiv).'
const NOTE_SECOND_LINE = 'Zweite Zeile: Praktikum im Frühjahr besprochen.'
const FOLLOW_UP = 'Bewerbungsmappe gemeinsam durchsehen'
const TEMPLATE = CHECKLIST_TEMPLATES.immigrationOffice
const [FIRST_ITEM, SECOND_ITEM] = TEMPLATE

let server: RunningServer
let browser: Browser

beforeAll(async () => {
  server = await startServer()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

describe('offline', () => {
  let context: BrowserContext | undefined

  afterAll(async () => {
    await context?.close()
  })

  it('works through a whole visit without a network and keeps everything across a reload', async () => {
    context = await newPhoneContext(browser)
    const page = await context.newPage()
    const pageErrors = collectPageErrors(page)
    const tomorrow = isoDate(1)
    const permitExpiry = isoDate(20)
    // Outside the Today screen's follow-up horizon (7 days): not due, so not listed there.
    const followUpDue = isoDate(30)

    // First visit, online.
    await openSignedIn(page, server)
    await ensureServiceWorkerControl(page)

    // The network goes away; the app shell now comes from the service worker.
    await context.setOffline(true)
    const offlineShell = await page.reload()
    expect(offlineShell?.fromServiceWorker(), 'the offline reload is answered by the service worker').toBe(true)
    await page.getByTestId('today').waitFor()
    await waitForServiceWorkerControl(page)
    expect(await page.evaluate(() => navigator.onLine)).toBe(false)
    expect(await page.getByTestId('network-status').innerText()).toContain(text('de', 'network.offline'))
    // The long offline notice in the header still fits a 360 px phone.
    const overflow = await horizontalOverflow(page)
    expect(overflow.scrollWidth, `offline header overflows: ${overflow.widest.join(', ')}`).toBeLessThanOrEqual(overflow.innerWidth)

    // A new mentee, as a person would: from the start screen.
    await page.getByRole('link', { name: text('de', 'mentee.new') }).first().click()
    await page.getByLabel(text('de', 'mentee.fields.givenName')).fill(GIVEN)
    await page.getByLabel(text('de', 'mentee.fields.familyName')).fill(FAMILY)
    await page.getByLabel(text('de', 'mentee.fields.permitExpiry')).fill(permitExpiry)
    await page.getByRole('button', { name: text('de', 'actions.save') }).click()
    await page.waitForURL(/\/mentees\/(?!new)[^/]+$/)
    const menteeId = new URL(page.url()).pathname.split('/').at(-1)!
    expect(await page.getByTestId('mentee-name').innerText()).toBe(FULL_NAME)
    const permitWarning = plural('de', 'attention.permitExpiring', 20, { days: 20 })
    expect(await page.getByTestId('mentee-profile').innerText()).toContain(permitWarning)

    // A note with a line break and a follow-up.
    await page.getByRole('button', { name: text('de', 'note.add') }).click()
    const noteForm = page.getByTestId('note-form')
    await noteForm.getByLabel(text('de', 'note.fields.text')).fill(`${NOTE_FIRST_LINE}\n${NOTE_SECOND_LINE}`)
    await noteForm.getByLabel(text('de', 'note.fields.followUpText')).fill(FOLLOW_UP)
    await noteForm.getByLabel(text('de', 'note.fields.followUpDue')).fill(followUpDue)
    await noteForm.getByRole('button', { name: text('de', 'note.add') }).click()
    await noteForm.waitFor({ state: 'detached' })
    await expectNoteWithLineBreak(page)

    // An appointment from the immigration-office template, tomorrow 09:30.
    await page.getByRole('link', { name: text('de', 'appointment.new') }).click()
    await page.getByLabel(text('de', 'appointment.fields.type')).selectOption({ label: text('de', 'appointmentType.immigrationOffice') })
    await page.getByLabel(text('de', 'appointment.fields.startsAt')).fill(`${tomorrow}T09:30`)
    await page.getByRole('button', { name: text('de', 'actions.save') }).click()
    await page.waitForURL(/\/appointments\/[^/]+$/)
    const appointmentUrl = page.url()

    const checklist = page.getByTestId('checklist')
    await checklist.waitFor()
    expect(await checklist.getByRole('checkbox').count()).toBe(TEMPLATE.length)
    const checklistText = await checklist.innerText()
    for (const key of TEMPLATE) expect(checklistText).toContain(text('de', `checklist.items.${key}`))
    expect(await page.getByTestId('checklist-progress').innerText()).toBe(
      text('de', 'checklist.progress', { done: 0, total: TEMPLATE.length }),
    )

    await checklist.getByLabel(text('de', `checklist.items.${FIRST_ITEM}`)).check()
    await checklist.getByLabel(text('de', `checklist.items.${SECOND_ITEM}`)).check()
    const twoDone = text('de', 'checklist.progress', { done: 2, total: TEMPLATE.length })
    await expect.poll(() => page.getByTestId('checklist-progress').innerText(), POLL).toBe(twoDone)

    // Reload, still offline: everything comes back from IndexedDB.
    expect((await page.reload())?.fromServiceWorker()).toBe(true)
    await page.getByTestId('checklist').waitFor()
    expect(await page.evaluate(() => navigator.onLine)).toBe(false)
    expect(await page.getByTestId('checklist-progress').innerText()).toBe(twoDone)
    expect(await checklistStates(page)).toEqual(TEMPLATE.map((_, index) => index < 2))
    expect(await page.getByTestId('appointment').innerText()).toContain(text('de', 'appointmentType.immigrationOffice'))

    // The mentee is in the list and found by search (lower case, one word of the name).
    await page.getByRole('link', { name: text('de', 'nav.mentees'), exact: true }).click()
    await page.getByTestId('mentee-list').waitFor()
    await page.getByLabel(text('de', 'mentees.search')).fill('offline-beisp')
    await expect.poll(() => page.getByTestId('result-count').innerText(), POLL).toBe(plural('de', 'mentees.count', 1, { count: 1 }))
    const card = page.locator('.mentee-card', { hasText: FULL_NAME })
    expect(await card.count()).toBe(1)
    await page.getByLabel(text('de', 'mentees.search')).fill('keinname')
    await expect.poll(() => page.getByTestId('result-count').innerText(), POLL).toBe(plural('de', 'mentees.count', 0, { count: 0 }))
    await page.getByLabel(text('de', 'mentees.search')).fill('testperson')
    await card.click()

    // The profile: the note with its line break, the appointment.
    await page.waitForURL(`${server.baseUrl}/mentees/${menteeId}`)
    await page.getByTestId('mentee-name').waitFor()
    await expectNoteWithLineBreak(page)
    const profile = await page.getByTestId('mentee-profile').innerText()
    expect(profile).toContain(FOLLOW_UP)
    expect(profile).toContain(text('de', 'appointmentType.immigrationOffice'))
    expect(await page.locator(`a[href="${new URL(appointmentUrl).pathname}"]`).count()).toBe(1)

    // Today: the appointment, and on the due list tomorrow's appointment and the expiring permit;
    // the follow-up is not due yet.
    await page.getByRole('link', { name: text('de', 'nav.today'), exact: true }).click()
    const todayScreen = page.getByTestId('today')
    await todayScreen.waitFor()
    await page.getByRole('region', { name: text('de', 'today.appointments', { days: 7 }) }).getByText(FULL_NAME).waitFor()
    const appointments = await page.getByRole('region', { name: text('de', 'today.appointments', { days: 7 }) }).innerText()
    expect(appointments).toContain(text('de', 'appointmentType.immigrationOffice'))
    expect(appointments).toContain('09:30')
    const due = await page.getByRole('region', { name: text('de', 'reminders.title') }).innerText()
    expect(due).toContain(FULL_NAME)
    expect(due).toContain(permitWarning)
    expect(due).toContain(text('de', 'reminders.permitThreshold', { days: 30 }))
    expect(due).toContain(text('de', 'reminders.appointmentTomorrow', { time: '09:30' }))
    expect(due).not.toContain(FOLLOW_UP)

    // What is really on the device: one mentee, and changes waiting for sync.
    const counts = await countRecords(page, ['mentees', 'notes', 'appointments', 'checklistItems', 'outbox'])
    expect(counts.mentees).toBe(1)
    expect(counts.notes).toBe(1)
    expect(counts.appointments).toBe(1)
    expect(counts.checklistItems).toBe(TEMPLATE.length)
    expect(counts.outbox).toBeGreaterThan(0)

    expect(pageErrors).toEqual([])
  })

  it('first visit: the service worker takes control of the page without a reload', async () => {
    // Without `clientsClaim()` in src/sw.ts the first page stays uncontrolled; if the network
    // drops before the next reload, every screen not yet loaded (lazy chunks) fails to open.
    const firstVisit = await newPhoneContext(browser)
    try {
      const page = await firstVisit.newPage()
      await openSignedIn(page, server)
      const controlled = await waitForServiceWorkerActivated(page)
      expect(
        controlled,
        'first visit: the activated service worker does not control the page. Fix: in src/sw.ts add ' +
          "`import { clientsClaim } from 'workbox-core'` and call `clientsClaim()` after precacheAndRoute(); " +
          'and in src/pwa.ts reload on `controllerchange` after the user agreed to the update (see update.test.ts).',
      ).toBe(true)

      await firstVisit.setOffline(true)
      await page.getByRole('link', { name: text('de', 'nav.mentees'), exact: true }).click()
      await page.getByTestId('mentee-list').waitFor({ timeout: 5_000 })
    } finally {
      await firstVisit.close()
    }
  })
})

async function expectNoteWithLineBreak(page: Page): Promise<void> {
  const item = page.getByTestId('note-timeline').locator('.timeline__item').first()
  await item.waitFor()
  const noteText = await item.locator('.timeline__text').innerText()
  expect(noteText).toBe(`${NOTE_FIRST_LINE}\n${NOTE_SECOND_LINE}`)
  expect(await item.innerText()).toContain(`${NOTE_FIRST_LINE}\n${NOTE_SECOND_LINE}`)
}

function checklistStates(page: Page): Promise<boolean[]> {
  return page
    .getByTestId('checklist')
    .getByRole('checkbox')
    .evaluateAll((boxes) => boxes.map((box) => (box as HTMLInputElement).checked))
}
