/**
 * Bearer authentication and the per-device call limit for every route of the sync API that is not
 * marked `config: { public: true }`. Runs on `onRequest`, before the body is read, so a caller
 * without a valid token cannot make the server parse 10 MB.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ErrorResponse } from '../../src/shared/protocol'
import { authenticate, type AuthenticateResult } from '../accounts/accounts'
import type { Database } from '../db/database'
import { SlidingWindowLimiter } from '../sync/rate-limit'

export type RequestAuth = Extract<AuthenticateResult, { user: unknown }>

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every non-public route; null only on public ones. */
    auth: RequestAuth | null
  }
  interface FastifyContextConfig {
    /** Reachable without a token (sign-in, the API description). */
    public?: boolean
  }
}

const BEARER_RE = /^Bearer ([\x21-\x7e]{1,512})$/

export interface AuthOptions {
  db: Database
  now: () => number
  limiter?: SlidingWindowLimiter
}

/** Adds the hook to `app` (an encapsulated plugin: it covers that plugin's routes only). */
export function addAuthHook(app: FastifyInstance, options: AuthOptions): void {
  const limiter = options.limiter ?? new SlidingWindowLimiter()
  app.decorateRequest('auth', null)
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.config.public === true) return
    const token = BEARER_RE.exec(request.headers.authorization ?? '')?.[1]
    if (token === undefined) return sendError(reply, 401, { error: 'unauthorized' })
    const result = await authenticate(options.db, token, options.now())
    if ('error' in result) return sendError(reply, 401, { error: result.error })
    const decision = limiter.check(result.device.id, options.now())
    if (!decision.allowed) {
      reply.header('retry-after', String(decision.retryAfterSeconds))
      return sendError(reply, 429, { error: 'too_many_requests' })
    }
    request.auth = result
  })
}

export function sendError(reply: FastifyReply, status: number, body: ErrorResponse): FastifyReply {
  return reply.code(status).send(body)
}

/** The signed-in user and device of a non-public route (the hook guarantees them). */
export function authOf(request: FastifyRequest): RequestAuth {
  if (!request.auth) throw new Error('route without the auth hook')
  return request.auth
}
