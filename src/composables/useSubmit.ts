import { shallowRef } from 'vue'
import { StorageError, ValidationFailed } from '@/db/errors'
import type { FieldError, FieldErrors } from '@/shared/validation'

/**
 * Runs a save and turns what can go wrong into messages: field errors next to their fields,
 * a storage failure (full disk, aborted transaction) as one message above the form. The input
 * stays on screen either way, because nothing here touches the form model.
 */
export function useSubmit() {
  const saving = shallowRef(false)
  const fieldErrors = shallowRef<FieldErrors>({})
  const formError = shallowRef<FieldError | null>(null)

  async function submit<T>(action: () => Promise<T>): Promise<T | undefined> {
    if (saving.value) return undefined
    saving.value = true
    fieldErrors.value = {}
    formError.value = null
    try {
      return await action()
    } catch (error) {
      if (error instanceof ValidationFailed) {
        fieldErrors.value = error.errors
        formError.value = { key: 'form.fixErrors' }
      } else if (error instanceof StorageError) {
        formError.value = { key: `errors.storage.${error.kind}` }
      } else {
        formError.value = { key: 'errors.storage.unknown' }
      }
      return undefined
    } finally {
      saving.value = false
    }
  }

  function errorFor(field: string): FieldError | undefined {
    return fieldErrors.value[field]
  }

  return { saving, fieldErrors, formError, submit, errorFor }
}
