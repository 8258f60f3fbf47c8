import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mount, type DOMWrapper, type VueWrapper } from '@vue/test-utils'
import MenteeListView from '@/views/MenteeListView.vue'
import { i18n } from '@/i18n'
import type { MenteeFields } from '@/shared/records'
import { STAGES } from '@/shared/vocabulary'
import { createTestRouter, eventually, type Found, menteeFields, setupComponentTest, type TestContext } from './helpers'

/**
 * 297 numbered fictional people plus three names in other scripts. The numbered ones are called
 * "Beispielperson", not "Testperson", so that a search for "test" singles out "Zoë Tést".
 */
const FILLERS = 297
const special: MenteeFields[] = [
  menteeFields({ givenName: 'كريم', familyName: 'تجريبي', stage: 'accompanied' }),
  menteeFields({ givenName: 'Тестовий', familyName: 'Олег', stage: 'accompanied' }),
  menteeFields({ givenName: 'Zoë', familyName: 'Tést', stage: 'closed' }),
]
const fillers: MenteeFields[] = Array.from({ length: FILLERS }, (_, i) =>
  menteeFields({ givenName: 'Beispielperson', familyName: String(i + 1), stage: STAGES[i % STAGES.length] }),
)
const all = [...fillers, ...special]

let ctx: TestContext
let wrapper: VueWrapper

function cards() {
  return wrapper.findAll('.cards > li')
}
function cardNames(): string[] {
  return wrapper.findAll('.mentee-card__name').map((name) => name.text())
}
function resultCount(): string {
  return wrapper.get('[data-testid="result-count"]').text()
}
function showMoreButton(): DOMWrapper<HTMLButtonElement> | undefined {
  return wrapper.findAll<HTMLButtonElement>('button').find((b) => b.text().endsWith('weitere anzeigen'))
}
function filterSelect(label: string): Found<HTMLSelectElement> {
  const wrapping = wrapper.findAll('.filters label').find((l) => l.find('.field__label').exists() && l.get('.field__label').text() === label)
  if (!wrapping) throw new Error(`no filter "${label}"`)
  return wrapping.get('select')
}
async function search(query: string): Promise<void> {
  await wrapper.get('[data-testid="search"]').setValue(query)
}

beforeEach(async () => {
  ctx = await setupComponentTest()
  // One bulk write: 300 single saves, each sealed in its own transaction, is slow on a busy machine.
  await ctx.db.mentees.bulkPut(all.map((fields, i) => ({ ...fields, id: crypto.randomUUID(), createdAt: i, updatedAt: i })))
  const router = createTestRouter()
  await router.push('/mentees')
  wrapper = mount(MenteeListView, { global: { plugins: [ctx.pinia, i18n, router] } })
  await eventually(() => expect(resultCount()).toBe('300 Personen'), 30_000)
}, 60_000)

afterEach(() => {
  wrapper.unmount()
})

describe('MenteeListView with 300 mentees', () => {
  it('renders 50 cards at first and more on request', async () => {
    expect(await ctx.db.mentees.count()).toBe(300)
    expect(cards()).toHaveLength(50)
    const more = showMoreButton()
    expect(more?.text()).toBe('50 weitere anzeigen')

    await more?.trigger('click')
    expect(cards()).toHaveLength(100)

    for (let i = 0; i < 4; i++) await showMoreButton()?.trigger('click')
    expect(cards()).toHaveLength(300)
    expect(showMoreButton()).toBeUndefined()
  })

  it('sorts by name with numbers in numeric order', () => {
    const names = cardNames()
    expect(names.slice(0, 3)).toEqual(['Beispielperson 1', 'Beispielperson 2', 'Beispielperson 3'])
    for (const card of wrapper.findAll('.mentee-card__name')) expect(card.attributes('dir')).toBe('auto')
  })

  it('links each card to the profile', () => {
    const link = wrapper.get('.cards a.mentee-card')
    expect(link.attributes('href')).toMatch(/^\/mentees\/[0-9a-f-]{36}$/)
  })

  it('finds names ignoring accents and case', async () => {
    await search('tést')
    expect(cardNames()).toEqual(['Zoë Tést'])
    expect(resultCount()).toBe('1 Person')
    expect(showMoreButton()).toBeUndefined()

    await search('TEST')
    expect(cardNames()).toEqual(['Zoë Tést'])

    await search('zoe')
    expect(cardNames()).toEqual(['Zoë Tést'])
  })

  it('finds Arabic and Cyrillic names', async () => {
    await search('تجريبي')
    expect(cardNames()).toEqual(['كريم تجريبي'])

    await search('олег')
    expect(cardNames()).toEqual(['Тестовий Олег'])

    await search('ТЕСТОВ')
    expect(cardNames()).toEqual(['Тестовий Олег'])
  })

  it('matches the start of name words in any order', async () => {
    await search('250 beispiel')
    expect(cardNames()).toEqual(['Beispielperson 250'])

    // Each typed word only has to start a word of the name.
    await search('beispielperson 17')
    expect(cardNames()).toEqual(['Beispielperson 17', ...Array.from({ length: 10 }, (_, i) => `Beispielperson ${170 + i}`)])

    await search('spiel')
    expect(resultCount()).toBe('Keine Person gefunden')
    expect(cards()).toHaveLength(0)

    await search('')
    expect(resultCount()).toBe('300 Personen')
    expect(cards()).toHaveLength(50)
  })

  it('filters by stage, alone and with a search', async () => {
    const closed = all.filter((m) => m.stage === 'closed').length
    const stage = filterSelect('Phase')
    expect(stage.findAll('option').map((o) => o.text())).toEqual([
      'Alle',
      'Erstkontakt',
      'In Begleitung',
      'Praktikum / EQ',
      'Ausbildung / Arbeit',
      'Abgeschlossen',
    ])

    await stage.setValue('closed')
    expect(resultCount()).toBe(`${closed} Personen`)
    expect(cards()).toHaveLength(50)
    expect(wrapper.findAll('.mentee-card .badge').every((badge) => badge.text() === 'Abgeschlossen')).toBe(true)
    expect(cardNames()).not.toContain('كريم تجريبي')

    await search('tést')
    expect(cardNames()).toEqual(['Zoë Tést'])

    await stage.setValue('accompanied')
    expect(resultCount()).toBe('Keine Person gefunden')

    await search('олег')
    expect(cardNames()).toEqual(['Тестовий Олег'])

    await stage.setValue('')
    await search('')
    expect(resultCount()).toBe('300 Personen')
  })

  it('shows the first page again after the filters change', async () => {
    await showMoreButton()?.trigger('click')
    expect(cards()).toHaveLength(100)
    await filterSelect('Phase').setValue('firstContact')
    const firstContact = all.filter((m) => m.stage === 'firstContact').length
    expect(resultCount()).toBe(`${firstContact} Personen`)
    expect(cards()).toHaveLength(50)
    expect(showMoreButton()?.text()).toBe(`${Math.min(50, firstContact - 50)} weitere anzeigen`)
  })
})
