/**
 * PGlite data directories for the benchmark's endpoints. initdb in WebAssembly takes several
 * seconds, so it runs once: later directories are copies of a migrated, empty one. They live on
 * tmpfs (/dev/shm) when there is one, which only makes copying and seeding quicker (PGlite does
 * not fsync either way), and are removed at the end.
 */
import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { openDatabase } from '../../server/db/database'

export interface PgliteDirs {
  root: string
  /** A new data directory: a copy of the migrated, empty template. */
  fresh(name: string): Promise<string>
  remove(): Promise<void>
}

export async function preparePgliteDirs(): Promise<PgliteDirs> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()
  const root = await mkdtemp(path.join(base, 'lotse-bench-'))
  const template = path.join(root, 'template')
  const db = await openDatabase({ dataDir: template })
  await db.close()
  return {
    root,
    async fresh(name) {
      const dir = path.join(root, name)
      await cp(template, dir, { recursive: true })
      return dir
    },
    remove: () => rm(root, { recursive: true, force: true }),
  }
}
