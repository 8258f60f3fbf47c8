import type { FastifyPluginAsync } from 'fastify'
import { MAX_BODY_BYTES, MAX_PULL_LIMIT, type PullResponse, type PushResponse } from '../../src/shared/protocol'
import type { Database } from '../db/database'
import { decodeCursor, encodeCursor } from '../sync/cursor'
import { parsePushRequest } from '../sync/envelope'
import { pullChanges } from '../sync/pull'
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
    // The changes come as JSON text (see SerializedChange); the rest is a PullResponse as usual.
    const rest: Omit<PullResponse, 'changes'> = {
      cursor: encodeCursor(outcome.cursor),
      hasMore: outcome.hasMore,
      serverTime: new Date(now()).toISOString(),
    }
    const body = `{"changes":[${outcome.changes.join(',')}],${JSON.stringify(rest).slice(1)}`
    return reply.type('application/json; charset=utf-8').send(body)
  })
}

export default syncRoutes
