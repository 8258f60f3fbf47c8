import { readFile } from 'node:fs/promises'
import path from 'node:path'
import Fastify from 'fastify'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fastifyCompress from '@fastify/compress'
import fastifyStatic from '@fastify/static'
import type { ErrorCode, ErrorResponse } from '../src/shared/protocol'
import type { Database } from './db/database'
import './db/fastify'
import { loggerOptions } from './logging'
import { openApiRoutes } from './openapi'
import syncApi from './routes/api'
import healthRoutes from './routes/health'

export interface BuildServerOptions {
  /** Vite's output directory (`index.html`, `assets/`, `sw.js`, ...). */
  distDir: string
  /** Request logging; off by default so tests and laptops stay quiet. */
  logger?: boolean
  /** Opened (and migrated) by the caller, who also closes it: `app.close()` leaves it open. */
  db?: Database
  /** The server's clock (epoch ms); tests pass their own to move time without waiting. */
  now?: () => number
  /** Addresses of reverse proxies whose X-Forwarded-For may be believed (Fastify's trustProxy). */
  trustProxy?: string | string[] | false
}

/** Versioned prefix for every sync plugin in `server/routes/`. */
export const API_V1_PREFIX = '/api/v1'

// Everything the app needs comes from its own origin. The build ships no inline scripts or styles
// (messages are precompiled, see vite.config.ts), so neither needs 'unsafe-inline'.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ')

/** Two years, subdomains included: a municipality's endpoint is HTTPS for good once it is. */
export const STRICT_TRANSPORT_SECURITY = 'max-age=63072000; includeSubDomains'

const CACHE_FOREVER = 'public, max-age=31536000, immutable'
const CACHE_REVALIDATE = 'no-cache'
const CACHE_ONE_HOUR = 'public, max-age=3600'
const CACHE_NEVER = 'no-store'

// These keep their names across releases but decide which release a client runs, so a browser or
// proxy holding an old copy would pin users to an old version (or an old service worker).
const ENTRY_POINT_FILES = new Set(['index.html', 'sw.js', 'registerSW.js', 'manifest.webmanifest'])

const BUILD_MISSING_MESSAGE =
  'Lotse is not built yet: the web app files (index.html) are missing.\n' +
  'Run `npm run build` (or use `npm start`, which builds automatically) and reload this page.\n'

/** `relativePath` uses `/` separators and is relative to the dist directory. */
export function cacheControlForFile(relativePath: string): string {
  // Vite puts a content hash into every file name under assets/, so a changed file gets a new URL.
  if (relativePath.startsWith('assets/')) return CACHE_FOREVER
  if (ENTRY_POINT_FILES.has(relativePath)) return CACHE_REVALIDATE
  return CACHE_ONE_HOUR
}

function pathnameOf(url: string): string {
  const queryStart = url.indexOf('?')
  return queryStart === -1 ? url : url.slice(0, queryStart)
}

function isApiPath(pathname: string): boolean {
  return pathname === '/api' || pathname.startsWith('/api/')
}

function acceptsHtml(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/html')
}

async function readPackageVersion(): Promise<string> {
  const packageJson: unknown = JSON.parse(
    await readFile(new URL('../package.json', import.meta.url), 'utf8'),
  )
  if (
    typeof packageJson === 'object' &&
    packageJson !== null &&
    'version' in packageJson &&
    typeof packageJson.version === 'string'
  ) {
    return packageJson.version
  }
  throw new Error('package.json has no version string')
}

/** Read per request rather than at startup, so a rebuild while the server runs is picked up. */
async function readIndexHtml(distDir: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path.join(distDir, 'index.html'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}

// Clients switch on `error` (protocol.ts ErrorCode); a status without a code of its own (405, 415,
// ...) is a malformed request as far as they are concerned.
const CLIENT_ERROR_CODES: Readonly<Partial<Record<number, ErrorCode>>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  429: 'too_many_requests',
}

function statusCodeOf(error: FastifyError): number {
  const statusCode = error.statusCode
  return typeof statusCode === 'number' && statusCode >= 400 && statusCode <= 599 ? statusCode : 500
}

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03'])
const CONNECTION_ERROR_MESSAGE = /Connection terminated|not queryable|is not currently accepting connections/i
/** Seconds a client is asked to wait while the database is out of reach. */
export const DATABASE_RETRY_AFTER_SECONDS = 5

/**
 * Whether an error says the database is out of reach (PostgreSQL restarting, its connections
 * dropped, the network to it down) rather than that something went wrong with the request. `pg`
 * reconnects on the next query by itself; until then such requests answer 503 with Retry-After.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true
  return CONNECTION_ERROR_MESSAGE.test(error.message)
}

function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const statusCode = statusCodeOf(error)
  if (statusCode >= 500 && isDatabaseUnavailable(error)) {
    // The message only: it may name the host, never data.
    request.log.warn({ reason: error.message }, 'database unavailable')
    return reply.code(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).send({ error: 'internal_error' } satisfies ErrorResponse)
  }
  if (statusCode >= 500) {
    request.log.error({ err: error }, 'request failed')
    // Internal messages can reveal paths or data; the log has the details.
    return reply.code(statusCode).send({ error: 'internal_error' } satisfies ErrorResponse)
  }
  return reply
    .code(statusCode)
    .send({ error: CLIENT_ERROR_CODES[statusCode] ?? 'bad_request', message: error.message } satisfies ErrorResponse)
}

export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const distDir = path.resolve(options.distDir)
  const version = await readPackageVersion()

  const app = Fastify({
    logger: options.logger === true ? loggerOptions : false,
    // Behind a municipality's reverse proxy, TRUST_PROXY names it (e.g. 127.0.0.1 or a CIDR) so the
    // per-address sign-in limit sees clients, not the proxy. Unset: trust no forwarded headers.
    trustProxy: options.trustProxy ?? false,
  })
  if (options.db) app.decorate('db', options.db)
  if ((await readIndexHtml(distDir)) === undefined) {
    app.log.warn(`${path.join(distDir, 'index.html')} is missing; answering 503 until it is built`)
  }

  // onSend runs for every reply, including 404s and errors, so no response escapes the policy.
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
    // Only over HTTPS (directly, or behind a proxy named in TRUST_PROXY that says so with
    // X-Forwarded-Proto): sent over plain HTTP it would be meaningless, and a laptop on
    // http://localhost must not pin itself to HTTPS.
    if (request.protocol === 'https') reply.header('strict-transport-security', STRICT_TRANSPORT_SECURITY)
    // API answers are per user and per moment; no browser or proxy cache may keep them.
    if (isApiPath(pathnameOf(request.url))) reply.header('cache-control', CACHE_NEVER)
    return payload
  })

  app.setErrorHandler(sendError)

  app.setNotFoundHandler(async (request, reply) => {
    const pathname = pathnameOf(request.url)
    if (isApiPath(pathname)) return reply.code(404).send({ error: 'not_found' })

    const indexHtml = await readIndexHtml(distDir)
    if (indexHtml === undefined) {
      return reply
        .code(503)
        .header('cache-control', CACHE_NEVER)
        .type('text/plain; charset=utf-8')
        .send(BUILD_MISSING_MESSAGE)
    }

    // Deep links such as /mentees/123 are client-side routes; the app shell resolves them.
    const isNavigation = (request.method === 'GET' || request.method === 'HEAD') && acceptsHtml(request)
    if (isNavigation) {
      return reply
        .header('cache-control', CACHE_REVALIDATE)
        .type('text/html; charset=utf-8')
        .send(indexHtml)
    }
    return reply.code(404).send({ error: 'not_found' })
  })

  // Registered before any route: the plugin attaches itself to routes as they are added.
  await app.register(fastifyCompress, {
    encodings: ['br', 'gzip'],
    // No client sends compressed bodies; accepting them would only widen the attack surface.
    globalDecompression: false,
  })

  await app.register(fastifyStatic, {
    root: distDir,
    index: 'index.html',
    // send's own `max-age=0` default would otherwise be sent next to ours.
    cacheControl: false,
    dotfiles: 'ignore',
    list: false,
    // Warned about above, and every request explains it with a 503.
    suppressWarning: true,
    allowedPath: (pathname) => !isApiPath(pathname),
    setHeaders: (reply, filePath) => {
      const relativePath = path.relative(distDir, filePath).split(path.sep).join('/')
      reply.header('cache-control', cacheControlForFile(relativePath))
    },
  })

  // Sync plugins are added here the same way, each in its own file under server/routes/.
  const now = options.now ?? Date.now
  await app.register(healthRoutes, { prefix: API_V1_PREFIX, version, now })
  await app.register(openApiRoutes, { prefix: API_V1_PREFIX, version })
  if (options.db) await app.register(syncApi, { prefix: API_V1_PREFIX, db: options.db, now })

  return app
}
