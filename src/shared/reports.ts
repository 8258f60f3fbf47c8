/**
 * Figures for funders: counts over mentees and job fairs for a period, and the rule that keeps
 * small groups from being shown (k-anonymity with secondary suppression). Pure functions, so the
 * app (a coach's team, from the device's data) and the endpoint (the whole municipality, counted
 * in SQL) count alike and suppress alike.
 *
 * What is counted (the same definitions as the SQL in `server/reports.ts`):
 * - **stages**: live mentees by their *current* stage, a snapshot at the time of the report (not
 *   of the period); total = all live mentees. A record without a stage counts as `firstContact`,
 *   the value a device gives it.
 * - **goals**: live mentees by each goal they have now (a person with two goals counts in both,
 *   so there is no total).
 * - **transitions**: mentees with at least one `stageHistory` entry dated in the period into
 *   `internshipEq` (internship or entry qualification, EQ) or into `trainingJob` (training place
 *   or job): the stages of `STAGES` that mean "into internship/EQ, training, job". A person counts
 *   once per stage however often they entered it; one who entered both counts in both (no total).
 *   A mentee created in such a stage has an entry of that day and counts then. Records from before
 *   the stage history existed have none and count only from their next stage change.
 * - **IFK leavers**: mentees whose `schoolClass` starts with "IFK" (any case of those three ASCII
 *   letters, after leading spaces: "IFK 2", "ifk-b") and whose `expectedLeavingDate` lies in the
 *   period, split by `followOnOffer` true vs. false or not yet known (null); total = both.
 * - **German progress**: mentees whose `germanLevelHistory` shows a higher level reached within the
 *   period than the level before it. "Before" is the highest level of the entries dated before the
 *   period; without one, the first entry within the period (earliest date, then list order). Such a
 *   mentee counts once, under the highest level reached in the period; total = "moved up at least
 *   one level". The current `germanLevel` field is not used (it has no date).
 * - **fairs**: per event dated in the period (date, then name): visitors = its live leads
 *   (anonymised ones too), self-intakes, contacts by outcome (`contact`, `internship` = internships
 *   initiated, `contract` = contracts initiated; each person–employer conversation once), contacts
 *   per employer of the event (in the event's order, by name) plus contacts with an employer no
 *   longer listed (`otherEmployers`); both partitions add up to all contacts of the event.
 * Dates are `YYYY-MM-DD` and compared as text; the period includes both ends.
 */
import { GERMAN_LEVELS, GOALS, LEAD_OUTCOMES, STAGES, type GermanLevel, type Goal, type LeadOutcome, type Stage } from './vocabulary'
import { isIsoDate } from './dates'

/** The smallest count shown for a group; 1 to `MIN_GROUP_SIZE - 1` is never shown. */
export const MIN_GROUP_SIZE = 5

/** The stages that mean "into internship/EQ, training, job". */
export const TRANSITION_STAGES = ['internshipEq', 'trainingJob'] as const satisfies readonly Stage[]
export type TransitionStage = (typeof TRANSITION_STAGES)[number]

/** The levels one can move up to (every level but the lowest). */
export const PROGRESS_LEVELS = ['A2', 'B1', 'B2', 'C1', 'C2'] as const satisfies readonly GermanLevel[]
export type ProgressLevel = (typeof PROGRESS_LEVELS)[number]

export const IFK_OFFER_KEYS = ['withOffer', 'withoutOffer'] as const
export type IfkOfferKey = (typeof IFK_OFFER_KEYS)[number]

/** `schoolClass` of an IFK class (Internationale Förderklasse): starts with "IFK". */
const IFK_CLASS = /^ *[iI][fF][kK]/

export function isIfkClass(schoolClass: string | null | undefined): boolean {
  return typeof schoolClass === 'string' && IFK_CLASS.test(schoolClass)
}

export interface ReportPeriod {
  /** First day, `YYYY-MM-DD`. */
  from: string
  /** Last day, `YYYY-MM-DD` (included). */
  to: string
}

/** What a period must be; `null` when it is one, else what is wrong with it. */
export function periodProblem(from: unknown, to: unknown): 'from' | 'to' | 'order' | null {
  if (typeof from !== 'string' || !isIsoDate(from)) return 'from'
  if (typeof to !== 'string' || !isIsoDate(to)) return 'to'
  return from <= to ? null : 'order'
}

export const PERIOD_PRESETS = ['thisMonth', 'lastQuarter', 'thisYear'] as const
export type PeriodPreset = (typeof PERIOD_PRESETS)[number]

const pad = (n: number) => String(n).padStart(2, '0')
const lastDayOf = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate()
const monthStart = (year: number, month: number) => `${year}-${pad(month)}-01`
const monthEnd = (year: number, month: number) => `${year}-${pad(month)}-${pad(lastDayOf(year, month))}`

/** The calendar period a preset names, seen from `today` (`YYYY-MM-DD`). */
export function presetPeriod(preset: PeriodPreset, today: string): ReportPeriod {
  const year = Number(today.slice(0, 4))
  const month = Number(today.slice(5, 7))
  switch (preset) {
    case 'thisMonth':
      return { from: monthStart(year, month), to: monthEnd(year, month) }
    case 'thisYear':
      return { from: `${year}-01-01`, to: `${year}-12-31` }
    case 'lastQuarter': {
      const quarter = Math.floor((month - 1) / 3) // 0..3, the current one
      const [y, q] = quarter === 0 ? [year - 1, 3] : [year, quarter - 1]
      return { from: monthStart(y, q * 3 + 1), to: monthEnd(y, q * 3 + 3) }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Counting

/** The fields of a mentee the report reads; missing ones count as their defaults. */
export interface ReportMentee {
  stage?: Stage | null
  stageHistory?: readonly { stage: string; date: string }[] | null
  germanLevelHistory?: readonly { level: string; date: string }[] | null
  schoolClass?: string | null
  expectedLeavingDate?: string | null
  followOnOffer?: boolean | null
  goals?: readonly string[] | null
  deletedAt?: number
}

export interface ReportEvent {
  id: string
  name?: string | null
  date?: string | null
  employers?: readonly { id: string; name: string }[] | null
  deletedAt?: number
}

export interface ReportLead {
  eventId: string
  contacts?: readonly { employerId: string; outcome: string }[] | null
  selfIntake?: boolean | null
  deletedAt?: number
}

export interface ReportInput {
  mentees: readonly ReportMentee[]
  events: readonly ReportEvent[]
  leads: readonly ReportLead[]
}

export interface FairCounts {
  name: string
  date: string
  visitors: number
  selfIntakes: number
  outcomes: Record<LeadOutcome, number>
  /** Per employer of the event, in its order. */
  employers: { name: string; contacts: number }[]
  /** Contacts with an employer the event no longer lists. */
  otherEmployers: number
}

/** Raw counts, before suppression: never leaves the code that computed them. */
export interface ReportCounts {
  period: ReportPeriod
  stages: Record<Stage, number>
  goals: Record<Goal, number>
  transitions: Record<TransitionStage, number>
  ifkLeavers: Record<IfkOfferKey, number>
  /** Mentees who moved up, under the highest level reached in the period. */
  germanProgress: Record<ProgressLevel, number>
  fairs: FairCounts[]
}

export function zeroCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>
}

const inPeriod = (date: string | null | undefined, period: ReportPeriod) =>
  typeof date === 'string' && date !== '' && period.from <= date && date <= period.to

const has = <K extends string>(keys: readonly K[], value: unknown): value is K => (keys as readonly unknown[]).includes(value)

/** The level a mentee moved up to in the period, or null when they did not move up. */
export function levelReachedInPeriod(history: ReportMentee['germanLevelHistory'], period: ReportPeriod): ProgressLevel | null {
  let before = -1
  let reached = -1
  let first: { date: string; rank: number } | null = null
  for (const entry of history ?? []) {
    const rank = GERMAN_LEVELS.indexOf(entry.level as GermanLevel)
    if (rank < 0 || typeof entry.date !== 'string') continue
    if (entry.date < period.from) before = Math.max(before, rank)
    else if (entry.date <= period.to) {
      reached = Math.max(reached, rank)
      if (first === null || entry.date < first.date) first = { date: entry.date, rank }
    }
  }
  if (first === null) return null
  const baseline = before >= 0 ? before : first.rank
  return reached > baseline ? (GERMAN_LEVELS[reached] as ProgressLevel) : null
}

/** Counts everything the report shows, over live records, for `period`. */
export function computeReport(input: ReportInput, period: ReportPeriod): ReportCounts {
  const counts: ReportCounts = {
    period: { from: period.from, to: period.to },
    stages: zeroCounts(STAGES),
    goals: zeroCounts(GOALS),
    transitions: zeroCounts(TRANSITION_STAGES),
    ifkLeavers: zeroCounts(IFK_OFFER_KEYS),
    germanProgress: zeroCounts(PROGRESS_LEVELS),
    fairs: [],
  }
  for (const mentee of input.mentees) {
    if (mentee.deletedAt) continue
    const stage = mentee.stage ?? 'firstContact'
    if (has(STAGES, stage)) counts.stages[stage] += 1
    for (const goal of new Set(mentee.goals ?? [])) if (has(GOALS, goal)) counts.goals[goal] += 1
    const entered = new Set((mentee.stageHistory ?? []).filter((entry) => inPeriod(entry.date, period)).map((entry) => entry.stage))
    for (const stage of TRANSITION_STAGES) if (entered.has(stage)) counts.transitions[stage] += 1
    if (isIfkClass(mentee.schoolClass) && inPeriod(mentee.expectedLeavingDate, period)) {
      counts.ifkLeavers[mentee.followOnOffer === true ? 'withOffer' : 'withoutOffer'] += 1
    }
    const level = levelReachedInPeriod(mentee.germanLevelHistory, period)
    if (level) counts.germanProgress[level] += 1
  }

  const events = input.events
    .filter((event) => !event.deletedAt && inPeriod(event.date, period))
    .map((event) => ({ event, name: event.name ?? '', date: event.date ?? '' }))
    .sort((a, b) => compareText(a.date, b.date) || compareText(a.name, b.name) || compareText(a.event.id, b.event.id))
  const byEvent = new Map<string, FairCounts & { employerIndex: Map<string, number> }>()
  for (const { event, name, date } of events) {
    const employers = event.employers ?? []
    const fair = {
      name,
      date,
      visitors: 0,
      selfIntakes: 0,
      outcomes: zeroCounts(LEAD_OUTCOMES),
      employers: employers.map((employer) => ({ name: employer.name, contacts: 0 })),
      otherEmployers: 0,
      employerIndex: new Map(employers.map((employer, index) => [employer.id, index])),
    }
    byEvent.set(event.id, fair)
  }
  for (const lead of input.leads) {
    const fair = lead.deletedAt ? undefined : byEvent.get(lead.eventId)
    if (!fair) continue
    fair.visitors += 1
    if (lead.selfIntake === true) fair.selfIntakes += 1
    for (const contact of lead.contacts ?? []) {
      if (!has(LEAD_OUTCOMES, contact.outcome)) continue
      fair.outcomes[contact.outcome] += 1
      const index = fair.employerIndex.get(contact.employerId)
      if (index === undefined) fair.otherEmployers += 1
      else fair.employers[index]!.contacts += 1
    }
  }
  counts.fairs = [...byEvent.values()].map(({ employerIndex: _index, ...fair }) => fair)
  return counts
}

/** Code-unit order, as PostgreSQL's "C" collation sorts: the same on every device and server. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// ---------------------------------------------------------------------------------------------
// Suppression (k-anonymity)

/**
 * A count as it may be shown: the number, `'small'` (shown as "fewer than 5", "<5" in CSV: a
 * count of 1 to 4, or any cell of a group of fewer than 5 in all) or `'hidden'` (not shown, so that a count below 5 cannot be worked out from the others:
 * "x" in CSV).
 */
export type ShownCount = number | 'small' | 'hidden'

export interface SuppressedGroup {
  cells: ShownCount[]
  /** The sum of the cells, when the group shows one; null when it has none. */
  total: ShownCount | null
}

const isSmall = (n: number) => n >= 1 && n < MIN_GROUP_SIZE

/**
 * Whether a reader who knows the rule, the shown cells and the total could narrow a 'small' cell
 * below what its label says ("1 to 4"). They know: each 'small' cell is 1–4; each 'hidden' one
 * is at least 5 (zeros are never hidden) and at most the smallest shown non-zero cell (the rule
 * hides the smallest first); all of them together are the total minus the shown cells.
 */
function exposed(values: readonly number[], shown: readonly ShownCount[]): boolean {
  let small = 0
  let hidden = 0
  let sum = 0
  let smallestShown = Infinity
  shown.forEach((cell, index) => {
    if (cell === 'small') small += 1
    else if (cell === 'hidden') hidden += 1
    else {
      if (cell > 0) smallestShown = Math.min(smallestShown, cell)
      return
    }
    sum += values[index]!
  })
  if (small === 0) return false
  const most = MIN_GROUP_SIZE - 1
  // Largest value one 'small' cell can have: every other suppressed cell at its least.
  const highest = Math.min(most, sum - (small - 1) - MIN_GROUP_SIZE * hidden)
  // Smallest: every other suppressed cell at its most.
  const lowest = Math.max(1, sum - most * (small - 1) - (hidden > 0 ? smallestShown * hidden : 0))
  return highest < most || lowest > 1
}

/**
 * The k-anonymity rule for one group of counts (a row with its total, or single counts).
 * 1. Primary: every count from 1 to 4 is shown as 'small' ("fewer than 5"). 0 is shown: it
 *    describes nobody, and "nothing happened" must not read like "a few people".
 * 2. Secondary, only when the group shows a total (the sum of its cells) of 5 or more: while the
 *    suppressed cells could be worked out from the total and the shown cells (exactly one cell
 *    suppressed; or several whose sum pins a value or bounds one, e.g. two cells that add up to 2
 *    must both be 1), the next smallest shown non-zero cell is hidden too (ties: the first).
 * 3. When no cell is left to hide and a small cell could still be worked out (a total of 8 as
 *    3 + 5, say), the breakdown is withheld: every cell 'hidden', the total shown. (Hiding the
 *    total instead would not do where another breakdown of the same total shows it, as at a fair.)
 * A group whose total is 1–4 shows every cell as 'small', zeros too ("fewer than 5" is true of
 * them): with the zeros shown, four non-zero cells under a total below 5 would each be 1.
 * A hidden cell is not labelled "fewer than 5": it may hold more, and a report to funders must not
 * state a false count.
 */
export function suppressGroup(values: readonly number[], withTotal: boolean): SuppressedGroup {
  const cells: ShownCount[] = values.map((n) => (isSmall(n) ? 'small' : n))
  if (!withTotal) return { cells, total: null }
  const sum = values.reduce((a, b) => a + b, 0)
  // A group of fewer than 5 in all shows nothing but that: its zeros would tell which of its
  // cells hold people (four stages of a total below 5 with one person each).
  if (isSmall(sum)) return { cells: cells.map(() => 'small'), total: 'small' }
  while (exposed(values, cells)) {
    let next = -1
    cells.forEach((cell, index) => {
      if (typeof cell === 'number' && cell > 0 && (next < 0 || cell < (cells[next] as number))) next = index
    })
    if (next < 0) return { cells: cells.map(() => 'hidden'), total: sum }
    cells[next] = 'hidden'
  }
  return { cells, total: sum }
}

/** A single count (no group around it): 1–4 is 'small'. */
export function suppressCount(value: number): ShownCount {
  return isSmall(value) ? 'small' : value
}

export interface ShownGroup<K extends string> {
  cells: Record<K, ShownCount>
  total: ShownCount | null
}

function suppressRecord<K extends string>(record: Record<K, number>, keys: readonly K[], withTotal: boolean): ShownGroup<K> {
  const { cells, total } = suppressGroup(
    keys.map((key) => record[key]),
    withTotal,
  )
  return { cells: Object.fromEntries(keys.map((key, index) => [key, cells[index]!])) as Record<K, ShownCount>, total }
}

export interface ShownFair {
  name: string
  date: string
  visitors: ShownCount
  selfIntakes: ShownCount
  /** All contacts of the fair: the total of both `outcomes` and `employers` (+ other). */
  contacts: ShownCount
  outcomes: Record<LeadOutcome, ShownCount>
  employers: { name: string; contacts: ShownCount }[]
  otherEmployers: ShownCount
}

/** The report as it may be shown, exported and sent: counts that passed the k-anonymity rule. */
export interface Report {
  period: ReportPeriod
  stages: ShownGroup<Stage>
  goals: ShownGroup<Goal>
  transitions: ShownGroup<TransitionStage>
  ifkLeavers: ShownGroup<IfkOfferKey>
  germanProgress: ShownGroup<ProgressLevel>
  fairs: ShownFair[]
}

function suppressFair(fair: FairCounts): ShownFair {
  const outcomes = suppressRecord(fair.outcomes, LEAD_OUTCOMES, true)
  const employers = suppressGroup([...fair.employers.map((e) => e.contacts), fair.otherEmployers], true)
  // Both break down the same total, which stays shown (a breakdown that cannot be protected is
  // withheld instead), so neither can reveal a total the other had to hide.
  return {
    name: fair.name,
    date: fair.date,
    visitors: suppressCount(fair.visitors),
    selfIntakes: suppressCount(fair.selfIntakes),
    contacts: outcomes.total!,
    outcomes: outcomes.cells,
    employers: fair.employers.map((employer, index) => ({ name: employer.name, contacts: employers.cells[index]! })),
    otherEmployers: employers.cells[fair.employers.length]!,
  }
}

/** Applies the k-anonymity rule to every group of the report. */
export function suppressReport(counts: ReportCounts): Report {
  return {
    period: { ...counts.period },
    stages: suppressRecord(counts.stages, STAGES, true),
    goals: suppressRecord(counts.goals, GOALS, false),
    transitions: suppressRecord(counts.transitions, TRANSITION_STAGES, false),
    ifkLeavers: suppressRecord(counts.ifkLeavers, IFK_OFFER_KEYS, true),
    germanProgress: suppressRecord(counts.germanProgress, PROGRESS_LEVELS, true),
    fairs: counts.fairs.map(suppressFair),
  }
}
