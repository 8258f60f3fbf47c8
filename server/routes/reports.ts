import type { FastifyPluginAsync } from 'fastify'
import type { ReportResponse } from '../../src/shared/protocol'
import { periodProblem, suppressReport } from '../../src/shared/reports'
import { audit } from '../audit'
import type { Database } from '../db/database'
import { countReport } from '../reports'
import { isUuid } from '../sync/input'
import { authOf, sendError } from './auth'

export interface ReportRoutesOptions {
  db: Database
  now: () => number
}

const PERIOD_MESSAGES = {
  from: 'from must be a date YYYY-MM-DD',
  to: 'to must be a date YYYY-MM-DD',
  order: 'from must not be after to',
} as const

/**
 * Registered under `/api/v1`: `GET /reports?from=&to=[&teamId=]`, the figures for funders, for
 * coordinators only. Checks run in this order: the role (403), the query (400), the team (404).
 * Counted in SQL (`server/reports.ts`), then put under the shared k-anonymity rule; audited.
 */
const reportRoutes: FastifyPluginAsync<ReportRoutesOptions> = async (app, { db, now }) => {
  app.get('/reports', async (request, reply) => {
    const auth = authOf(request)
    if (auth.user.role !== 'coordinator') return sendError(reply, 403, { error: 'forbidden' })
    const { from, to, teamId } = request.query as Record<string, unknown>
    const problem = periodProblem(from, to)
    if (problem) return sendError(reply, 400, { error: 'bad_request', message: PERIOD_MESSAGES[problem] })
    const period = { from: from as string, to: to as string }
    let team: string | null = null
    if (teamId !== undefined && teamId !== '') {
      if (!isUuid(teamId)) return sendError(reply, 400, { error: 'bad_request', message: 'teamId must be a lower-case UUID' })
      const { rows } = await db.query('SELECT 1 FROM teams WHERE id = $1', [teamId])
      if (rows.length === 0) return sendError(reply, 404, { error: 'not_found', message: 'no such team' })
      team = teamId
    }
    const report = suppressReport(await countReport(db, period, team))
    const at = now()
    await audit(db, {
      action: 'report',
      at,
      actorId: auth.user.id,
      deviceId: auth.device.id,
      targetId: team,
      details: { from: period.from, to: period.to },
    })
    const response: ReportResponse = { report, teamId: team, serverTime: new Date(at).toISOString() }
    return response
  })
}

export default reportRoutes
