import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { signIn } from '../../server/accounts/accounts'
import { EXIT_USAGE, parseAdminArgs } from '../../server/accounts/adminCommands'
import { ADMIN_COMMAND_PATH, startAdminListener, type AdminListener } from '../../server/accounts/adminListener'
import { openDatabase, type Database } from '../../server/db/database'
import {
  accessDataDirForAdmin,
  ADMIN_PID_FILE,
  ADMIN_SECRET_FILE,
  claimDataDirForServer,
  DataDirBusyError,
  SERVER_PID_FILE,
} from '../../server/db/dataDirOwner'
import { createPostgresDatabase, testDatabaseUrl } from './databases'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const PASSWORD = 'admin-test-passwort'
// Each CLI run starts Node with tsx and opens PGlite: seconds on a busy machine.
const CLI_TIMEOUT_MS = 120_000

interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** The environment of a child process: ours, minus anything that would pick another database. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, DATA_DIR: _dir, LOTSE_PASSWORD: _password, LOTSE_DEMO: _demo, ...rest } = process.env
  return { ...rest, ...extra }
}

/** `npm run admin -- …`, without npm: Node with the tsx loader, stdin closed (no terminal). */
function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/admin.ts', ...args],
      { cwd: repoRoot, env: childEnv(env), timeout: CLI_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

const tempDirs: string[] = []
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })))
})

describe('parseAdminArgs', () => {
  it('reads commands, positional arguments and options', () => {
    expect(parseAdminArgs(['user:add', 'anna', '--role', 'coach', '--team=Team Lemgo', '--name', 'Anna A'])).toEqual({
      ok: true,
      command: { name: 'user:add', username: 'anna', role: 'coach', teamName: 'Team Lemgo', displayName: 'Anna A' },
    })
    expect(parseAdminArgs(['assign', 'pate-1', 'm-1'])).toEqual({
      ok: true,
      command: { name: 'assign', username: 'pate-1', menteeId: 'm-1' },
    })
    expect(parseAdminArgs([])).toEqual({ ok: true, command: { name: 'help' } })
  })

  it('calls mistakes usage errors with a message', () => {
    for (const argv of [
      ['user:add', 'anna'],
      ['user:add', 'anna', '--role', 'boss'],
      ['user:add', 'anna', '--role'],
      ['user:add', 'anna', '--role', 'pate', '--password', 'x'],
      ['user:list', 'extra'],
      ['assign', 'pate-1'],
      ['frobnicate'],
    ]) {
      const parsed = parseAdminArgs(argv)
      expect(parsed.ok, argv.join(' ')).toBe(false)
      expect(parsed.ok === false && parsed.message.length).toBeGreaterThan(10)
    }
  })
})

describe('admin listener', () => {
  let db: Database
  let listener: AdminListener
  const secret = 'test-secret-test-secret-test-secret-1234567'

  beforeAll(async () => {
    db = await openDatabase({ inMemory: true })
    listener = await startAdminListener(db, secret)
  }, 60_000)
  afterAll(async () => {
    await listener?.close()
    await db?.close()
  })

  const post = (headers: Record<string, string>, body: unknown = { argv: ['team:add', 'Team Lemgo'] }) =>
    fetch(`http://127.0.0.1:${listener.port}${ADMIN_COMMAND_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    })

  it('answers 404 without the secret, with a wrong one, or through a proxy', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${secret}x` },
      { authorization: `Bearer ${secret}`, 'x-forwarded-for': '203.0.113.9' },
      { authorization: `Bearer ${secret}`, forwarded: 'for=203.0.113.9' },
    ]
    for (const headers of attempts) {
      const response = await post(headers)
      expect(response.status).toBe(404)
      expect(await response.json()).toEqual({ error: 'not_found' })
    }
    expect((await db.query('SELECT 1 FROM teams')).rows).toHaveLength(0)
  })

  it('runs a command for a loopback caller with the secret', async () => {
    const response = await post({ authorization: `Bearer ${secret}` })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ exitCode: 0, stdout: 'Created team Team Lemgo.\n', stderr: '' })

    const usage = await post({ authorization: `Bearer ${secret}` }, { argv: ['user:add', 'x', '--role', 'boss'] })
    expect(await usage.json()).toMatchObject({ exitCode: EXIT_USAGE, stderr: expect.stringContaining('Unknown role') })
    const malformed = await post({ authorization: `Bearer ${secret}` }, { argv: 'team:add' })
    expect(malformed.status).toBe(400)
  })

  it('listens on 127.0.0.1 only', async () => {
    const nonLoopback = Object.values(os.networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal)
    if (!nonLoopback) return // a machine without a network: nothing else to try
    await expect(
      fetch(`http://${nonLoopback.address}:${listener.port}${ADMIN_COMMAND_PATH}`, { method: 'POST' }),
    ).rejects.toThrow()
  })
})

describe('data directory ownership', () => {
  let dataDir: string
  let sleeper: ChildProcess | undefined
  beforeEach(async () => {
    dataDir = await tempDir('lotse-owner-test-')
  })
  afterEach(() => {
    sleeper?.kill()
    sleeper = undefined
  })

  /** A process that stays alive: what a running server or admin command looks like from outside. */
  function otherLiveProcess(): number {
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
    return sleeper.pid!
  }

  it('gives the directory to one server, publishes its ports and secret, and cleans up', async () => {
    const claim = await claimDataDirForServer(dataDir)
    await claim.publish({ port: 8080, adminPort: 9999 }, 'geheim')
    expect(JSON.parse(await readFile(path.join(dataDir, SERVER_PID_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
      port: 8080,
      adminPort: 9999,
    })
    expect((await stat(path.join(dataDir, ADMIN_SECRET_FILE))).mode & 0o777).toBe(0o600)
    await claim.release()
    expect(existsSync(path.join(dataDir, SERVER_PID_FILE))).toBe(false)
    expect(existsSync(path.join(dataDir, ADMIN_SECRET_FILE))).toBe(false)
  })

  it('refuses a second server while the first one runs, and ignores a crashed one', async () => {
    const pid = otherLiveProcess()
    await writeFile(path.join(dataDir, SERVER_PID_FILE), JSON.stringify({ pid, startedAt: 'x' }))
    await expect(claimDataDirForServer(dataDir)).rejects.toBeInstanceOf(DataDirBusyError)

    sleeper!.kill()
    await once(sleeper!, 'exit')
    const claim = await claimDataDirForServer(dataDir)
    await claim.release()
  })

  it('sends the admin CLI to a running server, or lets it open the directory itself', async () => {
    const pid = otherLiveProcess()
    await writeFile(path.join(dataDir, ADMIN_SECRET_FILE), 'geheim\n')
    await writeFile(path.join(dataDir, SERVER_PID_FILE), JSON.stringify({ pid, startedAt: 'x', port: 1, adminPort: 2 }))
    expect(await accessDataDirForAdmin(dataDir)).toEqual({ kind: 'server', adminPort: 2, secret: 'geheim', pid })

    sleeper!.kill()
    await once(sleeper!, 'exit')
    const access = await accessDataDirForAdmin(dataDir)
    expect(access.kind).toBe('direct')
    expect(existsSync(path.join(dataDir, ADMIN_PID_FILE))).toBe(true)
    if (access.kind === 'direct') await access.release()
    expect(existsSync(path.join(dataDir, ADMIN_PID_FILE))).toBe(false)
  })

  it('makes a starting server wait for a running admin command', async () => {
    const pid = otherLiveProcess()
    await writeFile(path.join(dataDir, ADMIN_PID_FILE), JSON.stringify({ pid, startedAt: 'x' }))
    await expect(claimDataDirForServer(dataDir, 300)).rejects.toThrow(/admin command kept/)
    setTimeout(() => sleeper?.kill(), 200)
    const claim = await claimDataDirForServer(dataDir, 10_000)
    await claim.release()
  })
})

describe('admin CLI on PGlite', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await tempDir('lotse-admin-cli-')
  })

  it('adds a user with the password from LOTSE_PASSWORD and lists it without the password', async () => {
    const added = await runCli(['user:add', 'anna.k', '--role', 'coordinator', '--name', 'Anna K.'], {
      DATA_DIR: dataDir,
      LOTSE_PASSWORD: PASSWORD,
    })
    expect(added).toMatchObject({ code: 0, stdout: 'Created coordinator anna.k (Anna K.).\n' })
    const listed = await runCli(['user:list'], { DATA_DIR: dataDir })
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(/anna\.k\s+coordinator\s+-\s+active\s+0\s+Anna K\./)
    for (const output of [added.stdout, added.stderr, listed.stdout, listed.stderr]) {
      expect(output).not.toContain(PASSWORD)
      expect(output).not.toContain('scrypt')
    }
    expect(existsSync(path.join(dataDir, ADMIN_PID_FILE))).toBe(false)
  }, CLI_TIMEOUT_MS)

  it('exits 2 with a message for a bad role, 1 for a failed command, 0 for help', async () => {
    const badRole = await runCli(['user:add', 'bert', '--role', 'boss'], { DATA_DIR: dataDir, LOTSE_PASSWORD: PASSWORD })
    expect(badRole.code).toBe(2)
    expect(badRole.stderr).toContain('Unknown role "boss"; use one of: coordinator, coach, pate, guide.')

    const noPassword = await runCli(['user:add', 'bert', '--role', 'pate'], { DATA_DIR: dataDir })
    expect(noPassword.code).toBe(1)
    expect(noPassword.stderr).toMatch(/no terminal .* LOTSE_PASSWORD/)

    const shortPassword = await runCli(['user:add', 'bert', '--role', 'pate'], { DATA_DIR: dataDir, LOTSE_PASSWORD: 'kurz' })
    expect(shortPassword.code).toBe(1)
    expect(shortPassword.stderr).toContain('at least 10 characters')

    const noTeam = await runCli(['user:add', 'bert', '--role', 'coach'], { DATA_DIR: dataDir, LOTSE_PASSWORD: PASSWORD })
    expect(noTeam).toMatchObject({ code: 1, stderr: expect.stringContaining('coach needs a team') })

    const help = await runCli(['help'], { DATA_DIR: dataDir })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('user:add <username> --role <role>')
  }, CLI_TIMEOUT_MS)
})

describe.skipIf(!testDatabaseUrl())('admin CLI on PostgreSQL', () => {
  let target: Awaited<ReturnType<typeof createPostgresDatabase>>
  beforeAll(async () => {
    target = await createPostgresDatabase(testDatabaseUrl())
  })
  afterAll(async () => {
    await target?.drop()
  })

  it('connects directly with DATABASE_URL', async () => {
    const env = { DATABASE_URL: target.url }
    expect(await runCli(['team:add', 'Team Essen'], env)).toMatchObject({ code: 0 })
    expect(
      await runCli(['user:add', 'coach.essen', '--role', 'coach', '--team', 'Team Essen'], { ...env, LOTSE_PASSWORD: PASSWORD }),
    ).toMatchObject({ code: 0, stdout: 'Created coach coach.essen (coach.essen, team Team Essen).\n' })
    const listed = await runCli(['user:list'], env)
    expect(listed.stdout).toMatch(/coach\.essen\s+coach\s+Team Essen\s+active/)
    const badRole = await runCli(['user:add', 'x', '--role', 'boss'], env)
    expect(badRole.code).toBe(2)
  }, CLI_TIMEOUT_MS)
})

describe('admin CLI while the server runs on the same PGlite directory', () => {
  let dataDir: string
  let server: ChildProcess
  let serverOutput = ''

  beforeAll(async () => {
    dataDir = await tempDir('lotse-admin-live-')
    server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: repoRoot,
      env: childEnv({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', DIST_DIR: path.join(dataDir, 'no-dist') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    server.stdout!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()))
    server.stderr!.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()))
    const deadline = Date.now() + CLI_TIMEOUT_MS
    while (!serverOutput.includes('Lotse is running at')) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`The server did not start:\n${serverOutput}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }, CLI_TIMEOUT_MS)

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM')
      await once(server, 'exit')
    }
  })

  it('tells on start how to create the first coordinator', () => {
    expect(serverOutput).toContain('npm run admin -- user:add <name> --role coordinator')
  })

  it('carries out the commands through the server', async () => {
    const owner = JSON.parse(await readFile(path.join(dataDir, SERVER_PID_FILE), 'utf8')) as { pid: number; adminPort: number }
    expect(owner.pid).toBe(server.pid)
    expect(owner.adminPort).toBeGreaterThan(0)

    const added = await runCli(['user:add', 'live.user', '--role', 'pate'], { DATA_DIR: dataDir, LOTSE_PASSWORD: PASSWORD })
    expect(added).toMatchObject({ code: 0, stdout: 'Created pate live.user (live.user).\n' })
    const listed = await runCli(['user:list'], { DATA_DIR: dataDir })
    expect(listed.stdout).toMatch(/live\.user\s+pate/)
    const badRole = await runCli(['user:add', 'x', '--role', 'boss'], { DATA_DIR: dataDir, LOTSE_PASSWORD: PASSWORD })
    expect(badRole.code).toBe(2)
    // The CLI never opened the directory itself.
    expect(existsSync(path.join(dataDir, ADMIN_PID_FILE))).toBe(false)
    expect(serverOutput).not.toContain(PASSWORD)
  }, CLI_TIMEOUT_MS)

  it('keeps a second server off the directory', async () => {
    const second = await new Promise<CliResult>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'server/main.ts'],
        { cwd: repoRoot, env: childEnv({ DATA_DIR: dataDir, PORT: '0' }), timeout: CLI_TIMEOUT_MS },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      )
    })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`Another Lotse server (pid ${server.pid})`)
  }, CLI_TIMEOUT_MS)

  it('leaves the users in the directory for after the server stopped', async () => {
    server.kill('SIGTERM')
    const [exitCode] = (await once(server, 'exit')) as [number | null]
    expect(exitCode).toBe(0)
    expect(existsSync(path.join(dataDir, SERVER_PID_FILE))).toBe(false)
    expect(existsSync(path.join(dataDir, ADMIN_SECRET_FILE))).toBe(false)

    const db = await openDatabase({ dataDir })
    try {
      const result = await signIn(db, { username: 'live.user', password: PASSWORD, deviceName: 'Test', address: '127.0.0.1' })
      expect(result).toMatchObject({ ok: true, user: { username: 'live.user', role: 'pate' } })
    } finally {
      await db.close()
    }
  }, CLI_TIMEOUT_MS)
})
