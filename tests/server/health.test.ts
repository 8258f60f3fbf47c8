import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildServer, CONTENT_SECURITY_POLICY, DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../server/app'
import type { Database } from '../../server/db/database'
import { serializeErrorForLog, serializeRequestForLog } from '../../server/logging'

const INDEX_HTML = '<!doctype html><html><head><title>Lotse test shell</title></head><body><div id="app"></div></body></html>'
const APP_SCRIPT = 'console.log("lotse app")\n'
const SERVICE_WORKER = 'self.addEventListener("install", () => {})\n'
// Above @fastify/compress's 1 KiB threshold, so it is compressed on the way out.
const LARGE_SCRIPT = `export const filler = ${JSON.stringify('lotse '.repeat(2000))}\n`

interface RunningServer {
  app: FastifyInstance
  baseUrl: string
}

async function startServer(distDir: string): Promise<RunningServer> {
  const app = await buildServer({ distDir })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return { app, baseUrl: `http://127.0.0.1:${port}` }
}

let tempDir: string
let server: RunningServer
let serverWithoutBuild: RunningServer
let packageVersion: string

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'lotse-server-test-'))
  const distDir = path.join(tempDir, 'dist')
  await mkdir(path.join(distDir, 'assets'), { recursive: true })
  await writeFile(path.join(distDir, 'index.html'), INDEX_HTML)
  await writeFile(path.join(distDir, 'assets', 'app-abc123.js'), APP_SCRIPT)
  await writeFile(path.join(distDir, 'assets', 'large-def456.js'), LARGE_SCRIPT)
  await writeFile(path.join(distDir, 'sw.js'), SERVICE_WORKER)
  await writeFile(path.join(distDir, 'manifest.webmanifest'), '{"name":"Lotse"}')
  await writeFile(path.join(distDir, '.env'), 'SECRET=1')

  const packageJson = JSON.parse(
    await readFile(new URL('../../package.json', import.meta.url), 'utf8'),
  ) as { version: string }
  packageVersion = packageJson.version

  server = await startServer(distDir)
  serverWithoutBuild = await startServer(path.join(tempDir, 'never-built'))
})

afterAll(async () => {
  await server?.app.close()
  await serverWithoutBuild?.app.close()
  if (tempDir) await rm(tempDir, { recursive: true, force: true })
})

describe('GET /api/v1/health', () => {
  it('reports status, package version and an ISO server time, uncached', async () => {
    const before = Date.now()
    const response = await fetch(`${server.baseUrl}/api/v1/health`)
    const after = Date.now()

    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['serverTime', 'status', 'version'])
    expect(body.status).toBe('ok')
    expect(body.version).toBe(packageVersion)
    expect(typeof body.serverTime).toBe('string')
    const serverTime = body.serverTime as string
    expect(new Date(serverTime).toISOString()).toBe(serverTime)
    const serverMs = Date.parse(serverTime)
    expect(serverMs).toBeGreaterThanOrEqual(before - 1000)
    expect(serverMs).toBeLessThanOrEqual(after + 1000)
  })
})

describe('static files', () => {
  it('serves hashed assets as immutable for a year', async () => {
    const response = await fetch(`${server.baseUrl}/assets/app-abc123.js`)
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(response.headers.get('content-type')).toMatch(/javascript/)
    expect(await response.text()).toBe(APP_SCRIPT)
  })

  it('makes browsers revalidate index.html, both directly and as /', async () => {
    for (const pathname of ['/index.html', '/']) {
      const response = await fetch(`${server.baseUrl}${pathname}`)
      expect(response.status, pathname).toBe(200)
      expect(response.headers.get('cache-control'), pathname).toBe('no-cache')
      expect(response.headers.get('content-type'), pathname).toMatch(/^text\/html/)
      expect(await response.text(), pathname).toBe(INDEX_HTML)
    }
  })

  it('makes browsers revalidate the service worker and the manifest', async () => {
    const serviceWorker = await fetch(`${server.baseUrl}/sw.js`)
    expect(serviceWorker.status).toBe(200)
    expect(serviceWorker.headers.get('cache-control')).toBe('no-cache')
    expect(await serviceWorker.text()).toBe(SERVICE_WORKER)

    const manifest = await fetch(`${server.baseUrl}/manifest.webmanifest`)
    expect(manifest.status).toBe(200)
    expect(manifest.headers.get('cache-control')).toBe('no-cache')
  })

  it('compresses large files for clients that accept it', async () => {
    const response = await fetch(`${server.baseUrl}/assets/large-def456.js`, {
      headers: { 'accept-encoding': 'gzip' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-encoding')).toBe('gzip')
    expect(response.headers.get('vary')?.toLowerCase()).toContain('accept-encoding')
    expect(await response.text()).toBe(LARGE_SCRIPT)
  })

  it('does not serve dotfiles', async () => {
    const response = await fetch(`${server.baseUrl}/.env`)
    expect(response.status).toBe(404)
    expect(await response.text()).not.toContain('SECRET')
  })
})

describe('SPA fallback and unknown paths', () => {
  it('answers a browser navigation to a client-side route with index.html', async () => {
    const response = await fetch(`${server.baseUrl}/mentees/123`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(await response.text()).toBe(INDEX_HTML)
  })

  it('answers a missing file requested by a script with 404, not with HTML', async () => {
    const response = await fetch(`${server.baseUrl}/assets/gone-000000.js`, { headers: { accept: '*/*' } })
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).not.toMatch(/text\/html/)
  })

  it('answers unknown API paths with a JSON 404 even when HTML is accepted', async () => {
    for (const accept of ['application/json', 'text/html']) {
      const response = await fetch(`${server.baseUrl}/api/v1/nope?token=abc`, { headers: { accept } })
      expect(response.status, accept).toBe(404)
      expect(response.headers.get('content-type'), accept).toMatch(/^application\/json/)
      expect(response.headers.get('cache-control'), accept).toBe('no-store')
      expect(await response.json(), accept).toEqual({ error: 'not_found' })
    }
  })
})

describe('security headers', () => {
  it.each(['/api/v1/health', '/assets/app-abc123.js', '/', '/mentees/123', '/api/v1/nope'])(
    'are sent with %s',
    async (pathname) => {
      const response = await fetch(`${server.baseUrl}${pathname}`, { headers: { accept: 'text/html' } })
      expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    },
  )

  it('forbid inline scripts, framing and plugins', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';")
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline')
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'")
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'")
  })
})

describe('without a build', () => {
  it('explains with a 503 that the app must be built', async () => {
    for (const pathname of ['/', '/mentees/123']) {
      const response = await fetch(`${serverWithoutBuild.baseUrl}${pathname}`, {
        headers: { accept: 'text/html' },
      })
      expect(response.status, pathname).toBe(503)
      expect(response.headers.get('content-type'), pathname).toMatch(/^text\/plain/)
      expect(response.headers.get('cache-control'), pathname).toBe('no-store')
      expect(await response.text(), pathname).toContain('npm run build')
    }
  })

  it('still answers the API', async () => {
    const response = await fetch(`${serverWithoutBuild.baseUrl}/api/v1/health`)
    expect(response.status).toBe(200)
    expect(((await response.json()) as { status: string }).status).toBe('ok')
  })
})

describe('request log serializers', () => {
  it('log the method and route pattern but never the URL, query or body', () => {
    const request = {
      method: 'POST',
      url: '/api/v1/mentees/42?name=Amira',
      headers: { authorization: 'Bearer secret' },
      body: { name: 'Amira' },
      routeOptions: { url: '/api/v1/mentees/:id' },
    }
    const logged = serializeRequestForLog(request as unknown as Parameters<typeof serializeRequestForLog>[0])
    expect(logged).toEqual({ method: 'POST', route: '/api/v1/mentees/:id' })
  })

  it('drop the messages of client errors, which can quote the request body', () => {
    const clientError = Object.assign(new SyntaxError('Unexpected token, "{name: Amira" is not valid JSON'), {
      statusCode: 400,
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
    })
    const logged = serializeErrorForLog(clientError as unknown as Parameters<typeof serializeErrorForLog>[0])
    expect(JSON.stringify(logged)).not.toContain('Amira')
    expect(logged.statusCode).toBe(400)
    expect(logged.code).toBe('FST_ERR_CTP_INVALID_JSON_BODY')
  })
})

describe('a database out of reach', () => {
  it('answers 503 with Retry-After, not 500, while the database cannot be reached', async () => {
    const unreachable = (error: Error): Database => ({
      kind: 'postgres',
      query: () => Promise.reject(error),
      transaction: () => Promise.reject(error),
      close: () => Promise.resolve(),
    })
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })
    const refused = Object.assign(new Error('database "lotse" is not currently accepting connections'), { code: '55000' })
    for (const error of [terminated, refused, new Error('Connection terminated unexpectedly')]) {
      const app = await buildServer({ distDir: path.join(tempDir, 'dist'), db: unreachable(error) })
      try {
        const response = await app.inject({ method: 'GET', url: '/api/v1/sync/pull', headers: { authorization: `Bearer ${'a'.repeat(43)}` } })
        expect(response.statusCode).toBe(503)
        expect(response.headers['retry-after']).toBe(String(DATABASE_RETRY_AFTER_SECONDS))
        expect(response.json()).toEqual({ error: 'internal_error' })
      } finally {
        await app.close()
      }
    }
    expect(isDatabaseUnavailable(new Error('duplicate key value violates unique constraint'))).toBe(false)
    expect(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false)
  })
})
