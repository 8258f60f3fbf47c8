/**
 * Hybrid logical clock stamps, as the sync protocol defines them:
 * `<millis, 15 digits>:<counter, 5 digits>:<deviceId>`, so that comparing two stamps as text
 * compares them in clock order. A clock stays ahead of every stamp it has seen, so a device whose
 * wall clock is behind still writes stamps newer than what it received.
 */

const MILLIS_DIGITS = 15
const COUNTER_DIGITS = 5
const MAX_COUNTER = 10 ** COUNTER_DIGITS - 1
const STAMP_RE = /^(\d{15}):(\d{5}):(.+)$/

export interface ParsedStamp {
  millis: number
  counter: number
  node: string
}

export function formatStamp({ millis, counter, node }: ParsedStamp): string {
  return `${String(millis).padStart(MILLIS_DIGITS, '0')}:${String(counter).padStart(COUNTER_DIGITS, '0')}:${node}`
}

export function parseStamp(stamp: string): ParsedStamp | undefined {
  const match = STAMP_RE.exec(stamp)
  if (!match) return undefined
  return { millis: Number(match[1]), counter: Number(match[2]), node: match[3]! }
}

export function isStamp(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 120 && STAMP_RE.test(value)
}

/** The later of two stamps (text order is clock order). */
export function maxStamp(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return a > b ? a : b
}

export class HybridLogicalClock {
  private millis = 0
  private counter = 0

  constructor(
    private readonly node: string,
    private readonly wallClock: () => number = Date.now,
  ) {}

  /** A new stamp for a local write, later than every stamp this clock has issued or seen. */
  now(): string {
    const wall = this.wallClock()
    if (wall > this.millis) {
      this.millis = wall
      this.counter = 0
    } else if (this.counter < MAX_COUNTER) {
      this.counter += 1
    } else {
      // Counter exhausted within one millisecond: borrow the next millisecond.
      this.millis += 1
      this.counter = 0
    }
    return formatStamp({ millis: this.millis, counter: this.counter, node: this.node })
  }

  /** The latest stamp this clock has issued or seen, without advancing it. */
  latest(): string {
    return formatStamp({ millis: this.millis, counter: this.counter, node: this.node })
  }

  /** Moves the clock past a stamp received from elsewhere (another device or the server). */
  observe(stamp: string): void {
    const parsed = parseStamp(stamp)
    if (!parsed) return
    if (parsed.millis > this.millis || (parsed.millis === this.millis && parsed.counter > this.counter)) {
      this.millis = parsed.millis
      this.counter = parsed.counter
    }
  }

  /** Moves the clock past a wall time known to be correct (the server's `serverTime`). */
  observeTime(millis: number): void {
    if (millis > this.millis) {
      this.millis = millis
      this.counter = 0
    }
  }
}
