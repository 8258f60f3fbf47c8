import type { FastifyPluginAsync } from 'fastify'
import { MAX_BODY_BYTES, MAX_PULL_LIMIT, type Change, type PullResponse, type PushResponse } from '../../src/shared/protocol'
import { audit } from '../audit'
import type { Database } from '../db/database'
import { decodeCursor, encodeCursor } from '../sync/cursor'
import { parsePushRequest } from '../sync/envelope'
import { pullChanges, type SerializedChange } from '../sync/pull'
import { applyPush } from '../sync/push'
import { authOf, sendError } from './auth'

export interface SyncRoutesOptions {
  db: Database
  now: () => number
}

const LIMIT_RE = /^[0-9]{1,4}$/

/** `limit` from the query: 1..MAX_PULL_LIMIT, MAX_PULL_LIMIT when absent; undefined when invalid. */
export function parseLimit(value: unknown): number | undefined {
  if (value === undefined) return MAX_PULL_LIMIT
  if (typeof value !== 'string' || !LIMIT_RE.test(value)) return undefined
  const limit = Number(value)
  return limit >= 1 && limit <= MAX_PULL_LIMIT ? limit : undefined
}

const CHANGE_HEAD = /^\{"table":"([A-Za-z]+)","id":"([0-9a-f-]+)","op":"([a-z]+)"/

/** Table, id and op of a change as pull serialises it (those keys come first), without parsing its fields. */
function headOf(change: SerializedChange): Pick<Change, 'table' | 'id' | 'op'> {
  const head = CHANGE_HEAD.exec(change)
  if (head) return { table: head[1] as Change['table'], id: head[2]!, op: head[3] as Change['op'] }
  const { table, id, op } = JSON.parse(change) as Change
  return { table, id, op }
}

/**
 * One audit entry per pull page that delivered anything: which records the device received, as ids
 * and counts per table and op. An empty page (the app polling with nothing new) writes nothing.
 */
async function auditPull(db: Database, userId: string, deviceId: string, serialized: readonly SerializedChange[], at: number): Promise<void> {
  const tables: Record<string, number> = {}
  const ops: Record<string, number> = {}
  const changes = serialized.map(headOf)
  for (const change of changes) {
    tables[change.table] = (tables[change.table] ?? 0) + 1
    ops[change.op] = (ops[change.op] ?? 0) + 1
  }
  await audit(db, {
    action: 'pull',
    at,
    actorId: userId,
    deviceId,
    details: { changes: changes.length, tables, ops },
    recordIds: changes.map((change) => change.id),
  })
}

/** Registered under `/api/v1`: push and pull. Both need a session (see auth.ts). */
const syncRoutes: FastifyPluginAsync<SyncRoutesOptions> = async (app, { db, now }) => {
  app.post('/sync/push', { bodyLimit: MAX_BODY_BYTES }, async (request, reply) => {
    const auth = authOf(request)
    const parsed = parsePushRequest(request.body)
    if (!parsed.ok) {
      return sendError(reply, parsed.error === 'upgrade_required' ? 426 : 400, { error: parsed.error, message: parsed.message })
    }
    // Each device has its own seq line; pushing into another one's would break its duplicates check.
    if (parsed.deviceId !== auth.device.id) {
      return sendError(reply, 403, { error: 'forbidden', message: 'deviceId is not the device of this session' })
    }
    const at = now()
    const outcome = await applyPush(db, { actor: auth.user, deviceId: auth.device.id, mutations: parsed.mutations, now: at })
    const response: PushResponse = { ...outcome, serverTime: new Date(at).toISOString() }
    return response
  })

  app.get('/sync/pull', async (request, reply) => {
    const auth = authOf(request)
    const query = request.query as Record<string, unknown>
    const limit = parseLimit(query.limit)
    if (limit === undefined) {
      return sendError(reply, 400, { error: 'bad_request', message: `limit must be an integer from 1 to ${MAX_PULL_LIMIT}` })
    }
    let cursor
    if (query.cursor !== undefined && query.cursor !== '') {
      cursor = typeof query.cursor === 'string' ? decodeCursor(query.cursor) : undefined
      if (!cursor) return sendError(reply, 400, { error: 'bad_request', message: 'cursor is not a cursor from this endpoint' })
    }
    const outcome = await pullChanges(db, { actor: auth.user, cursor, limit })
    if (!outcome.ok) return sendError(reply, 409, { error: outcome.error })
    if (outcome.changes.length > 0) await auditPull(db, auth.user.id, auth.device.id, outcome.changes, now())
    // The changes come as JSON text (see SerializedChange); the rest is a PullResponse as usual.
    const rest: Omit<PullResponse, 'changes'> = {
      cursor: encodeCursor(outcome.cursor),
      // A cursor inside an item (`key`) has not delivered all of that item yet.
      through: outcome.cursor.key === undefined ? outcome.cursor.seq : outcome.cursor.seq - 1,
      hasMore: outcome.hasMore,
      serverTime: new Date(now()).toISOString(),
    }
    const body = `{"changes":[${outcome.changes.join(',')}],${JSON.stringify(rest).slice(1)}`
    return reply.type('application/json; charset=utf-8').send(body)
  })
}

export default syncRoutes
