/**
 * The administration CLI: `npm run admin -- <command>` (see `USAGE` or `npm run admin -- help`).
 *
 * On PostgreSQL (DATABASE_URL) it connects directly. On PGlite (DATA_DIR) only one process may
 * open the directory: when a Lotse server holds it, the command is carried out by that server over
 * its loopback admin listener; otherwise the CLI opens the directory itself for the one command.
 * See "Administration" in server/SYNC.md. Passwords and tokens are never printed.
 */
import { ADMIN_COMMAND_PATH, type AdminCommandRequest } from './accounts/adminListener'
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  parseAdminArgs,
  runAdminCommand,
  USAGE,
  type AdminCommand,
  type CommandOutcome,
} from './accounts/adminCommands'
import { passwordProblem } from './accounts/accounts'
import { databaseOptionsFromEnv, openDatabase, type DatabaseOptions } from './db/database'
import { accessDataDirForAdmin } from './db/dataDirOwner'

const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const BACKSPACE = ['\u007f', '\b']

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message)
  }
}

/** Reads a line from the terminal without echoing it. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  process.stderr.write(prompt)
  return new Promise((resolve, reject) => {
    let typed = ''
    const finish = () => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.off('data', onData)
      process.stderr.write('\n')
    }
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === CTRL_D) {
          finish()
          resolve(typed)
          return
        }
        if (char === CTRL_C) {
          finish()
          reject(new CliError('Cancelled.', 130))
          return
        }
        if (BACKSPACE.includes(char)) typed = [...typed].slice(0, -1).join('')
        else typed += char
      }
    }
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on('data', onData)
  })
}

/** The new user's password: LOTSE_PASSWORD, or typed twice at a hidden prompt. */
async function obtainPassword(): Promise<string> {
  const fromEnv = process.env.LOTSE_PASSWORD
  let password: string
  if (fromEnv !== undefined && fromEnv !== '') {
    password = fromEnv
  } else if (process.stdin.isTTY) {
    password = await readHidden('Password for the new user: ')
    const repeated = await readHidden('The same password again: ')
    if (password !== repeated) throw new CliError('The two passwords differ; nothing was created.')
  } else {
    throw new CliError(
      'user:add needs a password: no terminal is attached to ask for one, so set LOTSE_PASSWORD ' +
        '(e.g. LOTSE_PASSWORD=… npm run admin -- user:add …).',
    )
  }
  const problem = passwordProblem(password)
  if (problem) throw new CliError(`${problem} Nothing was created.`)
  return password
}

async function runDirectly(options: DatabaseOptions, command: AdminCommand, password?: string): Promise<CommandOutcome> {
  const db = await openDatabase(options)
  try {
    return await runAdminCommand(db, command, password === undefined ? {} : { password })
  } finally {
    await db.close()
  }
}

async function runThroughServer(
  access: { adminPort: number; secret: string; pid: number },
  argv: string[],
  password?: string,
): Promise<CommandOutcome> {
  const body: AdminCommandRequest = password === undefined ? { argv } : { argv, password }
  let response: Response
  try {
    response = await fetch(`http://127.0.0.1:${access.adminPort}${ADMIN_COMMAND_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${access.secret}` },
      body: JSON.stringify(body),
    })
  } catch {
    throw new CliError(
      `The Lotse server (pid ${access.pid}) holds the data directory but its admin listener on ` +
        `127.0.0.1:${access.adminPort} does not answer. Is it shutting down? Try again in a moment.`,
    )
  }
  if (!response.ok) {
    throw new CliError(
      `The Lotse server (pid ${access.pid}) refused the command (HTTP ${response.status}). ` +
        'Run this as the user that started the server, so its admin.secret is readable.',
    )
  }
  return (await response.json()) as CommandOutcome
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseAdminArgs(argv)
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n\n${USAGE}`)
    return EXIT_USAGE
  }
  const { command } = parsed
  if (command.name === 'help') {
    process.stdout.write(USAGE)
    return EXIT_OK
  }

  const password = command.name === 'user:add' ? await obtainPassword() : undefined
  const options = databaseOptionsFromEnv()
  let outcome: CommandOutcome
  if (options.dataDir === undefined) {
    outcome = await runDirectly(options, command, password)
  } else {
    const access = await accessDataDirForAdmin(options.dataDir, {
      onWait: (reason) => process.stderr.write(`Waiting: ${reason}…\n`),
    })
    if (access.kind === 'server') {
      outcome = await runThroughServer(access, argv, password)
    } else {
      try {
        outcome = await runDirectly(options, command, password)
      } finally {
        await access.release()
      }
    }
  }
  process.stdout.write(outcome.stdout)
  process.stderr.write(outcome.stderr)
  return outcome.exitCode
}

main(process.argv.slice(2)).then(
  (exitCode) => {
    process.exitCode = exitCode
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`)
      process.exitCode = error.exitCode
      return
    }
    process.stderr.write(`The command failed: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = EXIT_FAILED
  },
)
