import { HybridLogicalClock } from '@/shared/hlc'
import { getDatabase, type LotseDatabase } from './db'

const NODE_KEY = 'clockNode'
const LAST_KEY = 'clockLast'

interface LocalClock {
  db: LotseDatabase
  clock: HybridLogicalClock
}
let local: LocalClock | undefined

/**
 * The device's hybrid logical clock. Its node id is random per installation; it starts past the
 * last stamp this device issued, so stamps keep growing across restarts even if the wall clock
 * was set back.
 */
export async function loadLocalClock(): Promise<HybridLogicalClock> {
  const db = getDatabase()
  if (local?.db === db) return local.clock
  const [node, last] = await Promise.all([db.settings.get(NODE_KEY), db.settings.get(LAST_KEY)])
  let nodeId = typeof node?.value === 'string' ? node.value : undefined
  if (!nodeId) {
    nodeId = crypto.randomUUID()
    await db.settings.put({ key: NODE_KEY, value: nodeId })
  }
  const clock = new HybridLogicalClock(nodeId)
  if (typeof last?.value === 'string') clock.observe(last.value)
  local = { db, clock }
  return clock
}

/** Within a write transaction: remember the newest stamp issued. */
export async function rememberStamp(stamp: string): Promise<void> {
  await getDatabase().settings.put({ key: LAST_KEY, value: stamp })
}
