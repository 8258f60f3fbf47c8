import { describe, it, expect, beforeEach } from 'vitest'
import { mount } from '@vue/test-utils'
import NoteTimeline from '@/components/notes/NoteTimeline.vue'
import { i18n } from '@/i18n'
import type { Note } from '@/shared/records'
import { setupComponentTest, type TestContext, testNote } from './helpers'

const TODAY = '2025-06-15'
let ctx: TestContext

function mountTimeline(notes: Note[], today = TODAY) {
  return mount(NoteTimeline, { props: { notes, today }, global: { plugins: [ctx.pinia, i18n] } })
}

beforeEach(async () => {
  ctx = await setupComponentTest()
})

describe('NoteTimeline', () => {
  it('says so when there are no notes', () => {
    const wrapper = mountTimeline([])
    expect(wrapper.text()).toBe('Noch keine Notizen.')
    expect(wrapper.find('[data-testid="note-timeline"]').exists()).toBe(false)
  })

  it('renders note text as plain text with its line break, never as HTML', () => {
    const text = 'Hat <b>bold</b> geschrieben\nZweite Zeile <img src=x onerror="alert(1)">'
    const wrapper = mountTimeline([testNote({ text })])
    const paragraph = wrapper.get('.timeline__text')
    expect(paragraph.element.textContent).toBe(text)
    expect(paragraph.element.textContent).toContain('<b>bold</b>')
    expect(paragraph.element.textContent).toContain('\n')
    expect(paragraph.find('b').exists()).toBe(false)
    expect(wrapper.find('b').exists()).toBe(false)
    expect(wrapper.find('img').exists()).toBe(false)
    expect(paragraph.attributes('dir')).toBe('auto')
    expect(paragraph.html()).toContain('&lt;b&gt;bold&lt;/b&gt;')
  })

  it('shows date, kind, topics and follow-up text in German', () => {
    const wrapper = mountTimeline([
      testNote({ date: '2025-06-01', kind: 'phone', topics: ['Wohnung', 'Sprachkurs'], followUpText: 'Termin bestätigen', followUpDue: '2025-06-20' }),
    ])
    expect(wrapper.get('time').attributes('datetime')).toBe('2025-06-01')
    expect(wrapper.get('time').text()).toBe(new Intl.DateTimeFormat('de', { dateStyle: 'medium' }).format(new Date(2025, 5, 1)))
    expect(wrapper.get('.badge').text()).toBe('Telefonat')
    expect(wrapper.findAll('.tag').map((tag) => tag.text())).toEqual(['Wohnung', 'Sprachkurs'])
    const followUp = wrapper.get('.follow-up')
    expect(followUp.text()).toContain('Wiedervorlage am')
    expect(followUp.text()).toContain('Termin bestätigen')
  })

  it('marks open follow-ups due before today as overdue, and only those', () => {
    const overdue = testNote({ followUpText: 'Unterlagen nachreichen', followUpDue: '2025-06-14' })
    const dueToday = testNote({ followUpText: 'Anrufen', followUpDue: TODAY })
    const doneLate = testNote({ followUpText: 'Erledigt', followUpDue: '2025-06-01', followUpDone: true })
    const wrapper = mountTimeline([overdue, dueToday, doneLate])
    const items = wrapper.findAll('.timeline > li')
    expect(items).toHaveLength(3)

    const [first, second, third] = items.map((item) => item.get('.follow-up'))
    expect(first?.classes()).toContain('follow-up--overdue')
    expect(first?.get('strong').text()).toBe('Überfällig')
    expect(second?.classes()).not.toContain('follow-up--overdue')
    expect(second?.find('strong').exists()).toBe(false)
    expect(third?.classes()).not.toContain('follow-up--overdue')
    expect(third?.find('strong').exists()).toBe(false)
    expect(wrapper.findAll('strong')).toHaveLength(1)
  })

  it('has no follow-up checkbox for a note without a follow-up', () => {
    const wrapper = mountTimeline([testNote()])
    expect(wrapper.find('.follow-up').exists()).toBe(false)
    expect(wrapper.find('input[type="checkbox"]').exists()).toBe(false)
  })

  it('emits toggleFollowUp with the note and the new state', async () => {
    const note = testNote({ followUpText: 'Unterlagen nachreichen', followUpDue: '2025-06-14' })
    const done = testNote({ followUpText: 'Erledigt', followUpDue: '2025-06-10', followUpDone: true })
    const wrapper = mountTimeline([note, done])
    const [openBox, doneBox] = wrapper.findAll<HTMLInputElement>('input[type="checkbox"]')
    expect(openBox?.element.checked).toBe(false)
    expect(doneBox?.element.checked).toBe(true)

    await openBox?.setValue(true)
    expect(wrapper.emitted('toggleFollowUp')).toEqual([[note, true]])

    await doneBox?.setValue(false)
    expect(wrapper.emitted('toggleFollowUp')).toEqual([
      [note, true],
      [done, false],
    ])
  })

  it('emits edit, and remove only after the in-place confirmation', async () => {
    const note = testNote()
    const wrapper = mountTimeline([note])
    await wrapper.findAll('button').find((b) => b.text() === 'Bearbeiten')?.trigger('click')
    expect(wrapper.emitted('edit')).toEqual([[note]])

    await wrapper.findAll('button').find((b) => b.text() === 'Löschen')?.trigger('click')
    expect(wrapper.emitted('remove')).toBeUndefined()
    expect(wrapper.get('[role="group"]').attributes('aria-label')).toBe('Diese Notiz löschen?')
    await wrapper.findAll('button').find((b) => b.text() === 'Ja, löschen')?.trigger('click')
    expect(wrapper.emitted('remove')).toEqual([[note]])
  })
})
