import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import ConsentPanel from '@/components/mentee/ConsentPanel.vue'
import { i18n } from '@/i18n'
import { CONSENT_TEXT_VERSION } from '@/shared/vocabulary'
import { toIsoDate } from '@/shared/dates'
import { useMenteesStore } from '@/stores/mentees'
import { eventually, menteeFields, setupComponentTest, type TestContext } from './helpers'
import { restoreSignedIn, stubEndpoint, testUser } from './endpoint'

let ctx: TestContext
let wrapper: VueWrapper | undefined

beforeEach(async () => {
  ctx = await setupComponentTest()
  stubEndpoint()
})

afterEach(() => wrapper?.unmount())

describe('ConsentPanel', () => {
  it('shows the consent text in German next to the person’s language, right to left for Arabic, and records who, when, which text', async () => {
    await restoreSignedIn(testUser({ displayName: 'Coach Beispiel' }))
    const mentees = useMenteesStore()
    const created = await mentees.create(menteeFields({ languages: ['ar', 'de'] }))
    wrapper = mount(ConsentPanel, { props: { mentee: created }, global: { plugins: [ctx.pinia, i18n] } })
    expect(wrapper.get('[data-testid="consent-none"]').text()).toBe('Noch keine Einwilligung aufgenommen.')

    await wrapper.get('[data-testid="consent-record"]').trigger('click')
    const text = await eventually(() => wrapper!.get('[data-testid="consent-text"]'))
    const columns = text.findAll('article')
    expect(columns.map((c) => [c.attributes('lang'), c.attributes('dir')])).toEqual([
      ['de', 'ltr'],
      ['ar', 'rtl'],
    ])
    expect(columns[0]!.text()).toContain('Sie können Ihre Einwilligung jederzeit widerrufen')
    expect(columns[1]!.text()).toContain('يمكنك سحب موافقتك في أي وقت')
    expect(columns[1]!.text()).toContain(CONSENT_TEXT_VERSION)
    // The purposes are named in both languages too.
    expect(wrapper.get('[data-testid="consent-form"]').text()).toMatch(/Beratung.*·/)

    const save = wrapper.get('[data-testid="consent-save"]')
    expect(save.attributes('disabled')).toBeDefined()
    await wrapper.get('input[type="checkbox"][value="counselling"]').setValue(true)
    await wrapper.get('form').trigger('submit')
    await eventually(() => expect(mentees.get(created.id)?.consentDate).toBe(toIsoDate(new Date())))
    expect(mentees.get(created.id)).toMatchObject({
      consentPurposes: ['counselling'],
      consentLanguage: 'ar',
      consentTextVersion: CONSENT_TEXT_VERSION,
      consentRecordedBy: 'Coach Beispiel',
    })
    await flushPromises()
  })

  it('offers the person’s language as chosen, and lets the coach pick another one (Ukrainian)', async () => {
    const mentees = useMenteesStore()
    const created = await mentees.create(menteeFields({ languages: ['uk'] }))
    wrapper = mount(ConsentPanel, { props: { mentee: created }, global: { plugins: [ctx.pinia, i18n] } })
    await wrapper.get('[data-testid="consent-record"]').trigger('click')
    const select = await eventually(() => wrapper!.get<HTMLSelectElement>('[data-testid="consent-language"]'))
    expect(select.element.value).toBe('uk')
    await select.setValue('tr')
    await eventually(() => expect(wrapper!.get('[data-testid="consent-text"]').findAll('article')[1]!.attributes('lang')).toBe('tr'))
    expect(wrapper.get('[data-testid="consent-text"]').text()).toContain('Onayınızı her zaman geri alabilirsiniz')
  })
})
