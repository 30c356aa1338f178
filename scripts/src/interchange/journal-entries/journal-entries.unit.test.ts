import { parseCsv } from '../csv';
import { metadata, sampleYear } from '../test-support';
import { entrySource, isPeriodEndDate, JOURNAL_ENTRY_COLUMNS, journalEntriesCsv, journalEntryRows, type JournalEntryColumn } from './journal-entries';

function rowsByColumn(): Record<JournalEntryColumn, string>[] {
  return journalEntryRows(sampleYear()).map((row) => Object.fromEntries(JOURNAL_ENTRY_COLUMNS.map((column, index) => [column, row[index]])) as Record<JournalEntryColumn, string>);
}

describe('journal-entry population', () => {
  it.each([
    ['2026-02-25', false],
    ['2026-02-26', true],
    ['2026-02-28', true],
    ['2024-02-26', false],
    ['2024-02-27', true],
    ['2026-03-28', false],
    ['2026-03-29', true],
    ['2026-04-28', true],
  ])('%s is a period-end date: %s', (date, expected) => {
    expect(isPeriodEndDate(date)).toBe(expected);
  });

  it.each([
    ['a person', metadata('anna', '2026-01-01T00:00:00Z'), 'manual'],
    ['a process manager (causation id)', metadata('anna', '2026-01-01T00:00:00Z', 'event-1'), 'system'],
    ['the system user', metadata('system', '2026-01-01T00:00:00Z'), 'system'],
  ])('an entry made by %s is %s', (_who, meta, expected) => {
    expect(entrySource(meta)).toBe(expected);
  });

  it('has one row per posted line with users, dates, source, period end, reversal links and approvals', () => {
    const rows = rowsByColumn();
    expect(rows).toHaveLength(8);
    expect(rows.map((row) => [row.transaction_id, row.line_number, row.source, row.period_end])).toEqual([
      ['t1', '1', 'manual', 'N'],
      ['t1', '2', 'manual', 'N'],
      ['t2', '1', 'manual', 'Y'],
      ['t2', '2', 'manual', 'Y'],
      ['t3', '1', 'system', 'N'],
      ['t3', '2', 'system', 'N'],
      ['t4', '1', 'manual', 'Y'],
      ['t4', '2', 'manual', 'Y'],
    ]);
    expect(rows[2]).toMatchObject({
      amount: '20000.00',
      posting_date: '2026-02-27',
      entry_date: '2026-02-28',
      drafted_by: 'anna',
      submitted_by: 'anna',
      posted_by: 'anna',
      approvals: 'bert@2026-02-27T09:00:00.000Z',
      approved_by: 'bert',
      rejections: 'bert@2026-02-26T10:00:00.000Z: missing receipt',
    });
    expect(rows[4]).toMatchObject({ reversed_by_transaction_id: 't4', reversal_reason: 'wrong supplier', causation_id: 'document-posted-42', posted_by: 'system' });
    expect(rows[6]).toMatchObject({ reverses_transaction_id: 't3', reversal_reason: 'wrong supplier' });
  });

  it('writes a CSV whose header is the columns and whose texts survive delimiters and quotes', () => {
    const parsed = parseCsv(journalEntriesCsv(sampleYear()), ',');
    expect(parsed[0]).toEqual([...JOURNAL_ENTRY_COLUMNS]);
    expect(parsed).toHaveLength(9);
    expect(parsed.every((row) => row.length === JOURNAL_ENTRY_COLUMNS.length)).toBe(true);
    expect(parsed[1]?.[JOURNAL_ENTRY_COLUMNS.indexOf('line_text')]).toBe('a;b "quoted"');
  });
});
