import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { assign, createUser } from '../../server/accounts/accounts'
import {
  addNote,
  collectPageErrors,
  createMentee,
  isoDate,
  launchBrowser,
  newPhoneContext,
  openSignedIn,
  expectSealed,
  POLL,
  readStores,
  startServer,
  TEST_TEAM,
  text,
  type RunningServer,
} from './helpers'

// Clearly fictional people and accounts.
const SECOND_COACH = { username: 'coach.zwei', password: 'e2e-passwort-5678', displayName: 'Ayşe Beispiel' }
const PATE = { username: 'pate.test', password: 'e2e-passwort-9012', displayName: 'Pate Testperson' }

let server: RunningServer
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  server = await startServer()
  await createUser(server.db, { ...SECOND_COACH, role: 'coach', teamName: TEST_TEAM })
  await createUser(server.db, { ...PATE, role: 'pate', teamName: TEST_TEAM })
  browser = await launchBrowser()
})

afterAll(async () => {
  for (const context of contexts) await context.close()
  await browser?.close()
  await server?.close()
})

async function newDevice(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await newPhoneContext(browser)
  contexts.push(context)
  const page = await context.newPage()
  return { context, page, errors: collectPageErrors(page) }
}

/** Syncs through the sync page, as a user would, and waits until it reports success. */
async function syncNow(page: Page): Promise<void> {
  await page.goto(`${server.baseUrl}/sync`)
  await page.getByTestId('sync-now').click()
  await page.getByText(text('de', 'sync.result.ok')).waitFor({ timeout: 20_000 })
  await expect.poll(() => page.getByTestId('unsent-count').innerText(), POLL).toMatch(/^0\b/)
}

async function noteText(page: Page, menteeId: string): Promise<string> {
  await page.goto(`${server.baseUrl}/mentees/${menteeId}`)
  return page.getByTestId('note-timeline').locator('.timeline__text').first().innerText()
}

async function editNote(page: Page, menteeId: string, newText: string): Promise<void> {
  await page.goto(`${server.baseUrl}/mentees/${menteeId}`)
  await page.getByTestId('note-timeline').getByRole('button', { name: text('de', 'actions.edit') }).first().click()
  await page.getByTestId('note-text').fill(newText)
  await page.getByTestId('save-note').click()
  await page.getByTestId('note-form').waitFor({ state: 'detached' })
}

describe('two devices, offline edits, one endpoint', () => {
  it('merges edits of different fields, keeps the value that lost in the inbox of its author, restores it, and scopes a Pate', async () => {
    const a = await newDevice()
    const b = await newDevice()

    // Coach A records two people and a note, and syncs.
    await openSignedIn(a.page, server)
    const shared = await createMentee(a.page, server.baseUrl, { givenName: 'Geteilt', familyName: 'Testperson', permitExpiry: isoDate(40) })
    await addNote(a.page, { text: 'Erste Fassung' })
    const coachOnly = await createMentee(a.page, server.baseUrl, { givenName: 'Nur', familyName: 'Coachfall' })
    await syncNow(a.page)

    // Coach B signs in on another device and receives both.
    await openSignedIn(b.page, server, SECOND_COACH)
    await syncNow(b.page)
    expect(await noteText(b.page, shared)).toBe('Erste Fassung')

    // Both lose the network and edit the same person: A the phone, B the German level; both the note.
    await a.context.setOffline(true)
    await b.context.setOffline(true)
    await a.page.goto(`${server.baseUrl}/mentees/${shared}/edit`)
    await a.page.getByLabel(text('de', 'mentee.fields.phone'), { exact: true }).fill('+49 5261 111111')
    await a.page.getByTestId('save-mentee').click()
    await a.page.getByTestId('mentee-name').waitFor()
    await b.page.goto(`${server.baseUrl}/mentees/${shared}/edit`)
    await b.page.getByTestId('new-level').selectOption('B1')
    await b.page.getByTestId('add-level').click()
    await b.page.getByTestId('save-mentee').click()
    await b.page.getByTestId('mentee-name').waitFor()
    await editNote(a.page, shared, 'Fassung von A')
    await editNote(b.page, shared, 'Fassung von B') // written later: this one wins

    // Back online: A arrives first, then B, then A again to receive B's changes.
    await a.context.setOffline(false)
    await syncNow(a.page)
    await b.context.setOffline(false)
    await syncNow(b.page)
    await syncNow(a.page)

    for (const device of [a, b]) {
      await device.page.goto(`${server.baseUrl}/mentees/${shared}`)
      const facts = device.page.locator('.facts__row')
      await expect.poll(() => facts.filter({ hasText: text('de', 'mentee.fields.phone') }).innerText(), POLL).toContain('+49 5261 111111')
      expect(await device.page.locator('.facts').filter({ hasText: text('de', 'mentee.sections.german') }).innerText()).toContain('B1')
      expect(await noteText(device.page, shared)).toBe('Fassung von B')
    }

    // A's overwritten note text waits in A's inbox, with who overwrote it; B's inbox is empty.
    await b.page.goto(`${server.baseUrl}/sync`)
    await b.page.getByText(text('de', 'sync.noConflicts')).waitFor()
    await a.page.goto(`${server.baseUrl}/sync`)
    const conflict = a.page.getByTestId('conflicts').locator('li').first()
    await conflict.waitFor()
    expect(await conflict.innerText()).toContain(text('de', 'fieldNames.notes.text'))
    expect(await conflict.innerText()).toContain(SECOND_COACH.displayName)
    expect(await conflict.innerText()).toContain('Fassung von A')

    // One tap restores it; after the next syncs both devices show A's text again.
    await conflict.getByTestId('restore-conflict').click()
    await a.page.getByTestId('conflicts').waitFor({ state: 'detached' })
    expect(await noteText(a.page, shared)).toBe('Fassung von A')
    await syncNow(a.page)
    await syncNow(b.page)
    expect(await noteText(b.page, shared)).toBe('Fassung von A')

    // A Pate assigned to one of the two people receives that one only, without the permit date.
    await assign(server.db, PATE.username, shared)
    const pate = await newDevice()
    await openSignedIn(pate.page, server, PATE)
    await syncNow(pate.page)
    const { mentees: pateMentees, notes: pateNotes } = await readStores(pate.page, ['mentees', 'notes'])
    expect(pateMentees.map((m) => m.id)).toEqual([shared])
    expect(pateMentees.map((m) => m.id)).not.toContain(coachOnly)
    // The permit date stays readable on the device (an index), so its absence shows here; the
    // rest of the record is sealed, and its values show on the Pate's screens.
    expect(pateMentees[0]?.permitExpiry ?? '').toBe('')
    expectSealed('mentees', pateMentees[0])
    expect(pateNotes.map((n) => n.menteeId)).toEqual([shared])
    for (const note of pateNotes) expectSealed('notes', note)
    await pate.page.goto(`${server.baseUrl}/mentees/${shared}`)
    const pateFacts = pate.page.locator('.facts__row')
    await expect.poll(() => pateFacts.filter({ hasText: text('de', 'mentee.fields.phone') }).innerText(), POLL).toContain('+49 5261 111111')
    expect(await noteText(pate.page, shared)).toBe('Fassung von A')
    await pate.page.goto(`${server.baseUrl}/mentees/${coachOnly}`)
    await pate.page.getByText(text('de', 'mentee.notFound')).waitFor()
    expect(await pate.page.getByTestId('mentee-name').count()).toBe(0)

    for (const device of [a, b, pate]) expect(device.errors).toEqual([])
  })
})
