/**
 * Figures for funders, counted in SQL over `records` (jsonb operators only, so PGlite and
 * PostgreSQL answer alike). The definitions are those of `computeReport` in
 * `src/shared/reports.ts`, which counts the same on a device; the tests hold both to the same
 * answer. Only counts leave this module: rows are grouped in SQL, no id or name of a person is
 * read into memory (event and employer names are organisations', for the labels).
 *
 * Dates are compared as text under the "C" collation: `YYYY-MM-DD` sorts as it should whatever the
 * database's own collation, and a value that is not a date cannot make a cast fail.
 */
import {
  compareText,
  IFK_OFFER_KEYS,
  PROGRESS_LEVELS,
  TRANSITION_STAGES,
  zeroCounts,
  type FairCounts,
  type ProgressLevel,
  type ReportCounts,
  type ReportPeriod,
} from '../src/shared/reports'
import { GERMAN_LEVELS, GOALS, LEAD_OUTCOMES, STAGES } from '../src/shared/vocabulary'
import type { Database, Queryable } from './db/database'

/** A jsonb array field, or an empty array when it is missing or not an array. */
const arrayOf = (expression: string) => `CASE WHEN jsonb_typeof(${expression}) = 'array' THEN ${expression} ELSE '[]'::jsonb END`
const dateOf = (expression: string) => `(${expression}) COLLATE "C"`

/** Live mentees of the team (`$1`, null: all teams). */
const MENTEES = `r.tbl = 'mentees' AND NOT r.deleted AND ($1::uuid IS NULL OR r.team_id = $1::uuid)`
/** Live events of the team (`$1`) dated in the period (`$2`..`$3`). */
const EVENT = `e.tbl = 'events' AND NOT e.deleted AND ($1::uuid IS NULL OR e.team_id = $1::uuid)
     AND ${dateOf(`e.fields->>'date'`)} BETWEEN $2::text AND $3::text`
const EVENTS = `SELECT e.id FROM records e WHERE ${EVENT}`
const LEVELS_ARRAY = `ARRAY[${GERMAN_LEVELS.map((level) => `'${level}'`).join(', ')}]::text[]`

interface KeyCount {
  key: string | null
  n: number
}

function tally<K extends string>(keys: readonly K[], rows: readonly KeyCount[]): Record<K, number> {
  const counts = zeroCounts(keys)
  for (const row of rows) if ((keys as readonly (string | null)[]).includes(row.key)) counts[row.key as K] += Number(row.n)
  return counts
}

/**
 * The raw counts of the report for the period, over one team's records (`teamId`) or all of them
 * (null). One read-only snapshot, so the figures agree with each other.
 */
export async function countReport(db: Database, period: ReportPeriod, teamId: string | null): Promise<ReportCounts> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY')
    const withPeriod = [teamId, period.from, period.to]
    const stages = await tx.query<KeyCount>(
      `SELECT COALESCE(r.fields->>'stage', 'firstContact') AS key, count(*) AS n FROM records r WHERE ${MENTEES} GROUP BY 1`,
      [teamId],
    )
    const goals = await tx.query<KeyCount>(
      `SELECT g.key, count(DISTINCT r.id) AS n
         FROM records r CROSS JOIN LATERAL jsonb_array_elements_text(${arrayOf(`r.fields->'goals'`)}) AS g(key)
        WHERE ${MENTEES} GROUP BY g.key`,
      [teamId],
    )
    const transitions = await tx.query<KeyCount>(
      `SELECT h.entry->>'stage' AS key, count(DISTINCT r.id) AS n
         FROM records r CROSS JOIN LATERAL jsonb_array_elements(${arrayOf(`r.fields->'stageHistory'`)}) AS h(entry)
        WHERE ${MENTEES} AND h.entry->>'stage' IN (${TRANSITION_STAGES.map((stage) => `'${stage}'`).join(', ')})
          AND ${dateOf(`h.entry->>'date'`)} BETWEEN $2::text AND $3::text
        GROUP BY 1`,
      withPeriod,
    )
    const leavers = await tx.query<{ with_offer: boolean; n: number }>(
      `SELECT COALESCE(r.fields->'followOnOffer' = 'true'::jsonb, false) AS with_offer, count(*) AS n
         FROM records r
        WHERE ${MENTEES} AND COALESCE(r.fields->>'schoolClass', '') ~ '^ *[iI][fF][kK]'
          AND ${dateOf(`r.fields->>'expectedLeavingDate'`)} BETWEEN $2::text AND $3::text
        GROUP BY 1`,
      withPeriod,
    )
    // Per mentee: the highest level before the period, the highest within it, and the first
    // within it (earliest date, then list order); a mentee moved up when the highest within is
    // above the one before, or above the first within when there is none before.
    const progress = await tx.query<{ rank: number; n: number }>(
      `WITH entries AS (
         SELECT r.id, e.ord, ${dateOf(`e.entry->>'date'`)} AS day,
                array_position(${LEVELS_ARRAY}, e.entry->>'level') AS rank
           FROM records r
          CROSS JOIN LATERAL jsonb_array_elements(${arrayOf(`r.fields->'germanLevelHistory'`)}) WITH ORDINALITY AS e(entry, ord)
          WHERE ${MENTEES}
       ), per_mentee AS (
         SELECT id,
                max(rank) FILTER (WHERE day < $2::text) AS before,
                max(rank) FILTER (WHERE day BETWEEN $2::text AND $3::text) AS reached,
                (array_agg(rank ORDER BY day, ord) FILTER (WHERE day BETWEEN $2::text AND $3::text))[1] AS first_within
           FROM entries WHERE rank IS NOT NULL AND day IS NOT NULL
          GROUP BY id
       )
       SELECT reached AS rank, count(*) AS n FROM per_mentee WHERE reached > COALESCE(before, first_within) GROUP BY reached`,
      withPeriod,
    )
    const fairs = await countFairs(tx, withPeriod)

    const germanProgress = zeroCounts(PROGRESS_LEVELS)
    for (const row of progress.rows) {
      const level = GERMAN_LEVELS[Number(row.rank) - 1] as ProgressLevel
      if ((PROGRESS_LEVELS as readonly string[]).includes(level)) germanProgress[level] += Number(row.n)
    }
    const ifkLeavers = zeroCounts(IFK_OFFER_KEYS)
    for (const row of leavers.rows) ifkLeavers[row.with_offer ? 'withOffer' : 'withoutOffer'] += Number(row.n)
    return {
      period: { from: period.from, to: period.to },
      stages: tally(STAGES, stages.rows),
      goals: tally(GOALS, goals.rows),
      transitions: tally(TRANSITION_STAGES, transitions.rows),
      ifkLeavers,
      germanProgress,
      fairs,
    }
  })
}

interface EventRow {
  id: string
  name: string
  date: string
  employers: { id: string; name: string }[]
}

async function countFairs(tx: Queryable, params: unknown[]): Promise<FairCounts[]> {
  const events = await tx.query<EventRow>(
    `SELECT e.id::text AS id, COALESCE(e.fields->>'name', '') AS name, e.fields->>'date' AS date,
            ${arrayOf(`e.fields->'employers'`)} AS employers
       FROM records e WHERE ${EVENT}`,
    params,
  )
  const visitors = await tx.query<{ event_id: string; visitors: number; self_intakes: number }>(
    `SELECT l.parent_id::text AS event_id, count(*) AS visitors,
            count(*) FILTER (WHERE l.fields->'selfIntake' = 'true'::jsonb) AS self_intakes
       FROM records l WHERE l.tbl = 'leads' AND NOT l.deleted AND l.parent_id IN (${EVENTS})
      GROUP BY 1`,
    params,
  )
  const contacts = await tx.query<{ event_id: string; employer_id: string | null; outcome: string | null; n: number }>(
    `SELECT l.parent_id::text AS event_id, c.contact->>'employerId' AS employer_id, c.contact->>'outcome' AS outcome, count(*) AS n
       FROM records l CROSS JOIN LATERAL jsonb_array_elements(${arrayOf(`l.fields->'contacts'`)}) AS c(contact)
      WHERE l.tbl = 'leads' AND NOT l.deleted AND l.parent_id IN (${EVENTS})
      GROUP BY 1, 2, 3`,
    params,
  )
  // The counting is done; what is left is putting the groups under their event and employer.
  const byEvent = new Map(
    events.rows.map((event) => {
      const employers = Array.isArray(event.employers) ? event.employers : []
      const fair: FairCounts = {
        name: event.name,
        date: event.date,
        visitors: 0,
        selfIntakes: 0,
        outcomes: zeroCounts(LEAD_OUTCOMES),
        employers: employers.map((employer) => ({ name: employer.name, contacts: 0 })),
        otherEmployers: 0,
      }
      return [event.id, { fair, event, employerIndex: new Map(employers.map((employer, index) => [employer.id, index])) }] as const
    }),
  )
  for (const row of visitors.rows) {
    const entry = byEvent.get(row.event_id)
    if (!entry) continue
    entry.fair.visitors += Number(row.visitors)
    entry.fair.selfIntakes += Number(row.self_intakes)
  }
  for (const row of contacts.rows) {
    const entry = byEvent.get(row.event_id)
    if (!entry || !(LEAD_OUTCOMES as readonly (string | null)[]).includes(row.outcome)) continue
    const n = Number(row.n)
    entry.fair.outcomes[row.outcome as (typeof LEAD_OUTCOMES)[number]] += n
    const index = row.employer_id === null ? undefined : entry.employerIndex.get(row.employer_id)
    if (index === undefined) entry.fair.otherEmployers += n
    else entry.fair.employers[index]!.contacts += n
  }
  return [...byEvent.values()]
    .sort((a, b) => compareText(a.fair.date, b.fair.date) || compareText(a.fair.name, b.fair.name) || compareText(a.event.id, b.event.id))
    .map((entry) => entry.fair)
}
