/**
 * Messages between the benchmark (parent) and the endpoint it runs in a child process
 * (bench/server/child.ts), so the endpoint's memory is its own: the parent's test data, Chromium
 * driver and load generator do not count in the server's RSS. Types only.
 */

export type EngineSpec =
  | { engine: 'pglite'; dataDir: string }
  | { engine: 'postgres'; databaseUrl: string }

export interface SeedSpec {
  /** Mentees of the team: bench/shared/data.ts `generateMentees` with its fixed seed. */
  menteeCount: number
  /** Notes per mentee: `generateNotes`. */
  notesPerMentee: number
  /** ISO date the generated dates are spread around. */
  today: string
  teamName: string
  /** Coaches of the team, created with these passwords. */
  coaches: { username: string; password: string }[]
}

export interface SeedResult {
  teamId: string
  mentees: number
  notes: number
  /** Checking every generated record with `validateFields`. */
  validateMs: number
  /** The bulk INSERTs into `records`. */
  insertMs: number
  /** The highest `change_seq` after seeding. */
  lastChangeSeq: number
}

export interface RequestStats {
  count: number
  /** Sum of request → response finished, as the server saw it. */
  totalMs: number
}

export interface ServerStats {
  /** Highest RSS sampled every 100 ms since the last `resetStats`. */
  peakRssBytes: number
  rssBytes: number
  /** The kernel's high-water mark for the whole process life (getrusage maxrss). */
  maxRssBytes: number
  samples: number
  /** Per path (no query), since the last `resetStats`. */
  requests: Record<string, RequestStats>
  /** Bytes on the wire since the last `resetStats`, headers included, all connections. */
  bytesRead: number
  bytesWritten: number
}

export interface ServerCommands {
  open: { args: EngineSpec; result: { openMs: number } }
  listen: { args: { distDir: string }; result: { url: string } }
  resetStats: { args: null; result: null }
  stats: { args: null; result: ServerStats }
  close: { args: null; result: null }
}

export type CommandName = keyof ServerCommands

export interface CommandMessage<C extends CommandName = CommandName> {
  id: number
  command: C
  args: ServerCommands[C]['args']
}

export type ReplyMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { ready: true }
