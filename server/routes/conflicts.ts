import type { FastifyPluginAsync } from 'fastify'
import type { ConflictsResponse } from '../../src/shared/protocol'
import type { Database } from '../db/database'
import { listConflicts, type ConflictFilter } from '../sync/conflicts'
import { isSyncedTable, isUuid } from '../sync/input'
import { authOf, sendError } from './auth'

export interface ConflictRoutesOptions {
  db: Database
  now: () => number
}

/** Registered under `/api/v1`: `GET /conflicts?table=&id=`, both optional. */
const conflictRoutes: FastifyPluginAsync<ConflictRoutesOptions> = async (app, { db, now }) => {
  app.get('/conflicts', async (request, reply) => {
    const auth = authOf(request)
    const { table, id } = request.query as Record<string, unknown>
    const filter: ConflictFilter = {}
    if (table !== undefined && table !== '') {
      if (!isSyncedTable(table)) return sendError(reply, 400, { error: 'bad_request', message: 'unknown table' })
      filter.table = table
    }
    if (id !== undefined && id !== '') {
      if (!isUuid(id)) return sendError(reply, 400, { error: 'bad_request', message: 'id must be a lower-case UUID' })
      filter.id = id
    }
    const response: ConflictsResponse = {
      conflicts: await listConflicts(db, auth.user, filter),
      serverTime: new Date(now()).toISOString(),
    }
    return response
  })
}

export default conflictRoutes
