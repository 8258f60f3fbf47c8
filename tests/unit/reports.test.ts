import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { csvField, toCsv } from '@/shared/csv'
import {
  computeReport,
  isIfkClass,
  levelReachedInPeriod,
  MIN_GROUP_SIZE,
  periodProblem,
  presetPeriod,
  suppressCount,
  suppressGroup,
  suppressReport,
  type ReportCounts,
  type ReportEvent,
  type ReportLead,
  type ReportMentee,
  type ReportPeriod,
  type ShownCount,
} from '@/shared/reports'

const Q1: ReportPeriod = { from: '2025-01-01', to: '2025-03-31' }

function report(mentees: ReportMentee[], events: ReportEvent[] = [], leads: ReportLead[] = [], period = Q1): ReportCounts {
  return computeReport({ mentees, events, leads }, period)
}

describe('periods', () => {
  it('names this month, last quarter and this year as whole calendar periods', () => {
    expect(presetPeriod('thisMonth', '2025-02-15')).toEqual({ from: '2025-02-01', to: '2025-02-28' })
    expect(presetPeriod('thisMonth', '2024-02-01')).toEqual({ from: '2024-02-01', to: '2024-02-29' })
    expect(presetPeriod('thisMonth', '2025-12-31')).toEqual({ from: '2025-12-01', to: '2025-12-31' })
    expect(presetPeriod('thisYear', '2025-07-04')).toEqual({ from: '2025-01-01', to: '2025-12-31' })
    expect(presetPeriod('lastQuarter', '2025-02-15')).toEqual({ from: '2024-10-01', to: '2024-12-31' })
    expect(presetPeriod('lastQuarter', '2025-04-01')).toEqual({ from: '2025-01-01', to: '2025-03-31' })
    expect(presetPeriod('lastQuarter', '2025-09-30')).toEqual({ from: '2025-04-01', to: '2025-06-30' })
    expect(presetPeriod('lastQuarter', '2025-12-31')).toEqual({ from: '2025-07-01', to: '2025-09-30' })
  })

  it('says what is wrong with a period', () => {
    expect(periodProblem('2025-01-01', '2025-01-01')).toBeNull()
    expect(periodProblem('2025-02-30', '2025-03-01')).toBe('from')
    expect(periodProblem('2025-01-01', '2025-1-31')).toBe('to')
    expect(periodProblem(undefined, '2025-01-31')).toBe('from')
    expect(periodProblem('2025-02-01', '2025-01-31')).toBe('order')
  })
})

describe('counting', () => {
  it('counts mentees by their current stage, a missing stage as first contact, deleted ones not at all', () => {
    const counts = report([{ stage: 'accompanied' }, { stage: 'accompanied' }, { stage: 'closed' }, {}, { stage: 'trainingJob', deletedAt: 5 }])
    expect(counts.stages).toEqual({ firstContact: 1, accompanied: 2, internshipEq: 0, trainingJob: 0, closed: 1 })
  })

  it('counts each goal once per mentee', () => {
    const counts = report([{ goals: ['job', 'job', 'eq'] }, { goals: ['job'] }, { goals: null }])
    expect(counts.goals).toMatchObject({ job: 2, eq: 1, training: 0 })
  })

  it('counts people who entered internship/EQ or training/job within the period, both ends included', () => {
    const counts = report([
      { stageHistory: [{ stage: 'internshipEq', date: '2025-01-01' }] },
      { stageHistory: [{ stage: 'internshipEq', date: '2025-03-31' }, { stage: 'accompanied', date: '2025-03-31' }] },
      { stageHistory: [{ stage: 'internshipEq', date: '2024-12-31' }] },
      { stageHistory: [{ stage: 'trainingJob', date: '2025-04-01' }] },
      // Twice into the same stage: one person.
      {
        stageHistory: [
          { stage: 'internshipEq', date: '2025-01-10' },
          { stage: 'accompanied', date: '2025-02-01' },
          { stage: 'internshipEq', date: '2025-03-01' },
          { stage: 'trainingJob', date: '2025-03-15' },
        ],
      },
      { stageHistory: [{ stage: 'closed', date: '2025-02-01' }] },
      {},
    ])
    expect(counts.transitions).toEqual({ internshipEq: 3, trainingJob: 1 })
  })

  it('recognises IFK classes by their name and splits leavers by follow-on offer', () => {
    for (const name of ['IFK 2', 'ifk-b', '  IFK', 'IfK3']) expect(isIfkClass(name), name).toBe(true)
    for (const name of ['Klasse IFK', 'FK 2', '', 'ıfk 2', 'İFK']) expect(isIfkClass(name), name).toBe(false)
    expect(isIfkClass(null)).toBe(false)
    const leaver = (extra: ReportMentee): ReportMentee => ({ schoolClass: 'IFK 1', expectedLeavingDate: '2025-03-31', ...extra })
    const counts = report([
      leaver({ followOnOffer: true }),
      leaver({ followOnOffer: true, expectedLeavingDate: '2025-01-01' }),
      leaver({ followOnOffer: false }),
      leaver({ followOnOffer: null }),
      leaver({}),
      leaver({ followOnOffer: true, expectedLeavingDate: '2025-04-01' }),
      leaver({ followOnOffer: true, expectedLeavingDate: '' }),
      leaver({ followOnOffer: true, schoolClass: '10b' }),
    ])
    expect(counts.ifkLeavers).toEqual({ withOffer: 2, withoutOffer: 3 })
  })

  it('counts German progress against the highest level before the period, under the highest level reached', () => {
    const level = (entries: [string, string][]) => levelReachedInPeriod(entries.map(([lvl, date]) => ({ level: lvl, date })), Q1)
    expect(level([['A2', '2024-06-01'], ['B1', '2025-02-01']])).toBe('B1')
    expect(level([['A2', '2024-06-01'], ['B1', '2025-02-01'], ['B2', '2025-03-31']])).toBe('B2')
    // Without an earlier entry, the first one in the period is the start.
    expect(level([['A1', '2025-01-05'], ['A2', '2025-03-01']])).toBe('A2')
    expect(level([['B1', '2025-01-05']])).toBeNull()
    // Back to a level held before is no progress; nor is a step after the period.
    expect(level([['B1', '2024-01-01'], ['A2', '2024-06-01'], ['B1', '2025-02-01']])).toBeNull()
    expect(level([['A2', '2024-06-01'], ['B1', '2025-04-01']])).toBeNull()
    // Same day: list order decides which one is the start.
    expect(level([['A1', '2025-02-01'], ['A2', '2025-02-01']])).toBe('A2')
    expect(level([['A2', '2025-02-01'], ['A1', '2025-02-01']])).toBeNull()
    expect(level([])).toBeNull()
    const counts = report([
      { germanLevelHistory: [{ level: 'A2', date: '2024-06-01' }, { level: 'B1', date: '2025-02-01' }] },
      { germanLevelHistory: [{ level: 'B1', date: '2024-06-01' }, { level: 'B2', date: '2025-02-01' }] },
      { germanLevelHistory: [{ level: 'A1', date: '2025-01-02' }, { level: 'B1', date: '2025-03-02' }] },
      { germanLevelHistory: [{ level: 'B1', date: '2025-02-01' }] },
    ])
    expect(counts.germanProgress).toEqual({ A2: 0, B1: 2, B2: 1, C1: 0, C2: 0 })
  })

  it('counts each fair of the period: visitors (anonymised too), self-intakes, outcomes, contacts per employer', () => {
    const employers = [
      { id: 'e1', name: 'Beispiel Bau GmbH' },
      { id: 'e2', name: 'Muster Pflege gGmbH' },
    ]
    const events: ReportEvent[] = [
      { id: 'fair-b', name: 'Messe B', date: '2025-03-01', employers },
      { id: 'fair-a', name: 'Messe A', date: '2025-02-01', employers: [] },
      { id: 'fair-old', name: 'Alt', date: '2024-12-01', employers },
      { id: 'fair-gone', name: 'Weg', date: '2025-02-10', employers, deletedAt: 1 },
    ]
    const leads: ReportLead[] = [
      { eventId: 'fair-b', contacts: [{ employerId: 'e1', outcome: 'internship' }, { employerId: 'e2', outcome: 'contact' }], selfIntake: true },
      { eventId: 'fair-b', contacts: [{ employerId: 'e1', outcome: 'contract' }] },
      // An anonymised lead still counts.
      { eventId: 'fair-b', contacts: [{ employerId: 'e9', outcome: 'contact' }], selfIntake: false },
      { eventId: 'fair-b', contacts: [], selfIntake: true, deletedAt: 2 },
      { eventId: 'fair-a', selfIntake: true },
      { eventId: 'fair-old', contacts: [{ employerId: 'e1', outcome: 'contract' }] },
      { eventId: 'fair-gone' },
    ]
    expect(report([], events, leads).fairs).toEqual([
      {
        name: 'Messe A',
        date: '2025-02-01',
        visitors: 1,
        selfIntakes: 1,
        outcomes: { contact: 0, internship: 0, contract: 0 },
        employers: [],
        otherEmployers: 0,
      },
      {
        name: 'Messe B',
        date: '2025-03-01',
        visitors: 3,
        selfIntakes: 1,
        outcomes: { contact: 2, internship: 1, contract: 1 },
        employers: [
          { name: 'Beispiel Bau GmbH', contacts: 2 },
          { name: 'Muster Pflege gGmbH', contacts: 1 },
        ],
        otherEmployers: 1,
      },
    ])
  })
})

describe('k-anonymity: primary suppression', () => {
  it('shows 5 and more, hides 1 to 4 as "fewer than 5", shows 0', () => {
    expect(MIN_GROUP_SIZE).toBe(5)
    expect([0, 1, 4, 5, 6, 120].map(suppressCount)).toEqual([0, 'small', 'small', 5, 6, 120])
    expect(suppressGroup([4, 5, 0, 1], false)).toEqual({ cells: ['small', 5, 0, 'small'], total: null })
  })

  it('shows a total of 4 as "fewer than 5", with every cell of that group, zeros too', () => {
    expect(suppressGroup([4, 0], true)).toEqual({ cells: ['small', 'small'], total: 'small' })
    expect(suppressGroup([1, 1, 1, 1, 0], true)).toEqual({ cells: Array(5).fill('small'), total: 'small' })
    expect(suppressGroup([5, 0], true)).toEqual({ cells: [5, 0], total: 5 })
    expect(suppressGroup([0, 0], true)).toEqual({ cells: [0, 0], total: 0 })
  })
})

describe('k-anonymity: secondary suppression', () => {
  it('hides the next smallest cell when exactly one is suppressed, so the total cannot give it away', () => {
    expect(suppressGroup([3, 10, 20], true)).toEqual({ cells: ['small', 'hidden', 20], total: 33 })
    expect(suppressGroup([20, 4, 10], true)).toEqual({ cells: [20, 'small', 'hidden'], total: 34 })
    // Ties: the first of the smallest.
    expect(suppressGroup([1, 12, 12], true)).toEqual({ cells: ['small', 'hidden', 12], total: 25 })
    // Zeros describe nobody and are not hidden.
    expect(suppressGroup([0, 3, 0, 12], true)).toEqual({ cells: [0, 'small', 0, 'hidden'], total: 15 })
  })

  it('needs none when two suppressed cells leave every value from 1 to 4 open', () => {
    expect(suppressGroup([1, 4, 30], true)).toEqual({ cells: ['small', 'small', 30], total: 35 })
    expect(suppressGroup([2, 3, 30], true)).toEqual({ cells: ['small', 'small', 30], total: 35 })
    expect(suppressGroup([5, 30], true)).toEqual({ cells: [5, 30], total: 35 })
  })

  it('hides more when the suppressed cells pin or bound each other', () => {
    // 1 + 1 = 2: both must be 1.
    expect(suppressGroup([1, 1, 10, 12], true)).toEqual({ cells: ['small', 'small', 'hidden', 12], total: 24 })
    // 4 + 4 = 8: both must be 4.
    expect(suppressGroup([4, 4, 20, 30], true)).toEqual({ cells: ['small', 'small', 'hidden', 30], total: 58 })
    // 1 + 5 = 6 with a hidden cell of at least 5: the small one must be 1, so hide another.
    expect(suppressGroup([1, 5, 20], true)).toEqual({ cells: ['small', 'hidden', 'hidden'], total: 26 })
    // 4 + 9 = 13, and the hidden cell (the smallest) is at most 9: the small one must be 4.
    expect(suppressGroup([4, 9, 9], true)).toEqual({ cells: ['small', 'hidden', 'hidden'], total: 22 })
  })

  it('withholds the breakdown, keeping the total, when no cell is left to hide', () => {
    expect(suppressGroup([3, 5], true)).toEqual({ cells: ['hidden', 'hidden'], total: 8 })
    expect(suppressGroup([1, 1, 1, 1, 1], true)).toEqual({ cells: Array(5).fill('hidden'), total: 5 })
    expect(suppressGroup([2, 5, 0], true)).toEqual({ cells: ['hidden', 'hidden', 'hidden'], total: 7 })
  })

  /**
   * The strongest reader: knows the rule, the total and every shown cell, and tries every group of
   * counts that the rule turns into the same picture. No suppressed cell may have one value only.
   */
  it('never lets a reader who knows the rule recover a suppressed cell (every group of 2 to 4 cells up to 12)', () => {
    const MAX = 12
    const pictures = new Map<string, number[][]>()
    const add = (values: number[]) => {
      const shown = suppressGroup(values, true)
      const key = JSON.stringify(shown)
      pictures.set(key, [...(pictures.get(key) ?? []), values])
    }
    for (let a = 0; a <= MAX; a += 1) {
      for (let b = 0; b <= MAX; b += 1) {
        add([a, b])
        for (let c = 0; c <= MAX; c += 1) {
          add([a, b, c])
          for (let d = 0; d <= MAX; d += 1) add([a, b, c, d])
        }
      }
    }
    let checked = 0
    for (const [key, candidates] of pictures) {
      const shown = JSON.parse(key) as { cells: ShownCount[]; total: ShownCount }
      // Beyond MAX the enumeration itself would bound the cells; only totals within it are fair tests.
      if (typeof shown.total === 'number' && shown.total > MAX) continue
      shown.cells.forEach((cell, index) => {
        if (typeof cell === 'number') return
        const values = new Set(candidates.map((candidate) => candidate[index]))
        expect(values.size, `${key}: cell ${index} is always ${[...values].join()}`).toBeGreaterThan(1)
        checked += 1
      })
    }
    expect(checked).toBeGreaterThan(500)
  })

  it('keeps the rule on any group: nothing from 1 to 4 shown, shown cells true, totals add up', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 40 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (values, withTotal) => {
        const { cells, total } = suppressGroup(values, withTotal)
        const sum = values.reduce((a, b) => a + b, 0)
        cells.forEach((cell, index) => {
          if (typeof cell === 'number') {
            expect(cell).toBe(values[index])
            expect(cell === 0 || cell >= MIN_GROUP_SIZE).toBe(true)
          } else if (cell === 'small' && sum >= MIN_GROUP_SIZE) {
            expect(values[index]).toBeGreaterThanOrEqual(1)
            expect(values[index]).toBeLessThan(MIN_GROUP_SIZE)
          }
        })
        if (!withTotal) {
          expect(total).toBeNull()
          return
        }
        expect(total).toBe(sum >= 1 && sum < MIN_GROUP_SIZE ? 'small' : sum)
        // Never exactly one suppressed cell under a shown total.
        if (typeof total === 'number') expect(cells.filter((cell) => typeof cell !== 'number').length).not.toBe(1)
      }),
      { numRuns: 2000, seed: 20251 },
    )
  })

  it("applies the rule to every group of a report, a fair's two breakdowns against one shown total", () => {
    const counts = report(
      [
        ...Array.from({ length: 12 }, (): ReportMentee => ({ stage: 'accompanied' })),
        ...Array.from({ length: 3 }, (): ReportMentee => ({ stage: 'closed' })),
        { stage: 'internshipEq', goals: ['eq'] },
      ],
      [{ id: 'f', name: 'Messe', date: '2025-02-01', employers: [{ id: 'e1', name: 'Beispiel Bau GmbH' }, { id: 'e2', name: 'Muster AG' }] }],
      [
        ...Array.from({ length: 12 }, (): ReportLead => ({ eventId: 'f', contacts: [{ employerId: 'e1', outcome: 'contact' }] })),
        { eventId: 'f', contacts: [{ employerId: 'e2', outcome: 'internship' }], selfIntake: true },
      ],
    )
    const shown = suppressReport(counts)
    expect(shown.stages).toEqual({
      // 1 + 3 = 16 - 12: both would be at most 3, so 12 is hidden too.
      cells: { firstContact: 0, accompanied: 'hidden', internshipEq: 'small', trainingJob: 0, closed: 'small' },
      total: 16,
    })
    expect(shown.goals.cells.eq).toBe('small')
    expect(shown.goals.total).toBeNull()
    expect(shown.fairs).toEqual([
      {
        name: 'Messe',
        date: '2025-02-01',
        visitors: 13,
        selfIntakes: 'small',
        contacts: 13,
        // Both breakdowns of the 13 contacts hide the 12 next to the 1.
        outcomes: { contact: 'hidden', internship: 'small', contract: 0 },
        employers: [
          { name: 'Beispiel Bau GmbH', contacts: 'hidden' },
          { name: 'Muster AG', contacts: 'small' },
        ],
        otherEmployers: 0,
      },
    ])
  })
})

describe('CSV', () => {
  it('writes UTF-8 with a BOM, semicolons and CRLF, quoting and defusing where needed', () => {
    const csv = toCsv([
      ['Bereich', 'Merkmal', 'Anzahl'],
      ['Phase', 'Begleitung', 12],
      ['Messe "Süd"; Halle 2', '=SUMME(A1)', '<5'],
      ['مرحلة', 'Zeile\nzwei', 0],
    ])
    expect(csv.startsWith('\uFEFF')).toBe(true)
    expect(csv.slice(1).split('\r\n')).toEqual([
      'Bereich;Merkmal;Anzahl',
      'Phase;Begleitung;12',
      `"Messe ""Süd""; Halle 2";'=SUMME(A1);<5`,
      'مرحلة;"Zeile\nzwei";0',
      '',
    ])
    expect(csvField('-5')).toBe("'-5")
    expect(csvField('@user')).toBe("'@user")
  })
})
