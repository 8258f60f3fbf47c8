/**
 * Security headers on every answer (issue 5, "Hardening"): CSP without unsafe-inline or eval,
 * nosniff, no referrer, no-store on /api, and HSTS only over HTTPS (directly, or behind a proxy
 * named in TRUST_PROXY that says so). The 429 + Retry-After limits are tested in session.test.ts
 * (sign-in) and sync-limits.test.ts (sync calls).
 */
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildServer, CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY } from '../../server/app'

const noBuild = path.join(os.tmpdir(), 'lotse-no-build')
const PATHS = ['/api/v1/health', '/api/v1/openapi.json', '/api/v1/sync/pull', '/api/v1/nothing-here', '/mentees/1', '/assets/none.js']

describe('security headers', () => {
  let direct: FastifyInstance
  let proxied: FastifyInstance

  beforeAll(async () => {
    direct = await buildServer({ distDir: noBuild })
    proxied = await buildServer({ distDir: noBuild, trustProxy: ['127.0.0.1'] })
  })
  afterAll(async () => {
    await direct?.close()
    await proxied?.close()
  })

  it('sends a strict CSP, nosniff and no-referrer on every answer, errors included', async () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split('; ').map((part) => [part.split(' ')[0], part] as const))
    expect(directives.get('script-src')).toBe("script-src 'self'")
    expect(directives.get('object-src')).toBe("object-src 'none'")
    expect(directives.get('base-uri')).toBe("base-uri 'none'")
    expect(directives.get('frame-ancestors')).toBe("frame-ancestors 'none'")
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|wasm-unsafe-eval|\*/)
    for (const url of PATHS) {
      for (const method of ['GET', 'POST'] as const) {
        const answer = await direct.inject({ method, url, headers: { accept: 'text/html' } })
        expect(answer.headers['content-security-policy'], `${method} ${url}`).toBe(CONTENT_SECURITY_POLICY)
        expect(answer.headers['x-content-type-options'], `${method} ${url}`).toBe('nosniff')
        expect(answer.headers['referrer-policy'], `${method} ${url}`).toBe('no-referrer')
        if (url.startsWith('/api/')) expect(answer.headers['cache-control'], `${method} ${url}`).toBe('no-store')
      }
    }
  })

  it('sends HSTS over HTTPS only, and believes X-Forwarded-Proto only from a trusted proxy', async () => {
    for (const url of PATHS) {
      const viaHttpsProxy = await proxied.inject({ method: 'GET', url, headers: { 'x-forwarded-proto': 'https' } })
      expect(viaHttpsProxy.headers['strict-transport-security'], url).toBe(STRICT_TRANSPORT_SECURITY)
      const viaHttpProxy = await proxied.inject({ method: 'GET', url, headers: { 'x-forwarded-proto': 'http' } })
      expect(viaHttpProxy.headers['strict-transport-security'], url).toBeUndefined()
      const plain = await direct.inject({ method: 'GET', url })
      expect(plain.headers['strict-transport-security'], url).toBeUndefined()
      // Anyone can send the header; without TRUST_PROXY it means nothing.
      const spoofed = await direct.inject({ method: 'GET', url, headers: { 'x-forwarded-proto': 'https' } })
      expect(spoofed.headers['strict-transport-security'], url).toBeUndefined()
    }
    const untrustedPeer = await proxied.inject({
      method: 'GET',
      url: '/api/v1/health',
      remoteAddress: '198.51.100.9',
      headers: { 'x-forwarded-proto': 'https' },
    })
    expect(untrustedPeer.headers['strict-transport-security']).toBeUndefined()
    expect(STRICT_TRANSPORT_SECURITY).toMatch(/^max-age=\d{8,}/)
  })
})
