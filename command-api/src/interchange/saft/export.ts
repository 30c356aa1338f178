import type { EventStore } from '@neuroerp/infra';
import { readChart, readFiscalYear, type FiscalYearBook } from '../ledger-read';
import { buildSaft, type SaftExportInput, type SaftExportSummary, type YearMonth } from './build';

/** The export cannot be made as asked (no such fiscal year, a range across fiscal years, ...). */
export class SaftExportError extends Error {
  constructor(
    readonly code: 'FISCAL_YEAR_NOT_FOUND' | 'EXPORT_RANGE_INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'SaftExportError';
  }
}

/** "2015-10" → { year: 2015, month: 10 }; throws EXPORT_RANGE_INVALID otherwise. */
export function parseYearMonth(value: string): YearMonth {
  const match = /^([0-9]{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (match === null) throw new SaftExportError('EXPORT_RANGE_INVALID', `"${value}" is not a month in the form YYYY-MM.`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

export interface SaftExportOptions extends Pick<SaftExportInput, 'companyId' | 'company' | 'createdDate' | 'software' | 'userId'> {
  from: YearMonth;
  to: YearMonth;
}

/** The fiscal year whose dates contain the month `month` starts on (a year is named by the calendar year it starts in). */
async function fiscalYearContaining(store: EventStore, companyId: string, month: YearMonth): Promise<FiscalYearBook> {
  const date = `${month.year}-${String(month.month).padStart(2, '0')}-01`;
  for (const year of [month.year, month.year - 1]) {
    const book = await readFiscalYear(store, companyId, year);
    if (book.settings !== null && book.settings.startDate <= date && date <= book.settings.endDate) return book;
  }
  throw new SaftExportError('FISCAL_YEAR_NOT_FOUND', `Company ${companyId} has no fiscal year containing ${date}.`);
}

/** Reads the chart and the fiscal year of the range from the store and writes the SAF-T file's XML. */
export async function exportSaft(store: EventStore, options: SaftExportOptions): Promise<{ xml: string; summary: SaftExportSummary }> {
  const { from, to } = options;
  if (from.year * 12 + from.month > to.year * 12 + to.month) throw new SaftExportError('EXPORT_RANGE_INVALID', '--from is after --to.');
  const book = await fiscalYearContaining(store, options.companyId, from);
  const settings = book.settings;
  if (settings === null) throw new Error('fiscalYearContaining returned a year without settings');
  const toStart = `${to.year}-${String(to.month).padStart(2, '0')}-01`;
  if (toStart > settings.endDate) {
    throw new SaftExportError('EXPORT_RANGE_INVALID', `The range must lie in one fiscal year; fiscal year ${settings.year} ends on ${settings.endDate}.`);
  }
  const accounts = await readChart(store, options.companyId);
  return buildSaft({ ...options, currency: settings.companyCurrency, accounts, postings: book.postings.map((recorded) => recorded.posting) });
}
