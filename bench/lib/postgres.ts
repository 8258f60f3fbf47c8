/**
 * A throwaway PostgreSQL cluster on 127.0.0.1 for the push benchmark, started and stopped with
 * scripts/ensure-postgres.mjs exactly as tests/setup/postgres.ts does (initdb as the `postgres`
 * user when we are root; fsync and synchronous_commit off, since the data is thrown away).
 */
import { execFile as execFileCallback } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFile = promisify(execFileCallback)
const ensurePostgresScript = fileURLToPath(new URL('../../scripts/ensure-postgres.mjs', import.meta.url))
/** initdb and start take a few seconds; installing PostgreSQL would not fit into the benchmark. */
const START_TIMEOUT_MS = 90_000

export interface PostgresCluster {
  url: string
  dataDir: string
  stop(): Promise<void>
}

/** Starts a cluster owned by this process (a later start removes it should we die first). */
export async function startThrowawayPostgres(): Promise<PostgresCluster> {
  const { stdout } = await execFile(process.execPath, [ensurePostgresScript, 'start', '--owner', String(process.pid)], {
    timeout: START_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  })
  const cluster = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { url: string; dataDir: string }
  return {
    ...cluster,
    stop: async () => {
      await execFile(process.execPath, [ensurePostgresScript, 'stop', cluster.dataDir], { timeout: 60_000 })
    },
  }
}

export function warnLoudly(lines: string[]): void {
  const bar = '!'.repeat(78)
  console.warn(['', bar, ...lines.map((line) => `!!  ${line}`), bar, ''].join('\n'))
}
