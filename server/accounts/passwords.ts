/**
 * Password hashes with scrypt from node:crypto. A stored hash carries its parameters
 * (`scrypt$<N>$<r>$<p>$<salt>$<hash>`, salt and hash base64url), so they can be raised later
 * without invalidating existing passwords: `passwordNeedsRehash` tells when to store a new hash.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import os from 'node:os'

const SCHEME = 'scrypt'
/** ~50–100 ms on a laptop core: slow for guessing, fine for a sign-in. */
export const CURRENT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const
const SALT_BYTES = 16
const KEY_BYTES = 32
/** Bounds for parameters read from the database, so a damaged row cannot stall the server. */
const MAX_COST = 2 ** 20
const MAX_BLOCK_SIZE = 32
const MAX_PARALLELISM = 16

interface ScryptParams {
  N: number
  r: number
  p: number
}

/**
 * scrypt runs on libuv's thread pool (4 threads), so it never blocks the event loop, but four
 * at once take every core of a small server: during a morning's wave of sign-ins, pushes and
 * pulls then wait behind password checks until clients time out (seen in the load test with 200
 * devices on 2 cores). So checks run on all cores but one (at least one at a time), the rest wait
 * in line, and a sign-in that would wait behind more than `waiting` others, or longer than
 * `maxWaitMs` at the pace checks take now, is told to come back later instead
 * (`PasswordCheckBusy`; the route answers 429 with Retry-After and counts no failure).
 */
export const passwordCheckLimits = {
  concurrent: Math.max(1, os.availableParallelism() - 1),
  waiting: 16 * Math.max(1, os.availableParallelism() - 1),
  /**
   * Nor longer than this for its turn, at the pace checks take now: on a busy machine a check takes
   * ten times as long, and a sign-in waiting behind 16 of them would outlast the app's timeout.
   */
  maxWaitMs: 10_000,
}

export class PasswordCheckBusy extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many password checks waiting')
    this.name = 'PasswordCheckBusy'
  }
}

class CheckGate {
  private running = 0
  private readonly waiting: (() => void)[] = []
  /** How long a check takes lately (moving average), for the expected wait in line. */
  private checkMs = 100

  /** Runs `work` when a slot is free; `refuseWhenBusy` refuses instead of waiting in a long line. */
  async run<T>(work: () => Promise<T>, refuseWhenBusy: boolean): Promise<T> {
    const { concurrent, waiting, maxWaitMs } = passwordCheckLimits
    if (this.running >= concurrent) {
      const expectedWaitMs = ((this.waiting.length + 1) * this.checkMs) / concurrent
      if (refuseWhenBusy && (this.waiting.length >= waiting || expectedWaitMs > maxWaitMs)) {
        // About the time the line ahead takes, at least a second.
        throw new PasswordCheckBusy(Math.max(1, Math.ceil(expectedWaitMs / 1000)))
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    } else {
      this.running += 1
    }
    const started = performance.now()
    try {
      return await work()
    } finally {
      this.checkMs = 0.8 * this.checkMs + 0.2 * (performance.now() - started)
      // The slot passes straight to the next in line, if any.
      const next = this.waiting.shift()
      if (next) next()
      else this.running -= 1
    }
  }
}

const gate = new CheckGate()

function deriveKey(password: string, salt: Buffer, params: ScryptParams, keyLength: number, refuseWhenBusy = false): Promise<Buffer> {
  return gate.run(() => deriveKeyNow(password, salt, params, keyLength), refuseWhenBusy)
}

function deriveKeyNow(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // scrypt needs 128·N·r bytes; Node's default limit (32 MiB) is exactly that for N=2^15, r=8.
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await deriveKey(plain, salt, CURRENT_PARAMS, KEY_BYTES)
  const { N, r, p } = CURRENT_PARAMS
  return [SCHEME, N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

interface ParsedHash {
  params: ScryptParams
  salt: Buffer
  key: Buffer
}

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 1 && (value & (value - 1)) === 0
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== SCHEME) return undefined
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number]
  const params = { N, r, p }
  if (!isPowerOfTwo(N) || N > MAX_COST) return undefined
  if (!Number.isInteger(r) || r < 1 || r > MAX_BLOCK_SIZE) return undefined
  if (!Number.isInteger(p) || p < 1 || p > MAX_PARALLELISM) return undefined
  const salt = Buffer.from(parts[4]!, 'base64url')
  const key = Buffer.from(parts[5]!, 'base64url')
  if (salt.length < 8 || key.length < 16) return undefined
  return { params, salt, key }
}

/**
 * True when `plain` matches; false for a wrong password or an unreadable stored hash. With
 * `refuseWhenBusy` (sign-in), throws `PasswordCheckBusy` rather than wait behind a long line.
 */
export async function verifyPassword(plain: string, stored: string, options: { refuseWhenBusy?: boolean } = {}): Promise<boolean> {
  const parsed = parseHash(stored)
  if (!parsed) return false
  const candidate = await deriveKey(plain, parsed.salt, parsed.params, parsed.key.length, options.refuseWhenBusy)
  return timingSafeEqual(candidate, parsed.key)
}

/** True when the stored hash was made with weaker parameters than today's. */
export function passwordNeedsRehash(stored: string): boolean {
  const parsed = parseHash(stored)
  if (!parsed) return true
  return parsed.params.N < CURRENT_PARAMS.N || parsed.params.r < CURRENT_PARAMS.r || parsed.params.p < CURRENT_PARAMS.p
}

/**
 * A well-formed hash with today's parameters that no password matches: verifying against it costs
 * exactly one real verification, and building it costs nothing.
 */
const DUMMY_HASH = [
  SCHEME, CURRENT_PARAMS.N, CURRENT_PARAMS.r, CURRENT_PARAMS.p,
  randomBytes(SALT_BYTES).toString('base64url'), randomBytes(KEY_BYTES).toString('base64url'),
].join('$')

/**
 * Spends the time of one verification without a real account, so an unknown username takes as
 * long to refuse as a wrong password and the answer time does not tell which usernames exist.
 */
export async function dummyVerify(plain = '', options: { refuseWhenBusy?: boolean } = {}): Promise<false> {
  const parsed = parseHash(DUMMY_HASH)!
  await deriveKey(plain, parsed.salt, parsed.params, parsed.key.length, options.refuseWhenBusy)
  return false
}
