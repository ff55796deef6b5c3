/** Plain-text tables for `junction ctl`: one row per entry, columns padded, no colour. */

export interface TableOptions {
  /** Print the column names as the first line (default true). */
  readonly header?: boolean;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return value === '' ? '-' : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function formatTable(
  rows: readonly Readonly<Record<string, unknown>>[],
  columns: readonly string[],
  options: TableOptions = {},
): string {
  if (rows.length === 0) return '(none)\n';
  const header = options.header ?? true;
  const lines = rows.map((row) => columns.map((column) => cell(row[column])));
  if (header) lines.unshift(columns.map((c) => c.toUpperCase()));
  const widths = columns.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  return `${lines.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
}
