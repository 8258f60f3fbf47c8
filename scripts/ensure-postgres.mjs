// A throwaway PostgreSQL cluster for the server tests, so every database test also runs on the
// engine production deployments use. Plain Node so it runs before anything is compiled.
//
//   node scripts/ensure-postgres.mjs start [--owner <pid>]
//                                            initdb + start on 127.0.0.1 and a free port; prints
//                                            one JSON line {"url", "dataDir"} on stdout. The
//                                            cluster belongs to process <pid> (default: the
//                                            caller); a later start stops it once that is gone.
//   node scripts/ensure-postgres.mjs stop <dataDir>
//                                            stops that cluster and deletes its directory
//   node scripts/ensure-postgres.mjs which   prints the directory of the server binaries
//
// The binaries come from /usr/lib/postgresql/<version>/bin (Debian) or PATH; when they are missing
// and this runs as root, `apt-get install postgresql` fetches them. PostgreSQL refuses to run as
// root, so then the cluster belongs to the `postgres` system user (created by that package) and
// its commands run through `runuser`. Logs go to stderr; stdout carries only the JSON answer.
import { execFile as execFileCallback, spawn } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'

const execFile = promisify(execFileCallback)

const TEST_DATABASE = 'lotse_test'
const CLUSTER_USER = 'postgres'
const TEMP_PREFIX = 'lotse-test-pg-'
/** Next to each cluster directory (initdb wants an empty one): the pid of the run it belongs to. */
const OWNER_SUFFIX = '.owner'
/** A cluster directory without an owner file and older than this is left over from a crash. */
const UNOWNED_MAX_AGE_MS = 60 * 60 * 1000

const log = (message) => process.stderr.write(`[ensure-postgres] ${message}\n`)
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0

function versionOf(directoryName) {
  return Number.parseFloat(directoryName) || 0
}

/** The directory holding initdb and pg_ctl, or undefined. Newest Debian version first, then PATH. */
export function findPostgresBinDir() {
  const debianRoot = '/usr/lib/postgresql'
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot).sort((a, b) => versionOf(b) - versionOf(a))
    for (const version of versions) {
      const binDir = path.join(debianRoot, version, 'bin')
      if (existsSync(path.join(binDir, 'initdb')) && existsSync(path.join(binDir, 'pg_ctl'))) return binDir
    }
  }
  for (const directory of (process.env.PATH ?? '').split(path.delimiter)) {
    if (directory && existsSync(path.join(directory, 'initdb')) && existsSync(path.join(directory, 'pg_ctl'))) {
      return directory
    }
  }
  return undefined
}

function runInherited(command, args, env) {
  return new Promise((resolve) => {
    // stdout of apt would corrupt our JSON answer: send everything to stderr.
    const child = spawn(command, args, { stdio: ['ignore', process.stderr, process.stderr], env: { ...process.env, ...env } })
    child.on('error', () => resolve(1))
    child.on('exit', (code) => resolve(code ?? 1))
  })
}

/** Finds the server binaries, installing Debian's postgresql package when root may do so. */
export async function ensurePostgresBinaries() {
  const found = findPostgresBinDir()
  if (found) return found
  if (!isRoot()) {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) were not found, and only root may install them: ' +
      'run `sudo apt-get install -y postgresql` or set TEST_DATABASE_URL')
  }
  const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' }
  log('PostgreSQL server binaries not found; running apt-get install -y postgresql')
  if ((await runInherited('apt-get', ['install', '-y', 'postgresql'], aptEnv)) !== 0) {
    log('apt-get install failed; refreshing the package lists and trying again')
    await runInherited('apt-get', ['update'], aptEnv)
    if ((await runInherited('apt-get', ['install', '-y', 'postgresql'], aptEnv)) !== 0) {
      throw new Error('apt-get install -y postgresql failed (see the apt output above)')
    }
  }
  const installed = findPostgresBinDir()
  if (!installed) throw new Error('postgresql was installed but initdb/pg_ctl are still not found')
  return installed
}

/** Runs a PostgreSQL binary as the cluster's owner: the postgres user when we are root. */
async function runPostgresCommand(binDir, command, args) {
  const executable = path.join(binDir, command)
  const [file, fullArgs] = isRoot()
    ? ['runuser', ['-u', CLUSTER_USER, '--', executable, ...args]]
    : [executable, args]
  try {
    return await execFile(file, fullArgs, { cwd: os.tmpdir(), maxBuffer: 16 * 1024 * 1024 })
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim()
    throw new Error(`${command} failed: ${output || error.message}`, { cause: error })
  }
}

async function ownerIds() {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
    execFile('id', ['-u', CLUSTER_USER]),
    execFile('id', ['-g', CLUSTER_USER]),
  ])
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function createTestDatabase(port) {
  const client = new pg.Client({ host: '127.0.0.1', port, user: CLUSTER_USER, database: 'postgres' })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${TEST_DATABASE}`)
  } finally {
    await client.end()
  }
}

function isProcessAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return error.code === 'EPERM'
  }
}

/**
 * Stops and deletes clusters of earlier test runs that died without their teardown (a killed
 * vitest), so they do not pile up as running servers. Clusters of live runs are left alone.
 */
export async function removeOrphanedClusters() {
  for (const entry of readdirSync(os.tmpdir())) {
    if (!entry.startsWith(TEMP_PREFIX) || entry.endsWith(OWNER_SUFFIX)) continue
    const dataDir = path.join(os.tmpdir(), entry)
    const ownerText = await readFile(`${dataDir}${OWNER_SUFFIX}`, 'utf8').catch(() => undefined)
    if (ownerText === undefined) {
      const age = Date.now() - (statSync(dataDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now())
      if (age < UNOWNED_MAX_AGE_MS) continue
    } else {
      const owner = Number(ownerText.trim())
      if (Number.isInteger(owner) && owner > 0 && isProcessAlive(owner)) continue
    }
    log(`removing the orphaned test cluster ${dataDir}`)
    await stopTemporaryPostgres(dataDir).catch((error) => log(`could not remove ${dataDir}: ${error.message}`))
  }
}

/** initdb + start a cluster on 127.0.0.1; resolves with its URL and data directory. */
export async function startTemporaryPostgres(ownerPid = process.ppid) {
  const binDir = await ensurePostgresBinaries()
  await removeOrphanedClusters()
  const dataDir = await mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX))
  await writeFile(`${dataDir}${OWNER_SUFFIX}`, `${ownerPid}\n`)
  try {
    if (isRoot()) {
      const { uid, gid } = await ownerIds()
      await chown(dataDir, uid, gid)
    }
    await chmod(dataDir, 0o700)
    log(`initdb in ${dataDir} (binaries in ${binDir})`)
    // Trust is safe here: the cluster listens on 127.0.0.1 only and lives as long as the test run.
    await runPostgresCommand(binDir, 'initdb', [
      '-D', dataDir, '-U', CLUSTER_USER, '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync',
    ])
    let lastError
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const port = await freePort()
      const serverOptions = [
        `-p ${port}`,
        '-c listen_addresses=127.0.0.1',
        `-c unix_socket_directories=${dataDir}`,
        // Test data is thrown away: durability only costs time.
        '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off',
        // Each test database is a pool of up to 10 connections, several per test file.
        '-c max_connections=300',
      ].join(' ')
      try {
        await runPostgresCommand(binDir, 'pg_ctl', [
          '-D', dataDir, '-o', serverOptions, '-l', path.join(dataDir, 'server.log'), '-w', '-t', '60', 'start',
        ])
        await createTestDatabase(port)
        return { url: `postgres://${CLUSTER_USER}@127.0.0.1:${port}/${TEST_DATABASE}`, dataDir }
      } catch (error) {
        // Most likely the port was taken between freePort() and the start: try another one.
        lastError = error
        await stopTemporaryPostgres(dataDir, { keepDirectory: true }).catch(() => undefined)
      }
    }
    throw lastError
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true }).catch(() => undefined)
    await rm(`${dataDir}${OWNER_SUFFIX}`, { force: true }).catch(() => undefined)
    throw error
  }
}

/** Stops the cluster in `dataDir` (immediately: its data is disposable) and deletes the directory. */
export async function stopTemporaryPostgres(dataDir, { keepDirectory = false } = {}) {
  if (!path.basename(dataDir).startsWith(TEMP_PREFIX)) {
    throw new Error(`Refusing to stop or delete ${dataDir}: not a temporary test cluster`)
  }
  const binDir = findPostgresBinDir()
  if (binDir && existsSync(path.join(dataDir, 'postmaster.pid'))) {
    await runPostgresCommand(binDir, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop'])
  }
  if (!keepDirectory) {
    await rm(dataDir, { recursive: true, force: true })
    await rm(`${dataDir}${OWNER_SUFFIX}`, { force: true })
  }
}

async function main(argv) {
  const [command, argument] = argv
  if (command === 'start') {
    const owner = argument === '--owner' ? Number(argv[2]) : process.ppid
    process.stdout.write(`${JSON.stringify(await startTemporaryPostgres(owner))}\n`)
  } else if (command === 'stop' && argument) {
    await stopTemporaryPostgres(path.resolve(argument))
  } else if (command === 'which') {
    process.stdout.write(`${await ensurePostgresBinaries()}\n`)
  } else {
    process.stderr.write('usage: node scripts/ensure-postgres.mjs start | stop <dataDir> | which\n')
    process.exit(2)
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`[ensure-postgres] ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  })
}
