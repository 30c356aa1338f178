import {
  assertDirectApprovalAllowed,
  chartOfAccounts,
  decidePost,
  decidePostOpeningBalances,
  decidePostReversal,
  decideReversal,
  fail,
  fiscalYear,
  journalTransaction,
  type CommandMetadata,
} from '@neuroerp/domains';
import { ledger as wire } from '@neuroerp/schemas';
import { problem } from '../app';
import type { CommandContext, CommandDefinition, CommandHandler, CommandResult, StreamReader, StreamSnapshot } from '../command-handling';
import { HttpProblemError } from '../http/errors';
import { transactionDraftHash } from './hash';
import type { PeriodSealer } from './seals';
import { fiscalYearModel, fiscalYearOfDate, readPosting, streams, type FiscalYearStreamState } from './streams';
import {
  accountView,
  fiscalYearView,
  transactionView,
  type AccountView,
  type FiscalYearView,
  type PostingReference,
  type TransactionView,
} from './views';

/**
 * The ledger's commands as the HTTP routes, the seed and the benchmark run them: each picks
 * its streams from the table in domains/src/ledger/index.ts, lets the generic CommandHandler
 * load → decide → append → retry, and returns the written stream's coordinates together with
 * the resource as it is now and its ETag.
 */

/** What every command answers: where it wrote, and the resource it changed. */
export interface CommandOutcome<Resource> {
  streamId: string;
  streamVersion: number;
  position: bigint;
  /** Events appended; 0 when the command had been carried out already. */
  appended: number;
  resource: Resource;
  /** The resource's entity tag after the command (a quoted string). */
  etag: string;
}

/** The `If-Match` header as received; absent means "no precondition". */
export type IfMatch = string | undefined;

/** Entity tags are stream versions: the chart's for accounts, the fiscal year's for periods, the transaction's (plus "posted") for transactions. */
export function versionEtag(version: number): string {
  return `"${version}"`;
}

export function transactionEtag(transactionVersion: number, posted: boolean): string {
  return `"${transactionVersion}${posted ? '-posted' : ''}"`;
}

/** RFC 9110 If-Match: `*` matches any existing resource; otherwise one of the listed tags (weak prefixes ignored). */
export function ifMatchHolds(ifMatch: IfMatch, currentEtag: string, exists: boolean): boolean {
  if (ifMatch === undefined) return true;
  const wanted = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (wanted.includes('*')) return exists;
  return exists && wanted.includes(currentEtag);
}

function assertIfMatch(ifMatch: IfMatch, currentEtag: string, exists: boolean): void {
  if (ifMatchHolds(ifMatch, currentEtag, exists)) return;
  throw new HttpProblemError(
    problem(412, 'PRECONDITION_FAILED', `If-Match ${ifMatch ?? ''} does not match the current entity tag ${exists ? currentEtag : '(none: the resource does not exist)'}.`, {
      currentEtag: exists ? currentEtag : null,
    }),
  );
}

function command<Type extends string, Data>(type: Type, data: Data, context: CommandContext, now: string): { type: Type; data: Data; metadata: CommandMetadata } {
  return { type, data, metadata: { actor: context.actor, now } };
}

interface TransactionRead {
  transaction: StreamSnapshot<journalTransaction.TransactionState>;
  fiscalYear: StreamSnapshot<FiscalYearStreamState> | null;
}

/** Where a transaction is posted, if it is. */
function postingOf(fiscalYearSnapshot: StreamSnapshot<FiscalYearStreamState> | null, transactionId: string): PostingReference | null {
  const year = fiscalYearSnapshot?.state.year;
  const summary = year?.posted.get(transactionId);
  if (fiscalYearSnapshot === null || year === undefined || summary === undefined || year.settings === null) return null;
  const period = fiscalYear.periodOfDate(year.settings.year, year.settings.firstMonth, summary.postingDate);
  if (period === null) throw new Error(`posting of ${transactionId} outside its fiscal year`);
  return { fiscalYearStreamId: fiscalYearSnapshot.streamId, period, voucherNumber: summary.voucherNumber };
}

export interface LedgerCommandsOptions {
  /** Seals every period right after it is closed (docs/adr/0006-period-seals.md); absent: no seals. */
  sealer?: PeriodSealer;
}

export class LedgerCommands {
  constructor(
    private readonly handler: CommandHandler,
    private readonly options: LedgerCommandsOptions = {},
  ) {}

  /** The reader the GET routes use: committed states only. */
  get reader(): StreamReader {
    return this.handler;
  }

  // ---- chart of accounts ------------------------------------------------------------------

  private async chartCommand(
    context: CommandContext,
    companyId: string,
    ifMatch: IfMatch,
    decide: (chart: chartOfAccounts.ChartOfAccountsState, now: string) => readonly { type: string; data: unknown }[],
  ): Promise<CommandResult<chartOfAccounts.ChartOfAccountsState, undefined>> {
    return this.handler.handle(
      {
        stream: streams.chart(companyId),
        precondition: (chart) => assertIfMatch(ifMatch, versionEtag(chart.version), chart.version >= 0),
        decide: (chart, _read, now) => decide(chart.state, now),
      },
      context,
    );
  }

  private accountOutcome(result: CommandResult<chartOfAccounts.ChartOfAccountsState, undefined>, companyId: string, accountNumber: string): CommandOutcome<AccountView> {
    const account = chartOfAccounts.existingAccount(result.state, accountNumber);
    return { ...coordinates(result), resource: accountView(companyId, account), etag: versionEtag(result.streamVersion) };
  }

  async openAccount(context: CommandContext, body: wire.OpenAccountBody): Promise<CommandOutcome<AccountView>> {
    const result = await this.chartCommand(context, body.companyId, undefined, (chart, now) => chartOfAccounts.decide(command('OpenAccount', body, context, now), chart));
    return this.accountOutcome(result, body.companyId, body.accountNumber);
  }

  async importChart(context: CommandContext, body: wire.ImportChartOfAccountsBody): Promise<CommandOutcome<{ companyId: string; accountsOpened: number; accountCount: number }>> {
    const result = await this.chartCommand(context, body.companyId, undefined, (chart, now) =>
      chartOfAccounts.decide(command('ImportChartOfAccounts', body, context, now), chart),
    );
    return {
      ...coordinates(result),
      resource: { companyId: body.companyId, accountsOpened: result.appended, accountCount: result.state.accounts.size },
      etag: versionEtag(result.streamVersion),
    };
  }

  async blockAccount(context: CommandContext, body: wire.BlockAccountBody, ifMatch: IfMatch): Promise<CommandOutcome<AccountView>> {
    const result = await this.chartCommand({ ...context, reason: body.reason }, body.companyId, ifMatch, (chart, now) =>
      chartOfAccounts.decide(command('BlockAccount', body, context, now), chart),
    );
    return this.accountOutcome(result, body.companyId, body.accountNumber);
  }

  async unblockAccount(context: CommandContext, body: wire.UnblockAccountBody, ifMatch: IfMatch): Promise<CommandOutcome<AccountView>> {
    const result = await this.chartCommand(context, body.companyId, ifMatch, (chart, now) => chartOfAccounts.decide(command('UnblockAccount', body, context, now), chart));
    return this.accountOutcome(result, body.companyId, body.accountNumber);
  }

  async archiveAccount(context: CommandContext, body: wire.ArchiveAccountBody, ifMatch: IfMatch): Promise<CommandOutcome<AccountView>> {
    const result = await this.chartCommand(context, body.companyId, ifMatch, (chart, now) => chartOfAccounts.decide(command('ArchiveAccount', body, context, now), chart));
    return this.accountOutcome(result, body.companyId, body.accountNumber);
  }

  /** null when the account does not exist. */
  async getAccount(companyId: string, accountNumber: string): Promise<{ resource: AccountView; etag: string } | null> {
    const stream = streams.chart(companyId);
    const chart = await this.handler.load(stream.model, stream.streamId);
    const account = chart.state.accounts.get(accountNumber);
    return account === undefined ? null : { resource: accountView(companyId, account), etag: versionEtag(chart.version) };
  }

  // ---- fiscal years and periods -----------------------------------------------------------

  private async fiscalYearCommand<Read>(
    context: CommandContext,
    companyId: string,
    year: number,
    ifMatch: IfMatch,
    definition: Pick<CommandDefinition<FiscalYearStreamState, Read>, 'read' | 'decide'>,
  ): Promise<CommandOutcome<FiscalYearView>> {
    const result = await this.handler.handle<FiscalYearStreamState, Read>(
      {
        stream: streams.fiscalYear(companyId, year),
        precondition: (snapshot) => assertIfMatch(ifMatch, versionEtag(snapshot.version), snapshot.version >= 0),
        ...definition,
      },
      context,
    );
    return { ...coordinates(result), resource: fiscalYearView(result.state.year), etag: versionEtag(result.streamVersion) };
  }

  openFiscalYear(context: CommandContext, body: wire.OpenFiscalYearBody): Promise<CommandOutcome<FiscalYearView>> {
    return this.fiscalYearCommand(context, body.companyId, body.year, undefined, {
      decide: (snapshot, _read, now) => fiscalYear.decide(command('OpenFiscalYear', body, context, now), snapshot.state.year),
    });
  }

  softLockPeriod(context: CommandContext, body: wire.SoftLockPeriodBody, ifMatch: IfMatch): Promise<CommandOutcome<FiscalYearView>> {
    return this.fiscalYearCommand(context, body.companyId, body.year, ifMatch, {
      decide: (snapshot, _read, now) => fiscalYear.decide(command('SoftLockPeriod', body, context, now), snapshot.state.year),
    });
  }

  reopenPeriod(context: CommandContext, body: wire.ReopenPeriodBody, ifMatch: IfMatch): Promise<CommandOutcome<FiscalYearView>> {
    return this.fiscalYearCommand(context, body.companyId, body.year, ifMatch, {
      decide: (snapshot, _read, now) => fiscalYear.decide(command('ReopenPeriod', body, context, now), snapshot.state.year),
    });
  }

  /**
   * ClosePeriod, then (with a sealer) SealPeriod on `ledger.seals-<companyId>`. The seal is a
   * second append; repeating the close of a closed period seals it if that step was lost.
   */
  async closePeriod(context: CommandContext, body: wire.ClosePeriodBody, ifMatch: IfMatch): Promise<CommandOutcome<FiscalYearView>> {
    const outcome = await this.fiscalYearCommand(context, body.companyId, body.year, ifMatch, {
      decide: (snapshot, _read, now) => fiscalYear.decide(command('ClosePeriod', body, context, now), snapshot.state.year),
    });
    if (this.options.sealer !== undefined) await this.options.sealer.sealPeriod(context, body.companyId, body.year, body.period);
    return outcome;
  }

  grantPostingException(context: CommandContext, body: wire.GrantPostingExceptionBody, ifMatch: IfMatch): Promise<CommandOutcome<FiscalYearView>> {
    return this.fiscalYearCommand({ ...context, reason: body.reason }, body.companyId, body.year, ifMatch, {
      decide: (snapshot, _read, now) => fiscalYear.decide(command('GrantPostingException', body, context, now), snapshot.state.year),
    });
  }

  closeFiscalYear(context: CommandContext, body: wire.CloseFiscalYearBody, ifMatch: IfMatch): Promise<CommandOutcome<FiscalYearView>> {
    const chart = streams.chart(body.companyId);
    return this.fiscalYearCommand(context, body.companyId, body.year, ifMatch, {
      read: (reader) => reader.load(chart.model, chart.streamId),
      decide: (snapshot, chartSnapshot, now) => fiscalYear.decideCloseFiscalYear(snapshot.state.year, chartSnapshot.state, command('CloseFiscalYear', body, context, now)),
    });
  }

  postOpeningBalances(context: CommandContext, body: wire.PostOpeningBalancesBody): Promise<CommandOutcome<FiscalYearView>> {
    const previous = streams.fiscalYear(body.companyId, body.year - 1);
    return this.fiscalYearCommand(context, body.companyId, body.year, undefined, {
      read: (reader) => reader.load(previous.model, previous.streamId),
      decide: (snapshot, previousSnapshot, now) =>
        decidePostOpeningBalances(previousSnapshot.state.year, snapshot.state.year, command('PostOpeningBalances', body, context, now)),
    });
  }

  /** null when the fiscal year was never opened. */
  async getFiscalYear(companyId: string, year: number): Promise<{ resource: FiscalYearView; etag: string } | null> {
    const stream = streams.fiscalYear(companyId, year);
    const snapshot = await this.handler.load(stream.model, stream.streamId);
    if (snapshot.state.year.settings === null) return null;
    return { resource: fiscalYearView(snapshot.state.year), etag: versionEtag(snapshot.version) };
  }

  // ---- transactions -----------------------------------------------------------------------

  /** The transaction (committed) and the fiscal year of its posting date, if it exists. */
  private async readTransaction(reader: StreamReader, transactionId: string): Promise<TransactionRead> {
    const stream = streams.transaction(transactionId);
    const transaction = await reader.load(stream.model, stream.streamId);
    const draft = transaction.state.draft;
    return { transaction, fiscalYear: draft === null ? null : await fiscalYearOfDate(reader, draft.companyId, draft.postingDate) };
  }

  private transactionOutcome(
    coordinatesOf: { streamId: string; streamVersion: number; position: bigint; appended: number },
    transaction: StreamSnapshot<journalTransaction.TransactionState>,
    posting: PostingReference | null,
  ): CommandOutcome<TransactionView> {
    return { ...coordinatesOf, resource: transactionView(transaction.state, posting), etag: transactionEtag(transaction.version, posting !== null) };
  }

  /**
   * DraftTransaction; with `submit`, the draft is submitted in the same append (both events
   * on the transaction stream). Unknown accounts are refused already here (ACCOUNT_NOT_FOUND)
   * against the chart as read; posting checks the accounts again.
   */
  async draftTransaction(context: CommandContext, body: wire.DraftTransactionBody, options: { submit: boolean }): Promise<CommandOutcome<TransactionView>> {
    const chart = streams.chart(body.companyId);
    const result = await this.handler.handle(
      {
        stream: streams.transaction(body.transactionId),
        // Drafts come with fresh ids: the stream is not read first (a repeat conflicts and is decided again on a read).
        expectNew: true,
        read: (reader) => reader.load(chart.model, chart.streamId),
        decide: (transaction, chartSnapshot, now) => {
          for (const line of body.lines) chartOfAccounts.existingAccount(chartSnapshot.state, line.accountNumber);
          const drafted = journalTransaction.decide(command('DraftTransaction', body, context, now), transaction.state);
          if (!options.submit) return drafted;
          const afterDraft = drafted.reduce(journalTransaction.evolve, transaction.state);
          if (afterDraft.status !== 'draft') return drafted;
          return [...drafted, ...journalTransaction.decide(command('SubmitTransaction', { transactionId: body.transactionId }, context, now), afterDraft)];
        },
      },
      context,
    );
    const snapshot = { streamId: result.streamId, state: result.state, version: result.streamVersion, position: result.position };
    const read = result.appended > 0 ? { fiscalYear: null } : await this.readTransaction(this.handler, body.transactionId);
    return this.transactionOutcome(coordinates(result), snapshot, postingOf(read.fiscalYear, body.transactionId));
  }

  /** SubmitTransaction, ApproveTransaction or RejectTransaction: all write the transaction stream. */
  private async transactionStreamCommand(
    context: CommandContext,
    transactionId: string,
    ifMatch: IfMatch,
    toCommand: (now: string, state: journalTransaction.TransactionState, read: TransactionRead) => journalTransaction.TransactionCommand,
  ): Promise<CommandOutcome<TransactionView>> {
    const result = await this.handler.handle(
      {
        stream: streams.transaction(transactionId),
        read: (reader) => this.readTransaction(reader, transactionId),
        precondition: (transaction, read) =>
          assertIfMatch(ifMatch, transactionEtag(transaction.version, postingOf(read.fiscalYear, transactionId) !== null), transaction.version >= 0),
        decide: (transaction, read, now) => journalTransaction.decide(toCommand(now, transaction.state, read), transaction.state),
      },
      context,
    );
    const snapshot = { streamId: result.streamId, state: result.state, version: result.streamVersion, position: result.position };
    return this.transactionOutcome(coordinates(result), snapshot, postingOf(result.read.fiscalYear, transactionId));
  }

  submitTransaction(context: CommandContext, transactionId: string, ifMatch: IfMatch): Promise<CommandOutcome<TransactionView>> {
    return this.transactionStreamCommand(context, transactionId, ifMatch, (now) => command('SubmitTransaction', { transactionId }, context, now));
  }

  /**
   * ApproveTransaction, recording the hash of the draft as it is (transactionDraftHash). With
   * `approvedHash` (what the approver looked at), a different current hash is refused with
   * APPROVED_HASH_MISMATCH: nobody approves something other than what they saw. Above the
   * fiscal year's approval threshold only the approval workflow approves (`through: 'workflow'`,
   * the process manager on the workflow's completion); a direct approval there is refused with
   * APPROVAL_THROUGH_WORKFLOW.
   */
  approveTransaction(context: CommandContext, transactionId: string, ifMatch: IfMatch, approval: { through: 'workflow' | 'direct'; approvedHash?: string }): Promise<CommandOutcome<TransactionView>> {
    const { approvedHash } = approval;
    return this.transactionStreamCommand(context, transactionId, ifMatch, (now, state, read) => {
      const currentHash = state.draft === null ? undefined : transactionDraftHash(state.draft);
      if (approvedHash !== undefined && currentHash !== undefined && approvedHash !== currentHash) {
        fail('APPROVED_HASH_MISMATCH', `Transaction ${transactionId} is not the draft that was approved.`, { transactionId, approvedHash, currentHash });
      }
      if (approval.through === 'direct' && state.draft !== null && state.status === 'submitted') {
        assertDirectApprovalAllowed(state.draft, (read.fiscalYear?.state ?? fiscalYearModel.initialState()).year);
      }
      return command('ApproveTransaction', { transactionId, ...(currentHash !== undefined ? { approvedHash: currentHash } : {}) }, context, now);
    });
  }

  /**
   * RejectTransaction: the submitted transaction returns to draft with the reason. A
   * transaction that is posted already (below the threshold it may be posted while submitted)
   * is TRANSACTION_ALREADY_POSTED.
   */
  rejectTransaction(context: CommandContext, body: wire.RejectTransactionBody, ifMatch: IfMatch): Promise<CommandOutcome<TransactionView>> {
    const reasoned = { ...context, reason: body.reason };
    return this.transactionStreamCommand(reasoned, body.transactionId, ifMatch, (now, _state, read) => {
      if (postingOf(read.fiscalYear, body.transactionId) !== null) {
        fail('TRANSACTION_ALREADY_POSTED', `Transaction ${body.transactionId} is posted; posted transactions never change.`, { transactionId: body.transactionId });
      }
      return command('RejectTransaction', body, reasoned, now);
    });
  }

  /** PostTransaction: reads the transaction and the chart, appends to the fiscal year of the posting date. */
  async postTransaction(context: CommandContext, transactionId: string, ifMatch: IfMatch): Promise<CommandOutcome<TransactionView>> {
    // The fiscal year is found from the draft's posting date, which never changes: the cache does.
    let located = await this.readTransaction(this.handler.cached, transactionId);
    if (located.transaction.state.draft === null) located = await this.readTransaction(this.handler, transactionId);
    const draft = located.transaction.state.draft;
    if (draft === null || located.fiscalYear === null) {
      return fail('TRANSACTION_NOT_FOUND', `Transaction ${transactionId} does not exist.`, { transactionId });
    }
    const chart = streams.chart(draft.companyId);
    const transactionStream = streams.transaction(transactionId);
    const result = await this.handler.handle(
      {
        stream: { model: fiscalYearModel, streamId: located.fiscalYear.streamId },
        read: async (reader) => ({
          transaction: await reader.load(transactionStream.model, transactionStream.streamId),
          chart: await reader.load(chart.model, chart.streamId),
        }),
        precondition: (year, read) =>
          assertIfMatch(ifMatch, transactionEtag(read.transaction.version, year.state.year.posted.has(transactionId)), read.transaction.version >= 0),
        decide: (year, read, now) => decidePost(read.transaction.state, year.state.year, read.chart.state, command('PostTransaction', { transactionId }, context, now)),
      },
      context,
    );
    const yearSnapshot = { streamId: result.streamId, state: result.state, version: result.streamVersion, position: result.position };
    return this.transactionOutcome(coordinates(result), result.read.transaction, postingOf(yearSnapshot, transactionId));
  }

  /**
   * ReverseTransaction, two appends (docs/adr/0004): claim the reversal on the original's
   * transaction stream, then post it to the fiscal year of the reversal's date. Step 2 is
   * idempotent, so repeating the whole command after a failure between the steps completes it.
   */
  async reverseTransaction(context: CommandContext, body: wire.ReverseTransactionBody, ifMatch: IfMatch): Promise<CommandOutcome<TransactionView>> {
    const reasoned = { ...context, reason: body.reason };
    const originalStream = streams.transaction(body.transactionId);
    const readOriginal = async (reader: StreamReader) => {
      const { transaction, fiscalYear: originalYear } = await this.readTransaction(reader, body.transactionId);
      const draft = transaction.state.draft;
      const posting = originalYear === null ? null : await readPosting(reader, originalYear, body.transactionId);
      const target = draft === null ? null : await fiscalYearOfDate(reader, draft.companyId, body.postingDate);
      return { transaction, originalYear, posting, target };
    };
    await this.handler.handle(
      {
        stream: originalStream,
        read: readOriginal,
        precondition: (transaction, read) =>
          assertIfMatch(ifMatch, transactionEtag(transaction.version, postingOf(read.originalYear, body.transactionId) !== null), transaction.version >= 0),
        decide: (transaction, read, now) => {
          if (read.target === null) return fail('TRANSACTION_NOT_FOUND', `Transaction ${body.transactionId} does not exist.`, { transactionId: body.transactionId });
          return decideReversal(transaction.state, read.posting, read.target.state.year, command('ReverseTransaction', body, reasoned, now));
        },
      },
      reasoned,
    );
    return this.postClaimedReversal(reasoned, body);
  }

  /**
   * Step 2 of ReverseTransaction alone: posts a claimed reversal to the fiscal year of its
   * date; posting it again appends nothing. The reversal-completion process manager calls it
   * for every claim, so a reversal whose second append failed completes without a person
   * repeating the command.
   */
  async postClaimedReversal(context: CommandContext, body: wire.ReverseTransactionBody): Promise<CommandOutcome<TransactionView>> {
    const reasoned = { ...context, reason: body.reason };
    const claimed = await this.readTransaction(this.handler, body.transactionId);
    const draft = claimed.transaction.state.draft;
    const target = draft === null ? null : await fiscalYearOfDate(this.handler, draft.companyId, body.postingDate);
    if (target === null) return fail('TRANSACTION_NOT_FOUND', `Transaction ${body.transactionId} does not exist.`, { transactionId: body.transactionId });
    const result = await this.handler.handle(
      {
        stream: { model: fiscalYearModel, streamId: target.streamId },
        read: async (reader) => {
          const { transaction, fiscalYear: originalYear } = await this.readTransaction(reader, body.transactionId);
          const posting = originalYear === null ? null : await readPosting(reader, originalYear, body.transactionId);
          return { transaction, originalYear, posting };
        },
        decide: (year, read, now) => decidePostReversal(read.transaction.state, read.posting, year.state.year, command('ReverseTransaction', body, reasoned, now)),
      },
      reasoned,
    );
    return this.transactionOutcome(coordinates(result), result.read.transaction, postingOf(result.read.originalYear, body.transactionId));
  }

  /** null when no such transaction was drafted. */
  async getTransaction(transactionId: string): Promise<{ resource: TransactionView; etag: string } | null> {
    const read = await this.readTransaction(this.handler, transactionId);
    if (read.transaction.state.draft === null) return null;
    const posting = postingOf(read.fiscalYear, transactionId);
    return { resource: transactionView(read.transaction.state, posting), etag: transactionEtag(read.transaction.version, posting !== null) };
  }
}

function coordinates(result: { streamId: string; streamVersion: number; position: bigint; appended: number }) {
  return { streamId: result.streamId, streamVersion: result.streamVersion, position: result.position, appended: result.appended };
}
