import type { FieldErrors } from '@/shared/validation'

/** Input that failed validation; `errors` holds one i18n message key per field. */
export class ValidationFailed extends Error {
  constructor(readonly errors: FieldErrors) {
    super('validation failed')
    this.name = 'ValidationFailed'
  }
}

/**
 * Storage failures, classified so the UI can say what happened in the user's language.
 * Every write runs in one transaction, so whatever the kind, nothing was saved half.
 */
export type StorageErrorKind = 'quota' | 'aborted' | 'unavailable' | 'notFound' | 'locked' | 'unknown'

export class StorageError extends Error {
  constructor(
    readonly kind: StorageErrorKind,
    options?: { cause?: unknown },
  ) {
    super(`storage: ${kind}`, options)
    this.name = 'StorageError'
  }
}

function errorNames(error: unknown): string[] {
  const names: string[] = []
  let current: unknown = error
  for (let depth = 0; current && depth < 5; depth++) {
    if (typeof current === 'object' && current !== null) {
      const record = current as { name?: unknown; inner?: unknown; cause?: unknown }
      if (typeof record.name === 'string') names.push(record.name)
      current = record.inner ?? record.cause
    } else break
  }
  return names
}

export function toStorageError(error: unknown): StorageError {
  if (error instanceof StorageError) return error
  const names = errorNames(error)
  const kind: StorageErrorKind = names.some((n) => n === 'QuotaExceededError')
    ? 'quota'
    : names.some((n) => n === 'LockedError')
      ? 'locked'
      : names.some((n) => n === 'AbortError')
        ? 'aborted'
        : names.some((n) => ['MissingAPIError', 'InvalidStateError', 'DatabaseClosedError', 'OpenFailedError'].includes(n))
          ? 'unavailable'
          : 'unknown'
  return new StorageError(kind, { cause: error })
}

/**
 * Runs a storage operation and rethrows any failure as a classified StorageError. A validation
 * failure raised inside a transaction (a record gone meanwhile) stays what it is: the user is
 * told what is wrong with the input, not that storage failed.
 */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (error instanceof ValidationFailed) throw error
    throw toStorageError(error)
  }
}
