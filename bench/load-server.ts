/**
 * The endpoint under load as a child process (`node --import tsx server/main.ts`), exactly as an
 * operator runs it, on PGlite in a temporary DATA_DIR or on a throwaway PostgreSQL cluster; plus
 * the faults the load test injects (a restart, dropped PostgreSQL connections) and direct access
 * to its database for setting up accounts and checking what was stored.
 */
import { execFile as execFileCallback, spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { createTeam } from '../server/accounts/accounts'
import { hashPassword } from '../server/accounts/passwords'
import { openDatabase, type Database } from '../server/db/database'
import { accessDataDirForAdmin } from '../server/db/dataDirOwner'

const execFile = promisify(execFileCallback)
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url))
const ENSURE_POSTGRES = fileURLToPath(new URL('../scripts/ensure-postgres.mjs', import.meta.url))
const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 20_000

export type Engine = { kind: 'pglite'; dataDir: string } | { kind: 'postgres'; url: string }

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Opens the engine's database in this process (PGlite only while no server has the directory). */
export async function withDatabase<T>(engine: Engine, work: (db: Database) => Promise<T>): Promise<T> {
  if (engine.kind === 'postgres') {
    const db = await openDatabase({ databaseUrl: engine.url })
    try {
      return await work(db)
    } finally {
      await db.close()
    }
  }
  // PGlite: one process per directory; take it the way the admin CLI does.
  const access = await accessDataDirForAdmin(engine.dataDir, { waitMs: 10_000 })
  if (access.kind !== 'direct') throw new Error(`a server (pid ${access.pid}) still has ${engine.dataDir} open`)
  try {
    const db = await openDatabase({ dataDir: engine.dataDir })
    try {
      return await work(db)
    } finally {
      await db.close()
    }
  } finally {
    await access.release()
  }
}

export interface Account {
  username: string
  password: string
  team: string
}

/**
 * Teams and coaches, written straight into the database before the server starts. All coaches
 * share one password hash (one scrypt instead of a hundred); each sign-in still verifies it.
 */
export async function createAccounts(engine: Engine, teams: string[], accounts: Account[]): Promise<void> {
  const passwords = new Set(accounts.map((account) => account.password))
  if (passwords.size !== 1) throw new Error('createAccounts: the load test gives every coach the same password')
  const passwordHash = await hashPassword([...passwords][0]!)
  await withDatabase(engine, async (db) => {
    const teamIds = new Map<string, string>()
    for (const team of teams) teamIds.set(team, (await createTeam(db, team)).id)
    const rows = accounts.map((account) => ({
      id: randomUUID(),
      username: account.username,
      display_name: account.username,
      team_id: teamIds.get(account.team),
    }))
    await db.query(
      `INSERT INTO users (id, username, display_name, role, team_id, password_hash)
       SELECT x.id, x.username, x.display_name, 'coach', x.team_id, $2
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, username text, display_name text, team_id uuid)`,
      [JSON.stringify(rows), passwordHash],
    )
  })
}

/** One run of `server/main.ts`; `restart()` stops it (SIGTERM) and starts a new one on the same data. */
export class EndpointProcess {
  private child: ChildProcess | undefined
  private output: string[] = []
  /** Highest VmHWM (peak resident set) of every process this endpoint ran as, in bytes. */
  peakRssBytes = 0
  private rssTimer: NodeJS.Timeout | undefined
  private stopping = false
  starts = 0
  /** Errors the endpoint logged (behind its 5xx answers), by message. */
  readonly serverErrors = new Map<string, number>()
  /** Exits nobody asked for (a crash), with the end of the process's output. */
  readonly crashes: { at: number; code: number | null; signal: string | null; log: string }[] = []
  /** Called when the process exits without `stop()`: a supervisor (systemd, Docker) would restart it. */
  onCrash: (() => void) | undefined

  constructor(
    readonly engine: Engine,
    readonly port: number,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(this.port), HOST: '127.0.0.1' }
    delete env.DATABASE_URL
    delete env.DATA_DIR
    delete env.LOTSE_DEMO
    env.LOG_REQUESTS = '1'
    if (this.engine.kind === 'postgres') env.DATABASE_URL = this.engine.url
    else env.DATA_DIR = this.engine.dataDir
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    this.starts += 1
    // Request logging on, for the errors behind 5xx answers; request lines themselves are dropped.
    let partial = ''
    const keep = (chunk: Buffer) => {
      const at = new Date().toISOString().slice(11, 23)
      const lines = (partial + chunk.toString('utf8')).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines.filter(Boolean)) {
        if (line.startsWith('{')) {
          const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { type?: string; message?: string } }
          if ((entry.level ?? 0) < 50) continue
          const text = `${entry.msg ?? ''}: ${entry.err?.type ?? ''} ${entry.err?.message ?? ''}`.trim()
          this.serverErrors.set(text, (this.serverErrors.get(text) ?? 0) + 1)
          this.output.push(`${at} [${child.pid}] ${text}`)
        } else {
          this.output.push(`${at} [${child.pid}] ${line}`)
        }
      }
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200)
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    child.once('exit', (code, signal) => {
      if (this.stopping || this.child !== child) return
      clearInterval(this.rssTimer)
      this.child = undefined
      this.crashes.push({ at: Date.now(), code, signal, log: this.log() })
      this.onCrash?.()
    })
    const deadline = Date.now() + START_TIMEOUT_MS
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the endpoint exited while starting:\n${this.log()}`)
      if (Date.now() > deadline) throw new Error(`the endpoint did not answer within ${START_TIMEOUT_MS / 1000} s:\n${this.log()}`)
      const healthy = await fetch(`${this.baseUrl}/api/v1/health`, { signal: AbortSignal.timeout(2_000) })
        .then((response) => response.ok)
        .catch(() => false)
      if (healthy) break
      await sleep(100)
    }
    this.rssTimer = setInterval(() => void this.sampleRss(), 500)
    this.rssTimer.unref()
  }

  /** Peak RSS so far of the running process (VmHWM from /proc). */
  private async sampleRss(): Promise<void> {
    const pid = this.child?.pid
    if (pid === undefined) return
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '')
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status)
    if (match) this.peakRssBytes = Math.max(this.peakRssBytes, Number(match[1]) * 1024)
  }

  /** SIGTERM and wait for the exit: the server finishes requests in flight and releases DATA_DIR. */
  async stop(): Promise<number | null> {
    const child = this.child
    if (!child) return null
    await this.sampleRss()
    clearInterval(this.rssTimer)
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    this.stopping = true
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
      this.output.push(`${new Date().toISOString().slice(11, 23)} [${child.pid}] (SIGTERM sent)`)
      child.kill('SIGTERM')
      const code = await Promise.race([exited, sleep(STOP_TIMEOUT_MS).then(() => 'timeout' as const)])
      if (code === 'timeout') {
        this.output.push(`${new Date().toISOString().slice(11, 23)} [${child.pid}] (no exit ${STOP_TIMEOUT_MS / 1000} s after SIGTERM: ${await processState(child.pid!)}; SIGKILL)`)
        child.kill('SIGKILL')
        throw new Error(`the endpoint did not stop within ${STOP_TIMEOUT_MS / 1000} s after SIGTERM:\n${this.log()}`)
      }
      this.child = undefined
      return code
    } finally {
      this.stopping = false
    }
  }

  log(): string {
    return this.output.slice(-40).join('\n')
  }
}

/** What a process is doing, from /proc: its state, where it waits, its threads' states. */
async function processState(pid: number): Promise<string> {
  const read = (file: string) => readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '?')
  const state = /^State:\s+(.*)$/m.exec(await read('status'))?.[1] ?? '?'
  const wchan = (await read('wchan')).trim()
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[])
  const threads = await Promise.all(
    tasks.map(async (task) => {
      const stat = await readFile(`/proc/${pid}/task/${task}/stat`, 'utf8').catch(() => '')
      const name = /\((.*)\)/.exec(stat)?.[1] ?? '?'
      const threadState = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '?'
      const threadWchan = (await readFile(`/proc/${pid}/task/${task}/wchan`, 'utf8').catch(() => '?')).trim()
      return `${name}:${threadState}/${threadWchan}`
    }),
  )
  return `state ${state}, wchan ${wchan}, threads ${threads.join(' ')}`
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PostgresCluster {
  url: string
  dataDir: string
  stop(): Promise<void>
}

/** A throwaway cluster on 127.0.0.1 from scripts/ensure-postgres.mjs, owned by this process. */
export async function startPostgres(): Promise<PostgresCluster> {
  const { stdout } = await execFile(process.execPath, [ENSURE_POSTGRES, 'start', '--owner', String(process.pid)], {
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  })
  const cluster = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { url: string; dataDir: string }
  return {
    ...cluster,
    stop: async () => {
      await execFile(process.execPath, [ENSURE_POSTGRES, 'stop', cluster.dataDir], { timeout: 60_000 })
    },
  }
}

/**
 * The database goes away for `outageMs` and comes back, as when PostgreSQL restarts or the
 * network to it breaks: new connections to it are refused (`ALLOW_CONNECTIONS false`, from a
 * connection to the `postgres` database, as the cluster's superuser), every open one is
 * terminated, and after the outage connections are allowed again. The endpoint is not told: its
 * pool has to notice and reconnect by itself. Returns how many connections were dropped and how
 * many the endpoint held again a few seconds after the outage (it opens them on demand).
 */
export async function dropDatabaseConnections(url: string, outageMs: number): Promise<{ terminated: number; reconnected: number }> {
  const target = new URL(url)
  const database = decodeURIComponent(target.pathname.slice(1))
  const adminUrl = new URL(url)
  adminUrl.pathname = '/postgres'
  const admin = new pg.Client({ connectionString: adminUrl.href })
  await admin.connect()
  const quoted = `"${database.replaceAll('"', '""')}"`
  try {
    await admin.query(`ALTER DATABASE ${quoted} WITH ALLOW_CONNECTIONS false`)
    let terminated = 0
    try {
      const { rows } = await admin.query<{ terminated: boolean }>(
        'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [database],
      )
      terminated = rows.filter((row) => row.terminated).length
      await sleep(outageMs)
    } finally {
      await admin.query(`ALTER DATABASE ${quoted} WITH ALLOW_CONNECTIONS true`)
    }
    await sleep(3_000)
    const { rows } = await admin.query<{ count: number }>('SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = $1', [database])
    return { terminated, reconnected: rows[0]?.count ?? 0 }
  } finally {
    await admin.end()
  }
}

/** Drops every connection to the database except this one; returns how many were terminated. */
export async function terminateBackends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    )
    return rows.filter((row) => row.terminated).length
  } finally {
    await client.end()
  }
}
