import { Dexie } from 'dexie'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { LotseDatabase } from '@/db/db'
import { createMentee, getMentee, updateMentee } from '@/db/repositories/mentees'
import { pendingEntries } from '@/db/outbox'
import { newDataKey, useKeyForEveryDatabase } from '@/db/sealing'
import { applyPulledPage, beginPullFromStart, listRejections, outboxSummary, preparePulledPage, readCursor, saveSession } from '@/db/sync-store'
import type { Change, PullResponse, PushRequest, PushResponse } from '@/shared/protocol'
import { EndpointError, NetworkError, type SyncClient } from '@/sync/client'
import { syncOnce } from '@/sync/engine'
import { fictionalMentee, freshDatabase } from './helpers'

const serverTime = new Date().toISOString()
const otherId = '0b8c7d5e-9f3a-4c2b-8e1d-6a7f5b4c3d2e'

/** A scripted endpoint: answers pushes with the given statuses and serves prepared pull pages. */
class ScriptedClient {
  pushes: PushRequest[] = []
  pullCursors: (string | undefined)[] = []
  constructor(
    private readonly pushStatus: (seq: number) => PushResponse['results'][number] = (seq) => ({ seq, status: 'applied' }),
    private pages: PullResponse[] = [],
    private readonly failFirstPullWith?: EndpointError,
  ) {}
  private failed = false
  push(request: PushRequest): Promise<PushResponse> {
    this.pushes.push(request)
    const results = request.mutations.map((m) => this.pushStatus(m.seq))
    return Promise.resolve({ ackSeq: Math.max(0, ...request.mutations.map((m) => m.seq)), results, serverTime })
  }
  pull(cursor: string | undefined): Promise<PullResponse> {
    this.pullCursors.push(cursor)
    if (this.failFirstPullWith && !this.failed) {
      this.failed = true
      return Promise.reject(this.failFirstPullWith)
    }
    const page = this.pages.shift() ?? { changes: [], cursor: cursor ?? 'c0', through: 0, hasMore: false, serverTime }
    return Promise.resolve(page)
  }
}
const asClient = (client: ScriptedClient) => client as unknown as SyncClient

let db: LotseDatabase
let everyDatabaseKey: CryptoKey
beforeEach(async () => {
  everyDatabaseKey = await newDataKey(false)
  useKeyForEveryDatabase(everyDatabaseKey)
  db = freshDatabase()
  await saveSession({ token: 't', deviceId: 'd', user: { id: 'u', username: 'test', displayName: 'Test', role: 'coach', teamId: null } })
})
afterEach(() => {
  useKeyForEveryDatabase(everyDatabaseKey)
})

describe('push', () => {
  it('sends the outbox in order with stamps and empties it when acknowledged', async () => {
    const mentee = await createMentee(fictionalMentee())
    await updateMentee(mentee.id, fictionalMentee({ phone: '+49 5261 000000' }))
    const client = new ScriptedClient()
    const report = await syncOnce(asClient(client), 'device-1')
    expect(client.pushes).toHaveLength(1)
    const [first, second] = client.pushes[0]!.mutations
    expect(client.pushes[0]).toMatchObject({ deviceId: 'device-1', schemaVersion: 1 })
    expect(first).toMatchObject({ table: 'mentees', id: mentee.id, op: 'upsert' })
    expect(second).toMatchObject({ op: 'upsert', fields: { phone: '+49 5261 000000' } })
    expect(second!.seq).toBeGreaterThan(first!.seq)
    expect(second!.hlc > first!.hlc).toBe(true)
    expect(report.pushed).toBe(2)
    expect((await outboxSummary()).count).toBe(0)
  })

  it('pushes in batches of at most 200', async () => {
    for (let i = 0; i < 450; i++) await db.outbox.add({ table: 'notes', recordId: crypto.randomUUID(), op: 'delete', fields: {}, at: i, hlc: `000000000000001:${String(i).padStart(5, '0')}:x` })
    const client = new ScriptedClient()
    await syncOnce(asClient(client), 'device-1')
    expect(client.pushes.map((p) => p.mutations.length)).toEqual([200, 200, 50])
  })

  // Found by the sync simulation: a Pate's edit of a sensitive field without a share was refused,
  // and the device kept the refused value for good (no pull ever touched the record again).
  it('drops the copy of a record whose change was refused and pulls it again from the start', async () => {
    const mentee = await createMentee(fictionalMentee())
    await db.outbox.clear() // the creation was pushed earlier
    await db.settings.put({ key: 'syncCursor', value: 'c-before' })
    await updateMentee(mentee.id, fictionalMentee({ residenceStatus: 'toleratedStay' }))
    const pages: PullResponse[] = [
      { changes: [{ table: 'mentees', id: mentee.id, op: 'upsert', fields: { givenName: 'Testperson', familyName: 'Beispiel' }, hlc: {} }], cursor: 'c-fresh', through: 0, hasMore: false, serverTime },
    ]
    const client = new ScriptedClient((seq) => ({ seq, status: 'rejected', reason: 'forbidden' }), pages)
    const report = await syncOnce(asClient(client), 'device-1')
    expect(report.refused).toBe(1)
    expect(client.pullCursors).toEqual([undefined])
    expect((await getMentee(mentee.id))?.residenceStatus).toBeNull()
    expect((await listRejections())[0]?.fields).toEqual({ residenceStatus: 'toleratedStay' })
    expect(await readCursor()).toBe('c-fresh')
  })

  // Found by the 10,000-schedule soak: the refusal came back, the copy was dropped, then the answer
  // to the next batch was lost; the need to pull from the start lived only in memory, so the next
  // sync pulled from its cursor and the record never came back.
  it('still pulls from the start after a refusal when the sync fails before its pull', async () => {
    const mentee = await createMentee(fictionalMentee())
    await db.outbox.clear()
    await db.settings.put({ key: 'syncCursor', value: 'c-before' })
    await updateMentee(mentee.id, fictionalMentee({ residenceStatus: 'toleratedStay' }))
    const first = await pendingEntries()
    const refusedSeq = first[0]!.seq!
    // Two batches: the refused change alone, then (made during the sync) 200 more edits.
    for (let i = 0; i < 200; i += 1) await db.outbox.add({ table: 'notes', recordId: otherId, op: 'upsert', fields: { text: `n${i}` }, at: 0, hlc: `00000000000000${i}` })
    let pushes = 0
    const failing = {
      push: (request: PushRequest): Promise<PushResponse> => {
        pushes += 1
        if (pushes === 2) return Promise.reject(new NetworkError({ cause: 'answer lost' }))
        const results = request.mutations.map((m) => (m.seq === refusedSeq ? { seq: m.seq, status: 'rejected' as const, reason: 'forbidden' as const } : { seq: m.seq, status: 'applied' as const }))
        return Promise.resolve({ ackSeq: Math.max(...request.mutations.map((m) => m.seq)), results, serverTime })
      },
      pull: () => Promise.reject(new Error('no pull expected in the failing sync')),
    }
    await expect(syncOnce(failing as unknown as SyncClient, 'device-1')).rejects.toBeInstanceOf(NetworkError)
    expect(await getMentee(mentee.id)).toBeUndefined()

    const pages: PullResponse[] = [
      { changes: [{ table: 'mentees', id: mentee.id, op: 'upsert', fields: { givenName: 'Testperson', familyName: 'Beispiel' }, hlc: {} }], cursor: 'c-fresh', through: 0, hasMore: false, serverTime },
    ]
    const client = new ScriptedClient(undefined, pages)
    await syncOnce(asClient(client), 'device-1')
    expect(client.pullCursors).toEqual([undefined])
    expect((await getMentee(mentee.id))?.givenName).toBe('Testperson')
  })

  it('drops a record refused as deleted without pulling from the start', async () => {
    const mentee = await createMentee(fictionalMentee())
    await db.settings.put({ key: 'syncCursor', value: 'c-before' })
    const client = new ScriptedClient((seq) => ({ seq, status: 'rejected', reason: 'deleted' }))
    await syncOnce(asClient(client), 'device-1')
    expect(client.pullCursors).toEqual(['c-before'])
    expect(await db.mentees.get(mentee.id)).toBeUndefined()
  })

  it('moves a refused change to the needs-attention list with its reason', async () => {
    await createMentee(fictionalMentee())
    const client = new ScriptedClient((seq) => ({ seq, status: 'rejected', reason: 'forbidden' }))
    const report = await syncOnce(asClient(client), 'device-1')
    expect(report.refused).toBe(1)
    expect((await outboxSummary()).count).toBe(0)
    const [rejection] = await listRejections()
    expect(rejection).toMatchObject({ table: 'mentees', reason: 'forbidden', op: 'upsert' })
    expect(rejection?.fields).toMatchObject({ givenName: 'Testperson' })
  })
})

describe('pull', () => {
  it('applies pulled changes but keeps fields that have an unsent local write', async () => {
    const mentee = await createMentee(fictionalMentee())
    const page: PullResponse = {
      changes: [
        { table: 'mentees', id: mentee.id, op: 'upsert', fields: { phone: '0000 pulled', germanLevel: 'B1' }, hlc: { phone: '1', germanLevel: '1' } },
        { table: 'mentees', id: otherId, op: 'upsert', fields: { givenName: 'Zweite', familyName: 'Beispiel' }, hlc: { givenName: '1' } },
      ] satisfies Change[],
      cursor: 'c1',
      through: 7,
      hasMore: false,
      serverTime,
    }
    await db.outbox.clear() // the creation was pushed earlier
    // The phone was changed here and not pushed yet when the page arrives.
    await updateMentee(mentee.id, fictionalMentee({ phone: '+49 1111' }))
    await applyPulledPage(page)
    const local = await getMentee(mentee.id)
    expect(local?.phone).toBe('+49 1111')
    expect(local?.germanLevel).toBe('B1')
    const other = await getMentee(otherId)
    expect(other).toMatchObject({ givenName: 'Zweite', familyName: 'Beispiel', stage: 'firstContact', languages: [] })
    expect(await readCursor()).toBe('c1')
  })

  it('merges a stored record into a page that otherwise brings only new ones, as if it had been read first', async () => {
    const mentee = await createMentee(fictionalMentee({ givenName: 'Schon da', familyName: 'Bleibt' }))
    const stored = (await getMentee(mentee.id))!
    await db.outbox.clear() // the creation was pushed earlier
    await updateMentee(mentee.id, fictionalMentee({ givenName: 'Schon da', familyName: 'Bleibt', phone: '+49 2222' }))
    const newIds = Array.from({ length: 6 }, () => crypto.randomUUID())
    const changes: Change[] = [
      ...newIds.map((id, i): Change => ({ table: 'mentees', id, op: 'upsert', fields: { givenName: `Neu ${i}` }, hlc: { givenName: '1' } })),
      // Behind the new ones: not among the records looked up first.
      { table: 'mentees', id: mentee.id, op: 'upsert', fields: { phone: '0000 pulled', germanLevel: 'B2' }, hlc: { phone: '1', germanLevel: '1' } },
    ]
    await applyPulledPage({ changes, cursor: 'c1', through: 1, hasMore: false })
    const local = await getMentee(mentee.id)
    expect(local).toMatchObject({ givenName: 'Schon da', familyName: 'Bleibt', phone: '+49 2222', germanLevel: 'B2', createdAt: stored.createdAt })
    for (const [i, id] of newIds.entries()) expect(await getMentee(id)).toMatchObject({ givenName: `Neu ${i}`, stage: 'firstContact' })
    expect(await db.mentees.count()).toBe(7)
    expect(await readCursor()).toBe('c1')
  })

  it('keeps a field written locally after the page was prepared and sealed, before it was applied', async () => {
    const mentee = await createMentee(fictionalMentee({ givenName: 'Schon da' }))
    // Edited here, then taken off this device by an earlier page (evicted): the edit still waits.
    const evicted = await createMentee(fictionalMentee({ givenName: 'Weg' }))
    await db.outbox.clear() // the creations were pushed earlier
    await updateMentee(evicted.id, fictionalMentee({ givenName: 'Weg', phone: '+49 4444' }))
    await db.mentees.delete(evicted.id)
    const changes: Change[] = [
      ...Array.from({ length: 5 }, (_, i): Change => ({ table: 'mentees', id: crypto.randomUUID(), op: 'upsert', fields: { givenName: `Neu ${i}` }, hlc: {} })),
      { table: 'mentees', id: mentee.id, op: 'upsert', fields: { phone: 'vom Server', germanLevel: 'C1' }, hlc: {} },
      { table: 'mentees', id: evicted.id, op: 'upsert', fields: { givenName: 'Zurück', phone: 'vom Server' }, hlc: {} },
    ]
    const prepared = preparePulledPage(changes)
    await prepared
    await updateMentee(mentee.id, fictionalMentee({ givenName: 'Schon da', phone: '+49 3333' }))
    await applyPulledPage({ changes, cursor: 'c1', through: 1, hasMore: false }, prepared)
    expect(await getMentee(mentee.id)).toMatchObject({ givenName: 'Schon da', phone: '+49 3333', germanLevel: 'C1' })
    // Not stored, but its phone has a local write waiting: the page does not bring the server's.
    expect(await getMentee(evicted.id)).toMatchObject({ givenName: 'Zurück', phone: '' })
    expect(await db.mentees.count()).toBe(7)
    expect(await readCursor()).toBe('c1')
  })

  it('writes nothing of a prepared page when the data is locked before it is applied', async () => {
    const changes: Change[] = [{ table: 'mentees', id: otherId, op: 'upsert', fields: { givenName: 'Gesperrt' }, hlc: {} }]
    const prepared = preparePulledPage(changes)
    await prepared
    useKeyForEveryDatabase(undefined)
    await expect(applyPulledPage({ changes, cursor: 'c1', through: 1, hasMore: false }, prepared)).rejects.toMatchObject({ kind: 'locked' })
    await expect(preparePulledPage(changes)).rejects.toMatchObject({ kind: 'locked' })
    const raw = new Dexie(db.name)
    await raw.open()
    expect(await raw.table('mentees').count()).toBe(0)
    expect(await raw.table('settings').get('syncCursor')).toBeUndefined()
    raw.close()
  })

  it('follows hasMore page by page and removes evicted and deleted records', async () => {
    const mentee = await createMentee(fictionalMentee())
    const pages: PullResponse[] = [
      { changes: [{ table: 'mentees', id: otherId, op: 'upsert', fields: { givenName: 'Weg' }, hlc: {} }], cursor: 'c1', through: 0, hasMore: true, serverTime },
      { changes: [{ table: 'mentees', id: otherId, op: 'evict' }, { table: 'mentees', id: mentee.id, op: 'delete' }], cursor: 'c2', through: 0, hasMore: false, serverTime },
    ]
    const client = new ScriptedClient(undefined, pages)
    await syncOnce(asClient(client), 'device-1')
    expect(client.pullCursors).toEqual([undefined, 'c1'])
    expect(await getMentee(otherId)).toBeUndefined()
    expect(await getMentee(mentee.id)).toBeUndefined()
    expect(await readCursor()).toBe('c2')
  })

  it('pulls from the start after reset_required and drops what the endpoint no longer sends', async () => {
    const kept = await createMentee(fictionalMentee({ givenName: 'Bleibt' }))
    await db.outbox.clear()
    await db.mentees.put({ ...(await getMentee(kept.id))!, id: otherId, givenName: 'Verschwindet' })
    await db.settings.put({ key: 'syncCursor', value: 'very-old' })
    const pages: PullResponse[] = [
      { changes: [{ table: 'mentees', id: kept.id, op: 'upsert', fields: { givenName: 'Bleibt' }, hlc: {} }], cursor: 'fresh', through: 0, hasMore: false, serverTime },
    ]
    const client = new ScriptedClient(undefined, pages, new EndpointError(409, 'reset_required', undefined))
    await syncOnce(asClient(client), 'device-1')
    expect(client.pullCursors).toEqual(['very-old', undefined])
    expect(await getMentee(kept.id)).toBeDefined()
    expect(await getMentee(otherId)).toBeUndefined()
    expect(await readCursor()).toBe('fresh')
  })
})

describe('what a write had seen', () => {
  // The endpoint logs a value a write replaces unseen; a device clock running ahead must not hide one.
  it('sends with each edit the `through` of the last pull before it, and nothing before the first pull', async () => {
    const mentee = await createMentee(fictionalMentee())
    const page = (through: number): PullResponse => ({ changes: [], cursor: `c${through}`, through, hasMore: false, serverTime })
    const client = new ScriptedClient(undefined, [page(41)])
    await syncOnce(asClient(client), 'device-1')
    expect(client.pushes[0]!.mutations[0]).not.toHaveProperty('seen')

    await updateMentee(mentee.id, fictionalMentee({ phone: '+49 1111' }))
    await applyPulledPage(page(57))
    await updateMentee(mentee.id, fictionalMentee({ phone: '+49 2222' }))
    const next = new ScriptedClient(undefined, [page(60)])
    await syncOnce(asClient(next), 'device-1')
    expect(next.pushes[0]!.mutations.map((m) => (m.op === 'upsert' ? m.seen : undefined))).toEqual([41, 57])
  })

  it('claims to have seen nothing while a pull from the start is under way', async () => {
    await applyPulledPage({ changes: [], cursor: 'c9', through: 9, hasMore: false })
    const mentee = await createMentee(fictionalMentee())
    expect((await pendingEntries())[0]?.seen).toBe(9)
    await db.outbox.clear()
    // A restored endpoint may number its changes anew: the old figure would hide values.
    await beginPullFromStart()
    await updateMentee(mentee.id, fictionalMentee({ phone: '+49 3333' }))
    expect((await pendingEntries())[0]?.seen).toBe(0)
  })

  // A record comes at the number of its latest change: a middle page's `through` may lie above a
  // value whose record is still on its way (its later change is further on).
  it('takes `through` only from the page that ends a pull', async () => {
    await applyPulledPage({ changes: [], cursor: 'c20', through: 20, hasMore: false })
    await applyPulledPage({ changes: [], cursor: 'c35', through: 35, hasMore: true })
    const mentee = await createMentee(fictionalMentee())
    expect((await pendingEntries())[0]?.seen).toBe(20)
    await applyPulledPage({ changes: [], cursor: 'c50', through: 50, hasMore: false })
    await updateMentee(mentee.id, fictionalMentee({ phone: '+49 4444' }))
    expect((await pendingEntries()).map((entry) => entry.seen)).toEqual([20, 50])
  })
})

describe('pull, asking for the next page while one is applied', () => {
  const upsert = (id: string, fields: Record<string, unknown>): Change => ({ table: 'mentees', id, op: 'upsert', fields, hlc: {} })
  const ids = ['1b8c7d5e-9f3a-4c2b-8e1d-6a7f5b4c3d21', '2b8c7d5e-9f3a-4c2b-8e1d-6a7f5b4c3d22', '3b8c7d5e-9f3a-4c2b-8e1d-6a7f5b4c3d23'] as const

  /** Serves pages by cursor; `before(cursor)` runs when a pull is asked for, before it answers. */
  class PagedClient {
    readonly pullCursors: (string | undefined)[] = []
    /** The stored cursor at the moment each pull was asked for. */
    readonly storedCursorAtPull: (string | undefined)[] = []
    constructor(
      private readonly pages: Map<string, PullResponse | Error>,
      private readonly before: (cursor: string | undefined) => Promise<void> = async () => undefined,
    ) {}
    push(): Promise<PushResponse> {
      return Promise.resolve({ ackSeq: 0, results: [], serverTime })
    }
    async pull(cursor: string | undefined): Promise<PullResponse> {
      this.pullCursors.push(cursor)
      this.storedCursorAtPull.push(await readCursor())
      await this.before(cursor)
      const page = this.pages.get(cursor ?? '')
      if (!page) throw new Error(`no page after ${cursor}`)
      if (page instanceof Error) throw page
      return page
    }
  }

  it('asks for page n+1 before page n is stored, and applies the pages in order with their cursors', async () => {
    const client = new PagedClient(
      new Map([
        ['', { changes: [upsert(ids[0], { givenName: 'Eins', phone: 'erste Seite' })], cursor: 'c1', through: 0, hasMore: true, serverTime }],
        ['c1', { changes: [upsert(ids[0], { phone: 'zweite Seite' }), upsert(ids[1], { givenName: 'Zwei' })], cursor: 'c2', through: 0, hasMore: true, serverTime }],
        ['c2', { changes: [upsert(ids[2], { givenName: 'Drei' })], cursor: 'c3', through: 0, hasMore: false, serverTime }],
      ]),
    )
    const report = await syncOnce(asClient(client as unknown as ScriptedClient), 'device-1')
    expect(client.pullCursors).toEqual([undefined, 'c1', 'c2'])
    // Each next page was asked for before the page before it was stored: the two overlapped.
    expect(client.storedCursorAtPull).toEqual([undefined, undefined, 'c1'])
    expect(report.pulled).toBe(4)
    expect((await getMentee(ids[0]))?.phone).toBe('zweite Seite')
    expect(await getMentee(ids[2])).toMatchObject({ givenName: 'Drei' })
    expect(await readCursor()).toBe('c3')
  })

  it('stops at a page that fails, keeps the pages before it, and applies none after it', async () => {
    const client = new PagedClient(
      new Map<string, PullResponse | Error>([
        ['', { changes: [upsert(ids[0], { givenName: 'Eins' })], cursor: 'c1', through: 0, hasMore: true, serverTime }],
        ['c1', new NetworkError()],
        ['c2', { changes: [upsert(ids[2], { givenName: 'Drei' })], cursor: 'c3', through: 0, hasMore: false, serverTime }],
      ]),
    )
    await expect(syncOnce(asClient(client as unknown as ScriptedClient), 'device-1')).rejects.toBeInstanceOf(NetworkError)
    expect(client.pullCursors).toEqual([undefined, 'c1'])
    expect(await getMentee(ids[0])).toBeDefined()
    expect(await getMentee(ids[2])).toBeUndefined()
    expect(await readCursor()).toBe('c1')
  })

  it('stores neither a page that cannot be applied nor the one asked for meanwhile, and leaves no unhandled failure', async () => {
    const broken = { table: 'noSuchTable', id: ids[0], op: 'upsert', fields: {}, hlc: {} } as unknown as Change
    const client = new PagedClient(
      new Map<string, PullResponse | Error>([
        ['', { changes: [upsert(ids[0], { givenName: 'Eins' })], cursor: 'c1', through: 0, hasMore: true, serverTime }],
        ['c1', { changes: [upsert(ids[1], { givenName: 'Zwei' }), broken], cursor: 'c2', through: 0, hasMore: true, serverTime }],
        ['c2', new NetworkError()],
      ]),
    )
    await expect(syncOnce(asClient(client as unknown as ScriptedClient), 'device-1')).rejects.not.toBeInstanceOf(NetworkError)
    expect(client.pullCursors).toEqual([undefined, 'c1', 'c2'])
    expect(await getMentee(ids[1])).toBeUndefined()
    expect(await readCursor()).toBe('c1')
  })

  it('keeps a field written locally while the next page was on its way', async () => {
    const mentee = await createMentee(fictionalMentee())
    await db.outbox.clear() // the creation was pushed earlier
    const client = new PagedClient(
      new Map([
        ['', { changes: [upsert(otherId, { givenName: 'Andere' })], cursor: 'c1', through: 0, hasMore: true, serverTime }],
        ['c1', { changes: [upsert(mentee.id, { phone: 'vom Server', germanLevel: 'C1' })], cursor: 'c2', through: 0, hasMore: false, serverTime }],
      ]),
      async (cursor) => {
        // The user edits the phone number while the page that also changes it is on its way.
        if (cursor === 'c1') await updateMentee(mentee.id, fictionalMentee({ phone: '+49 2222' }))
      },
    )
    await syncOnce(asClient(client as unknown as ScriptedClient), 'device-1')
    const local = await getMentee(mentee.id)
    expect(local?.phone).toBe('+49 2222')
    expect(local?.germanLevel).toBe('C1')
    expect((await outboxSummary()).count).toBe(1)
  })

  it('pulls from the start when a later page answers reset_required', async () => {
    await db.settings.put({ key: 'syncCursor', value: 'old' })
    const client = new PagedClient(
      new Map<string, PullResponse | Error>([
        ['old', { changes: [upsert(ids[0], { givenName: 'Eins' })], cursor: 'old-1', through: 0, hasMore: true, serverTime }],
        ['old-1', new EndpointError(409, 'reset_required', undefined)],
        ['', { changes: [upsert(ids[1], { givenName: 'Zwei' })], cursor: 'fresh', through: 0, hasMore: false, serverTime }],
      ]),
    )
    await syncOnce(asClient(client as unknown as ScriptedClient), 'device-1')
    expect(client.pullCursors).toEqual(['old', 'old-1', undefined])
    // The pull from the start drops what it did not send.
    expect(await getMentee(ids[0])).toBeUndefined()
    expect(await getMentee(ids[1])).toBeDefined()
    expect(await readCursor()).toBe('fresh')
  })
})

// Found by the sync simulation: the pull from the start after reset_required was cut off after its
// first page (a crash); the next sync carried on from that page's cursor as an ordinary pull and
// never dropped the records the endpoint had deleted and purged meanwhile.
describe('a pull from the start that is cut off', () => {
  it('starts over at the next sync and then drops what the endpoint no longer sends', async () => {
    const kept = await createMentee(fictionalMentee({ givenName: 'Bleibt' }))
    await db.outbox.clear()
    await db.mentees.put({ ...(await getMentee(kept.id))!, id: otherId, givenName: 'Gelöscht und verjährt' })
    await db.settings.put({ key: 'syncCursor', value: 'very-old' })
    const keptChange: Change = { table: 'mentees', id: kept.id, op: 'upsert', fields: { givenName: 'Bleibt' }, hlc: {} }
    const firstPage: PullResponse = { changes: [keptChange], cursor: 'fresh-1', through: 0, hasMore: true, serverTime }
    // The second page never comes.
    class CutOff extends ScriptedClient {
      override pull(cursor: string | undefined): Promise<PullResponse> {
        return cursor === 'fresh-1' ? Promise.reject(new NetworkError()) : super.pull(cursor)
      }
    }
    const cutOff = new CutOff(undefined, [firstPage], new EndpointError(409, 'reset_required', undefined))
    await expect(syncOnce(asClient(cutOff), 'device-1')).rejects.toBeInstanceOf(NetworkError)
    expect(await getMentee(otherId)).toBeDefined()

    const next = new ScriptedClient(undefined, [{ changes: [keptChange], cursor: 'fresh-2', through: 0, hasMore: false, serverTime }])
    await syncOnce(asClient(next), 'device-1')
    expect(next.pullCursors).toEqual([undefined])
    expect(await getMentee(otherId)).toBeUndefined()
    expect(await getMentee(kept.id)).toBeDefined()

    const after = new ScriptedClient()
    await syncOnce(asClient(after), 'device-1')
    expect(after.pullCursors).toEqual(['fresh-2'])
  })
})

describe('the local clock', () => {
  it('stays past stamps it received, also after the app was closed and opened again', async () => {
    const { loadLocalClock } = await import('@/db/clock')
    const { openDatabase, useDatabase } = await import('@/db/db')
    const ahead = `${String(Date.now() + 120_000).padStart(15, '0')}:00007:other-device`
    await applyPulledPage({ changes: [{ table: 'mentees', id: otherId, op: 'upsert', fields: { givenName: 'Voraus' }, hlc: { givenName: ahead } }], cursor: 'c1', through: 1, hasMore: false })
    // A restart: the same database opened anew, with no clock in memory.
    const reopened = openDatabase(db.name)
    useDatabase(reopened)
    const stamp = (await loadLocalClock()).now()
    expect(stamp > ahead).toBe(true)
  })
})
