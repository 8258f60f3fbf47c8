/** A stored record that is not a tombstone. */
export function isLive<T extends { deletedAt?: number }>(record: T | undefined): record is T {
  return record !== undefined && !record.deletedAt
}
