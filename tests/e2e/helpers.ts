import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { createTeam, createUser } from '../../server/accounts/accounts'
import { buildServer } from '../../server/app'
import { openDatabase, type Database } from '../../server/db/database'

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const DIST_DIR = path.join(PROJECT_ROOT, 'dist')
export const TEST_RESULTS_DIR = path.join(PROJECT_ROOT, 'test-results')

/** For `expect.poll`: generous, since the machine may be busy with other work. */
export const POLL = { timeout: 10_000 }

export { launchChromium as launchBrowser } from '../support/chromium'

/** A phone-sized German context, as most users see the app. */
export function newPhoneContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'de-DE', ...options })
}

export interface RunningServer {
  app: FastifyInstance
  db: Database
  baseUrl: string
  close: () => Promise<void>
}

/** The team and the coach every browser test signs in as (clearly fictional). */
export const TEST_TEAM = 'Team Testdorf'
export const TEST_COACH = { username: 'coach.test', password: 'e2e-passwort-1234', displayName: 'Coach Testperson' }

/** The real municipal endpoint on an in-memory PGlite, serving a build on 127.0.0.1 and a free port. */
export async function startServer(distDir: string = DIST_DIR): Promise<RunningServer> {
  const db = await openDatabase({ inMemory: true })
  await createTeam(db, TEST_TEAM)
  await createUser(db, { ...TEST_COACH, role: 'coach', teamName: TEST_TEAM })
  const app = await buildServer({ distDir, db })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return {
    app,
    db,
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close()
      await db.close()
    },
  }
}

/** Opens the app and signs in through the sign-in screen, as a person would; ends on Today. */
export async function openSignedIn(
  page: Page,
  server: RunningServer,
  user: { username: string; password: string } = TEST_COACH,
): Promise<void> {
  await page.goto(server.baseUrl)
  await page.getByTestId('login').waitFor()
  await page.getByTestId('login-username').fill(user.username)
  await page.getByTestId('login-password').fill(user.password)
  await page.getByTestId('login-submit').click()
  // First sign-in on this device: the passphrase that encrypts its data.
  await page.getByTestId('setup-passphrase').fill(E2E_PASSPHRASE)
  await page.getByTestId('setup-repeat').fill(E2E_PASSPHRASE)
  await page.getByTestId('setup-submit').click()
  await page.getByTestId('today').waitFor()
  unlockOnEveryLoad(page)
}

/** The device passphrase the end-to-end tests choose (made up, like everything in them). */
export const E2E_PASSPHRASE = 'Testpassphrase für Lotse'

/**
 * The data key lives in memory only, so every page load asks for the passphrase. Tests about
 * something else let this type it: on each load, the unlock screen (if it comes) is answered.
 */
export function unlockOnEveryLoad(page: Page, passphrase = E2E_PASSPHRASE): void {
  page.on('load', () => {
    void (async () => {
      const field = page.getByTestId('unlock-passphrase')
      try {
        await field.waitFor({ timeout: 10_000 })
      } catch {
        return
      }
      await field.fill(passphrase)
      await page.getByTestId('unlock-submit').click()
    })().catch(() => undefined)
  })
}

/**
 * Collects uncaught page errors, so a test can assert the app did not crash on the way.
 * (Console errors are not collected: offline, failed network requests log errors by design.)
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`))
  return errors
}

export interface ServiceWorkerState {
  controllerUrl: string | null
  activeState: string | null
  waitingState: string | null
  installingState: string | null
}

export function serviceWorkerState(page: Page): Promise<ServiceWorkerState> {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration()
    return {
      controllerUrl: navigator.serviceWorker.controller?.scriptURL ?? null,
      activeState: registration?.active?.state ?? null,
      waitingState: registration?.waiting?.state ?? null,
      installingState: registration?.installing?.state ?? null,
    }
  })
}

/**
 * Waits until the registration's active worker is `activated` (not merely `activating`, which
 * `navigator.serviceWorker.ready` already resolves for). Resolves with whether the page is
 * controlled at that point.
 */
export async function waitForServiceWorkerActivated(page: Page, timeoutMs = 20_000): Promise<boolean> {
  return page.evaluate(async (timeout) => {
    const deadline = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`service worker not activated within ${timeout} ms`)), timeout),
    )
    const activated = (async () => {
      const registration = await navigator.serviceWorker.ready
      const worker = registration.active
      if (worker && worker.state !== 'activated') {
        await new Promise<void>((resolve) => {
          const check = () => {
            if (worker.state === 'activated') {
              worker.removeEventListener('statechange', check)
              resolve()
            }
          }
          worker.addEventListener('statechange', check)
          check()
        })
      }
      return navigator.serviceWorker.controller !== null
    })()
    return Promise.race([activated, deadline])
  }, timeoutMs)
}

/**
 * Waits until `navigator.serviceWorker.controller` is set (waiting for `controllerchange` if
 * need be) AND the registration's active worker is `activated`.
 */
export async function waitForServiceWorkerControl(page: Page, timeoutMs = 20_000): Promise<void> {
  await page.evaluate(async (timeout) => {
    const container = navigator.serviceWorker
    const describe = async () => {
      const registration = await container.getRegistration()
      return JSON.stringify({
        controller: container.controller?.state ?? null,
        active: registration?.active?.state ?? null,
        waiting: registration?.waiting?.state ?? null,
        installing: registration?.installing?.state ?? null,
      })
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void describe().then((state) =>
          reject(new Error(`page not controlled by an activated service worker within ${timeout} ms: ${state}`)),
        )
      }, timeout)
    })
    const controlled = (async () => {
      if (!container.controller) {
        await new Promise<void>((resolve) => {
          container.addEventListener('controllerchange', () => resolve(), { once: true })
          // The event may have fired between the check above and adding the listener.
          if (container.controller) resolve()
        })
      }
      const registration = await container.ready
      const worker = registration.active
      if (worker && worker.state !== 'activated') {
        await new Promise<void>((resolve) => {
          const check = () => {
            if (worker.state === 'activated') resolve()
          }
          worker.addEventListener('statechange', check)
          check()
        })
      }
      if (container.controller?.state !== 'activated') {
        throw new Error(`controller is ${container.controller?.state ?? 'missing'}, not activated: ${await describe()}`)
      }
    })()
    try {
      await Promise.race([controlled, deadline])
    } finally {
      clearTimeout(timer)
    }
  }, timeoutMs)
}

/**
 * First visit: waits for the worker to activate; when it did not take control of this page
 * (src/sw.ts does not call `clientsClaim()`, so a first visit stays uncontrolled until the next
 * navigation), reloads once. Then waits for control. Returns whether the reload was needed.
 */
export async function ensureServiceWorkerControl(page: Page): Promise<{ reloaded: boolean }> {
  const controlled = await waitForServiceWorkerActivated(page)
  if (controlled) {
    await waitForServiceWorkerControl(page)
    return { reloaded: false }
  }
  await page.reload()
  await waitForServiceWorkerControl(page)
  return { reloaded: true }
}

// ---------------------------------------------------------------------------------------------
// Texts: read from the locale files, so a reworded translation does not break the tests.

type Messages = Record<string, unknown>
// Read as plain JSON: an `import` would go through the vue-i18n plugin, which precompiles them.
const readLocale = (code: string): Messages =>
  JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'locales', `${code}.json`), 'utf8')) as Messages
const LOCALES: Record<'de' | 'ar', Messages> = { de: readLocale('de'), ar: readLocale('ar') }

/** The raw message for `key` (dot path); placeholders `{name}` are replaced from `params`. */
export function text(locale: 'de' | 'ar', key: string, params: Record<string, string | number> = {}): string {
  let node: unknown = LOCALES[locale]
  for (const part of key.split('.')) {
    node = typeof node === 'object' && node !== null ? (node as Messages)[part] : undefined
  }
  if (typeof node !== 'string') throw new Error(`no message ${locale}:${key}`)
  return node.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
}

/**
 * A plural message for `count`: the first form is for zero, then the language's CLDR categories
 * in the order one, two, few, many, other (see src/i18n/index.ts).
 */
export function plural(locale: 'de' | 'ar', key: string, count: number, params: Record<string, string | number> = {}): string {
  const forms = text(locale, key, params).split('|').map((form) => form.trim())
  if (count === 0) return forms[0]!
  const rules = new Intl.PluralRules(locale)
  const order: Intl.LDMLPluralRule[] = ['one', 'two', 'few', 'many', 'other']
  const categories = order.filter((category) => rules.resolvedOptions().pluralCategories.includes(category))
  const index = 1 + categories.indexOf(rules.select(count) as Intl.LDMLPluralRule)
  return forms[Math.min(Math.max(index, 1), forms.length - 1)]!
}

// ---------------------------------------------------------------------------------------------
// Dates, in the local time zone that Chromium shares with this process.

export function isoDate(offsetDays = 0, from = new Date()): string {
  const date = new Date(from.getFullYear(), from.getMonth(), from.getDate() + offsetDays)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

// ---------------------------------------------------------------------------------------------
// IndexedDB, read directly (raw API, no Dexie), to check what really is on the device.

export function countRecords(page: Page, stores: string[]): Promise<Record<string, number>> {
  return page.evaluate(async (names) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('lotse')
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error ?? new Error('indexedDB.open failed'))
      // Opening without a version never creates the database the app made; abort if it is missing.
      request.onupgradeneeded = () => {
        request.transaction?.abort()
        reject(new Error('database "lotse" does not exist'))
      }
    })
    try {
      const counts: Record<string, number> = {}
      const transaction = db.transaction(names, 'readonly')
      await Promise.all(
        names.map(
          (name) =>
            new Promise<void>((resolve, reject) => {
              const request = transaction.objectStore(name).count()
              request.onsuccess = () => {
                counts[name] = request.result
                resolve()
              }
              request.onerror = () => reject(request.error ?? new Error(`count ${name} failed`))
            }),
        ),
      )
      return counts
    } finally {
      db.close()
    }
  }, stores)
}

export type StoredRow = Record<string, unknown>

/**
 * Every row of the given stores of the app's database, read with the raw IndexedDB API (no Dexie,
 * no key). Bytes (the sealed fields) come back as `{ $bytes: base64 }`, so rows can be compared.
 */
export function readStores<N extends string>(page: Page, stores: N[]): Promise<Record<N, StoredRow[]>> {
  return page.evaluate(async (names: string[]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('lotse')
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => reject(request.error ?? new Error('open failed'))
      request.onupgradeneeded = () => {
        request.transaction?.abort()
        reject(new Error('database "lotse" does not exist'))
      }
    })
    const plain = (value: unknown): unknown => {
      if (value instanceof ArrayBuffer) value = new Uint8Array(value)
      if (ArrayBuffer.isView(value)) {
        const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
        let binary = ''
        for (const byte of bytes) binary += String.fromCharCode(byte)
        return { $bytes: btoa(binary) }
      }
      if (Array.isArray(value)) return value.map(plain)
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
      return value
    }
    try {
      const transaction = db.transaction(names, 'readonly')
      const entries = await Promise.all(
        names.map(
          (name) =>
            new Promise<[string, unknown[]]>((resolve, reject) => {
              const request = transaction.objectStore(name).getAll()
              request.onsuccess = () => resolve([name, (request.result as unknown[]).map(plain)])
              request.onerror = () => reject(request.error ?? new Error(`getAll ${name} failed`))
            }),
        ),
      )
      return Object.fromEntries(entries)
    } finally {
      db.close()
    }
  }, stores) as Promise<Record<N, StoredRow[]>>
}

/**
 * What may stay readable in each store (issue 5: ids, index fields, timestamps, sync bookkeeping);
 * every other field must be inside `$sealed`. Written down here on its own, not imported from
 * src/db/sealing.ts, so a field that slips out of the sealing there fails the tests.
 */
export const READABLE_FIELDS: Record<string, readonly string[]> = {
  mentees: ['id', 'createdAt', 'updatedAt', 'deletedAt', 'stage', 'permitExpiry', 'expectedLeavingDate'],
  notes: ['id', 'menteeId', 'followUpDue', 'createdAt', 'updatedAt', 'deletedAt'],
  appointments: ['id', 'menteeId', 'startsAt', 'createdAt', 'updatedAt', 'deletedAt'],
  checklistItems: ['id', 'appointmentId', 'createdAt', 'updatedAt', 'deletedAt'],
  outbox: ['seq', 'table', 'recordId', 'op', 'at', 'hlc'],
  rejections: ['id', 'table', 'recordId', 'op', 'reason', 'at'],
  drafts: ['key', 'savedAt'],
  settings: ['key'],
}

/** A stored row is sealed: it has its `$sealed` bytes and no field in the clear but the readable ones. */
export function expectSealed(store: string, row: StoredRow | undefined): void {
  expect(row, `${store}: row missing`).toBeDefined()
  const readable = READABLE_FIELDS[store]
  if (!readable) throw new Error(`no readable fields listed for ${store}`)
  expect(row!.$sealed, `${store} ${JSON.stringify(row).slice(0, 80)}: not sealed`).toEqual({ $bytes: expect.any(String) as string })
  expect(
    Object.keys(row!).filter((field) => field !== '$sealed' && !readable.includes(field)),
    `${store}: fields stored in the clear`,
  ).toEqual([])
}

// ---------------------------------------------------------------------------------------------
// Accessibility

const requireFromHere = createRequire(import.meta.url)
let axeSource: string | undefined

export interface AxeViolation {
  id: string
  impact: string | null
  help: string
  helpUrl: string
  nodes: { target: string; html: string; summary: string }[]
}

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']

/**
 * Runs axe-core on the page and returns the serious and critical violations. The script is
 * injected with `page.evaluate` (not a script tag), which the app's CSP (`script-src 'self'`)
 * does not block.
 */
export async function runAxe(page: Page, tags: string[] = AXE_TAGS): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(requireFromHere.resolve('axe-core/axe.min.js'), 'utf8')
  const present = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === 'object')
  if (!present) await page.evaluate(axeSource)
  return page.evaluate(async (runOnly) => {
    type AxeResult = {
      passes: unknown[]
      violations: {
        id: string
        impact?: string | null
        help: string
        helpUrl: string
        nodes: { target: unknown[]; html: string; failureSummary?: string }[]
      }[]
    }
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResult> } }).axe
    const result = await axe.run(document, { runOnly: { type: 'tag', values: runOnly } })
    // Guards against a vacuous pass (nothing rendered, or no rule selected by the tags).
    if (result.passes.length === 0) throw new Error('axe-core checked nothing on this page')
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({
        id: v.id,
        impact: v.impact ?? null,
        help: v.help,
        helpUrl: v.helpUrl,
        nodes: v.nodes.map((n) => ({
          target: n.target.map(String).join(' '),
          html: n.html.length > 200 ? `${n.html.slice(0, 200)}…` : n.html,
          summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim(),
        })),
      }))
  }, tags)
}

/** A readable report of violations, for an assertion message. */
export function formatViolations(screen: string, violations: AxeViolation[]): string {
  if (violations.length === 0) return `${screen}: no serious or critical violations`
  const lines = [`${screen}: ${violations.length} serious/critical axe violation(s)`]
  for (const v of violations) {
    lines.push(`  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`)
    for (const node of v.nodes) {
      lines.push(`      target: ${node.target}`)
      lines.push(`      html:   ${node.html}`)
      if (node.summary) lines.push(`      why:    ${node.summary}`)
    }
  }
  return lines.join('\n')
}

/** `document.documentElement.scrollWidth <= window.innerWidth`, with the numbers for the message. */
export function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number; widest: string[] }> {
  return page.evaluate(() => {
    const innerWidth = window.innerWidth
    // Name the elements that stick out, so a failure says where to look.
    const widest = [...document.querySelectorAll<HTMLElement>('body *')]
      .filter((el) => {
        const rect = el.getBoundingClientRect()
        return rect.width > 0 && (rect.right > innerWidth + 0.5 || rect.left < -0.5)
      })
      .slice(0, 5)
      .map((el) => {
        const rect = el.getBoundingClientRect()
        return `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).trim().split(/\s+/).join('.')}` : ''} [${Math.round(rect.left)}..${Math.round(rect.right)}]`
      })
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, widest }
  })
}

// ---------------------------------------------------------------------------------------------
// What a person does in the UI, used by several tests. Fields are found by their testids (set
// in src/components); buttons and links by their visible text where it is unambiguous.

export interface NewMentee {
  givenName: string
  familyName: string
  permitExpiry?: string
}

/** From anywhere: opens the new-mentee form, fills it in, saves; ends on the profile. Returns the id. */
export async function createMentee(page: Page, baseUrl: string, mentee: NewMentee): Promise<string> {
  await page.goto(`${baseUrl}/mentees/new`)
  await fillMenteeForm(page, mentee)
  await page.getByTestId('save-mentee').click()
  await page.waitForURL(/\/mentees\/(?!new)[^/]+$/)
  await page.getByTestId('mentee-name').waitFor()
  return new URL(page.url()).pathname.split('/').at(-1)!
}

export async function fillMenteeForm(page: Page, mentee: NewMentee): Promise<void> {
  await page.getByTestId('given-name').fill(mentee.givenName)
  await page.getByTestId('family-name').fill(mentee.familyName)
  if (mentee.permitExpiry) await page.getByTestId('permit-expiry').fill(mentee.permitExpiry)
}

export interface NewNote {
  text: string
  followUpText?: string
  followUpDue?: string
}

/** On a profile: writes a note and saves it; waits until the timeline shows it. */
export async function addNote(page: Page, note: NewNote): Promise<void> {
  await page.getByTestId('new-note').click()
  await page.getByTestId('note-text').fill(note.text)
  if (note.followUpText) await page.getByTestId('follow-up-text').fill(note.followUpText)
  if (note.followUpDue) await page.getByTestId('follow-up-due').fill(note.followUpDue)
  await page.getByTestId('save-note').click()
  await page.getByTestId('note-form').waitFor({ state: 'detached' })
  await page.getByTestId('note-timeline').waitFor()
}

/** On a profile: creates an appointment of a type (value of `appointmentType.*`); ends on its screen. */
export async function createAppointment(page: Page, type: string, startsAt: string): Promise<string> {
  await page.getByTestId('new-appointment').click()
  await page.getByTestId('appointment-form').waitFor()
  await page.getByTestId('appointment-type').selectOption(type)
  await page.getByTestId('appointment-starts-at').fill(startsAt)
  await page.getByTestId('save-appointment').click()
  await page.waitForURL(/\/appointments\/[^/]+$/)
  await page.getByTestId('checklist').waitFor()
  return new URL(page.url()).pathname.split('/').at(-1)!
}

/** Pages of a PDF as Chromium writes it: one `/Type /Page` object each (the tree is `/Pages`). */
export function pdfPageCount(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0
}
