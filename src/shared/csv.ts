/**
 * CSV for spreadsheets as German offices open them: `;` between fields (Excel in a German locale
 * takes `,` for the decimal comma and reads `;` as the list separator), lines ended by CRLF
 * (RFC 4180), UTF-8 with a byte-order mark so Excel does not read Arabic or Ukrainian as
 * Windows-1252. Text that a spreadsheet would run as a formula is defused.
 */

export const CSV_SEPARATOR = ';'
const BOM = '\uFEFF'

/** One field: quoted when it holds the separator, a quote or a line break; formulas defused. */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value)
  // A leading = + - @ (or tab/CR) starts a formula in Excel and LibreOffice (CSV injection).
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[";\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** The whole file: BOM, then one line per row. */
export function toCsv(rows: readonly (readonly (string | number)[])[]): string {
  return BOM + rows.map((row) => row.map(csvField).join(CSV_SEPARATOR)).join('\r\n') + '\r\n'
}
