import { useI18n } from 'vue-i18n'
import type { SyncedTable } from '@/shared/records'

/** Field names and values of synced records as a user reads them ("Telefon", "ja", "B1, B2"). */
export function useFieldText() {
  const { t } = useI18n()

  function fieldName(table: SyncedTable, field: string): string {
    return t(`fieldNames.${table}.${field}`)
  }

  function fieldValue(value: unknown): string {
    if (value === null || value === undefined || value === '') return t('sync.emptyValue')
    if (typeof value === 'boolean') return value ? t('sync.yes') : t('sync.no')
    if (Array.isArray(value)) {
      return value.map((item: unknown) => (typeof item === 'object' && item !== null ? Object.values(item).join(' ') : String(item))).join(', ')
    }
    return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }

  return { fieldName, fieldValue }
}
