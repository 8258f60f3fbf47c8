import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signIn } from '../../server/accounts/accounts'
import type { Database } from '../../server/db/database'
import { DEMO_MENTEE_COUNT, seedDemoIfEmpty, type DemoAccount } from '../../server/demo'
import { isStamp } from '../../src/shared/hlc'
import { TABLE_FIELDS } from '../../src/shared/protocol'
import type { SyncedTable } from '../../src/shared/records'
import { validateFields } from '../../src/shared/validation'
import { forEachDatabase } from './databases'

interface RecordRow {
  tbl: SyncedTable
  id: string
  team_id: string | null
  mentee_id: string
  parent_id: string | null
  fields: Record<string, unknown>
  stamps: Record<string, string>
  writers: Record<string, { userId: string; deviceId: string; receivedAt: number }>
  created_by: string
  change_seq: number
}

const SEEDING_TIMEOUT_MS = 180_000

for (const database of forEachDatabase()) {
  describe.skipIf(!database.available)(`demo municipality on ${database.name}`, () => {
    let db: Database
    let accounts: DemoAccount[] | undefined
    let records: RecordRow[]

    beforeAll(async () => {
      db = await database.open()
      accounts = await seedDemoIfEmpty(db)
      records = (await db.query<RecordRow>('SELECT * FROM records ORDER BY change_seq')).rows
    }, SEEDING_TIMEOUT_MS)
    afterAll(async () => {
      await db?.close()
    })

    it('creates two teams and a user of every role with a working, random password', async () => {
      expect(accounts?.map((account) => account.role).sort()).toEqual(
        ['coach', 'coach', 'coordinator', 'guide', 'pate', 'pate', 'pate'],
      )
      const { rows: teams } = await db.query<{ name: string }>('SELECT name FROM teams ORDER BY name')
      expect(teams.map((team) => team.name)).toEqual(['Team Essen', 'Team Lemgo'])
      const coordinator = accounts!.find((account) => account.role === 'coordinator')!
      expect(coordinator.password).toMatch(/^[A-Za-z0-9]{14}$/)
      const result = await signIn(db, { username: coordinator.username, password: coordinator.password, deviceName: 'Demo', address: '127.0.0.1' })
      expect(result.ok).toBe(true)
    })

    it('writes about 200 mentees with notes, appointments and checklist items, all valid', () => {
      const byTable = (table: SyncedTable) => records.filter((record) => record.tbl === table)
      expect(byTable('mentees')).toHaveLength(DEMO_MENTEE_COUNT)
      expect(byTable('notes').length).toBeGreaterThan(100)
      expect(byTable('appointments').length).toBeGreaterThan(50)
      expect(byTable('checklistItems').length).toBeGreaterThan(byTable('appointments').length)
      for (const record of records) {
        const checked = validateFields(record.tbl, record.fields)
        expect(checked.ok, `${record.tbl} ${record.id}`).toBe(true)
        expect(Object.keys(record.fields).sort()).toEqual([...TABLE_FIELDS[record.tbl]].sort())
        expect(Object.keys(record.stamps).sort()).toEqual(Object.keys(record.fields).sort())
        expect(Object.values(record.stamps).every((stamp) => isStamp(stamp) && stamp.endsWith(':demo'))).toBe(true)
        expect(Object.values(record.writers).every((writer) => writer.userId === record.created_by)).toBe(true)
      }
    })

    it('ties every record to its mentee, parent and team, and numbers every change once', () => {
      const mentees = new Map(records.filter((record) => record.tbl === 'mentees').map((record) => [record.id, record]))
      const appointments = new Map(records.filter((record) => record.tbl === 'appointments').map((record) => [record.id, record]))
      const fairs = new Map(records.filter((record) => record.tbl === 'events').map((record) => [record.id, record]))
      expect(fairs.size).toBeGreaterThan(0)
      for (const record of records) {
        if (record.tbl === 'events' || record.tbl === 'leads') {
          // Job-fair records anchor themselves; a lead hangs under its fair and shares its team.
          expect(record.mentee_id).toBe(record.id)
          if (record.tbl === 'leads') {
            expect(record.fields.eventId).toBe(record.parent_id)
            expect(record.team_id).toBe(fairs.get(record.parent_id!)!.team_id)
          }
          continue
        }
        if (record.tbl === 'mentees') {
          expect(record.mentee_id).toBe(record.id)
          expect(record.parent_id).toBeNull()
        } else if (record.tbl === 'checklistItems') {
          const appointment = appointments.get(record.parent_id!)!
          expect(record.fields.appointmentId).toBe(appointment.id)
          expect(record.mentee_id).toBe(appointment.mentee_id)
        } else {
          expect(record.parent_id).toBe(record.mentee_id)
          expect(record.fields.menteeId).toBe(record.mentee_id)
        }
        expect(record.team_id).toBe(mentees.get(record.mentee_id)!.team_id)
      }
      const seqs = records.map((record) => record.change_seq)
      expect(new Set(seqs).size).toBe(seqs.length)
      // Names are obviously invented.
      const names = [...mentees.values()].map((mentee) => `${String(mentee.fields.givenName)} ${String(mentee.fields.familyName)}`)
      expect(names.some((name) => /Testperson|Musterfrau|Mustermann|Beispiel/.test(name))).toBe(true)
      expect(names.some((name) => /[\u0600-\u06FF]/.test(name))).toBe(true)
      expect(names.some((name) => /[\u0400-\u04FF]/.test(name))).toBe(true)
    })

    it('assigns mentees to the Paten, shares a few, with access events after the records', async () => {
      const { rows: assignments } = await db.query<{ username: string; count: number }>(
        `SELECT u.username, count(*) AS count FROM assignments a JOIN users u ON u.id = a.user_id GROUP BY u.username`,
      )
      expect(assignments).toHaveLength(3)
      const { rows: shares } = await db.query('SELECT 1 FROM shares')
      expect(shares.length).toBeGreaterThan(0)
      const { rows: events } = await db.query<{ seq: number; kind: string }>('SELECT seq, kind FROM access_events ORDER BY seq')
      expect(events.length).toBe(assignments.reduce((sum, row) => sum + row.count, 0) + shares.length)
      expect(events[0]!.seq).toBeGreaterThan(records.at(-1)!.change_seq)
    })

    it('leaves a database with data alone', async () => {
      expect(await seedDemoIfEmpty(db)).toBeUndefined()
      const { rows } = await db.query<{ count: number }>('SELECT count(*) AS count FROM users')
      expect(rows[0]?.count).toBe(7)
    })
  })
}
