/**
 * What the search benchmark page (bench/browser/search-entry.ts) exposes on `window`, and what
 * bench/search.ts calls through Playwright. Types only, shared by both sides.
 */
import type { Mentee } from '../../src/shared/records'

export interface SeedResult {
  appCount: number
  baselineCount: number
}

export interface IndexBuildResult {
  /** The store's path: `reload()` (listMentees + search keys) and reading the sorted list. */
  totalMs: number
  count: number
}

/** The same work as the store's index build, step by step with the store's building blocks. */
export interface IndexBreakdown {
  listMs: number
  keysMs: number
  sortMs: number
}

export interface KeystrokeRun {
  /** Milliseconds per keystroke: filterMentees over the store's sorted list + the first page. */
  ours: number[]
  /** Milliseconds per keystroke: Dexie `where('givenName').startsWithIgnoreCase(q).limit(50)`. */
  baseline: number[]
  /** Total matches over all keystrokes (a plausibility check, and it keeps the work observable). */
  oursMatches: number
  baselineMatches: number
}

/** Which copy of the data the store's index is built from. */
export type IndexSource = 'sealed' | 'plain'

export interface LotseBenchApi {
  seed(mentees: Mentee[]): Promise<SeedResult>
  /** Locks, then times an unlock with the passphrase (PBKDF2 key derivation + unwrapping). */
  unlock(): Promise<number>
  buildIndex(source: IndexSource): Promise<IndexBuildResult>
  indexBreakdown(): Promise<IndexBreakdown>
  typeWords(words: readonly string[], rounds: number): Promise<KeystrokeRun>
  /**
   * The same keystrokes over the index last built from the sealed database and the one last built
   * from the plain one, alternating which goes first, so load on the machine hits both alike.
   */
  typeBoth(words: readonly string[], rounds: number): Promise<{ sealed: number[]; plain: number[] }>
}

declare global {
  interface Window {
    lotseBench?: LotseBenchApi
  }
}
