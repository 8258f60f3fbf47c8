/**
 * The endpoint under test, in a process of its own (started by bench/server/process.ts): opens
 * the database, seeds it, serves `buildServer({ distDir, db })` on 127.0.0.1 and reports its
 * memory and what its requests cost. Commands arrive over the IPC channel; when the parent goes
 * away, this process ends too.
 */
import type { Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { buildServer } from '../../server/app'
import { openDatabase, type Database } from '../../server/db/database'
import type { CommandMessage, CommandName, ReplyMessage, ServerCommands, ServerStats } from './protocol'

const RSS_SAMPLE_MS = 100

let db: Database | undefined
let app: FastifyInstance | undefined

// Memory: sampled all the time; the peak restarts at every resetStats.
let peakRss = process.memoryUsage.rss()
let samples = 0
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
  samples += 1
}, RSS_SAMPLE_MS)

// Requests and bytes on the wire since the last resetStats.
let requests: ServerStats['requests'] = {}
const sockets = new Set<Socket>()
const socketStart = new Map<Socket, { read: number; written: number }>()
let closedRead = 0
let closedWritten = 0

function resetStats(): void {
  peakRss = process.memoryUsage.rss()
  samples = 0
  requests = {}
  closedRead = 0
  closedWritten = 0
  for (const socket of sockets) socketStart.set(socket, { read: socket.bytesRead, written: socket.bytesWritten })
}

function wireBytes(): { bytesRead: number; bytesWritten: number } {
  let bytesRead = closedRead
  let bytesWritten = closedWritten
  for (const socket of sockets) {
    const start = socketStart.get(socket) ?? { read: 0, written: 0 }
    bytesRead += socket.bytesRead - start.read
    bytesWritten += socket.bytesWritten - start.written
  }
  return { bytesRead, bytesWritten }
}

function requireDb(): Database {
  if (!db) throw new Error('open the database first')
  return db
}

const handlers: { [C in CommandName]: (args: ServerCommands[C]['args']) => Promise<ServerCommands[C]['result']> } = {
  async open(spec) {
    const t0 = performance.now()
    db = await openDatabase(spec.engine === 'pglite' ? { dataDir: spec.dataDir } : { databaseUrl: spec.databaseUrl })
    return { openMs: performance.now() - t0 }
  },
  async listen({ distDir }) {
    app = await buildServer({ distDir, db: requireDb() })
    app.server.on('connection', (socket: Socket) => {
      sockets.add(socket)
      socketStart.set(socket, { read: 0, written: 0 })
      socket.once('close', () => {
        const start = socketStart.get(socket) ?? { read: 0, written: 0 }
        closedRead += socket.bytesRead - start.read
        closedWritten += socket.bytesWritten - start.written
        sockets.delete(socket)
        socketStart.delete(socket)
      })
    })
    app.server.on('request', (request, response) => {
      const started = performance.now()
      const path = (request.url ?? '').split('?')[0] ?? ''
      response.once('finish', () => {
        const entry = (requests[path] ??= { count: 0, totalMs: 0 })
        entry.count += 1
        entry.totalMs += performance.now() - started
      })
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/` }
  },
  async resetStats() {
    resetStats()
    return null
  },
  async stats() {
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    return {
      peakRssBytes: peakRss,
      rssBytes: process.memoryUsage.rss(),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      samples,
      requests,
      ...wireBytes(),
    }
  },
  async close() {
    await app?.close()
    app = undefined
    await db?.close()
    db = undefined
    return null
  },
}

function reply(message: ReplyMessage): void {
  process.send?.(message)
}

process.on('message', (raw) => {
  const message = raw as CommandMessage
  const handler = handlers[message.command] as (args: unknown) => Promise<unknown>
  handler(message.args).then(
    (result) => reply({ id: message.id, ok: true, result }),
    (error: unknown) =>
      reply({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  )
})

// The benchmark is gone (finished, crashed or killed): so is its server.
process.on('disconnect', () => {
  clearInterval(sampler)
  void Promise.resolve(handlers.close(null)).finally(() => process.exit(0))
})

if (!process.send) {
  console.error('bench/server/child.ts runs as a child of the benchmark (bench/server/process.ts)')
  process.exit(2)
}
reply({ ready: true })
