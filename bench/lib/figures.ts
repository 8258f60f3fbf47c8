/** The benchmark's figures: a table on stdout and the same numbers in bench-results.json. */
import { writeFile } from 'node:fs/promises'
import { round } from './stats'

export interface Figure {
  /** null only when the figure was skipped (see `skipped`): never a made-up zero. */
  value: number | null
  unit: string
  baseline?: number
  /** value / baseline */
  ratio?: number
  /** The limit the value must not exceed. */
  budget?: number
  /** Why the figure could not be measured in this run. */
  skipped?: string
  /** Set when the value is not a plain measurement (e.g. projected): how it was obtained. */
  note?: string
}

function digitsFor(unit: string): number {
  if (unit === 'ms') return 2
  if (unit === 'x') return 2
  return 0
}

export class Figures {
  private readonly figures = new Map<string, Figure>()

  add(name: string, value: number, unit: string, extra: { baseline?: number; budget?: number; note?: string } = {}): void {
    const digits = digitsFor(unit)
    const figure: Figure = { value: round(value, digits), unit }
    if (extra.baseline !== undefined) {
      figure.baseline = round(extra.baseline, digits)
      figure.ratio = extra.baseline > 0 ? round(value / extra.baseline, 2) : Number.NaN
    }
    if (extra.budget !== undefined) figure.budget = extra.budget
    if (extra.note !== undefined) figure.note = extra.note
    this.figures.set(name, figure)
  }

  /** A figure that could not be measured: shown as skipped, with the reason, never as 0. */
  skip(name: string, unit: string, reason: string): void {
    this.figures.set(name, { value: null, unit, skipped: reason })
  }

  /** Names of budgeted figures over their budget. Skipped figures have no value to judge. */
  failures(): string[] {
    return [...this.figures]
      .filter(([, f]) => f.budget !== undefined && f.value !== null && !(f.value <= f.budget))
      .map(([name]) => name)
  }

  table(): string {
    const header = ['figure', 'value', 'unit', 'baseline', 'ratio', 'budget', 'result']
    const rows = [...this.figures].map(([name, f]) => [
      name,
      f.value === null ? 'skipped' : `${f.note === undefined ? '' : '~'}${f.value}`,
      f.unit,
      f.baseline === undefined ? '' : String(f.baseline),
      f.ratio === undefined ? '' : String(f.ratio),
      f.budget === undefined ? '' : String(f.budget),
      f.budget === undefined || f.value === null ? '' : f.value <= f.budget ? 'PASS' : 'FAIL',
    ])
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
    const notes = [...this.figures]
      .filter(([, f]) => f.note !== undefined || f.skipped !== undefined)
      .map(([name, f]) => `${f.note === undefined ? '  ' : '~ '}${name}: ${f.note ?? `skipped: ${f.skipped}`}`)
    return [
      ...[header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()),
      ...(notes.length > 0 ? ['', ...notes] : []),
    ].join('\n')
  }

  toJSON(): Record<string, Figure> {
    return Object.fromEntries(this.figures)
  }

  async write(file: string): Promise<void> {
    await writeFile(file, JSON.stringify(this.toJSON(), null, 2) + '\n')
  }
}
