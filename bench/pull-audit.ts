/**
 * `npx tsx bench/pull-audit.ts`: what the audit log costs the pull path. One PGlite in memory with
 * 10,000 mentees of one coach; the coach pulls everything in pages of 1,000 eight times (each page
 * writes one `pull` audit entry with its 1,000 record ids), then the same INSERT is timed alone.
 * Prints median and p95 in ms of both; the INSERT's share of a page is the audit's cost.
 */
import { randomUUID } from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { createTeam, createUser } from '../server/accounts/accounts'
import { buildServer } from '../server/app'
import { audit } from '../server/audit'
import { openDatabase } from '../server/db/database'
import type { PullResponse, SessionResponse } from '../src/shared/protocol'

const MENTEES = 10_000
const BATCH = 200
const PAGE = 1000
const ROUNDS = 8

function stats(samples: number[]): { n: number; medianMs: number; p95Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!.toFixed(1))
  return { n: sorted.length, medianMs: at(0.5), p95Ms: at(0.95) }
}

async function main(): Promise<void> {
  const db = await openDatabase({ inMemory: true })
  const app = await buildServer({ distDir: path.join(os.tmpdir(), 'lotse-no-build'), db })
  try {
    await createTeam(db, 'Bench')
    await createUser(db, { username: 'bench-coach', role: 'coach', teamName: 'Bench', password: 'bench password' })
    const signedIn = await app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { username: 'bench-coach', password: 'bench password', deviceName: 'bench' },
    })
    const session = signedIn.json<SessionResponse>()
    const headers = { authorization: `Bearer ${session.token}` }
    let seq = 0
    for (let batch = 0; batch < MENTEES / BATCH; batch += 1) {
      const mutations = Array.from({ length: BATCH }, (_, index) => ({
        seq: (seq += 1),
        table: 'mentees',
        id: randomUUID(),
        op: 'upsert',
        fields: { givenName: `Bench ${batch}-${index}`, familyName: 'Person', stage: 'accompanied', phone: '0123' },
        hlc: `${String(Date.now()).padStart(15, '0')}:${String(index).padStart(5, '0')}:bench`,
      }))
      const pushed = await app.inject({
        method: 'POST',
        url: '/api/v1/sync/push',
        headers,
        payload: { deviceId: session.deviceId, schemaVersion: 1, mutations },
      })
      if (pushed.statusCode !== 200) throw new Error(`push answered ${pushed.statusCode}`)
    }

    const pages: number[] = []
    for (let round = 0; round < ROUNDS; round += 1) {
      let cursor = ''
      for (;;) {
        const started = performance.now()
        const answer = await app.inject({ method: 'GET', url: `/api/v1/sync/pull?limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`, headers })
        pages.push(performance.now() - started)
        const body = answer.json<PullResponse>()
        cursor = body.cursor
        if (!body.hasMore) break
      }
    }

    const ids = Array.from({ length: PAGE }, () => randomUUID())
    const inserts: number[] = []
    for (let index = 0; index < ROUNDS * (MENTEES / PAGE); index += 1) {
      const started = performance.now()
      await audit(db, {
        action: 'pull',
        at: Date.now(),
        actorId: session.user.id,
        deviceId: session.deviceId,
        details: { changes: PAGE, tables: { mentees: PAGE }, ops: { upsert: PAGE } },
        recordIds: ids,
      })
      inserts.push(performance.now() - started)
    }
    console.log(`pull page of ${PAGE} mentees (HTTP inject, audit entry included):`, stats(pages))
    console.log(`audit INSERT of one such page (${PAGE} record ids):`, stats(inserts))
  } finally {
    await app.close()
    await db.close()
  }
}

await main()
