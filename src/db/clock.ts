import { HybridLogicalClock } from '@/shared/hlc'
import { CLOCK_LAST_SETTING, getDatabase, type LotseDatabase } from './db'

const NODE_KEY = 'clockNode'
const LAST_KEY = CLOCK_LAST_SETTING

const clocks = new WeakMap<LotseDatabase, HybridLogicalClock>()
const wallClocks = new WeakMap<LotseDatabase, () => number>()

/** Gives one device's database its own wall clock (the sync simulation skews device clocks). */
export function setWallClock(db: LotseDatabase, wallClock: () => number): void {
  wallClocks.set(db, wallClock)
  clocks.delete(db)
}

/**
 * The device's hybrid logical clock. Its node id is random per installation; it starts past the
 * last stamp this device issued, so stamps keep growing across restarts even if the wall clock
 * was set back.
 */
export async function loadLocalClock(): Promise<HybridLogicalClock> {
  const db = getDatabase()
  const known = clocks.get(db)
  if (known) return known
  const [node, last] = await Promise.all([db.settings.get(NODE_KEY), db.settings.get(LAST_KEY)])
  let nodeId = typeof node?.value === 'string' ? node.value : undefined
  if (!nodeId) {
    nodeId = crypto.randomUUID()
    await db.settings.put({ key: NODE_KEY, value: nodeId })
  }
  const clock = new HybridLogicalClock(nodeId, () => (wallClocks.get(db) ?? Date.now)())
  if (typeof last?.value === 'string') clock.observe(last.value)
  clocks.set(db, clock)
  return clock
}

/** Within a write transaction: remember the newest stamp issued or seen, so a restart starts past it. */
export async function rememberStamp(stamp: string): Promise<void> {
  await getDatabase().settings.put({ key: LAST_KEY, value: stamp })
}
