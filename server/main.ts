/**
 * Starts the Lotse server: the built web app plus the municipal sync API.
 *
 * Environment:
 *   PORT          port to listen on (default 8080)
 *   HOST          address to bind (default 127.0.0.1: reachable from this machine only, which is
 *                 what a laptop wants). Behind a reverse proxy on another machine or inside a
 *                 container set HOST=0.0.0.0.
 *   DIST_DIR      built web app (default <repo>/dist)
 *   LOG_REQUESTS  set to 1 to log requests as JSON lines (method, route pattern and status only)
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildServer } from './app'

const DEFAULT_PORT = 8080
const DEFAULT_HOST = '127.0.0.1'
// Long enough for in-flight sync requests to finish, short enough for a process manager's patience.
const SHUTDOWN_TIMEOUT_MS = 10_000

function readPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got "${value}"`)
  }
  return port
}

async function main(): Promise<void> {
  const port = readPort(process.env.PORT)
  const host = process.env.HOST?.trim() || DEFAULT_HOST
  const repoRoot = fileURLToPath(new URL('..', import.meta.url))
  const distDir = path.resolve(process.env.DIST_DIR?.trim() || path.join(repoRoot, 'dist'))

  const app = await buildServer({ distDir, logger: process.env.LOG_REQUESTS === '1' })
  await app.listen({ port, host })

  const address = app.server.address()
  const boundPort = typeof address === 'object' && address !== null ? address.port : port
  console.log(`Lotse is running at http://localhost:${boundPort}`)

  let shuttingDown = false
  const shutDown = (signal: NodeJS.Signals): void => {
    // A terminal's Ctrl+C reaches every process of the group, and wrappers (npm start, tsx)
    // relay it again, so the same signal can arrive more than once: only the first one counts.
    if (shuttingDown) return
    shuttingDown = true
    const forcedExit = setTimeout(() => {
      console.error(`Lotse did not stop within ${SHUTDOWN_TIMEOUT_MS / 1000} s after ${signal}; exiting.`)
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS)
    forcedExit.unref()
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Error while stopping Lotse:', error)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', shutDown)
  process.on('SIGTERM', shutDown)
}

main().catch((error: unknown) => {
  console.error('Lotse could not start:', error instanceof Error ? error.message : error)
  process.exit(1)
})
