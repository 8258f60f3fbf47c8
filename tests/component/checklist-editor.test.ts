import { describe, it, expect, beforeEach, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import ChecklistEditor from '@/components/appointments/ChecklistEditor.vue'
import { i18n } from '@/i18n'
import type { ChecklistItem } from '@/shared/records'
import type { FieldError } from '@/shared/validation'
import { setupComponentTest, testChecklistItem, type TestContext } from './helpers'

let ctx: TestContext
const appointmentId = crypto.randomUUID()
const passport = testChecklistItem({ appointmentId, templateKey: 'passport', done: true, position: 0 })
const cv = testChecklistItem({ appointmentId, templateKey: 'cv', position: 1 })
const free = testChecklistItem({ appointmentId, label: 'Kopie vom Testzeugnis', position: 2 })

function mountEditor(
  items: ChecklistItem[] = [passport, cv, free],
  addError?: FieldError,
  addItem: (label: string) => Promise<boolean> = vi.fn(() => Promise.resolve(true)),
) {
  return mount(ChecklistEditor, { props: { items, addError, addItem }, global: { plugins: [ctx.pinia, i18n] } })
}

beforeEach(async () => {
  ctx = await setupComponentTest()
})

describe('ChecklistEditor', () => {
  it('shows template items in German and free items as typed', () => {
    const wrapper = mountEditor()
    const labels = wrapper.findAll('.checklist__item label span').map((span) => span.text())
    expect(labels).toEqual(['Reisepass oder Passersatz', 'Lebenslauf', 'Kopie vom Testzeugnis'])
    for (const span of wrapper.findAll('.checklist__item label span')) expect(span.attributes('dir')).toBe('auto')
    // The view names the checklist region; the editor must not add a second landmark of the same name.
    expect(wrapper.find('section').exists()).toBe(false)
  })

  it('shows the done state and the progress', () => {
    const wrapper = mountEditor()
    expect(wrapper.get('[data-testid="checklist-progress"]').text()).toBe('1 von 3 erledigt')
    const boxes = wrapper.findAll<HTMLInputElement>('input[type="checkbox"]')
    expect(boxes.map((box) => box.element.checked)).toEqual([true, false, false])
    expect(wrapper.findAll('.checklist__item')[0]?.classes()).toContain('checklist__item--done')
  })

  it('updates the progress when the items change', async () => {
    const wrapper = mountEditor()
    await wrapper.setProps({ items: [passport, { ...cv, done: true }, { ...free, done: true }] })
    expect(wrapper.get('[data-testid="checklist-progress"]').text()).toBe('3 von 3 erledigt')
    await wrapper.setProps({ items: [] })
    expect(wrapper.get('[data-testid="checklist-progress"]').text()).toBe('0 von 0 erledigt')
  })

  it('emits tick with the item and the new state', async () => {
    const wrapper = mountEditor()
    const boxes = wrapper.findAll<HTMLInputElement>('input[type="checkbox"]')
    await boxes[1]?.setValue(true)
    await boxes[0]?.setValue(false)
    expect(wrapper.emitted('tick')).toEqual([
      [cv, true],
      [passport, false],
    ])
  })

  it('saves the trimmed label and clears the input once saved', async () => {
    const addItem = vi.fn(() => Promise.resolve(true))
    const wrapper = mountEditor(undefined, undefined, addItem)
    const input = wrapper.get<HTMLInputElement>('[data-testid="new-checklist-item"]')
    const addButton = wrapper.get('form button[type="submit"]')
    expect(addButton.text()).toBe('Hinzufügen')
    expect(addButton.attributes('disabled')).toBeDefined()

    await input.setValue('   Testbescheinigung  ')
    expect(addButton.attributes('disabled')).toBeUndefined()
    await wrapper.get('form').trigger('submit')

    expect(addItem).toHaveBeenCalledWith('Testbescheinigung')
    await vi.waitFor(() => expect(input.element.value).toBe(''))
    expect(addButton.attributes('disabled')).toBeDefined()
  })

  it('keeps the typed label when saving it failed', async () => {
    const addItem = vi.fn(() => Promise.resolve(false))
    const wrapper = mountEditor(undefined, undefined, addItem)
    const input = wrapper.get<HTMLInputElement>('[data-testid="new-checklist-item"]')
    await input.setValue('Testbescheinigung')
    await wrapper.get('form').trigger('submit')
    await vi.waitFor(() => expect(addItem).toHaveBeenCalledTimes(1))
    await Promise.resolve()
    expect(input.element.value).toBe('Testbescheinigung')
  })

  it('does not save blanks', async () => {
    const addItem = vi.fn(() => Promise.resolve(true))
    const wrapper = mountEditor(undefined, undefined, addItem)
    await wrapper.get('[data-testid="new-checklist-item"]').setValue('    ')
    await wrapper.get('form').trigger('submit')
    expect(addItem).not.toHaveBeenCalled()
  })

  it('offers remove only for free items', async () => {
    const wrapper = mountEditor()
    const items = wrapper.findAll('.checklist__item')
    expect(items[0]?.find('button').exists()).toBe(false)
    expect(items[1]?.find('button').exists()).toBe(false)
    const remove = items[2]?.get('button')
    expect(remove?.text()).toBe('Entfernen')
    expect(remove?.attributes('aria-label')).toBe('„Kopie vom Testzeugnis“ entfernen')
    await remove?.trigger('click')
    expect(wrapper.emitted('remove')).toEqual([[free]])
  })

  it('shows an error for the new item next to its input', () => {
    const wrapper = mountEditor([passport], { key: 'tooLong', params: { max: 200 } })
    const input = wrapper.get('[data-testid="new-checklist-item"]')
    const errorId = input.attributes('aria-describedby')
    expect(errorId).toBeTruthy()
    expect(wrapper.get(`[id="${errorId}"]`).text()).toContain('Zu lang: höchstens 200 Zeichen.')
  })
})
