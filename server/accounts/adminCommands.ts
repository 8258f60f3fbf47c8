/**
 * The administration commands: parsed from a command line, run against a database, answered as
 * text with an exit code. The CLI (`server/admin.ts`) runs them directly, or, while a server holds
 * the PGlite directory, the server runs them for it (`adminListener.ts`); either way through here.
 */
import { ROLES, type Role } from '../../src/shared/protocol'
import type { Database } from '../db/database'
import {
  AccountError,
  assign,
  createTeam,
  createUser,
  disableUser,
  isRole,
  listDevices,
  listTeams,
  listUsers,
  revokeDevice,
  share,
  unassign,
  unshare,
  type AccessChange,
  type DeviceSummary,
} from './accounts'

export const EXIT_OK = 0
export const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export type AccessCommandName = 'assign' | 'unassign' | 'share' | 'unshare'

export type AdminCommand =
  | { name: 'help' }
  | { name: 'user:add'; username: string; role: Role; teamName?: string; displayName?: string }
  | { name: 'user:list' }
  | { name: 'user:disable'; username: string }
  | { name: 'device:list'; username: string }
  | { name: 'device:revoke'; deviceId: string }
  | { name: 'team:add'; teamName: string }
  | { name: 'team:list' }
  | { name: AccessCommandName; username: string; menteeId: string }

export type ParsedCommand = { ok: true; command: AdminCommand } | { ok: false; message: string }

export interface CommandOutcome {
  exitCode: typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_USAGE
  stdout: string
  stderr: string
}

export const USAGE = `Usage: npm run admin -- <command> [arguments]

Commands:
  user:add <username> --role <role> [--team <team>] [--name <display name>]
                                   create a user. Roles: ${ROLES.join(', ')};
                                   a coach needs --team. The password comes from LOTSE_PASSWORD,
                                   or is asked for twice when a terminal is attached.
  user:list                        list users (never passwords)
  user:disable <username>          disable a user and revoke all their devices
  device:list <username>           list a user's devices (one per sign-in)
  device:revoke <deviceId>         sign a device out for good: it must sign in again
  team:add <name>                  create a team
  team:list                        list teams
  assign <username> <menteeId>     make a Pate the mentor of a mentee
  unassign <username> <menteeId>   end that (and its share)
  share <username> <menteeId>      let an assigned Pate see residence status and permit expiry
  unshare <username> <menteeId>    take that back
  help                             show this text

Where the data is: DATABASE_URL (PostgreSQL), else DATA_DIR (PGlite, default ./data). While a
Lotse server runs on the same DATA_DIR, commands are carried out by that server.
Exit codes: 0 done, 1 failed, 2 wrong usage.
`

const ACCESS_COMMANDS: readonly AccessCommandName[] = ['assign', 'unassign', 'share', 'unshare']
const OPTIONS_OF_USER_ADD = new Set(['role', 'team', 'name'])

interface SplitArguments {
  positional: string[]
  options: Map<string, string>
}

function splitArguments(args: readonly string[]): SplitArguments | string {
  const positional: string[] = []
  const options = new Map<string, string>()
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!
    if (!arg.startsWith('--')) {
      positional.push(arg)
      continue
    }
    const equals = arg.indexOf('=')
    const name = arg.slice(2, equals === -1 ? undefined : equals)
    let value: string | undefined
    if (equals !== -1) {
      value = arg.slice(equals + 1)
    } else {
      value = args[index + 1]
      index += 1
    }
    if (value === undefined || value.startsWith('--')) return `--${name} needs a value.`
    if (options.has(name)) return `--${name} is given twice.`
    options.set(name, value)
  }
  return { positional, options }
}

function expectPositional(
  command: string,
  positional: string[],
  names: readonly string[],
): string[] | string {
  if (positional.length !== names.length) {
    const shape = names.map((name) => `<${name}>`).join(' ')
    return `${command} takes ${names.length === 0 ? 'no arguments' : shape}.`
  }
  return positional
}

/** Parses `argv` (without node and script). Mistakes are usage errors (exit code 2). */
export function parseAdminArgs(argv: readonly string[]): ParsedCommand {
  const [name, ...rest] = argv
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    return { ok: true, command: { name: 'help' } }
  }
  const split = splitArguments(rest)
  if (typeof split === 'string') return { ok: false, message: split }
  const { positional, options } = split
  const noOptions = (): string | undefined =>
    options.size > 0 ? `${name} takes no options (--${[...options.keys()][0]}).` : undefined

  const fail = (message: string): ParsedCommand => ({ ok: false, message })
  const single = (argName: string): string | string[] => noOptions() ?? expectPositional(name, positional, [argName])

  switch (name) {
    case 'user:add': {
      const unknown = [...options.keys()].find((option) => !OPTIONS_OF_USER_ADD.has(option))
      if (unknown) return fail(`user:add does not know --${unknown}.`)
      const args = expectPositional(name, positional, ['username'])
      if (typeof args === 'string') return fail(args)
      const role = options.get('role')
      if (role === undefined) return fail(`user:add needs --role (${ROLES.join(', ')}).`)
      if (!isRole(role)) return fail(`Unknown role "${role}"; use one of: ${ROLES.join(', ')}.`)
      const teamName = options.get('team')
      const displayName = options.get('name')
      return {
        ok: true,
        command: {
          name,
          username: args[0]!,
          role,
          ...(teamName !== undefined ? { teamName } : {}),
          ...(displayName !== undefined ? { displayName } : {}),
        },
      }
    }
    case 'user:list':
    case 'team:list': {
      const problem = noOptions() ?? expectPositional(name, positional, [])
      return typeof problem === 'string' ? fail(problem) : { ok: true, command: { name } }
    }
    case 'user:disable':
    case 'device:list': {
      const args = single('username')
      return typeof args === 'string' ? fail(args) : { ok: true, command: { name, username: args[0]! } }
    }
    case 'device:revoke': {
      const args = single('deviceId')
      return typeof args === 'string' ? fail(args) : { ok: true, command: { name, deviceId: args[0]! } }
    }
    case 'team:add': {
      const args = single('name')
      return typeof args === 'string' ? fail(args) : { ok: true, command: { name, teamName: args[0]! } }
    }
    default: {
      if (!(ACCESS_COMMANDS as readonly string[]).includes(name)) {
        return fail(`Unknown command "${name}".`)
      }
      const args = noOptions() ?? expectPositional(name, positional, ['username', 'menteeId'])
      if (typeof args === 'string') return fail(args)
      return {
        ok: true,
        command: { name: name as AccessCommandName, username: args[0]!, menteeId: args[1]! },
      }
    }
  }
}

/** Lays rows out in columns: text for a terminal, not for machines. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max([...title].length, ...rows.map((row) => [...(row[column] ?? '')].length)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat(widths[column]! - [...cell].length)))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n') + '\n'
}

function formatTime(date: Date | null): string {
  return date === null ? '-' : date.toISOString().slice(0, 16).replace('T', ' ')
}

function deviceState(device: DeviceSummary): string {
  if (device.revokedAt) return 'revoked'
  if (device.endedAt) return 'signed out'
  return 'active'
}

function describeAccessChange(command: { name: AccessCommandName; username: string; menteeId: string }, change: AccessChange): string {
  const { name, username, menteeId } = command
  if (!change.changed) {
    const unchanged: Record<AccessCommandName, string> = {
      assign: `${username} was already assigned to mentee ${menteeId}; nothing changed.`,
      unassign: `${username} was not assigned to mentee ${menteeId}; nothing changed.`,
      share: `Mentee ${menteeId} was already shared with ${username}; nothing changed.`,
      unshare: `Mentee ${menteeId} was not shared with ${username}; nothing changed.`,
    }
    return unchanged[name]
  }
  const done: Record<AccessCommandName, string> = {
    assign: `${username} is now assigned to mentee ${menteeId}; their next sync brings its records.`,
    unassign: `${username} is no longer assigned to mentee ${menteeId}; their next sync removes its records.`,
    share: `Mentee ${menteeId}'s sensitive fields are now shared with ${username}.`,
    unshare: `Mentee ${menteeId}'s sensitive fields are no longer shared with ${username}.`,
  }
  return done[name]
}

const ok = (stdout: string): CommandOutcome => ({ exitCode: EXIT_OK, stdout, stderr: '' })
const failed = (stderr: string): CommandOutcome => ({ exitCode: EXIT_FAILED, stdout: '', stderr: `${stderr}\n` })

/** Runs one command. `password` is needed by user:add only and never appears in the outcome. */
export async function runAdminCommand(
  db: Database,
  command: AdminCommand,
  secrets: { password?: string } = {},
): Promise<CommandOutcome> {
  try {
    switch (command.name) {
      case 'help':
        return ok(USAGE)
      case 'user:add': {
        if (secrets.password === undefined) return failed('No password was given for the new user.')
        const user = await createUser(db, { ...command, password: secrets.password })
        const team = command.teamName ? `, team ${command.teamName.trim()}` : ''
        return ok(`Created ${user.role} ${user.username} (${user.displayName}${team}).\n`)
      }
      case 'user:list': {
        const users = await listUsers(db)
        if (users.length === 0) return ok('No users yet. Create the first with: npm run admin -- user:add <name> --role coordinator\n')
        return ok(
          formatTable(
            ['USERNAME', 'ROLE', 'TEAM', 'STATUS', 'DEVICES', 'NAME'],
            users.map((user) => [
              user.username,
              user.role,
              user.teamName ?? '-',
              user.disabledAt ? 'disabled' : 'active',
              String(user.activeDevices),
              user.displayName,
            ]),
          ),
        )
      }
      case 'user:disable': {
        const { revokedDevices } = await disableUser(db, command.username)
        return ok(`Disabled ${command.username.trim()}; revoked ${revokedDevices} device(s).\n`)
      }
      case 'device:list': {
        const devices = await listDevices(db, command.username)
        if (devices.length === 0) return ok(`${command.username.trim()} has no devices.\n`)
        return ok(
          formatTable(
            ['DEVICE ID', 'STATE', 'SIGNED IN (UTC)', 'LAST SEEN (UTC)', 'NAME'],
            devices.map((device) => [
              device.id,
              deviceState(device),
              formatTime(device.createdAt),
              formatTime(device.lastSeenAt),
              device.name,
            ]),
          ),
        )
      }
      case 'device:revoke': {
        const device = await revokeDevice(db, command.deviceId)
        return ok(`Revoked device ${device.id} (${device.name}).\n`)
      }
      case 'team:add': {
        const team = await createTeam(db, command.teamName)
        return ok(`Created team ${team.name}.\n`)
      }
      case 'team:list': {
        const teams = await listTeams(db)
        return ok(teams.length === 0 ? 'No teams yet.\n' : teams.map((team) => `${team.name}\n`).join(''))
      }
      case 'assign':
      case 'unassign':
      case 'share':
      case 'unshare': {
        const run = { assign, unassign, share, unshare }[command.name]
        const change = await run(db, command.username, command.menteeId)
        return ok(`${describeAccessChange(command, change)}\n`)
      }
    }
  } catch (error) {
    if (error instanceof AccountError) return failed(error.message)
    throw error
  }
}
