import { describe, expect, it } from 'vitest'
import { buildSearchKey, compileQuery, normalizeForSearch } from '@/shared/search'

describe('name search', () => {
  it('ignores case and accents', () => {
    expect(normalizeForSearch('Zoë ÇELİK Straße')).toBe('zoe celik strasse')
    expect(compileQuery('zoe')(buildSearchKey('Zoë', 'Müller'))).toBe(true)
    expect(compileQuery('MULL')(buildSearchKey('Zoë', 'Müller'))).toBe(true)
  })

  it('folds Turkish dotless i and German ß', () => {
    expect(compileQuery('yildiz')(buildSearchKey('Ayşe', 'Yıldız'))).toBe(true)
    expect(compileQuery('strasse')(buildSearchKey('Anna', 'Straßer'))).toBe(true)
  })

  it('finds Arabic names whatever the hamza, vowel marks or Farsi letter forms', () => {
    const key = buildSearchKey('أحمد', 'الكريمي')
    expect(compileQuery('احمد')(key)).toBe(true)
    expect(compileQuery('أَحْمَد')(key)).toBe(true)
    expect(compileQuery('كريمي')(key)).toBe(false) // words must start with what is typed
    expect(compileQuery('الكر')(key)).toBe(true)
    expect(compileQuery('علی')(buildSearchKey('علي'))).toBe(true)
  })

  it('finds Cyrillic names case-insensitively, ё as е', () => {
    const key = buildSearchKey('Олександр', 'Шевчук')
    expect(compileQuery('олек')(key)).toBe(true)
    expect(compileQuery('ШЕВ')(key)).toBe(true)
    expect(compileQuery('Семён')(buildSearchKey('Семен'))).toBe(true)
  })

  it('matches every typed word against the start of some name part, in any order', () => {
    const key = buildSearchKey('Karim', 'Ahmadi')
    expect(compileQuery('ahm kar')(key)).toBe(true)
    expect(compileQuery('kar ahm')(key)).toBe(true)
    expect(compileQuery('arim')(key)).toBe(false)
    expect(compileQuery('kar xyz')(key)).toBe(false)
    expect(compileQuery('   ')(key)).toBe(true)
  })
})
