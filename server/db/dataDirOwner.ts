/**
 * Who may open a PGlite data directory. PGlite is PostgreSQL in one process without a lock of its
 * own: two processes opening the same directory both "work", and one of them silently loses its
 * writes (tried with PGlite 0.5: of 300 rows one process inserted while another had the
 * directory open, 73 were left). So exactly one process opens it at a time:
 *
 * - The server writes `server.pid` (its pid, and once listening its ports) and keeps it while it
 *   runs. A second server on the same directory refuses to start.
 * - The admin CLI, finding a live server, does not open the directory: it sends its command to
 *   the server's loopback admin listener, authenticated with the secret in `admin.secret`
 *   (mode 0600, new on every start). Without a server it writes `admin.pid`, opens the directory
 *   itself for the one command, and removes the file; a server starting meanwhile waits for it.
 *
 * Both files are created atomically with their full content (written aside, then hard-linked into
 * place, which fails when the name exists), so a reader never sees half a file, and each side
 * checks for the other after creating its own, so two racing processes cannot both go ahead.
 * A file whose process no longer runs (a crash) is stale and removed.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import path from 'node:path'

export const SERVER_PID_FILE = 'server.pid'
export const ADMIN_PID_FILE = 'admin.pid'
export const ADMIN_SECRET_FILE = 'admin.secret'

const POLL_MS = 100

export interface OwnerRecord {
  pid: number
  startedAt: string
  /** The server's public port, once it listens. */
  port?: number
  /** The server's loopback-only admin port, once it listens. */
  adminPort?: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function isProcessAlive(pid: number): boolean {
  // Our own pid in a file means a crashed predecessor that had it (a restarted container).
  if (pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function parseOwnerRecord(text: string): OwnerRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<OwnerRecord>
    return typeof value.pid === 'number' && Number.isInteger(value.pid) && value.pid > 0
      ? (value as OwnerRecord)
      : undefined
  } catch {
    return undefined
  }
}

async function writeFileAside(target: string, content: string, mode: number): Promise<string> {
  const aside = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  await writeFile(aside, content, { mode, flag: 'wx' })
  return aside
}

/** Creates `target` with `content` unless it exists; true when created. */
async function createExclusively(target: string, content: string): Promise<boolean> {
  const aside = await writeFileAside(target, content, 0o644)
  try {
    await link(aside, target)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  } finally {
    await unlink(aside).catch(() => undefined)
  }
}

/** Replaces `target` atomically (readers see the old or the new content, never a mix). */
async function replaceFile(target: string, content: string, mode = 0o644): Promise<void> {
  const aside = await writeFileAside(target, content, mode)
  await rename(aside, target)
}

async function unlinkIfExists(file: string): Promise<void> {
  await unlink(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
}

/** The record in `file` when its process runs; removes the file when it is stale. */
export async function readLiveOwner(dataDir: string, file: string): Promise<OwnerRecord | undefined> {
  const filePath = path.join(dataDir, file)
  let text: string
  try {
    text = await readFile(filePath, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const record = parseOwnerRecord(text)
  if (record && isProcessAlive(record.pid)) return record
  // Only remove what we judged: another process may have replaced it in the meantime.
  const again = await readFile(filePath, 'utf8').catch(() => undefined)
  if (again === text) await unlinkIfExists(filePath)
  return undefined
}

async function removeIfOurs(filePath: string): Promise<void> {
  const text = await readFile(filePath, 'utf8').catch(() => undefined)
  if (text !== undefined && parseOwnerRecord(text)?.pid === process.pid) await unlinkIfExists(filePath)
}

function newRecord(): OwnerRecord {
  return { pid: process.pid, startedAt: new Date().toISOString() }
}

// ---------------------------------------------------------------------------------------------
// The server's side

export interface ServerClaim {
  /** Publishes the listening ports and the admin secret, so the admin CLI can reach the server. */
  publish(ports: { port: number; adminPort: number }, adminSecret: string): Promise<void>
  /** Removes `server.pid` and `admin.secret`. */
  release(): Promise<void>
}

export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError'
}

/**
 * Claims `dataDir` for this server process. Fails at once when another live server holds it;
 * waits up to `waitMs` for a running admin command to finish.
 */
export async function claimDataDirForServer(dataDir: string, waitMs = 30_000): Promise<ServerClaim> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const serverPidPath = path.join(dataDir, SERVER_PID_FILE)
  const secretPath = path.join(dataDir, ADMIN_SECRET_FILE)
  const record = newRecord()
  const deadline = Date.now() + waitMs

  for (;;) {
    if (await createExclusively(serverPidPath, JSON.stringify(record))) {
      if ((await readLiveOwner(dataDir, ADMIN_PID_FILE)) === undefined) break
      // An admin command has the directory open: step back so it can finish, then try again.
      await unlinkIfExists(serverPidPath)
    } else {
      const other = await readLiveOwner(dataDir, SERVER_PID_FILE)
      if (other) {
        throw new DataDirBusyError(
          `Another Lotse server (pid ${other.pid}) is using ${dataDir}. Stop it first, or give this one ` +
            'its own DATA_DIR.',
        )
      }
      continue // it was stale and is gone now
    }
    if (Date.now() > deadline) {
      throw new DataDirBusyError(`An admin command kept ${dataDir} busy for more than ${waitMs / 1000} s.`)
    }
    await sleep(POLL_MS)
  }

  return {
    async publish(ports, adminSecret) {
      // The secret first: a CLI that sees the ports must find the secret.
      await replaceFile(secretPath, `${adminSecret}\n`, 0o600)
      await replaceFile(serverPidPath, JSON.stringify({ ...record, ...ports }))
    },
    async release() {
      // The secret only ever belongs to the server holding server.pid, which is this one.
      await unlinkIfExists(secretPath)
      await removeIfOurs(serverPidPath)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The admin CLI's side

export type AdminAccess =
  | { kind: 'server'; adminPort: number; secret: string; pid: number }
  | { kind: 'direct'; release: () => Promise<void> }

/**
 * How the admin CLI reaches the data in `dataDir`: through the running server, or directly (then
 * holding `admin.pid` until `release`). Waits up to `waitMs` for a starting server to listen or
 * for another admin command to finish.
 */
export async function accessDataDirForAdmin(
  dataDir: string,
  options: { waitMs?: number; onWait?: (reason: string) => void } = {},
): Promise<AdminAccess> {
  const waitMs = options.waitMs ?? 60_000
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const adminPidPath = path.join(dataDir, ADMIN_PID_FILE)
  const deadline = Date.now() + waitMs
  let toldWhy = ''
  const wait = async (reason: string) => {
    if (Date.now() > deadline) throw new DataDirBusyError(`Gave up after ${waitMs / 1000} s: ${reason}.`)
    if (reason !== toldWhy) options.onWait?.(reason)
    toldWhy = reason
    await sleep(POLL_MS)
  }

  for (;;) {
    const server = await readLiveOwner(dataDir, SERVER_PID_FILE)
    if (server) {
      if (server.adminPort === undefined) {
        await wait('the Lotse server is still starting')
        continue
      }
      const secret = (await readFile(path.join(dataDir, ADMIN_SECRET_FILE), 'utf8').catch(() => '')).trim()
      if (secret === '') {
        await wait('the Lotse server has not written its admin secret yet')
        continue
      }
      return { kind: 'server', adminPort: server.adminPort, secret, pid: server.pid }
    }

    if (!(await createExclusively(adminPidPath, JSON.stringify(newRecord())))) {
      if (await readLiveOwner(dataDir, ADMIN_PID_FILE)) await wait('another admin command is running')
      continue
    }
    if (await readLiveOwner(dataDir, SERVER_PID_FILE)) {
      // A server started at the same moment: let it have the directory and go through it.
      await unlinkIfExists(adminPidPath)
      continue
    }
    return { kind: 'direct', release: () => removeIfOurs(adminPidPath) }
  }
}
