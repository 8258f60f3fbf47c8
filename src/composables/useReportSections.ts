import { computed, toValue, type MaybeRefOrGetter } from 'vue'
import { useI18n } from 'vue-i18n'
import { toCsv } from '@/shared/csv'
import {
  IFK_OFFER_KEYS,
  PROGRESS_LEVELS,
  TRANSITION_STAGES,
  type Report,
  type ShownCount,
  type ShownFair,
  type ShownGroup,
} from '@/shared/reports'
import { GOALS, LEAD_OUTCOMES, STAGES } from '@/shared/vocabulary'
import { useFormat } from './useFormat'

export interface ChartRow {
  /** Unique within its chart. */
  id: string
  label: string
  value: ShownCount
  /** Typed by users (an employer's name): shown with `dir="auto"`. */
  userText?: boolean
}

export interface ReportChart {
  id: string
  title: string
  rows: ChartRow[]
  total: ChartRow | null
}

export interface ReportBlock {
  id: string
  heading: string
  note?: string
  /** The heading holds user text (a fair's name). */
  userText?: boolean
  charts: ReportChart[]
}

/** In the CSV: numbers as digits, suppressed cells as `<5` and `x`, nothing else. */
export function csvValue(value: ShownCount): string | number {
  return value === 'small' ? '<5' : value === 'hidden' ? 'x' : value
}

/**
 * The report as the screen and the CSV show it: blocks of charts, each row with its label in the
 * user's language. One source for both, so the file says what the screen says.
 */
export function useReportSections(report: MaybeRefOrGetter<Report | null>) {
  const { t } = useI18n()
  const { formatDate, formatNumber } = useFormat()

  function rowsOf<K extends string>(group: ShownGroup<K>, keys: readonly K[], label: (key: K) => string): ChartRow[] {
    return keys.map((key) => ({ id: key, label: label(key), value: group.cells[key] }))
  }

  function totalOf(group: ShownGroup<string>, label: string): ChartRow | null {
    return group.total === null ? null : { id: 'total', label, value: group.total }
  }

  function chart<K extends string>(id: string, title: string, group: ShownGroup<K>, keys: readonly K[], label: (key: K) => string, totalLabel = ''): ReportChart {
    return { id, title, rows: rowsOf(group, keys, label), total: totalLabel ? totalOf(group, totalLabel) : null }
  }

  function fairBlock(fair: ShownFair, index: number): ReportBlock {
    const id = `fair-${index}`
    const contacts: ChartRow = { id: 'total', label: t('reports.fairs.contacts'), value: fair.contacts }
    const employers: ChartRow[] = fair.employers.map((employer, i) => ({ id: `employer-${i}`, label: employer.name, value: employer.contacts, userText: true }))
    if (fair.otherEmployers !== 0) employers.push({ id: 'other', label: t('reports.fairs.otherEmployers'), value: fair.otherEmployers })
    return {
      id,
      heading: t('reports.fairs.heading', { name: fair.name, date: formatDate(fair.date) }),
      userText: true,
      charts: [
        {
          id: `${id}-visitors`,
          title: t('reports.fairs.visitorsTitle'),
          rows: [
            { id: 'visitors', label: t('reports.fairs.visitors'), value: fair.visitors },
            { id: 'selfIntakes', label: t('reports.fairs.selfIntakes'), value: fair.selfIntakes },
          ],
          total: null,
        },
        {
          id: `${id}-outcomes`,
          title: t('reports.fairs.outcomesTitle'),
          rows: LEAD_OUTCOMES.map((outcome) => ({ id: outcome, label: t(`leadOutcome.${outcome}`), value: fair.outcomes[outcome] })),
          total: contacts,
        },
        { id: `${id}-employers`, title: t('reports.fairs.employersTitle'), rows: employers, total: contacts },
      ],
    }
  }

  const blocks = computed<ReportBlock[]>(() => {
    const shown = toValue(report)
    if (!shown) return []
    const single = (id: string, note: string, one: ReportChart): ReportBlock => ({ id, heading: one.title, note, charts: [one] })
    return [
      single(
        'stages',
        t('reports.stages.note'),
        chart('stages', t('reports.stages.title'), shown.stages, STAGES, (stage) => t(`stage.${stage}`), t('reports.stages.total')),
      ),
      single(
        'transitions',
        t('reports.transitions.note'),
        chart('transitions', t('reports.transitions.title'), shown.transitions, TRANSITION_STAGES, (stage) => t(`reports.transitions.${stage}`)),
      ),
      single(
        'ifk',
        t('reports.ifk.note'),
        chart('ifk', t('reports.ifk.title'), shown.ifkLeavers, IFK_OFFER_KEYS, (key) => t(`reports.ifk.${key}`), t('reports.ifk.total')),
      ),
      single(
        'german',
        t('reports.german.note'),
        chart('german', t('reports.german.title'), shown.germanProgress, PROGRESS_LEVELS, (level) => t('reports.german.level', { level }), t('reports.german.total')),
      ),
      single('goals', t('reports.goals.note'), chart('goals', t('reports.goals.title'), shown.goals, GOALS, (goal) => t(`goal.${goal}`))),
      ...shown.fairs.map(fairBlock),
    ]
  })

  /** A count as the screen says it: the number in the user's digits, or what stands for it. */
  function display(value: ShownCount): string {
    if (value === 'small') return t('reports.fewerThan5')
    if (value === 'hidden') return t('reports.hidden')
    return formatNumber(value)
  }

  /** The CSV file: a localized header, then one line per count (totals included). */
  function csv(): string {
    const rows: (string | number)[][] = [[t('reports.csv.section'), t('reports.csv.item'), t('reports.csv.count')]]
    for (const block of blocks.value) {
      for (const one of block.charts) {
        const section = block.charts.length > 1 ? t('reports.csv.sectionOf', { block: block.heading, chart: one.title }) : one.title
        for (const row of one.total ? [...one.rows, one.total] : one.rows) rows.push([section, row.label, csvValue(row.value)])
      }
    }
    return toCsv(rows)
  }

  return { blocks, display, csv }
}
