import { mount, type VueWrapper } from '@vue/test-utils'
import type { Router } from 'vue-router'
import { i18n } from '@/i18n'
import { emptyLead, type FairEvent, type LeadFields } from '@/shared/records'
import { useFairsStore } from '@/stores/fairs'
import { testUser } from './endpoint'
import type { TestContext } from './helpers'

/** Everything here is made up: fictional fair, employers and people. */
export const GUIDE = testUser({ id: 'user-guide', username: 'guide.test', displayName: 'Guide Testperson', role: 'guide' })
export const COACH = testUser({ role: 'coach' })

export const FAIR_DATE = '2026-03-10'

export async function createFair(): Promise<FairEvent> {
  return useFairsStore().saveEvent(undefined, {
    name: '#JobsForYou Testmesse',
    date: FAIR_DATE,
    place: 'Kreishaus Beispielstadt',
    employers: [
      { id: 'bau', name: 'Beispiel Bau GmbH', sector: 'Bau', openPositions: '3 Ausbildungsplätze' },
      { id: 'pflege', name: 'Muster Pflege gGmbH', sector: 'Pflege', openPositions: '' },
      { id: 'logistik', name: 'Test Logistik AG', sector: 'Logistik', openPositions: '5 Stellen' },
    ],
  })
}

export function leadFields(eventId: string, overrides: Partial<LeadFields> = {}): LeadFields {
  return { ...emptyLead(eventId), givenName: 'Testperson', familyName: 'Eins', birthYear: 1990, phone: '0170 1111111', ...overrides }
}

export function mountWith(ctx: TestContext, router: Router, component: Parameters<typeof mount>[0], props: Record<string, unknown> = {}): VueWrapper {
  return mount(component as never, { props: props as never, global: { plugins: [ctx.pinia, i18n, router] }, attachTo: document.body })
}
