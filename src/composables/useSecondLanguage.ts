import { shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue'
import { isSupportedLocale, loadMessagesOf, SOURCE_LOCALE, type AppLocale } from '@/i18n'
import type { Mentee } from '@/shared/records'

/**
 * The language shown next to German on a page for a mentee (consent text, access page): their
 * consent language or first language the app speaks, else English. `ready` is true once its
 * messages are loaded; only the latest choice counts when choices come quickly.
 */
export function useSecondLanguage(mentee: MaybeRefOrGetter<Mentee | undefined>) {
  function preferred(): AppLocale {
    const m = toValue(mentee)
    const spoken = m ? [m.consentLanguage, ...m.languages].find((code) => isSupportedLocale(code) && code !== SOURCE_LOCALE) : undefined
    return isSupportedLocale(spoken) ? spoken : 'en'
  }

  const language = shallowRef<AppLocale>(preferred())
  const ready = shallowRef(false)

  watch(
    language,
    async (chosen) => {
      ready.value = false
      await loadMessagesOf(chosen)
      if (language.value === chosen) ready.value = true
    },
    { immediate: true },
  )

  /** Back to the mentee's own language (e.g. once their record has loaded). */
  function reset(): void {
    language.value = preferred()
  }

  return { language, ready, reset }
}
