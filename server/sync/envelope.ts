/**
 * The push request's envelope: what must hold before a single mutation can be looked at. A broken
 * envelope refuses the whole request (400, or 426 for another protocol version); anything wrong
 * inside one mutation only refuses that mutation (see push.ts).
 */
import { MAX_PUSH_BATCH, PROTOCOL_SCHEMA_VERSION } from '../../src/shared/protocol'
import { isUuid } from './input'

/** A mutation whose shape is sound; its table, id, stamp and fields are checked one by one later. */
export type IncomingMutation =
  | { seq: number; table: string; id: string; op: 'upsert'; fields: Record<string, unknown>; hlc: string; seen?: number }
  | { seq: number; table: string; id: string; op: 'delete'; hlc: string }

export type ParsedPush =
  | { ok: true; deviceId: string; mutations: IncomingMutation[] }
  | { ok: false; error: 'bad_request' | 'upgrade_required'; message: string }

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function badRequest(message: string): ParsedPush {
  return { ok: false, error: 'bad_request', message }
}

export function parsePushRequest(body: unknown): ParsedPush {
  if (!isPlainObject(body)) return badRequest('the body must be a JSON object')
  const { schemaVersion, deviceId, mutations } = body
  // Checked first: a client speaking another version may shape everything else differently, and
  // it must learn that it needs an update rather than that its request is broken.
  if (!Number.isInteger(schemaVersion)) return badRequest('schemaVersion must be an integer')
  if (schemaVersion !== PROTOCOL_SCHEMA_VERSION) {
    return { ok: false, error: 'upgrade_required', message: `this endpoint speaks schemaVersion ${PROTOCOL_SCHEMA_VERSION}` }
  }
  if (!isUuid(deviceId)) return badRequest('deviceId must be the deviceId of the session')
  if (!Array.isArray(mutations)) return badRequest('mutations must be an array')
  if (mutations.length > MAX_PUSH_BATCH) return badRequest(`at most ${MAX_PUSH_BATCH} mutations per push`)

  const parsed: IncomingMutation[] = []
  let previousSeq = 0
  for (const [index, mutation] of mutations.entries()) {
    const at = `mutations[${index}]`
    if (!isPlainObject(mutation)) return badRequest(`${at} must be an object`)
    const { seq, table, id, op, hlc, fields, seen } = mutation
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
      return badRequest(`${at}.seq must be a positive integer`)
    }
    // The duplicate check compares each seq with the highest one stored, which only works when a
    // device sends its mutations in the order it made them.
    if (seq <= previousSeq) return badRequest(`${at}.seq must be greater than the seq before it`)
    previousSeq = seq
    if (typeof table !== 'string') return badRequest(`${at}.table must be a string`)
    if (typeof id !== 'string') return badRequest(`${at}.id must be a string`)
    if (typeof hlc !== 'string') return badRequest(`${at}.hlc must be a string`)
    if (op === 'upsert') {
      if (!isPlainObject(fields)) return badRequest(`${at}.fields must be an object`)
      if (seen === undefined) {
        parsed.push({ seq, table, id, op, fields, hlc })
      } else {
        if (typeof seen !== 'number' || !Number.isSafeInteger(seen) || seen < 0) {
          return badRequest(`${at}.seen must be a change number (an integer from 0)`)
        }
        parsed.push({ seq, table, id, op, fields, hlc, seen })
      }
    } else if (op === 'delete') {
      parsed.push({ seq, table, id, op, hlc })
    } else {
      return badRequest(`${at}.op must be "upsert" or "delete"`)
    }
  }
  return { ok: true, deviceId, mutations: parsed }
}
