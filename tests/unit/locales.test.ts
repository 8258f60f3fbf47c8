import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { directionOf, pickInitialLocale, pluralCategoriesOf, SUPPORTED_LOCALES } from '@/i18n'
import { ROLES, TABLE_FIELDS } from '@/shared/protocol'
import { SYNCED_TABLES } from '@/shared/records'
import * as vocabulary from '@/shared/vocabulary'

const root = join(import.meta.dirname, '../..')
type Tree = { [key: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key
    if (typeof value === 'string') out.set(path, value)
    else for (const [k, v] of flatten(value, path)) out.set(k, v)
  }
  return out
}
const load = (locale: string) => flatten(JSON.parse(readFileSync(join(root, 'locales', `${locale}.json`), 'utf8')) as Tree)
const source = load('de')
const placeholders = (message: string) => [...new Set(message.match(/\{\w+\}/g) ?? [])].sort()

describe('locales', () => {
  it('has exactly one file per supported locale', () => {
    const files = readdirSync(join(root, 'locales')).filter((f) => f.endsWith('.json'))
    expect(files.map((f) => f.replace('.json', '')).sort()).toEqual([...SUPPORTED_LOCALES].sort())
  })

  describe.each(SUPPORTED_LOCALES.filter((l) => l !== 'de'))('%s', (locale) => {
    const messages = load(locale)

    it('has every key of the source and no other, none empty', () => {
      expect([...source.keys()].filter((k) => !messages.has(k))).toEqual([])
      expect([...messages.keys()].filter((k) => !source.has(k))).toEqual([])
      expect([...messages].filter(([, v]) => v.trim() === '').map(([k]) => k)).toEqual([])
    })

    it('keeps every placeholder of the source', () => {
      const broken = [...source].filter(([key, message]) => {
        const translated = messages.get(key) ?? ''
        return placeholders(message).some((p) => !translated.includes(p)) || placeholders(translated).some((p) => !message.includes(p))
      })
      expect(broken.map(([k]) => k)).toEqual([])
    })

    it('has the plural forms its language needs', () => {
      const expected = 1 + pluralCategoriesOf(locale).length
      const wrong = [...source]
        .filter(([, message]) => message.includes(' | '))
        .map(([key]) => [key, (messages.get(key) ?? '').split(' | ').length] as const)
        .filter(([, forms]) => forms !== expected)
      expect(wrong).toEqual([])
    })

    it('is translated, not a copy of the German', () => {
      const shared = [...source].filter(([key, message]) => messages.get(key) === message && message.length > 12 && !key.startsWith('language.native'))
      // A few terms (e.g. "Jobcenter") legitimately stay the same; whole sentences must not.
      expect(shared.length / source.size).toBeLessThan(0.05)
    })
  })

  it('has the source plural forms for German', () => {
    const wrong = [...source].filter(([, m]) => m.includes(' | ') && m.split(' | ').length !== 1 + pluralCategoriesOf('de').length)
    expect(wrong).toEqual([])
  })

  it('translates every value of every closed list the UI shows', () => {
    const lists: [string, readonly string[]][] = [
      ['stage', vocabulary.STAGES],
      ['residenceStatus', vocabulary.RESIDENCE_STATUSES],
      ['schoolQualification', vocabulary.SCHOOL_QUALIFICATIONS],
      ['recognitionStatus', vocabulary.RECOGNITION_STATUSES],
      ['goal', vocabulary.GOALS],
      ['barrier', vocabulary.BARRIERS],
      ['consentPurpose', vocabulary.CONSENT_PURPOSES],
      ['noteKind', vocabulary.NOTE_KINDS],
      ['leadOutcome', vocabulary.LEAD_OUTCOMES],
      ['appointmentType', vocabulary.APPOINTMENT_TYPES],
      ['checklist.items', vocabulary.CHECKLIST_ITEM_KEYS],
      ['language.native', SUPPORTED_LOCALES],
      ['roles', ROLES],
      ...SYNCED_TABLES.map((table): [string, readonly string[]] => [`fieldNames.${table}`, TABLE_FIELDS[table]]),
    ]
    const missing = lists.flatMap(([prefix, values]) => values.map((v) => `${prefix}.${v}`)).filter((k) => !source.has(k))
    expect(missing).toEqual([])
  })

  it('defines every key the source code names literally', () => {
    const files = listFiles(join(root, 'src')).filter((f) => /\.(vue|ts)$/.test(f))
    const used = new Set<string>()
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/\bt\(\s*'([a-zA-Z][\w.-]*)'/g)) used.add(match[1]!)
      for (const match of text.matchAll(/key: '([a-zA-Z][\w.]*)'/g)) {
        const key = match[1]!
        used.add(key.includes('.') ? key : `validation.${key}`)
      }
    }
    expect(used.size).toBeGreaterThan(50)
    expect([...used].filter((k) => !source.has(k))).toEqual([])
  })

  it('names every route title', () => {
    const router = readFileSync(join(root, 'src/router.ts'), 'utf8')
    const names = [...router.matchAll(/name: '([\w-]+)'/g)].map((m) => m[1]!)
    expect(names.filter((n) => !source.has(`titles.${n}`))).toEqual([])
  })
})

describe('locale choice and direction', () => {
  it('starts in the stored choice, else the first supported browser language, else German', () => {
    expect(pickInitialLocale('fa', ['de-DE'])).toBe('fa')
    expect(pickInitialLocale(null, ['fr-FR', 'uk-UA', 'en'])).toBe('uk')
    expect(pickInitialLocale('xx', ['fr-FR'])).toBe('de')
  })

  it('writes Arabic and Farsi right to left', () => {
    expect(SUPPORTED_LOCALES.filter((l) => directionOf(l) === 'rtl')).toEqual(['ar', 'fa'])
  })
})

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}
