/**
 * Starts the Lotse server: the built web app plus the municipal sync API.
 *
 * Environment:
 *   PORT          port to listen on (default 8080)
 *   HOST          address to bind (default 127.0.0.1: reachable from this machine only, which is
 *                 what a laptop wants). Behind a reverse proxy on another machine or inside a
 *                 container set HOST=0.0.0.0.
 *   DIST_DIR      built web app (default <repo>/dist)
 *   DATABASE_URL  PostgreSQL connection string; when unset the data lives in PGlite in DATA_DIR
 *   DATA_DIR      PGlite data directory (default <repo>/data)
 *   LOTSE_DEMO    set to 1 to fill an empty database with a fictional demo municipality
 *   LOG_REQUESTS  set to 1 to log requests as JSON lines (method, route pattern and status only)
 *   RETENTION_MONTHS  months after closing (stage `closed`) until a case is erased (default 24)
 *   LEAD_RETENTION_DAYS  days after a job fair until leads without consent for follow-up are
 *                 anonymised (default 14)
 *   AUDIT_HASH_KEY    key for the hash of unknown usernames in the audit log (default: random per start)
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { countUsers, LOGIN_FAILURE_WINDOW_MS, purgeLoginFailures } from './accounts/accounts'
import { purgeTombstones, TOMBSTONE_RETENTION_MS } from './sync/purge'
import { newAdminSecret, startAdminListener, type AdminListener } from './accounts/adminListener'
import { buildServer } from './app'
import { eraseExpiredClosedCases, retentionMonthsFromEnv } from './privacy/retention'
import { anonymiseExpiredLeads, leadRetentionDaysFromEnv } from './privacy/leads'
import { databaseOptionsFromEnv, openDatabase, type Database } from './db/database'
import { claimDataDirForServer, type ServerClaim } from './db/dataDirOwner'
import { printDemoAccounts, seedDemoIfEmpty } from './demo'

const DEFAULT_PORT = 8080
const DEFAULT_HOST = '127.0.0.1'
// Long enough for in-flight sync requests to finish, short enough for a process manager's patience.
const SHUTDOWN_TIMEOUT_MS = 10_000
// Failed sign-ins only matter for the rate limit window; older ones are personal data without use.
const LOGIN_FAILURE_PURGE_INTERVAL_MS = 60 * 60 * 1000

function readPort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_PORT
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be an integer between 0 and 65535, got "${value}"`)
  }
  return port
}

/** What has to be undone on the way out, in reverse order of acquisition. */
const cleanups: (() => Promise<unknown>)[] = []

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!
    await cleanup().catch((error: unknown) => {
      console.error('Error while stopping Lotse:', error instanceof Error ? error.message : error)
    })
  }
}

/**
 * Housekeeping every hour: old sign-in failures, tombstones every device has had time to see, and
 * closed cases past their retention period (erased as by a coordinator, and audited).
 */
function startPurgingLoginFailures(db: Database, retentionMonths: number, leadRetentionDays: number): void {
  const purge = () => {
    anonymiseExpiredLeads(db, { now: Date.now(), days: leadRetentionDays }).then(
      (ids) => {
        if (ids.length > 0) console.log(`Retention: anonymised ${ids.length} job-fair lead(s) without consent, ${leadRetentionDays} days after their fair.`)
      },
      (error: unknown) => {
        console.error('Could not anonymise expired leads:', error instanceof Error ? error.message : error)
      },
    )
    eraseExpiredClosedCases(db, { now: Date.now(), months: retentionMonths }).then(
      ({ erased }) => {
        if (erased.length > 0) console.log(`Retention: erased ${erased.length} case(s) closed more than ${retentionMonths} months ago.`)
      },
      (error: unknown) => {
        console.error('Could not erase expired closed cases:', error instanceof Error ? error.message : error)
      },
    )
    purgeLoginFailures(db, new Date(Date.now() - LOGIN_FAILURE_WINDOW_MS)).catch((error: unknown) => {
      console.error('Could not purge old sign-in failures:', error instanceof Error ? error.message : error)
    })
    purgeTombstones(db, { olderThan: new Date(Date.now() - TOMBSTONE_RETENTION_MS) }).catch((error: unknown) => {
      console.error('Could not purge old tombstones:', error instanceof Error ? error.message : error)
    })
  }
  purge()
  const timer = setInterval(purge, LOGIN_FAILURE_PURGE_INTERVAL_MS)
  timer.unref()
  cleanups.push(async () => clearInterval(timer))
}

async function main(): Promise<void> {
  const port = readPort(process.env.PORT)
  const host = process.env.HOST?.trim() || DEFAULT_HOST
  const repoRoot = fileURLToPath(new URL('..', import.meta.url))
  const distDir = path.resolve(process.env.DIST_DIR?.trim() || path.join(repoRoot, 'dist'))
  const databaseOptions = databaseOptionsFromEnv()
  // Read before anything starts: a mistyped period must stop the server, not erase early.
  const retentionMonths = retentionMonthsFromEnv()
  const leadRetentionDays = leadRetentionDaysFromEnv()

  // PGlite: this process must be the only one with the directory open (see db/dataDirOwner.ts).
  let claim: ServerClaim | undefined
  if (databaseOptions.dataDir !== undefined) {
    claim = await claimDataDirForServer(databaseOptions.dataDir)
    cleanups.push(() => claim!.release())
  }
  const db = await openDatabase(databaseOptions)
  cleanups.push(() => db.close())

  if (process.env.LOTSE_DEMO === '1') {
    const seeded = await seedDemoIfEmpty(db)
    if (seeded) printDemoAccounts(seeded)
    else console.log('Demo: the database already has data; nothing was added (delete DATA_DIR to start over).')
  }

  const trustProxy = process.env.TRUST_PROXY?.split(',').map((entry) => entry.trim()).filter(Boolean)
  const app = await buildServer({ distDir, db, logger: process.env.LOG_REQUESTS === '1', trustProxy: trustProxy?.length ? trustProxy : false })
  cleanups.push(() => app.close())
  await app.listen({ port, host })
  const address = app.server.address()
  const boundPort = typeof address === 'object' && address !== null ? address.port : port

  if (claim) {
    const secret = newAdminSecret()
    const adminListener: AdminListener = await startAdminListener(db, secret)
    cleanups.push(() => adminListener.close())
    await claim.publish({ port: boundPort, adminPort: adminListener.port }, secret)
  }
  // Counted before anything else queues work on the database, and printed with the start line,
  // so whoever reads "running" also reads how to begin.
  const noUsersYet = (await countUsers(db)) === 0
  startPurgingLoginFailures(db, retentionMonths, leadRetentionDays)

  console.log(`Lotse is running at http://localhost:${boundPort}`)
  if (noUsersYet) {
    console.log(
      'There are no users yet. Create the first coordinator (in another terminal, while this runs):\n' +
        '  npm run admin -- user:add <name> --role coordinator',
    )
  }

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
    // Stops listening and waits for requests in flight, then the database, then the claim.
    cleanUp().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGINT', shutDown)
  process.on('SIGTERM', shutDown)
}

main().catch(async (error: unknown) => {
  console.error('Lotse could not start:', error instanceof Error ? error.message : error)
  await cleanUp()
  process.exit(1)
})
