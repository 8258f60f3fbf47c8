import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { useI18n } from 'vue-i18n'
import { intlLocaleOf, isSupportedLocale, SOURCE_LOCALE } from '@/i18n'
import { parseIsoDate, parseLocalDateTime } from '@/shared/dates'

/**
 * Dates, times and numbers through `Intl`, in the language the user chose, or in `inLocale`
 * (a bilingual page shows the same value in two languages).
 */
export function useFormat(inLocale?: MaybeRefOrGetter<string>) {
  const { locale } = useI18n({ useScope: 'global' })
  const tag = computed(() => {
    const chosen = toValue(inLocale) ?? locale.value
    return intlLocaleOf(isSupportedLocale(chosen) ? chosen : SOURCE_LOCALE)
  })

  const formatters = computed(() => ({
    date: new Intl.DateTimeFormat(tag.value, { dateStyle: 'medium' }),
    month: new Intl.DateTimeFormat(tag.value, { month: 'long', year: 'numeric' }),
    longDate: new Intl.DateTimeFormat(tag.value, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
    dateTime: new Intl.DateTimeFormat(tag.value, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }),
    longDateTime: new Intl.DateTimeFormat(tag.value, {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    }),
    time: new Intl.DateTimeFormat(tag.value, { hour: '2-digit', minute: '2-digit' }),
    moment: new Intl.DateTimeFormat(tag.value, { weekday: 'long', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }),
    minutes: new Intl.NumberFormat(tag.value, { style: 'unit', unit: 'minute', unitDisplay: 'long' }),
    hours: new Intl.NumberFormat(tag.value, { style: 'unit', unit: 'hour', unitDisplay: 'long' }),
    days: new Intl.NumberFormat(tag.value, { style: 'unit', unit: 'day', unitDisplay: 'long' }),
    relative: new Intl.RelativeTimeFormat(tag.value, { numeric: 'auto' }),
    bytes: new Intl.NumberFormat(tag.value, { style: 'unit', unit: 'megabyte', maximumFractionDigits: 1 }),
    number: new Intl.NumberFormat(tag.value),
    languages: new Intl.DisplayNames([tag.value], { type: 'language', fallback: 'code' }),
    regions: new Intl.DisplayNames([tag.value], { type: 'region', fallback: 'code' }),
  }))

  return {
    formatDate: (isoDate: string) => (isoDate ? formatters.value.date.format(parseIsoDate(isoDate)) : ''),
    /** Month and year of `YYYY-MM` (or of a date): "Juni 2026". */
    formatMonth: (isoMonth: string) => (isoMonth ? formatters.value.month.format(parseIsoDate(`${isoMonth.slice(0, 7)}-01`)) : ''),
    formatLongDate: (isoDate: string) => formatters.value.longDate.format(parseIsoDate(isoDate)),
    formatDateTime: (local: string) => (local ? formatters.value.dateTime.format(parseLocalDateTime(local)) : ''),
    /** Weekday, full date with year and time: for paper that is read again weeks later. */
    formatLongDateTime: (local: string) => (local ? formatters.value.longDateTime.format(parseLocalDateTime(local)) : ''),
    formatInDays: (days: number) => formatters.value.relative.format(days, 'day'),
    /** A clock time of an epoch-ms moment (today's sync, say). */
    formatTime: (epochMs: number) => formatters.value.time.format(epochMs),
    /** Weekday, date and time of an epoch-ms moment or ISO string. */
    formatMoment: (moment: number | string) => formatters.value.moment.format(new Date(moment)),
    /** How long something has been waiting, in the largest whole unit. */
    formatAge: (ms: number) => {
      const minutes = Math.max(0, Math.floor(ms / 60_000))
      if (minutes < 60) return formatters.value.minutes.format(minutes)
      if (minutes < 48 * 60) return formatters.value.hours.format(Math.floor(minutes / 60))
      return formatters.value.days.format(Math.floor(minutes / (24 * 60)))
    },
    formatMegabytes: (bytes: number) => formatters.value.bytes.format(bytes / 1_000_000),
    formatNumber: (value: number) => formatters.value.number.format(value),
    languageName: (code: string) => formatters.value.languages.of(code) ?? code,
    countryName: (code: string) => formatters.value.regions.of(code) ?? code,
  }
}
