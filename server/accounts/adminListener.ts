/**
 * While the server holds a PGlite directory, the admin CLI cannot open it (see
 * `server/db/dataDirOwner.ts`), so the server runs the CLI's commands for it here: a second
 * listener, on 127.0.0.1 only and a port of its own, apart from the public app. Whatever HOST the
 * app binds and whatever proxy sits in front of it, this route is not reachable from elsewhere;
 * and it still checks that a request comes from loopback, carries no proxy headers, and knows the
 * secret from `DATA_DIR/admin.secret`, so another local user cannot use it either. Anything wrong
 * answers a plain 404: nothing tells a prober the route exists.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Database } from '../db/database'
import { EXIT_FAILED, EXIT_USAGE, parseAdminArgs, runAdminCommand, USAGE, type CommandOutcome } from './adminCommands'

export const ADMIN_COMMAND_PATH = '/api/v1/admin/command'
const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip']
const MAX_BODY_BYTES = 64 * 1024

/** What the CLI sends: its arguments, and the new user's password for user:add. */
export interface AdminCommandRequest {
  argv: string[]
  password?: string
}

export function newAdminSecret(): string {
  return randomBytes(32).toString('base64url')
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

function isAdminCommandRequest(body: unknown): body is AdminCommandRequest {
  if (typeof body !== 'object' || body === null) return false
  const { argv, password } = body as Record<string, unknown>
  return (
    Array.isArray(argv) &&
    argv.length <= 20 &&
    argv.every((arg) => typeof arg === 'string') &&
    (password === undefined || typeof password === 'string')
  )
}

export interface AdminListener {
  port: number
  close(): Promise<void>
}

/** Starts the loopback admin listener on a free port. */
export async function startAdminListener(db: Database, secret: string): Promise<AdminListener> {
  const expectedDigest = digest(`Bearer ${secret}`)
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: MAX_BODY_BYTES })

  const notFound = (reply: FastifyReply) => reply.code(404).send({ error: 'not_found' })
  const isAllowed = (request: FastifyRequest): boolean => {
    if (!LOOPBACK_ADDRESSES.has(request.socket.remoteAddress ?? '')) return false
    if (PROXY_HEADERS.some((header) => request.headers[header] !== undefined)) return false
    const authorization = request.headers.authorization ?? ''
    return timingSafeEqual(digest(authorization), expectedDigest)
  }

  app.addHook('onRequest', async (request, reply) => {
    if (!isAllowed(request)) return notFound(reply)
  })
  app.setNotFoundHandler(async (_request, reply) => notFound(reply))
  // Body parse errors and the like: no details, and nothing logged (the body may hold a password).
  app.setErrorHandler(async (_error, _request, reply) => reply.code(400).send({ error: 'bad_request' }))

  app.post(ADMIN_COMMAND_PATH, async (request, reply): Promise<CommandOutcome | FastifyReply> => {
    if (!isAdminCommandRequest(request.body)) return reply.code(400).send({ error: 'bad_request' })
    const parsed = parseAdminArgs(request.body.argv)
    if (!parsed.ok) return { exitCode: EXIT_USAGE, stdout: '', stderr: `${parsed.message}\n\n${USAGE}` }
    try {
      return await runAdminCommand(db, parsed.command, { password: request.body.password })
    } catch (error) {
      // The administrator asked and is local: the message helps them; it goes nowhere else.
      const message = error instanceof Error ? error.message : String(error)
      return { exitCode: EXIT_FAILED, stdout: '', stderr: `The command failed: ${message}\n` }
    }
  })

  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (typeof address !== 'object' || address === null) throw new Error('The admin listener has no port')
  return { port: address.port, close: () => app.close() }
}
