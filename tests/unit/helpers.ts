import { openDatabase, useDatabase, type LotseDatabase } from '@/db/db'
import { emptyMentee, type MenteeFields } from '@/shared/records'

/** A fresh, empty database on fake-indexeddb for one test. */
export function freshDatabase(): LotseDatabase {
  const db = openDatabase(`test-${crypto.randomUUID()}`)
  useDatabase(db)
  return db
}

/** A mentee with clearly fictional data. */
export function fictionalMentee(overrides: Partial<MenteeFields> = {}): MenteeFields {
  return { ...emptyMentee(), givenName: 'Testperson', familyName: 'Beispiel', ...overrides }
}
