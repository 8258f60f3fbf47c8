import type { FastifyPluginAsync } from 'fastify'
import type { SessionRequest, SessionResponse } from '../../src/shared/protocol'
import { endSession, signIn } from '../accounts/accounts'
import { audit, keyedUsernameHash } from '../audit'
import type { Database } from '../db/database'
import { isStorableText } from '../sync/input'
import { authOf, sendError } from './auth'

export interface SessionRoutesOptions {
  db: Database
  now: () => number
}

// Generous bounds; they only stop a client from making the server hash or store megabytes.
const MAX_USERNAME_LENGTH = 256
const MAX_PASSWORD_LENGTH = 4096
const MAX_DEVICE_NAME_LENGTH = 256

function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length <= maxLength
}

/**
 * The sign-in body, or undefined when it is malformed. The username and device name end up in
 * the database (the name of the device, or the failed attempt), so they must be storable text.
 */
export function parseSessionRequest(body: unknown): SessionRequest | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { username, password, deviceName } = body as Record<string, unknown>
  if (!isText(username, MAX_USERNAME_LENGTH) || !isStorableText(username)) return undefined
  if (!isText(password, MAX_PASSWORD_LENGTH)) return undefined
  if (!isText(deviceName, MAX_DEVICE_NAME_LENGTH) || !isStorableText(deviceName)) return undefined
  return { username, password, deviceName }
}

/** Registered under `/api/v1`: sign in (public) and sign out. */
const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, { db, now }) => {
  app.post('/session', { config: { public: true } }, async (request, reply) => {
    const input = parseSessionRequest(request.body)
    if (!input) {
      return sendError(reply, 400, { error: 'bad_request', message: 'username, password and deviceName must be strings' })
    }
    // request.ip is the peer's address; behind a reverse proxy Fastify's trustProxy must be set
    // for the per-address limit to see clients rather than the proxy.
    const at = now()
    const result = await signIn(db, { ...input, address: request.ip, now: at })
    if (!result.ok) {
      // The account's id when the name is an account's; otherwise only a keyed hash of what was
      // typed (it may be a person's name). Never the name itself, the password or the address.
      await audit(db, {
        action: 'sign_in_failed',
        at,
        actorId: result.userId ?? null,
        details: {
          reason: result.reason,
          ...(result.userId === undefined ? { usernameHash: keyedUsernameHash(input.username) } : {}),
        },
      })
      if (result.reason === 'too_many_requests') {
        reply.header('retry-after', String(result.retryAfterSeconds))
        return sendError(reply, 429, { error: 'too_many_requests' })
      }
      return sendError(reply, 401, { error: 'invalid_credentials' })
    }
    await audit(db, { action: 'sign_in', at, actorId: result.user.id, deviceId: result.deviceId })
    const response: SessionResponse = {
      token: result.token,
      deviceId: result.deviceId,
      user: result.user,
      serverTime: new Date(now()).toISOString(),
    }
    return reply.code(201).send(response)
  })

  app.delete('/session', async (request, reply) => {
    await endSession(db, authOf(request).device.id, now())
    return reply.code(204).send()
  })
}

export default sessionRoutes
