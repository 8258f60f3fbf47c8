/** The benchmark's figures: a table on stdout and the same numbers in bench-results.json. */
import { writeFile } from 'node:fs/promises'
import { round } from './stats'

export interface Figure {
  value: number
  unit: string
  baseline?: number
  /** value / baseline */
  ratio?: number
  /** The limit the value must not exceed. */
  budget?: number
}

export class Figures {
  private readonly figures = new Map<string, Figure>()

  add(name: string, value: number, unit: string, extra: { baseline?: number; budget?: number } = {}): void {
    const digits = unit === 'ms' ? 2 : 0
    const figure: Figure = { value: round(value, digits), unit }
    if (extra.baseline !== undefined) {
      figure.baseline = round(extra.baseline, digits)
      figure.ratio = extra.baseline > 0 ? round(value / extra.baseline, 2) : Number.NaN
    }
    if (extra.budget !== undefined) figure.budget = extra.budget
    this.figures.set(name, figure)
  }

  /** Names of budgeted figures over their budget. */
  failures(): string[] {
    return [...this.figures].filter(([, f]) => f.budget !== undefined && !(f.value <= f.budget)).map(([name]) => name)
  }

  table(): string {
    const header = ['figure', 'value', 'unit', 'baseline', 'ratio', 'budget', 'result']
    const rows = [...this.figures].map(([name, f]) => [
      name,
      String(f.value),
      f.unit,
      f.baseline === undefined ? '' : String(f.baseline),
      f.ratio === undefined ? '' : String(f.ratio),
      f.budget === undefined ? '' : String(f.budget),
      f.budget === undefined ? '' : f.value <= f.budget ? 'PASS' : 'FAIL',
    ])
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
    return [header, ...rows]
      .map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd())
      .join('\n')
  }

  toJSON(): Record<string, Figure> {
    return Object.fromEntries(this.figures)
  }

  async write(file: string): Promise<void> {
    await writeFile(file, JSON.stringify(this.toJSON(), null, 2) + '\n')
  }
}
