import { isDomainError } from '@neuroerp/domains';
import { ledger as wire } from '@neuroerp/schemas';
import type { CommandContext } from '../../command-handling';
import type { LedgerCommands } from '../../ledger/commands';
import { fiscalYearOfDate, streams } from '../../ledger/streams';
import { parseSaft } from './parse';
import { planSaftImport, SAFT_DEFAULT_SYSTEM_ACCOUNTS, type SaftImportReport, type SaftSystemAccounts } from './plan';

export interface SaftImportOptions {
  companyId: string;
  /** Used only for fiscal years the import opens; an open year keeps its own settings. */
  systemAccounts?: SaftSystemAccounts;
  /** Approval threshold of fiscal years the import opens (decimal string in the file's currency). */
  approvalThreshold?: string;
  /** Called after each step of the import with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** The threshold a fiscal year opened by the import gets unless told otherwise; above it, imported transactions wait for approval. */
export const SAFT_DEFAULT_APPROVAL_THRESHOLD = '10000.00';

/**
 * Imports a SAF-T Financial file through the ledger's own commands: the chart (missing
 * accounts only), the fiscal years the postings fall in (opened when missing), the opening
 * balances as an `opening_balance` transaction and every file transaction drafted, submitted
 * and posted under an id derived from the file. Nothing is written when the plan rejects
 * anything. A re-import posts nothing new: already posted transactions are skipped.
 */
export async function importSaft(commands: LedgerCommands, context: CommandContext, xml: string, options: SaftImportOptions): Promise<SaftImportReport> {
  const file = parseSaft(xml);
  const { companyId } = options;
  const chartStream = streams.chart(companyId);
  const chart = await commands.reader.load(chartStream.model, chartStream.streamId);
  const openingDate = `${file.header.selectionStart.year}-${String(file.header.selectionStart.month).padStart(2, '0')}-01`;
  const openingYear = await fiscalYearOfDate(commands.reader, companyId, openingDate);
  const source = openingYear.state.year.settings ?? options.systemAccounts ?? SAFT_DEFAULT_SYSTEM_ACCOUNTS;
  const systemAccounts: SaftSystemAccounts = {
    openingBalanceAccountNumber: source.openingBalanceAccountNumber,
    retainedEarningsAccountNumber: source.retainedEarningsAccountNumber,
    roundingAccountNumber: source.roundingAccountNumber,
  };
  const plan = planSaftImport({ file, companyId, existingAccountNumbers: new Set(chart.state.accounts.keys()), systemAccounts });
  if (!plan.report.accepted) return plan.report;

  const postings = [...(plan.openingBalance === null ? [] : [plan.openingBalance]), ...plan.transactions];
  const total = 2 + postings.length;
  let done = 0;
  const step = () => options.onProgress?.(++done, total);
  let eventsAppended = 0;

  let accountsOpened = 0;
  for (let start = 0; start < plan.accountsToOpen.length; start += wire.ACCOUNTS_PER_IMPORT_MAX) {
    const outcome = await commands.importChart(context, { companyId, accounts: plan.accountsToOpen.slice(start, start + wire.ACCOUNTS_PER_IMPORT_MAX) });
    accountsOpened += outcome.appended;
    eventsAppended += outcome.appended;
  }
  step();

  const fiscalYearsOpened: number[] = [];
  for (const date of plan.postingDates) {
    const year = await fiscalYearOfDate(commands.reader, companyId, date);
    if (year.state.year.settings !== null) continue;
    const outcome = await commands.openFiscalYear(context, {
      companyId,
      year: Number(date.slice(0, 4)),
      companyCurrency: file.header.currency,
      approvalThreshold: options.approvalThreshold ?? SAFT_DEFAULT_APPROVAL_THRESHOLD,
      ...systemAccounts,
    });
    fiscalYearsOpened.push(Number(date.slice(0, 4)));
    eventsAppended += outcome.appended;
  }
  step();

  let transactionsPosted = 0;
  let transactionsAlreadyPosted = 0;
  const awaitingApproval: string[] = [];
  for (const body of postings) {
    const existing = await commands.getTransaction(body.transactionId);
    if (existing !== null && existing.resource.posting !== null) {
      transactionsAlreadyPosted += 1;
      step();
      continue;
    }
    const drafted = await commands.draftTransaction(context, body, { submit: true });
    eventsAppended += drafted.appended;
    try {
      const posted = await commands.postTransaction(context, body.transactionId, undefined);
      eventsAppended += posted.appended;
      transactionsPosted += 1;
    } catch (error) {
      // Above the threshold a second person approves; the import leaves it submitted and says so.
      if (!isDomainError(error) || error.code !== 'APPROVAL_REQUIRED') throw error;
      awaitingApproval.push(body.transactionId);
    }
    step();
  }
  return { ...plan.report, applied: { accountsOpened, fiscalYearsOpened, transactionsPosted, transactionsAlreadyPosted, awaitingApproval, eventsAppended } };
}
