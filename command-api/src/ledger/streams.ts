import {
  chartOfAccounts,
  chartOfAccountsStreamId,
  fiscalYear,
  fiscalYearStreamId,
  journalTransaction,
  transactionStreamId,
} from '@neuroerp/domains';
import type { ledger as wire, RecordedEvent } from '@neuroerp/schemas';
import type { FoldableEvent, StreamModel, StreamReader, StreamSnapshot } from '../command-handling';

/** How the command handler folds the three ledger streams (docs/adr/0004). */

export const chartModel: StreamModel<chartOfAccounts.ChartOfAccountsState> = {
  name: 'ledger.chart_of_accounts',
  initialState: chartOfAccounts.initialState,
  evolve: (state, events) => chartOfAccounts.evolveAll(state, events),
};

export const transactionModel: StreamModel<journalTransaction.TransactionState> = {
  name: 'ledger.transaction',
  initialState: journalTransaction.initialState,
  evolve: (state, events) => events.reduce(journalTransaction.evolve, state),
};

/**
 * A fiscal year plus a hint where each `ledger.transaction_posted` lies in the stream, so that
 * a reversal can read the original posting with one read instead of scanning the year. The
 * hint map is shared by all snapshots of a stream and only grows; a hint from an append that
 * later failed is caught by checking the event read (see readPosting).
 */
export interface FiscalYearStreamState {
  year: fiscalYear.FiscalYearState;
  postingVersions: Map<string, number>;
}

export const fiscalYearModel: StreamModel<FiscalYearStreamState> = {
  name: 'ledger.fiscal_year',
  initialState: () => ({ year: fiscalYear.initialState(), postingVersions: new Map() }),
  evolve: (state, events) => {
    for (const event of events) {
      if (event.type === 'ledger.transaction_posted') {
        state.postingVersions.set((event.data as wire.TransactionPosted).transactionId, event.streamVersion);
      }
    }
    return { year: fiscalYear.evolveAll(state.year, events), postingVersions: state.postingVersions };
  },
};

export const streams = {
  chart: (companyId: string) => ({ model: chartModel, streamId: chartOfAccountsStreamId(companyId) }),
  transaction: (transactionId: string) => ({ model: transactionModel, streamId: transactionStreamId(transactionId) }),
  fiscalYear: (companyId: string, year: number) => ({ model: fiscalYearModel, streamId: fiscalYearStreamId(companyId, year) }),
};

function contains(snapshot: StreamSnapshot<FiscalYearStreamState>, date: string): boolean {
  const settings = snapshot.state.year.settings;
  return settings !== null && settings.startDate <= date && date <= settings.endDate;
}

/**
 * The fiscal year a date belongs to. A fiscal year is named by the calendar year it starts in,
 * so a date lies in the year of its own calendar year or of the one before (fiscal years that
 * start mid-year). When neither is opened, the calendar year's stream: deciding on it fails
 * with FISCAL_YEAR_NOT_OPEN, and opening that year makes the same command work.
 */
export async function fiscalYearOfDate(reader: StreamReader, companyId: string, date: string): Promise<StreamSnapshot<FiscalYearStreamState>> {
  const calendarYear = Number(date.slice(0, 4));
  const same = await reader.load(fiscalYearModel, fiscalYearStreamId(companyId, calendarYear));
  if (contains(same, date)) return same;
  const previous = await reader.load(fiscalYearModel, fiscalYearStreamId(companyId, calendarYear - 1));
  return contains(previous, date) ? previous : same;
}

/** The `ledger.transaction_posted` event of `transactionId` in a fiscal year, or null when it is not posted there. */
export async function readPosting(
  reader: StreamReader,
  snapshot: StreamSnapshot<FiscalYearStreamState>,
  transactionId: string,
): Promise<wire.TransactionPosted | null> {
  if (!snapshot.state.year.posted.has(transactionId)) return null;
  const isPosting = (event: Pick<RecordedEvent, 'type' | 'data'> | null): event is FoldableEvent & { data: wire.TransactionPosted } =>
    event !== null && event.type === 'ledger.transaction_posted' && (event.data as wire.TransactionPosted).transactionId === transactionId;
  const hint = snapshot.state.postingVersions.get(transactionId);
  if (hint !== undefined) {
    const event = await reader.readEvent(snapshot.streamId, hint);
    if (isPosting(event)) return event.data;
  }
  // The hint was wrong (an append that failed reused the version): look for it from the start.
  for (let version = 0; version <= snapshot.version; version += 1) {
    const event = await reader.readEvent(snapshot.streamId, version);
    if (isPosting(event)) {
      snapshot.state.postingVersions.set(transactionId, version);
      return event.data;
    }
  }
  throw new Error(`fiscal year ${snapshot.streamId} lists ${transactionId} as posted but holds no posting of it`);
}
