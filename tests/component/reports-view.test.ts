import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import AppHeader from '@/components/layout/AppHeader.vue'
import { saveEvent } from '@/db/repositories/events'
import { saveLead } from '@/db/repositories/leads'
import { i18n, setLocale } from '@/i18n'
import { createAppRouter } from '@/router'
import { toIsoDate } from '@/shared/dates'
import type { ReportResponse } from '@/shared/protocol'
import { emptyLead } from '@/shared/records'
import { presetPeriod, suppressReport, computeReport } from '@/shared/reports'
import { useMenteesStore } from '@/stores/mentees'
import { useSyncStore } from '@/stores/sync'
import ReportsView from '@/views/ReportsView.vue'
import { createTestRouter, eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'
import { jsonResponse, restoreSignedIn, SERVER_TIME, stubEndpoint, testUser } from './endpoint'

let ctx: TestContext
let router: Router
const mounted: VueWrapper[] = []
const today = toIsoDate(new Date())
const thisMonth = presetPeriod('thisMonth', today)

async function mountReports(): Promise<VueWrapper> {
  const wrapper = mount(ReportsView, { global: { plugins: [ctx.pinia, i18n, router] } })
  mounted.push(wrapper)
  await flushPromises()
  return wrapper
}

/** 11 people this month: 6 accompanied, 3 who moved into internship/EQ today, 2 closed; one fair. */
async function seedTeam(): Promise<void> {
  const mentees = useMenteesStore()
  for (let i = 0; i < 6; i += 1) await mentees.create(menteeFields({ familyName: `Begleitet${i}`, stage: 'accompanied', goals: ['training'] }))
  for (let i = 0; i < 3; i += 1) await mentees.create(menteeFields({ familyName: `Praktikum${i}`, stage: 'internshipEq' }))
  for (let i = 0; i < 2; i += 1) await mentees.create(menteeFields({ familyName: `Fertig${i}`, stage: 'closed' }))
  const fair = await saveEvent(undefined, {
    name: '=Messe "Nord"',
    date: today,
    place: '',
    employers: [{ id: 'e1', name: '=Beispiel Bau GmbH', sector: '', openPositions: '' }],
  })
  for (let i = 0; i < 5; i += 1) {
    await saveLead(undefined, { ...emptyLead(fair.id), givenName: `Gast${i}`, contacts: [{ employerId: 'e1', outcome: 'contact' }] })
  }
}

function chart(wrapper: VueWrapper, id: string) {
  return wrapper.get(`[data-testid="chart-${id}"]`)
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  router = createTestRouter()
  await router.push('/reports')
})

afterEach(async () => {
  while (mounted.length) mounted.pop()?.unmount()
  useSyncStore().stopAutomaticSync()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  await setLocale('de', false)
})

describe('ReportsView for a coach', () => {
  it('counts the team on the device, shows small groups as "weniger als 5" and draws accessible charts', async () => {
    const endpoint = stubEndpoint()
    await restoreSignedIn(testUser({ role: 'coach' }))
    await seedTeam()
    const wrapper = await mountReports()

    const stages = await eventually(() => chart(wrapper, 'stages'))
    const svg = stages.get('svg')
    expect(svg.attributes('role')).toBe('img')
    const titleId = svg.attributes('aria-labelledby')!
    expect(svg.get('title').attributes('id')).toBe(titleId)
    expect(svg.get('title').text()).toBe('Personen nach aktueller Phase')
    const desc = svg.get('desc').text()
    expect(desc).toContain('In Begleitung: 6')
    expect(desc).toContain('Praktikum / EQ: weniger als 5')
    expect(desc).toContain('Abgeschlossen: weniger als 5')
    expect(desc).toContain('Erstkontakt: 0')
    expect(desc).toContain('Alle begleiteten Personen: 11')
    // The numbers are on screen too, not only for screen readers.
    const values = stages.findAll('.bar-chart__value').map((value) => value.text())
    expect(values).toEqual(['0', '6', 'weniger als 5', '0', 'weniger als 5'])
    expect(stages.get('figcaption').text()).toBe('Alle begleiteten Personen: 11')
    // "Fewer than 5" is drawn as an outline, not as a bar of its real length.
    expect(stages.findAll('rect.bar-chart__bar--small')).toHaveLength(2)

    expect(chart(wrapper, 'transitions').get('desc').text()).toContain('In Praktikum oder EQ: weniger als 5')
    expect(chart(wrapper, 'fair-0-visitors').get('desc').text()).toContain('Besucherinnen und Besucher: 5')
    expect(wrapper.get('[data-testid="period"]').text()).toContain('bis')
    expect(wrapper.get('[data-testid="reports-source"]').text()).toBe('Auf diesem Gerät gezählt, aus den Daten Ihres Teams.')
    // A coach has no municipality figures to ask for, and the device asked nobody.
    expect(wrapper.find('[data-testid="whole-municipality"]').exists()).toBe(false)
    expect(endpoint.callsTo('GET /api/v1/reports')).toHaveLength(0)
    expect(wrapper.text()).not.toContain('Begleitet0')
  })

  it('downloads the figures as CSV: UTF-8 with BOM, semicolons, localized header, "<5" for small groups', async () => {
    stubEndpoint()
    await restoreSignedIn(testUser({ role: 'coach' }))
    await seedTeam()
    const blobs: Blob[] = []
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob)
      return 'blob:report-test'
    })
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined)
    const names: string[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download)
    })
    const wrapper = await mountReports()
    await eventually(() => chart(wrapper, 'stages'))

    await wrapper.get('[data-testid="download-csv"]').trigger('click')

    expect(names).toEqual([`lotse-report-${thisMonth.from}_${thisMonth.to}.csv`])
    expect(blobs[0]!.type).toBe('text/csv;charset=utf-8')
    const bytes = new Uint8Array(await blobs[0]!.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const lines = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1).split('\r\n')
    expect(lines[0]).toBe('Bereich;Merkmal;Anzahl')
    expect(lines).toContain('Personen nach aktueller Phase;In Begleitung;6')
    expect(lines).toContain('Personen nach aktueller Phase;Abgeschlossen;<5')
    expect(lines).toContain('Personen nach aktueller Phase;Erstkontakt;0')
    expect(lines).toContain('Personen nach aktueller Phase;Alle begleiteten Personen;11')
    expect(lines).toContain('Personen nach Ziel;Ausbildung;6')
    // Names are user text: quoted where they hold a quote, defused where they start a formula.
    const fair = `"Jobmesse: =Messe ""Nord"", ${fairDate()} – `
    expect(lines).toContain(`${fair}Besuch";Besucherinnen und Besucher;5`)
    expect(lines).toContain(`${fair}Kontakte je Arbeitgeber";'=Beispiel Bau GmbH;5`)
    // Numbers only: every count is digits, "<5" or "x".
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/;(\d+|<5|x)$/)
    expect(lines.at(-1)).toBe('')
  })

  it('is right to left in Arabic: bars grow from the right, "fewer than 5" in Arabic', async () => {
    stubEndpoint()
    await restoreSignedIn(testUser({ role: 'coach' }))
    await seedTeam()
    await setLocale('ar', false)
    const wrapper = await mountReports()

    const svg = (await eventually(() => chart(wrapper, 'stages'))).get('svg')
    expect(document.documentElement.dir).toBe('rtl')
    expect(svg.attributes('direction')).toBe('rtl')
    expect(svg.get('title').text()).toBe('الأشخاص حسب المرحلة الحالية')
    expect(svg.get('desc').text()).toContain('مكتمل: أقل من 5')
    // The longest bar (6 accompanied) takes 60 % and starts at the right edge.
    const bar = svg.get('rect.bar-chart__bar:not(.bar-chart__bar--small)')
    expect(bar.attributes('width')).toBe('60%')
    expect(bar.attributes('x')).toBe('40%')
    expect(svg.find('.bar-chart__label').attributes('x')).toBe('100%')
    expect(wrapper.get('h1').text()).toBe('أرقام للجهات المموّلة')
  })
})

describe('ReportsView for a coordinator', () => {
  const answer = (): ReportResponse => ({
    report: suppressReport(computeReport({ mentees: Array.from({ length: 40 }, () => ({ stage: 'accompanied' as const })), events: [], leads: [] }, thisMonth)),
    teamId: null,
    serverTime: SERVER_TIME,
  })

  it('fetches the whole municipality from the endpoint when asked', async () => {
    const endpoint = stubEndpoint({ 'GET /api/v1/reports': () => jsonResponse(200, answer()) })
    await restoreSignedIn(testUser({ role: 'coordinator', teamId: null }))
    const wrapper = await mountReports()
    await eventually(() => chart(wrapper, 'stages'))
    expect(wrapper.get('[data-testid="reports-source"]').text()).toBe('Auf diesem Gerät gezählt, aus den Daten, die es enthält.')

    await wrapper.get('[data-testid="whole-municipality"]').setValue(true)

    await eventually(() => expect(chart(wrapper, 'stages').get('desc').text()).toContain('In Begleitung: 40'))
    const [request] = endpoint.callsTo('GET /api/v1/reports')
    expect(Object.fromEntries(request!.query)).toEqual({ from: thisMonth.from, to: thisMonth.to })
    expect(request!.headers.authorization).toMatch(/^Bearer /)
    expect(wrapper.get('[data-testid="reports-source"]').text()).toMatch(/^Ganze Kommune, vom Server gezählt am /)
    expect(wrapper.find('[data-testid="no-fairs"]').exists()).toBe(true)
  })

  it('says clearly that the municipality figures need a connection while offline, and loads them once online', async () => {
    const endpoint = stubEndpoint({ 'GET /api/v1/reports': () => jsonResponse(200, answer()) })
    await restoreSignedIn(testUser({ role: 'coordinator', teamId: null }))
    const onLine = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    const wrapper = await mountReports()
    window.dispatchEvent(new Event('offline'))

    await wrapper.get('[data-testid="whole-municipality"]').setValue(true)

    const notice = await eventually(() => wrapper.get('[data-testid="reports-offline"]'))
    expect(notice.text()).toContain('dieses Gerät ist gerade offline')
    expect(wrapper.find('[data-testid="chart-stages"]').exists()).toBe(false)
    expect(endpoint.callsTo('GET /api/v1/reports')).toHaveLength(0)

    onLine.mockReturnValue(true)
    window.dispatchEvent(new Event('online'))
    await eventually(() => expect(chart(wrapper, 'stages').get('desc').text()).toContain('In Begleitung: 40'))
    expect(wrapper.find('[data-testid="reports-offline"]').exists()).toBe(false)
  })

  it('tells when the endpoint cannot be reached', async () => {
    stubEndpoint({ 'GET /api/v1/reports': () => jsonResponse(503, { error: 'internal_error' }) })
    await restoreSignedIn(testUser({ role: 'coordinator', teamId: null }))
    const wrapper = await mountReports()
    await wrapper.get('[data-testid="whole-municipality"]').setValue(true)
    const problem = await eventually(() => wrapper.get('[data-testid="reports-problem"]'))
    expect(problem.text()).toBe('Der Server antwortet gerade nicht. Bitte später erneut versuchen.')
  })
})

describe('who sees the reports', () => {
  it('offers them to coaches and coordinators in the navigation, not to Paten and guides', async () => {
    stubEndpoint()
    for (const [role, shown] of [['coach', true], ['coordinator', true], ['pate', false], ['guide', false]] as const) {
      await restoreSignedIn(testUser({ role }))
      const header = mount(AppHeader, { global: { plugins: [ctx.pinia, i18n, router] } })
      mounted.push(header)
      expect(header.find('[data-testid="nav-reports"]').exists(), role).toBe(shown)
      if (shown) expect(header.get('[data-testid="nav-reports"]').text()).toBe('Zahlen')
    }
  })

  it('sends a Pate who opens /reports to Today', async () => {
    stubEndpoint()
    window.history.replaceState(null, '', '/')
    const appRouter = createAppRouter()
    await restoreSignedIn(testUser({ role: 'pate' }))
    await appRouter.push('/reports')
    expect(appRouter.currentRoute.value.name).toBe('today')
    await restoreSignedIn(testUser({ role: 'coach' }))
    await appRouter.push('/reports')
    expect(appRouter.currentRoute.value.name).toBe('reports')
  })

  it('lets the user choose a custom period and refuses one that ends before it starts', async () => {
    stubEndpoint()
    await restoreSignedIn(testUser({ role: 'coach' }))
    await seedTeam()
    const wrapper = await mountReports()
    await eventually(() => chart(wrapper, 'stages'))
    await wrapper.get('[data-testid="period-custom"]').setValue(true)
    await wrapper.get('[data-testid="period-from"]').setValue('2020-03-01')
    await wrapper.get('[data-testid="period-to"]').setValue('2020-02-01')
    await eventually(() => expect(wrapper.text()).toContain('Das Ende darf nicht vor dem Anfang liegen.'))
    expect(wrapper.find('[data-testid="chart-stages"]').exists()).toBe(false)

    await wrapper.get('[data-testid="period-to"]').setValue('2020-03-31')
    // Nothing of this month falls into March 2020, but the stages are counted as of now.
    await eventually(() => expect(chart(wrapper, 'transitions').get('desc').text()).toContain('In Praktikum oder EQ: 0'))
    expect(chart(wrapper, 'stages').get('desc').text()).toContain('In Begleitung: 6')
  })
})

function fairDate(): string {
  return new Intl.DateTimeFormat('de', { dateStyle: 'medium' }).format(new Date(`${today}T00:00`))
}
