import { describe, it, expect, beforeEach, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import UpdateBanner from '@/components/layout/UpdateBanner.vue'
import { i18n } from '@/i18n'
import { useDeviceStore } from '@/stores/device'
import { setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext

function mountBanner() {
  return mount(UpdateBanner, { global: { plugins: [ctx.pinia, i18n] } })
}

beforeEach(async () => {
  ctx = await setupComponentTest()
})

describe('UpdateBanner', () => {
  it('is hidden while no update waits', () => {
    const wrapper = mountBanner()
    expect(wrapper.find('[data-testid="update-banner"]').exists()).toBe(false)
    expect(wrapper.text()).toBe('')
  })

  it('appears after offerUpdate and reloads through the offered function', async () => {
    const device = useDeviceStore()
    const apply = vi.fn(() => Promise.resolve())
    const wrapper = mountBanner()

    device.offerUpdate(apply)
    await wrapper.vm.$nextTick()

    const banner = wrapper.get('[data-testid="update-banner"]')
    expect(banner.attributes('role')).toBe('status')
    expect(banner.text()).toContain('Eine neue Version von Lotse ist bereit.')
    const button = banner.get('button')
    expect(button.text()).toBe('Jetzt neu laden')
    expect(button.attributes('disabled')).toBeUndefined()
    expect(banner.text()).not.toContain('Bitte zuerst das offene Formular speichern oder verwerfen.')

    await button.trigger('click')
    expect(apply).toHaveBeenCalledTimes(1)
  })

  it('blocks the reload while a form has unsaved input', async () => {
    const device = useDeviceStore()
    const apply = vi.fn(() => Promise.resolve())
    const wrapper = mountBanner()
    device.offerUpdate(apply)
    device.markUnsaved('x', true)
    await wrapper.vm.$nextTick()

    const button = wrapper.get('[data-testid="update-banner"] button')
    expect(button.attributes('disabled')).toBeDefined()
    expect(wrapper.text()).toContain('Bitte zuerst das offene Formular speichern oder verwerfen.')
    await button.trigger('click')
    await device.installUpdate()
    expect(apply).not.toHaveBeenCalled()

    device.markUnsaved('x', false)
    await wrapper.vm.$nextTick()

    expect(button.attributes('disabled')).toBeUndefined()
    expect(wrapper.text()).not.toContain('Bitte zuerst das offene Formular speichern oder verwerfen.')
    await button.trigger('click')
    expect(apply).toHaveBeenCalledTimes(1)
  })

  it('stays blocked until every unsaved form is saved or discarded', async () => {
    const device = useDeviceStore()
    const apply = vi.fn(() => Promise.resolve())
    const wrapper = mountBanner()
    device.offerUpdate(apply)
    device.markUnsaved('mentee:new', true)
    device.markUnsaved('note:new', true)
    device.markUnsaved('mentee:new', false)
    await wrapper.vm.$nextTick()
    expect(wrapper.get('[data-testid="update-banner"] button').attributes('disabled')).toBeDefined()
    await device.installUpdate()
    expect(apply).not.toHaveBeenCalled()

    device.markUnsaved('note:new', false)
    await wrapper.vm.$nextTick()
    expect(wrapper.get('[data-testid="update-banner"] button').attributes('disabled')).toBeUndefined()
    await device.installUpdate()
    expect(apply).toHaveBeenCalledTimes(1)
  })
})
