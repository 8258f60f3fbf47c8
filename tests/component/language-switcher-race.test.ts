import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import LanguageSwitcher from '@/components/layout/LanguageSwitcher.vue'
import { i18n, setLocale } from '@/i18n'
import { eventually, setupComponentTest, type TestContext } from './helpers'

/**
 * Kept in its own file: which locale chunks are already loaded is module state of `@/i18n`, and
 * this test needs Arabic not loaded yet (as on a phone that never showed Arabic).
 */
let ctx: TestContext
let wrapper: VueWrapper

beforeEach(async () => {
  localStorage.clear()
  ctx = await setupComponentTest()
  // English is loaded, Arabic is not.
  await setLocale('en', false)
  await setLocale('de', false)
  wrapper = mount(LanguageSwitcher, { global: { plugins: [ctx.pinia, i18n] } })
})

afterEach(async () => {
  wrapper.unmount()
  localStorage.clear()
  await setLocale('de', false)
})

describe('LanguageSwitcher, quick changes', () => {
  // Regression: an earlier, slower choice used to be applied after a later one.
  it('applies the language chosen last even when an earlier choice loads slower', async () => {
    const select = wrapper.get('select')
    void select.setValue('ar')
    await select.setValue('en')
    // Give the slower Arabic chunk time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 500))
    await eventually(() => {
      expect(document.documentElement.lang).toBe('en')
      expect(document.documentElement.dir).toBe('ltr')
    })
    expect(i18n.global.locale.value).toBe('en')
    expect(localStorage.getItem('lotse.locale')).toBe('en')
    expect((select.element as HTMLSelectElement).value).toBe('en')
  })

  it('ends in the chosen language when the changes come one after the other', async () => {
    const select = wrapper.get('select')
    await select.setValue('ar')
    await eventually(() => expect(document.documentElement.dir).toBe('rtl'))
    await select.setValue('en')
    await eventually(() => expect(document.documentElement.lang).toBe('en'))
    expect(document.documentElement.dir).toBe('ltr')
    expect(localStorage.getItem('lotse.locale')).toBe('en')
  })
})
