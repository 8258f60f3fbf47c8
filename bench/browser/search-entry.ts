/**
 * Browser side of the search benchmark: the app's real data layer and search code, bundled by
 * bench/search.ts with Vite into dist-bench/ and driven through `window.lotseBench`.
 */
import { Dexie, type EntityTable } from 'dexie'
import { createPinia, setActivePinia } from 'pinia'
import { defineSchema, getDatabase, useDatabase, type LotseDatabase } from '@/db/db'
import { createKeyring, hasKeyring, lockLocalData, unlock as unlockLocalData } from '@/db/keyring'
import { listMentees } from '@/db/repositories/mentees'
import { toIsoDate } from '@/shared/dates'
import { menteeDisplayName, type Mentee } from '@/shared/records'
import { buildSearchKey } from '@/shared/search'
import { attentionReasons, compareByName, filterMentees, type IndexedMentee, type MenteeFilters } from '@/stores/mentee-query'
import { useMenteesStore } from '@/stores/mentees'
import type { IndexBreakdown, IndexBuildResult, IndexSource, KeystrokeRun, LotseBenchApi, SeedResult } from '../shared/api'

/** The page size of the mentee list (MenteeListView renders this many cards at first). */
const PAGE_SIZE = 50
const BASELINE_DATABASE = 'lotse-bench-baseline'
/** The app's schema without encryption at rest: what sealing costs is measured against it. */
const PLAIN_DATABASE = 'lotse-bench-plain'
const BENCH_PASSPHRASE = 'bench passphrase, made up'

type BaselineDatabase = Dexie & { mentees: EntityTable<Mentee, 'id'> }

function openBaseline(): BaselineDatabase {
  const db = new Dexie(BASELINE_DATABASE) as BaselineDatabase
  db.version(1).stores({ mentees: 'id, givenName' })
  return db
}

setActivePinia(createPinia())
const store = useMenteesStore()
const baseline = openBaseline()
const sealed: LotseDatabase = getDatabase()
const plain = new Dexie(PLAIN_DATABASE) as LotseDatabase
defineSchema(plain)
const today = toIsoDate(new Date())

/** What a card of the first page reads: the name and the attention badges. */
function readPage(mentees: readonly Mentee[]): number {
  let sink = 0
  for (const mentee of mentees) sink += menteeDisplayName(mentee).length + attentionReasons(mentee, today).length
  return sink
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}

async function seed(mentees: Mentee[]): Promise<SeedResult> {
  useDatabase(sealed)
  if (!(await hasKeyring())) await createKeyring(BENCH_PASSPHRASE)
  const app = sealed
  await app.mentees.clear()
  await app.mentees.bulkAdd(mentees)
  await plain.mentees.clear()
  await plain.mentees.bulkAdd(mentees)
  await baseline.mentees.clear()
  await baseline.mentees.bulkAdd(mentees)
  return { appCount: await app.mentees.count(), baselineCount: await baseline.mentees.count() }
}

async function unlock(): Promise<number> {
  useDatabase(sealed)
  lockLocalData()
  const start = performance.now()
  const outcome = await unlockLocalData(BENCH_PASSPHRASE)
  const ms = performance.now() - start
  if (!outcome.ok) throw new Error('the bench passphrase did not unlock')
  return ms
}

/** The sorted index last built from each database. */
const built: Partial<Record<IndexSource, readonly IndexedMentee[]>> = {}

async function buildIndex(source: IndexSource): Promise<IndexBuildResult> {
  useDatabase(source === 'sealed' ? sealed : plain)
  const start = performance.now()
  await store.reload()
  const count = store.sorted.length
  built[source] = store.sorted
  return { totalMs: performance.now() - start, count }
}

/** The same work in steps, to see where the time goes. */
async function indexBreakdown(): Promise<IndexBreakdown> {
  const t0 = performance.now()
  const all = await listMentees()
  const t1 = performance.now()
  const indexed: IndexedMentee[] = all.map((mentee) => ({
    mentee,
    searchKey: buildSearchKey(mentee.givenName, mentee.familyName),
  }))
  const t2 = performance.now()
  const compare = compareByName(new Intl.Collator('de', { sensitivity: 'base', numeric: true }))
  indexed.sort((a, b) => compare(a.mentee, b.mentee))
  const t3 = performance.now()
  return { listMs: t1 - t0, keysMs: t2 - t1, sortMs: t3 - t2 }
}

async function typeWords(words: readonly string[], rounds: number): Promise<KeystrokeRun> {
  const run: KeystrokeRun = { ours: [], baseline: [], oursMatches: 0, baselineMatches: 0 }
  const filters: MenteeFilters = { query: '', stage: '', school: '', needsAttention: false }
  let sink = 0
  for (let round = 0; round < rounds; round++) {
    for (const word of words) {
      for (let length = 1; length <= word.length; length++) {
        const query = word.slice(0, length)
        if (query.endsWith(' ')) continue // the space alone changes nothing for either search

        const t0 = performance.now()
        const results = filterMentees(store.sorted, { ...filters, query }, today)
        sink += readPage(results.slice(0, PAGE_SIZE).map((r) => r.mentee))
        const t1 = performance.now()
        run.ours.push(t1 - t0)
        run.oursMatches += results.length
        await nextTask()

        const t2 = performance.now()
        const rows = await baseline.mentees.where('givenName').startsWithIgnoreCase(query).limit(PAGE_SIZE).toArray()
        sink += readPage(rows)
        const t3 = performance.now()
        run.baseline.push(t3 - t2)
        run.baselineMatches += rows.length
        await nextTask()
      }
    }
  }
  if (sink < 0) throw new Error('unreachable: keeps the page reads from being optimised away')
  return run
}

async function typeBoth(words: readonly string[], rounds: number): Promise<{ sealed: number[]; plain: number[] }> {
  const [sealedIndex, plainIndex] = [built.sealed, built.plain]
  if (!sealedIndex || !plainIndex) throw new Error('build both indexes first')
  const indexes: Record<IndexSource, readonly IndexedMentee[]> = { sealed: sealedIndex, plain: plainIndex }
  const times: { sealed: number[]; plain: number[] } = { sealed: [], plain: [] }
  const filters: MenteeFilters = { query: '', stage: '', school: '', needsAttention: false }
  let sink = 0
  let turn = 0
  for (let round = 0; round < rounds; round++) {
    for (const word of words) {
      for (let length = 1; length <= word.length; length++) {
        const query = word.slice(0, length)
        if (query.endsWith(' ')) continue
        const order: IndexSource[] = turn++ % 2 === 0 ? ['sealed', 'plain'] : ['plain', 'sealed']
        for (const source of order) {
          const t0 = performance.now()
          const results = filterMentees(indexes[source], { ...filters, query }, today)
          sink += readPage(results.slice(0, PAGE_SIZE).map((r) => r.mentee))
          times[source].push(performance.now() - t0)
          await nextTask()
        }
      }
    }
  }
  if (sink < 0) throw new Error('unreachable: keeps the page reads from being optimised away')
  return times
}

const api: LotseBenchApi = { seed, unlock, buildIndex, indexBreakdown, typeWords, typeBoth }
window.lotseBench = api
document.body.dataset.ready = 'true'
