/**
 * Checks on what clients send that go beyond the shared validation: values that would make
 * PostgreSQL throw (and so answer 5xx) must be refused as client errors before any query runs.
 */
import { isStamp, parseStamp } from '../../src/shared/hlc'
import { SYNCED_TABLES, type SyncedTable } from '../../src/shared/records'

// Lower case only: PostgreSQL prints uuids in lower case, so an upper-case id would come back
// from a pull as a different string than the device stored.
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value)
}

export function isSyncedTable(value: unknown): value is SyncedTable {
  return typeof value === 'string' && (SYNCED_TABLES as readonly string[]).includes(value)
}

// A lone surrogate, or a NUL: PostgreSQL text and jsonb accept neither.
// eslint-disable-next-line no-control-regex
const UNSTORABLE_RE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Text PostgreSQL can store: no NUL character and no unpaired UTF-16 surrogate. */
export function isStorableText(value: string): boolean {
  return !UNSTORABLE_RE.test(value)
}

/**
 * Whether every string in a JSON value (keys included) can be stored. Only called on values the
 * shared validation has already accepted, so the depth is that of the field schemas (two levels).
 */
export function isStorableValue(value: unknown): boolean {
  if (typeof value === 'string') return isStorableText(value)
  if (Array.isArray(value)) return value.every(isStorableValue)
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).every(([key, item]) => isStorableText(key) && isStorableValue(item))
  }
  return true
}

/** An HLC stamp this endpoint stores and compares: the shared format, with a storable node. */
export function isValidStamp(value: unknown): value is string {
  return isStamp(value) && isStorableText(value) && parseStamp(value) !== undefined
}

/** Deep equality of two JSON values; jsonb does not keep the key order of objects. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => sameJson(item, b[index]))
  }
  const aKeys = Object.keys(a)
  const bRecord = b as Record<string, unknown>
  return (
    aKeys.length === Object.keys(bRecord).length &&
    aKeys.every((key) => Object.hasOwn(bRecord, key) && sameJson((a as Record<string, unknown>)[key], bRecord[key]))
  )
}
