/**
 * Figure 6: push throughput of the endpoint, in Node (no browser). The endpoint runs in a child
 * process (its RSS is its own) on PGlite or PostgreSQL; `devices` coach devices, each signed in
 * through POST /api/v1/session, push `batches` batches of `batchSize` new notes of existing
 * mentees through the real HTTP endpoint on 127.0.0.1, all devices at once, each waiting for its
 * answer before the next batch (as the app does). Bodies are serialised before the clock starts.
 */
import { openDatabase } from '../server/db/database'
import { HybridLogicalClock } from '../src/shared/hlc'
import { PROTOCOL_SCHEMA_VERSION, type Mutation, type PushRequest } from '../src/shared/protocol'
import { contentOf } from '../src/shared/records'
import { pushFromNode, signInFromNode, type NodeDevice } from './lib/node-client'
import type { PgliteDirs } from './lib/pglite-dirs'
import { percentile } from './lib/stats'
import { seedTeam } from './server/seed'
import { ServerProcess } from './server/process'
import type { EngineSpec } from './server/protocol'
import { generateMentees, generateNotes } from './shared/data'

export interface PushOptions {
  engine: 'pglite' | 'postgres'
  /** PostgreSQL: the throwaway cluster's database. */
  databaseUrl?: string
  pglite: PgliteDirs
  appDir: string
  today: string
  devices: number
  batches: number
  batchSize: number
  /** Mentees in the team the notes belong to. */
  mentees: number
  log: (line: string) => void
}

export interface PushResult {
  engine: 'pglite' | 'postgres'
  mutations: number
  requests: number
  wallMs: number
  mutationsPerSecond: number
  latenciesMs: number[]
  p50Ms: number
  p95Ms: number
  serverPeakRssBytes: number
  /** Warm-up pushes (one per device, not counted) before the clock started. */
  warmupMutations: number
}

const PASSWORD = 'bench-push-password'

export async function measurePushThroughput(options: PushOptions): Promise<PushResult> {
  const { log } = options
  const coaches = Array.from({ length: options.devices }, (_, i) => ({ username: `bench.push.${i + 1}`, password: PASSWORD }))
  let spec: EngineSpec
  if (options.engine === 'pglite') {
    spec = { engine: 'pglite', dataDir: await options.pglite.fresh('push') }
  } else {
    if (!options.databaseUrl) throw new Error('PostgreSQL push benchmark without a database URL')
    spec = { engine: 'postgres', databaseUrl: options.databaseUrl }
  }
  const seedDb = await openDatabase(spec.engine === 'pglite' ? { dataDir: spec.dataDir } : { databaseUrl: spec.databaseUrl })
  try {
    await seedTeam(seedDb, { menteeCount: options.mentees, notesPerMentee: 0, today: options.today, teamName: 'Team Push', coaches })
  } finally {
    await seedDb.close()
  }

  // Every device's mutations, made up front: new notes of the team's mentees, one warm-up batch
  // first. Each device numbers its own mutations and stamps them with its own clock.
  const mentees = generateMentees({ count: options.mentees, today: options.today })
  const perDevice = (options.batches + 1) * options.batchSize
  const perMentee = Math.ceil((perDevice * options.devices) / mentees.length)
  const notes = generateNotes(mentees, perMentee, options.today, 0x5eed + options.devices)

  const server = await ServerProcess.start(`push-${options.engine}`)
  try {
    await server.call('open', spec)
    const { url } = await server.call('listen', { distDir: options.appDir })
    const devices: NodeDevice[] = []
    for (const coach of coaches) devices.push(await signInFromNode(url, coach.username, coach.password, 'Benchmark push device'))

    const bodies = devices.map((device, d) => {
      const clock = new HybridLogicalClock(device.deviceId)
      const mine = notes.slice(d * perDevice, (d + 1) * perDevice)
      return Array.from({ length: options.batches + 1 }, (_, b) => {
        const mutations: Mutation[] = mine.slice(b * options.batchSize, (b + 1) * options.batchSize).map((note, i) => ({
          seq: b * options.batchSize + i + 1,
          table: 'notes',
          id: note.id,
          op: 'upsert',
          fields: contentOf(note),
          hlc: clock.now(),
        }))
        const request: PushRequest = { deviceId: device.deviceId, schemaVersion: PROTOCOL_SCHEMA_VERSION, mutations }
        return JSON.stringify(request)
      })
    })

    const push = async (d: number, b: number): Promise<number> => {
      const device = devices[d]!
      const t0 = performance.now()
      const response = await pushFromNode(url, device.token, bodies[d]![b]!)
      const ms = performance.now() - t0
      const notApplied = response.results.filter((result) => result.status !== 'applied')
      if (notApplied.length > 0 || response.results.length !== options.batchSize) {
        throw new Error(`push ${d}/${b}: ${notApplied.length} of ${response.results.length} not applied: ${JSON.stringify(notApplied[0])}`)
      }
      return ms
    }

    // Warm-up: every device's first batch (JIT, connections, plan caches), not counted.
    await Promise.all(devices.map((_, d) => push(d, 0)))
    await server.call('resetStats', null)

    const latenciesMs: number[] = []
    const t0 = performance.now()
    await Promise.all(
      devices.map(async (_, d) => {
        for (let b = 1; b <= options.batches; b++) latenciesMs.push(await push(d, b))
      }),
    )
    const wallMs = performance.now() - t0
    const stats = await server.call('stats', null)
    const mutations = options.devices * options.batches * options.batchSize
    const result: PushResult = {
      engine: options.engine,
      mutations,
      requests: latenciesMs.length,
      wallMs,
      mutationsPerSecond: mutations / (wallMs / 1000),
      latenciesMs,
      p50Ms: percentile(latenciesMs, 50),
      p95Ms: percentile(latenciesMs, 95),
      serverPeakRssBytes: stats.peakRssBytes,
      warmupMutations: options.devices * options.batchSize,
    }
    log(
      `push ${options.engine}: ${mutations} mutations from ${options.devices} devices in ${(wallMs / 1000).toFixed(1)} s = ` +
        `${result.mutationsPerSecond.toFixed(0)}/s; per push p50 ${result.p50Ms.toFixed(0)} ms, p95 ${result.p95Ms.toFixed(0)} ms; ` +
        `server RSS peak ${(result.serverPeakRssBytes / 1024 / 1024).toFixed(0)} MB`,
    )
    return result
  } finally {
    await server.stop()
  }
}
