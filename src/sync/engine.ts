import {
  applyPulledPage,
  beginPullFromStart,
  nextOutboxBatch,
  observeServerTime,
  preparePulledPage,
  type PreparedPage,
  pullFromStartUnderWay,
  readCursor,
  removeRecordsNotIn,
  saveLastSyncAt,
  settleOutbox,
} from '@/db/sync-store'
import type { OutboxEntry } from '@/db/db'
import { MAX_PUSH_BATCH, PROTOCOL_SCHEMA_VERSION, type Mutation, type MutationResult, type PullResponse } from '@/shared/protocol'
import { SYNCED_TABLES, type SyncedTable } from '@/shared/records'
import { EndpointError, type SyncClient } from './client'

export const PULL_PAGE_SIZE = 1000

/**
 * What a pull spent its time on, page by page, for whoever wants to know (the benchmark): how
 * long the engine waited for the page to arrive after it was ready for it, and how long applying
 * it took. With the next page asked for while one is applied, the two overlap.
 */
export interface PullObserver {
  pageApplied(page: { changes: number; waitMs: number; applyMs: number }): void
}

export interface SyncReport {
  pushed: number
  refused: number
  superseded: { table: SyncedTable; recordId: string; fields: string[] }[]
  pulled: number
  /** Tables that received changes, so the screens showing them can refresh. */
  changedTables: Set<SyncedTable>
}

function toMutation(entry: OutboxEntry): Mutation {
  const seq = entry.seq ?? 0
  return entry.op === 'delete'
    ? { seq, table: entry.table, id: entry.recordId, op: 'delete', hlc: entry.hlc }
    : { seq, table: entry.table, id: entry.recordId, op: 'upsert', fields: entry.fields, hlc: entry.hlc, ...(entry.seen !== undefined ? { seen: entry.seen } : {}) }
}

/**
 * Pushes the whole outbox in batches, oldest first; a batch sent twice is applied once. Returns
 * whether a change was refused for a reason other than its record being deleted: the endpoint
 * still has that record (or may), and only a pull from the start brings back its version of it.
 */
async function pushAll(client: SyncClient, deviceId: string, report: SyncReport): Promise<boolean> {
  let pullFromStart = false
  for (;;) {
    const batch = await nextOutboxBatch(MAX_PUSH_BATCH)
    if (batch.length === 0) return pullFromStart
    const response = await client.push({
      deviceId,
      schemaVersion: PROTOCOL_SCHEMA_VERSION,
      mutations: batch.map(toMutation),
    })
    await observeServerTime(response.serverTime)
    const bySeq = new Map<number, MutationResult>(response.results.map((r) => [r.seq, r]))
    const acknowledged: number[] = []
    const refused: Parameters<typeof settleOutbox>[1] = []
    for (const entry of batch) {
      const seq = entry.seq ?? 0
      const result = bySeq.get(seq)
      if (result?.status === 'rejected') {
        refused.push({ entry, rejection: { reason: result.reason ?? 'invalid', detail: result.detail } })
      } else if (result || seq <= response.ackSeq) {
        acknowledged.push(seq)
        if (result?.status === 'superseded' && result.fields?.length) {
          report.superseded.push({ table: entry.table, recordId: entry.recordId, fields: result.fields })
        }
      }
    }
    if (acknowledged.length + refused.length === 0) {
      // The endpoint answered without settling anything: stop rather than loop on the same batch.
      throw new EndpointError(502, undefined, undefined)
    }
    await settleOutbox(acknowledged, refused)
    report.pushed += acknowledged.length
    report.refused += refused.length
    if (refused.some(({ rejection }) => rejection.reason !== 'deleted')) pullFromStart = true
  }
}

/** A pulled page, and its records being worked out and sealed meanwhile (`preparePulledPage`). */
interface Arrival {
  page: PullResponse
  prepared: Promise<PreparedPage>
}

function pullPage(client: SyncClient, cursor: string | undefined): Promise<Arrival> {
  return client.pull(cursor, PULL_PAGE_SIZE).then((page) => {
    const prepared = preparePulledPage(page.changes)
    // Awaited when the page is applied; a page dropped unapplied leaves no unhandled failure.
    prepared.catch(() => undefined)
    return { page, prepared }
  })
}

/**
 * Pulls pages until the endpoint has nothing more; each page is applied with its cursor, in one
 * transaction, in order. The next page is asked for as soon as a page arrives, so the endpoint
 * reads and sends it while this one is applied (the two take about as long), and its records are
 * worked out and sealed as soon as it arrives, while the page before it is written. Doing both
 * early changes nothing that is applied: a page's changes meet the outbox and the stored records
 * only inside the transaction that applies them, so a field written locally meanwhile is kept
 * all the same. When applying fails, the page asked for early is dropped unapplied; when that
 * page fails, the pages before it stay applied with their cursor, and the error ends the pull as
 * it would have one page later.
 */
async function pullAll(client: SyncClient, report: SyncReport, seen?: Map<SyncedTable, Set<string>>, observer?: PullObserver): Promise<void> {
  const cursor = seen ? undefined : await readCursor()
  let next: Promise<Arrival> | undefined = pullPage(client, cursor)
  while (next) {
    const waitStart = performance.now()
    const { page, prepared }: Arrival = await next
    const applyStart = performance.now()
    next = page.hasMore ? pullPage(client, page.cursor) : undefined
    // Awaited after this page is applied; until then (or for good, when applying fails: it is
    // pulled again from the stored cursor) its failure is not an unhandled one.
    next?.catch(() => undefined)
    await applyPulledPage(page, prepared)
    await observeServerTime(page.serverTime)
    observer?.pageApplied({ changes: page.changes.length, waitMs: applyStart - waitStart, applyMs: performance.now() - applyStart })
    for (const change of page.changes) {
      report.changedTables.add(change.table)
      if (seen && change.op === 'upsert') {
        const ids = seen.get(change.table) ?? new Set<string>()
        ids.add(change.id)
        seen.set(change.table, ids)
      }
      if (seen && change.op !== 'upsert') seen.get(change.table)?.delete(change.id)
    }
    report.pulled += page.changes.length
  }
}

/**
 * One full sync: push everything, then pull everything. When the endpoint no longer has the
 * history behind our cursor, or refused a change to a record it still has, pull again from the
 * start and drop what it no longer sends; a pull from the start that did not finish starts over.
 */
export async function syncOnce(client: SyncClient, deviceId: string, observer?: PullObserver): Promise<SyncReport> {
  const report: SyncReport = { pushed: 0, refused: 0, superseded: [], pulled: 0, changedTables: new Set() }
  let fromStart = (await pushAll(client, deviceId, report)) || (await pullFromStartUnderWay())
  if (!fromStart) {
    try {
      await pullAll(client, report, undefined, observer)
    } catch (error) {
      if (!(error instanceof EndpointError && error.code === 'reset_required')) throw error
      fromStart = true
    }
  }
  if (fromStart) {
    await beginPullFromStart()
    const seen = new Map<SyncedTable, Set<string>>()
    await pullAll(client, report, seen, observer)
    await removeRecordsNotIn(seen)
    for (const table of SYNCED_TABLES) report.changedTables.add(table)
  }
  await saveLastSyncAt(Date.now())
  return report
}
