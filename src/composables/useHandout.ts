import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { useI18n } from 'vue-i18n'
import { SOURCE_LOCALE, type AppLocale } from '@/i18n'
import { buildIcs } from '@/shared/ics'
import type { Appointment, ChecklistItem } from '@/shared/records'
import { useFormat } from './useFormat'

/** A text in German and in the second language (undefined when only German is shown). */
export type Both = readonly [german: string, theirs: string | undefined]

export interface HandoutFact {
  field: 'startsAt' | 'place' | 'companion'
  label: Both
  value: Both
}

export interface HandoutItem {
  id: string
  /** A template item, translated; a free item is `[label, undefined]`, shown once as typed. */
  text: Both
  free: boolean
}

export interface Handout {
  type: Both
  facts: HandoutFact[]
  bring: Both
  items: HandoutItem[]
}

/**
 * What a mentee takes home from an appointment: its type, time, place, companion and what to
 * bring, in German and in their language, as a page, as plain text to share and as a calendar file.
 */
export function useHandout(
  appointment: MaybeRefOrGetter<Appointment | undefined>,
  items: MaybeRefOrGetter<readonly ChecklistItem[]>,
  /** The second language, or undefined for German only. */
  second: MaybeRefOrGetter<AppLocale | undefined>,
) {
  const { t } = useI18n()
  const german = useFormat(() => SOURCE_LOCALE)
  const theirs = useFormat(() => toValue(second) ?? SOURCE_LOCALE)

  const handout = computed((): Handout | undefined => {
    const a = toValue(appointment)
    if (!a) return undefined
    const locale = toValue(second)
    const both = (key: string): Both => [t(key, {}, { locale: SOURCE_LOCALE }), locale ? t(key, {}, { locale }) : undefined]
    const typed = (value: string): Both => [value, locale ? value : undefined]

    const facts: HandoutFact[] = [
      {
        field: 'startsAt',
        label: both('appointment.fields.startsAt'),
        value: [german.formatLongDateTime(a.startsAt), locale ? theirs.formatLongDateTime(a.startsAt) : undefined],
      },
    ]
    if (a.place.trim()) facts.push({ field: 'place', label: both('appointment.fields.place'), value: typed(a.place) })
    if (a.companion.trim()) facts.push({ field: 'companion', label: both('appointment.fields.companion'), value: typed(a.companion) })

    return {
      type: both(`appointmentType.${a.type}`),
      facts,
      bring: both('checklist.title'),
      items: toValue(items).map((item) =>
        item.templateKey
          ? { id: item.id, text: both(`checklist.items.${item.templateKey}`), free: false }
          : { id: item.id, text: [item.label, undefined], free: true },
      ),
    }
  })

  /** One language's lines: that language is read on its own, in its own direction. */
  function block(h: Handout, which: 0 | 1, withFacts: boolean): string[] {
    const pick = (text: Both) => (which === 0 ? text[0] : (text[1] ?? text[0]))
    const lines = withFacts ? [pick(h.type), ...h.facts.map((fact) => `${pick(fact.label)}: ${pick(fact.value)}`), ''] : []
    lines.push(pick(h.bring), ...h.items.map((item) => `☐ ${item.free ? item.text[0] : pick(item.text)}`))
    return lines
  }

  function blocks(h: Handout, withFacts: boolean): string {
    const german = block(h, 0, withFacts)
    return (h.type[1] === undefined ? german : [...german, '', ...block(h, 1, withFacts)]).join('\n')
  }

  /** The title both readers recognise: German, then their language. */
  const summary = computed(() => {
    const h = handout.value
    return h ? [h.type[0], h.type[1]].filter(Boolean).join(' / ') : ''
  })

  /** The handout as plain text (for a messenger): the German block, then the same in their language. */
  const plainText = computed(() => (handout.value ? blocks(handout.value, true) : ''))

  /** File name without personal data: only the day. */
  const calendarFileName = computed(() => `termin-${toValue(appointment)?.startsAt.slice(0, 10) ?? ''}.ics`)

  function calendarFile(now: Date): string {
    const a = toValue(appointment)
    const h = handout.value
    if (!a || !h) return ''
    // Type, time and place have their own properties; the description keeps what to bring.
    const companion = h.facts.find((fact) => fact.field === 'companion')
    const description = [
      ...(companion ? [`${companion.label[0]}: ${companion.value[0]}`, ...(companion.label[1] ? [`${companion.label[1]}: ${companion.value[0]}`] : []), ''] : []),
      blocks(h, false),
    ].join('\n')
    return buildIcs({
      id: a.id,
      startsAt: a.startsAt,
      summary: summary.value,
      location: a.place.trim(),
      description,
      stamp: now,
      lastModified: a.updatedAt,
      reminder: summary.value,
    })
  }

  return { handout, summary, plainText, calendarFileName, calendarFile }
}
