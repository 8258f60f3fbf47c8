import { toValue, type MaybeRefOrGetter } from 'vue'
import { useI18n } from 'vue-i18n'
import type { SyncedTable } from '@/shared/records'
import { useFormat } from './useFormat'

/** Which message prefix names the values of a closed list, per field. */
const VALUE_KEYS: Record<string, string> = {
  stage: 'stage',
  residenceStatus: 'residenceStatus',
  schoolQualification: 'schoolQualification',
  recognitionStatus: 'recognitionStatus',
  goals: 'goal',
  barriers: 'barrier',
  consentPurposes: 'consentPurpose',
  kind: 'noteKind',
  type: 'appointmentType',
  templateKey: 'checklist.items',
}
const DATE_FIELDS = new Set(['arrivalDate', 'permitExpiry', 'expectedLeavingDate', 'consentDate', 'date', 'followUpDue'])

/**
 * Field names and values of synced records as a user reads them ("Telefon", "ja", "Duldung"), in
 * the user's language or in `inLocale`.
 */
export function useFieldText(inLocale?: MaybeRefOrGetter<string>) {
  const { t: translate } = useI18n()
  const t = (key: string): string => {
    const locale = toValue(inLocale)
    return locale ? translate(key, {}, { locale }) : translate(key)
  }
  const { formatDate, formatDateTime, languageName, countryName } = useFormat(inLocale)

  function fieldName(table: SyncedTable, field: string): string {
    return t(`fieldNames.${table}.${field}`)
  }

  function one(field: string, value: unknown): string {
    if (typeof value === 'boolean') return value ? t('sync.yes') : t('sync.no')
    if (typeof value === 'object' && value !== null) {
      const entry = value as { level?: unknown; date?: unknown }
      if (typeof entry.level === 'string' && typeof entry.date === 'string') return `${entry.level} ${formatDate(entry.date)}`
      return Object.values(value).map(String).join(' ')
    }
    const text = String(value)
    const prefix = VALUE_KEYS[field]
    if (prefix) return t(`${prefix}.${text}`)
    if (field === 'languages') return languageName(text)
    if (field === 'countryOfOrigin') return countryName(text)
    if (field === 'startsAt') return formatDateTime(text)
    if (DATE_FIELDS.has(field)) return formatDate(text)
    return text
  }

  function fieldValue(table: SyncedTable, field: string, value: unknown): string {
    if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
      return t('sync.emptyValue')
    }
    return Array.isArray(value) ? value.map((item: unknown) => one(field, item)).join(', ') : one(field, value)
  }

  return { fieldName, fieldValue }
}
