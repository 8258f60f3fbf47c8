/** The parent's handle on an endpoint running in a child process (bench/server/child.ts). */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { withTimeout } from '../lib/browser'
import type { CommandName, ReplyMessage, ServerCommands } from './protocol'

const CHILD_SCRIPT = fileURLToPath(new URL('./child.ts', import.meta.url))
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export class ServerProcess {
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  private exited = false

  private constructor(
    private readonly child: ChildProcess,
    readonly label: string,
  ) {
    child.on('message', (raw) => {
      const message = raw as ReplyMessage
      if ('ready' in message) return
      const waiting = this.pending.get(message.id)
      if (!waiting) return
      this.pending.delete(message.id)
      if (message.ok) waiting.resolve(message.result)
      else waiting.reject(new Error(`${label} server: ${message.error}`))
    })
    child.on('exit', (code, signal) => {
      this.exited = true
      for (const waiting of this.pending.values()) {
        waiting.reject(new Error(`${label} server exited (${signal ?? code}) during a command`))
      }
      this.pending.clear()
    })
  }

  /** Starts the child (tsx, like the benchmark) and waits until it listens for commands. */
  static async start(label: string): Promise<ServerProcess> {
    const child = fork(CHILD_SCRIPT, [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message) => {
        if ((message as { ready?: boolean }).ready) resolve()
      })
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`${label} server exited with ${code} before it was ready`)))
    })
    await withTimeout(ready, 30_000, `starting the ${label} server process`)
    return new ServerProcess(child, label)
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  call<C extends CommandName>(
    command: C,
    args: ServerCommands[C]['args'],
    timeoutMs = 120_000,
  ): Promise<ServerCommands[C]['result']> {
    if (this.exited) return Promise.reject(new Error(`${this.label} server is not running`))
    const id = this.nextId++
    const result = new Promise<ServerCommands[C]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.child.send({ id, command, args })
    })
    return withTimeout(result, timeoutMs, `${this.label} server: ${command}`)
  }

  /** Closes the server and its database, then ends the process (killed if it does not end). */
  async stop(): Promise<void> {
    if (this.exited) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    try {
      await this.call('close', null, 30_000)
    } catch {
      // Ending the process below closes whatever is left.
    }
    if (this.child.connected) this.child.disconnect()
    try {
      await withTimeout(exited, 15_000, `${this.label} server process to end`)
    } catch {
      this.child.kill('SIGKILL')
    }
  }
}
