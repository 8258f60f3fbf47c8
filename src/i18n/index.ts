import { createI18n } from 'vue-i18n'
import { nextTick } from 'vue'

export const SUPPORTED_LOCALES = ['de', 'en', 'ar', 'uk', 'tr', 'fa', 'ru'] as const
export type AppLocale = (typeof SUPPORTED_LOCALES)[number]
export const SOURCE_LOCALE: AppLocale = 'de'

const RTL_LOCALES: readonly AppLocale[] = ['ar', 'fa']
const STORAGE_KEY = 'lotse.locale'

type Messages = Record<string, unknown>
/** One chunk per locale: a phone downloads only the languages it shows. */
const loaders: Record<AppLocale, () => Promise<{ default: Messages }>> = {
  de: () => import('../../locales/de.json'),
  en: () => import('../../locales/en.json'),
  ar: () => import('../../locales/ar.json'),
  uk: () => import('../../locales/uk.json'),
  tr: () => import('../../locales/tr.json'),
  fa: () => import('../../locales/fa.json'),
  ru: () => import('../../locales/ru.json'),
}

export function isSupportedLocale(value: unknown): value is AppLocale {
  return typeof value === 'string' && (SUPPORTED_LOCALES as readonly string[]).includes(value)
}

export function directionOf(locale: string): 'rtl' | 'ltr' {
  return (RTL_LOCALES as readonly string[]).includes(locale) ? 'rtl' : 'ltr'
}

/**
 * The locale to start in: the one the user chose before, else the first of the browser's
 * languages that we support, else German (the language the users mostly work in).
 */
export function pickInitialLocale(
  stored: string | null,
  browserLanguages: readonly string[],
): AppLocale {
  if (isSupportedLocale(stored)) return stored
  for (const tag of browserLanguages) {
    const base = tag.toLowerCase().split('-')[0]
    if (isSupportedLocale(base)) return base
  }
  return SOURCE_LOCALE
}

/** The tag handed to `Intl`: Farsi keeps the Gregorian calendar that German letters use. */
export function intlLocaleOf(locale: AppLocale): string {
  return locale === 'fa' ? 'fa-u-ca-gregory' : locale
}

const CATEGORY_ORDER: readonly Intl.LDMLPluralRule[] = ['one', 'two', 'few', 'many', 'other']

/**
 * How many forms a plural message has in `locale`, and which one a count picks. The first form
 * is always for zero ("no mentees found"); the rest follow the language's CLDR categories in
 * the order one, two, few, many, other (German 3 forms, Russian 4, Arabic 6).
 */
export function pluralCategoriesOf(locale: string): Intl.LDMLPluralRule[] {
  const present = new Intl.PluralRules(locale).resolvedOptions().pluralCategories
  return CATEGORY_ORDER.filter((category) => present.includes(category))
}

function pluralRuleFor(locale: string) {
  const rules = new Intl.PluralRules(locale)
  const categories = pluralCategoriesOf(locale)
  return (choice: number, choicesLength: number): number => {
    if (choice === 0) return 0
    const index = 1 + categories.indexOf(rules.select(Math.abs(choice)) as Intl.LDMLPluralRule)
    return Math.min(Math.max(index, 1), choicesLength - 1)
  }
}

export const i18n = createI18n({
  legacy: false,
  locale: SOURCE_LOCALE,
  fallbackLocale: SOURCE_LOCALE,
  messages: {},
  pluralRules: Object.fromEntries(SUPPORTED_LOCALES.map((locale) => [locale, pluralRuleFor(locale)])),
  missingWarn: import.meta.env.DEV,
  fallbackWarn: import.meta.env.DEV,
})

const loaded = new Set<AppLocale>()

/** Loads a language's messages without switching to it (for texts shown in two languages). */
export function loadMessagesOf(locale: AppLocale): Promise<void> {
  return ensureMessages(locale)
}

async function ensureMessages(locale: AppLocale): Promise<void> {
  if (loaded.has(locale)) return
  const messages = await loaders[locale]()
  i18n.global.setLocaleMessage(locale, messages.default as never)
  loaded.add(locale)
}

function readStoredLocale(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

let latestRequest = 0

/**
 * Switches the UI language, sets `<html lang dir>` and remembers the choice. When choices come
 * quickly one after another, the last one wins even if an earlier one loads slower.
 */
export async function setLocale(locale: AppLocale, remember = true): Promise<void> {
  const request = ++latestRequest
  await Promise.all([ensureMessages(SOURCE_LOCALE), ensureMessages(locale)])
  if (request !== latestRequest) return
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  document.documentElement.dir = directionOf(locale)
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, locale)
    } catch {
      // Private mode without storage: the choice lasts for this visit.
    }
  }
  await nextTick()
}

export async function setupI18n(): Promise<typeof i18n> {
  const initial = pickInitialLocale(readStoredLocale(), navigator.languages ?? [navigator.language])
  await setLocale(initial, false)
  return i18n
}
