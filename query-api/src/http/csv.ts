import type { Response } from 'express';

/** One CSV column: its header and how a row's cell is read. */
export interface CsvColumn<Row> {
  header: string;
  value(row: Row): string | number | boolean | null | undefined;
}

const NEEDS_QUOTES = /[",\r\n]/;
/** Cells starting like a formula are prefixed with `'` so that spreadsheets show them as text (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One field, RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text) && !/^-?[0-9]/.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The whole document: a header line, then one line per row, CRLF-terminated (RFC 4180). */
export function toCsv<Row>(columns: readonly CsvColumn<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((column) => csvField(column.header)).join(',')];
  for (const row of rows) lines.push(columns.map((column) => csvField(column.value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** Sets the headers of a CSV download named `filename` (ASCII letters, digits, `-`, `_`, `.`). */
export function setCsvHeaders(res: Response, filename: string): void {
  const safe = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  res.set('Content-Type', CSV_CONTENT_TYPE);
  res.set('Content-Disposition', `attachment; filename="${safe}"`);
}
