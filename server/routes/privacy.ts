import type { FastifyPluginAsync } from 'fastify'
import type { AuditResponse, ErasureResponse } from '../../src/shared/protocol'
import { audit, DEFAULT_AUDIT_PAGE, listAudit, MAX_AUDIT_PAGE } from '../audit'
import type { Database } from '../db/database'
import { eraseMentee } from '../privacy/erasure'
import { exportCounts, exportMentee } from '../privacy/export'
import { isUuid } from '../sync/input'
import { authOf, sendError } from './auth'

export interface PrivacyRoutesOptions {
  db: Database
  now: () => number
}

const PAGE_RE = /^[0-9]{1,4}$/
const BEFORE_RE = /^[1-9][0-9]{0,15}$/

function menteeIdOf(params: unknown): string | undefined {
  const id = (params as Record<string, unknown>).id
  return isUuid(id) ? id : undefined
}

/**
 * Registered under `/api/v1`: erasure (Art. 17) and access export (Art. 15) of one mentee, and the
 * audit log for coordinators. Checks run in this order: the id's form (400), the role (403), then
 * whether the mentee exists within the user's reach (404: out of reach is as unknown as never
 * created, as in push).
 */
const privacyRoutes: FastifyPluginAsync<PrivacyRoutesOptions> = async (app, { db, now }) => {
  app.post('/mentees/:id/erasure', async (request, reply) => {
    const auth = authOf(request)
    const menteeId = menteeIdOf(request.params)
    if (menteeId === undefined) return sendError(reply, 400, { error: 'bad_request', message: 'id must be a lower-case UUID' })
    const at = now()
    const outcome = await eraseMentee(db, { actor: auth.user, deviceId: auth.device.id, menteeId, now: at, reason: 'request' })
    if (!outcome.ok) return sendError(reply, outcome.error === 'forbidden' ? 403 : 404, { error: outcome.error })
    const response: ErasureResponse = { menteeId, erased: outcome.erased, serverTime: new Date(at).toISOString() }
    return response
  })

  app.get('/mentees/:id/export', async (request, reply) => {
    const auth = authOf(request)
    const menteeId = menteeIdOf(request.params)
    if (menteeId === undefined) return sendError(reply, 400, { error: 'bad_request', message: 'id must be a lower-case UUID' })
    const at = now()
    const outcome = await exportMentee(db, auth.user, menteeId, at)
    if (!outcome.ok) return sendError(reply, outcome.error === 'forbidden' ? 403 : 404, { error: outcome.error })
    await audit(db, {
      action: 'export',
      at,
      actorId: auth.user.id,
      deviceId: auth.device.id,
      targetId: menteeId,
      details: { counts: exportCounts(outcome.export) },
    })
    reply.header('content-disposition', `attachment; filename="lotse-export-${menteeId}.json"`)
    return outcome.export
  })

  app.get('/audit', async (request, reply) => {
    const auth = authOf(request)
    if (auth.user.role !== 'coordinator') return sendError(reply, 403, { error: 'forbidden' })
    const { before, limit } = request.query as Record<string, unknown>
    let pageSize = DEFAULT_AUDIT_PAGE
    if (limit !== undefined) {
      pageSize = typeof limit === 'string' && PAGE_RE.test(limit) ? Number(limit) : 0
      if (pageSize < 1 || pageSize > MAX_AUDIT_PAGE) {
        return sendError(reply, 400, { error: 'bad_request', message: `limit must be an integer from 1 to ${MAX_AUDIT_PAGE}` })
      }
    }
    let beforeId: number | undefined
    if (before !== undefined && before !== '') {
      if (typeof before !== 'string' || !BEFORE_RE.test(before) || !Number.isSafeInteger(Number(before))) {
        return sendError(reply, 400, { error: 'bad_request', message: 'before must be an entry id' })
      }
      beforeId = Number(before)
    }
    const page = await listAudit(db, { before: beforeId, limit: pageSize })
    const response: AuditResponse = { ...page, serverTime: new Date(now()).toISOString() }
    return response
  })
}

export default privacyRoutes
