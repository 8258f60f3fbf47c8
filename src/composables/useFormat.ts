import { computed } from 'vue'
import { useI18n } from 'vue-i18n'
import { intlLocaleOf, isSupportedLocale, SOURCE_LOCALE } from '@/i18n'
import { parseIsoDate, parseLocalDateTime } from '@/shared/dates'

/** Dates, times and numbers through `Intl`, in the language the user chose. */
export function useFormat() {
  const { locale } = useI18n({ useScope: 'global' })
  const tag = computed(() => intlLocaleOf(isSupportedLocale(locale.value) ? locale.value : SOURCE_LOCALE))

  const formatters = computed(() => ({
    date: new Intl.DateTimeFormat(tag.value, { dateStyle: 'medium' }),
    longDate: new Intl.DateTimeFormat(tag.value, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
    dateTime: new Intl.DateTimeFormat(tag.value, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }),
    relative: new Intl.RelativeTimeFormat(tag.value, { numeric: 'auto' }),
    bytes: new Intl.NumberFormat(tag.value, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }),
    number: new Intl.NumberFormat(tag.value),
    languages: new Intl.DisplayNames([tag.value], { type: 'language', fallback: 'code' }),
    regions: new Intl.DisplayNames([tag.value], { type: 'region', fallback: 'code' }),
  }))

  return {
    formatDate: (isoDate: string) => (isoDate ? formatters.value.date.format(parseIsoDate(isoDate)) : ''),
    formatLongDate: (isoDate: string) => formatters.value.longDate.format(parseIsoDate(isoDate)),
    formatDateTime: (local: string) => (local ? formatters.value.dateTime.format(parseLocalDateTime(local)) : ''),
    formatInDays: (days: number) => formatters.value.relative.format(days, 'day'),
    formatMegabytes: (bytes: number) => formatters.value.bytes.format(bytes / 1_000_000),
    formatNumber: (value: number) => formatters.value.number.format(value),
    languageName: (code: string) => formatters.value.languages.of(code) ?? code,
    countryName: (code: string) => formatters.value.regions.of(code) ?? code,
  }
}
