import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { getLead } from '@/db/repositories/leads'
import { getMentee } from '@/db/repositories/mentees'
import { saveLead } from '@/db/repositories/leads'
import { anonymisedLead } from '@/shared/leads'
import type { FairEvent } from '@/shared/records'
import { useFairsStore } from '@/stores/fairs'
import EventListView from '@/views/EventListView.vue'
import EventView from '@/views/EventView.vue'
import { restoreSignedIn, stubEndpoint } from './endpoint'
import { COACH, createFair, GUIDE, leadFields, mountWith } from './fair'
import { createTestRouter, eventually, setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext
let router: Router
let fair: FairEvent
const mounted: VueWrapper[] = []

beforeEach(async () => {
  ctx = await setupComponentTest()
  stubEndpoint()
  router = createTestRouter()
})

afterEach(() => {
  while (mounted.length) mounted.pop()?.unmount()
  vi.unstubAllGlobals()
})

/** Five people at the fair: talks, a self-intake, consent or not, one anonymised already. */
async function capturedFair(): Promise<void> {
  fair = await createFair()
  const fairs = useFairsStore()
  await fairs.capture(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Eins', consentFollowUp: true, consentDate: '2026-03-10', followUpDue: '2026-03-17', contacts: [{ employerId: 'bau', outcome: 'internship' }, { employerId: 'pflege', outcome: 'contact' }] }))
  await fairs.capture(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Zwei', phone: '0170 2222222', consentFollowUp: true, consentDate: '2026-03-10', followUpDue: '2026-03-12', contacts: [{ employerId: 'bau', outcome: 'contract' }] }))
  await fairs.capture(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Drei', phone: '0170 3333333', selfIntake: true, intakeLanguage: 'uk', contacts: [{ employerId: 'logistik', outcome: 'contract' }] }))
  await fairs.capture(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Vier', phone: '0170 4444444', contacts: [] }))
  const gone = await saveLead(undefined, anonymisedLead(leadFields(fair.id, { givenName: 'Testperson', familyName: 'Fünf', phone: '0170 5555555', contacts: [{ employerId: 'bau', outcome: 'contact' }] })))
  expect(gone.anonymised).toBe(true)
}

async function openEvent(): Promise<VueWrapper> {
  await router.push(`/events/${fair.id}`)
  const wrapper = mountWith(ctx, router, EventView, { id: fair.id })
  mounted.push(wrapper)
  await eventually(() => expect(wrapper.findAll('[data-testid="lead-row"]')).toHaveLength(5))
  return wrapper
}

const figure = (wrapper: VueWrapper, row: string) => wrapper.get(`[data-testid="summary-${row}"] dd`).text()

describe('after the fair', () => {
  it('sums up visitors, self-intakes, talks per employer, internships and contracts; anonymised people still count', async () => {
    await restoreSignedIn(GUIDE)
    await capturedFair()
    const wrapper = await openEvent()
    expect(['visitors', 'selfIntakes', 'withConsent', 'anonymised', 'talks', 'internships', 'contracts', 'mentees'].map((row) => figure(wrapper, row))).toEqual([
      '5', '1', '2', '1', '5', '1', '2', '0',
    ])
    const rows = wrapper.findAll('[data-testid="summary-employers"] tbody tr').map((row) => row.findAll('th, td').map((cell) => cell.text()))
    expect(rows).toEqual([
      ['Beispiel Bau GmbH', '3', '1', '1'],
      ['Muster Pflege gGmbH', '1', '0', '0'],
      ['Test Logistik AG', '1', '0', '1'],
    ])
    const anonymised = wrapper.findAll('[data-testid="lead-row"]')[4]!
    expect(anonymised.get('[data-testid="lead-anonymised"]').text()).toBe('Anonymisiert')
    expect(anonymised.text()).not.toContain('Fünf')
    expect(anonymised.text()).not.toContain('0170 5555555')
    expect(anonymised.get('[data-testid="lead-talks"]').text()).toBe('Beispiel Bau GmbH: Nur Kontakt')
    // A guide turns no one into a mentee.
    expect(wrapper.find('[data-testid="convert-lead"]').exists()).toBe(false)

    // The list of fairs counts them too.
    const list = mountWith(ctx, router, EventListView)
    mounted.push(list)
    await eventually(() => expect(list.get('[data-testid="event-card"]').text()).toContain('5 Personen erfasst'))
  })

  it('lists the follow-ups of people who agreed, earliest first, and marks one done', async () => {
    await restoreSignedIn(GUIDE)
    await capturedFair()
    const wrapper = await openEvent()
    const followUps = wrapper.findAll('[data-testid="follow-up"]')
    expect(followUps.map((item) => item.text())).toEqual([
      expect.stringContaining('Testperson Zwei'),
      expect.stringContaining('Testperson Eins'),
    ])
    await followUps[0]!.get('[data-testid="follow-up-done"]').setValue(true)
    await eventually(() => expect(wrapper.findAll('[data-testid="follow-up"]')).toHaveLength(1))
    const done = useFairsStore().leads.find((lead) => lead.familyName === 'Zwei')!
    expect((await getLead(done.id))?.followUpDone).toBe(true)
  })

  it('turns a lead into a mentee in one step (coach) and opens the new profile', async () => {
    await restoreSignedIn(COACH)
    await capturedFair()
    const wrapper = await openEvent()
    const row = wrapper.findAll('[data-testid="lead-row"]')[0]!
    await row.get('[data-testid="convert-lead"]').trigger('click')
    // The profile's chunk loads on the way: room for a busy machine.
    await eventually(() => expect(router.currentRoute.value.name).toBe('mentee'), 20_000)
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    const menteeId = String(router.currentRoute.value.params.id)
    const mentee = await getMentee(menteeId)
    expect(mentee).toMatchObject({
      givenName: 'Testperson',
      familyName: 'Eins',
      birthYear: 1990,
      goals: ['internship'],
      consentPurposes: ['fairFollowUp'],
      consentDate: '2026-03-10',
      tags: ['#JobsForYou Testmesse'],
    })
    const lead = useFairsStore().leads.find((candidate) => candidate.familyName === 'Eins')!
    expect((await getLead(lead.id))?.menteeId).toBe(menteeId)
  })
})
