import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import LanguageSwitcher from '@/components/layout/LanguageSwitcher.vue'
import { i18n, setLocale } from '@/i18n'
import { eventually, setupComponentTest, type TestContext } from './helpers'

let ctx: TestContext
let wrapper: VueWrapper

async function choose(locale: string, dir: 'ltr' | 'rtl'): Promise<void> {
  await wrapper.get('select').setValue(locale)
  await eventually(() => {
    expect(document.documentElement.lang).toBe(locale)
    expect(document.documentElement.dir).toBe(dir)
  })
}

beforeEach(async () => {
  localStorage.clear()
  ctx = await setupComponentTest()
  wrapper = mount(LanguageSwitcher, { global: { plugins: [ctx.pinia, i18n] } })
})

afterEach(async () => {
  wrapper.unmount()
  localStorage.clear()
  await setLocale('de', false)
})

describe('LanguageSwitcher', () => {
  it('starts in German, with every language named in itself', () => {
    expect(document.documentElement.lang).toBe('de')
    expect(document.documentElement.dir).toBe('ltr')
    const select = wrapper.get<HTMLSelectElement>('select')
    expect(select.element.value).toBe('de')
    const options = wrapper.findAll('option')
    expect(options.map((o) => o.attributes('value'))).toEqual(['de', 'en', 'ar', 'uk', 'tr', 'fa', 'ru'])
    expect(options.map((o) => o.attributes('lang'))).toEqual(['de', 'en', 'ar', 'uk', 'tr', 'fa', 'ru'])
    expect(options.map((o) => o.text())).toEqual(['Deutsch', 'English', 'العربية', 'Українська', 'Türkçe', 'فارسی', 'Русский'])
    expect(wrapper.get('.visually-hidden').text()).toBe('Sprache')
    expect(localStorage.getItem('lotse.locale')).toBeNull()
  })

  it('switches to Arabic right to left, then Farsi, then English left to right, and remembers each', async () => {
    await choose('ar', 'rtl')
    expect(localStorage.getItem('lotse.locale')).toBe('ar')
    expect(i18n.global.locale.value).toBe('ar')
    expect(wrapper.get<HTMLSelectElement>('select').element.value).toBe('ar')

    await choose('fa', 'rtl')
    expect(localStorage.getItem('lotse.locale')).toBe('fa')

    await choose('en', 'ltr')
    expect(localStorage.getItem('lotse.locale')).toBe('en')
    expect(i18n.global.locale.value).toBe('en')
  })

  it('keeps left to right for Ukrainian, Turkish and Russian', async () => {
    for (const locale of ['uk', 'tr', 'ru']) {
      await choose(locale, 'ltr')
      expect(localStorage.getItem('lotse.locale')).toBe(locale)
    }
  })

  it('shows the UI in the chosen language', async () => {
    await choose('en', 'ltr')
    await eventually(() => expect(wrapper.get('.visually-hidden').text()).not.toBe('Sprache'))
    expect(wrapper.get('.visually-hidden').text()).toBe(i18n.global.t('language.label'))
  })
})
