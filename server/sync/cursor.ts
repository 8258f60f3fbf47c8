/**
 * The pull cursor: opaque to clients, base64url of JSON `{v: 1, seq, purged, key?}`.
 * - `seq`: every item (change number) up to here has been delivered;
 * - `key`: when set, the item numbered `seq` (an access event that became many changes) was cut
 *   at a page end, and its changes up to this key were delivered;
 * - `purged`: `tombstones_purged_through` when the cursor was issued, so a device whose history
 *   began after a purge is not sent back to the start by that purge (see pull.ts).
 */

export interface Cursor {
  seq: number
  purged: number
  key?: string
}

const CURSOR_VERSION = 1
const MAX_CURSOR_LENGTH = 512
const MAX_KEY_LENGTH = 100
const BASE64URL_RE = /^[A-Za-z0-9_-]+$/

export function encodeCursor(cursor: Cursor): string {
  const json: Record<string, unknown> = { v: CURSOR_VERSION, seq: cursor.seq, purged: cursor.purged }
  if (cursor.key !== undefined) json.key = cursor.key
  return Buffer.from(JSON.stringify(json)).toString('base64url')
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

/** The cursor, or undefined when the text is not a cursor this endpoint issued. */
export function decodeCursor(text: string): Cursor | undefined {
  if (text.length > MAX_CURSOR_LENGTH || !BASE64URL_RE.test(text)) return undefined
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined
  const { v, seq, purged, key } = json as Record<string, unknown>
  if (v !== CURSOR_VERSION || !isCount(seq) || !isCount(purged)) return undefined
  if (key === undefined) return { seq, purged }
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) return undefined
  return { seq, purged, key }
}
