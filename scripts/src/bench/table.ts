/** A plain-text table: the first column left-aligned (labels), the others right-aligned (figures). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Groups thousands with a thin separator so that 12345 reads as 12,345. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Milliseconds with two decimals below 100 ms, whole milliseconds above. */
export function formatMs(value: number): string {
  return value < 100 ? value.toFixed(2) : value.toFixed(0);
}

export function formatRatio(value: number): string {
  return `${value.toFixed(2)}x`;
}
