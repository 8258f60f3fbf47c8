/**
 * Jepsen-style sync simulation (see tests/properties/simulation/): simulated devices running the
 * app's real repositories and sync engine on fake-indexeddb, against the real endpoint on PGlite,
 * through a network that loses, duplicates, delays, reorders and cuts requests, with crashes,
 * skewed clocks, purges past the tombstone horizon, and assignment changes and erasures (Art. 17)
 * while devices are offline. After each schedule the devices sync until quiet and properties (a)–(e) must hold.
 *
 *   npm test                        300 schedules, fixed seed (a quick run that CI can afford;
 *                                   alone: npm run test:properties)
 *   npm run test:soak               10,000 schedules, a new random seed each time (printed),
 *                                   progress every 250, the report so far every 1,000
 *   SIM_RUNS=… SIM_SEED=…           other size or seed (SIM_SEED=random: a new one);
 *                                   SIM_PATH=… replays a shrunk failure (the failure prints the command)
 *   SIM_MAX_STEPS=…                 longest schedule (default 25; part of what a seed means)
 *   SIM_TIME_LIMIT_S=…              stop after this long (fails the test if runs are left)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FAULT_KINDS, type FaultKind } from './simulation/model'
import { Simulation } from './simulation/run'

/** The quick run's seed: fixed, so `npm test` checks the same 300 schedules every time. */
const DEFAULT_SEED = 20250106

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]?.trim()
  if (!raw) return fallback
  const value = Number(raw)
  if (!Number.isFinite(value)) throw new Error(`${name}=${raw} is not a number`)
  return value
}

const runs = envNumber('SIM_RUNS', 300)
const seed = process.env.SIM_SEED?.trim() === 'random' ? Math.floor(Math.random() * 2 ** 31) : envNumber('SIM_SEED', DEFAULT_SEED)
const path = process.env.SIM_PATH?.trim() || undefined
const maxSteps = envNumber('SIM_MAX_STEPS', 25)
// About 0.3 s per schedule on an idle 2-core machine; the bound only stops a run gone wrong.
const timeLimitMs = envNumber('SIM_TIME_LIMIT_S', Math.max(900, runs * 2)) * 1000
const progressEvery = envNumber('SIM_PROGRESS', runs >= 2000 ? 250 : 0)
const reportEvery = envNumber('SIM_REPORT_EVERY', runs >= 2000 ? 1000 : 0)

function replayCommand(): string {
  const extra = maxSteps !== 25 ? ` SIM_MAX_STEPS=${maxSteps}` : ''
  return `SIM_SEED={seed} SIM_PATH={path}${extra} npx vitest run --project properties`
}

describe('sync simulation', () => {
  let simulation: Simulation

  beforeAll(async () => {
    simulation = await Simulation.create()
  }, 180_000)

  afterAll(async () => {
    await simulation?.close()
  })

  it(
    `keeps devices and server in agreement over ${runs} faulty schedules`,
    async () => {
      const result = await simulation.run({
        runs,
        seed,
        path,
        maxSteps,
        timeLimitMs,
        progressEvery,
        reportEvery,
        log: (line) => console.log(line),
        replayCommand: replayCommand(),
      })
      console.log(result.report)
      if (result.failure) console.log(result.failure)
      expect(result.failure, result.failure).toBeUndefined()
      expect(result.interrupted, `the time limit (${timeLimitMs / 1000} s) stopped the run`).toBe(false)
      const { stats } = result
      expect(Object.values(stats.violations).reduce((a, b) => a + b, 0)).toBe(0)
      // A replay runs one schedule; a real run must have exercised every kind of fault.
      if (path === undefined) {
        expect(stats.schedules).toBeGreaterThanOrEqual(runs)
        if (runs >= 100) {
          for (const kind of Object.keys(FAULT_KINDS) as FaultKind[]) {
            expect(stats.faults[kind], `fault "${FAULT_KINDS[kind].trim()}" was never injected`).toBeGreaterThan(0)
          }
        }
      }
    },
    timeLimitMs + 120_000,
  )
})
