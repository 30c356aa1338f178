/**
 * The ledger bounded context: chart of accounts, journal transactions, fiscal years.
 * Pure: no I/O, no clock, no randomness; the actor, `now` and every new id arrive in the
 * command. Design and reasons: docs/adr/0004-ledger-aggregates.md.
 *
 * ## Streams
 *
 * | aggregate         | stream id                                      | events                                                        |
 * |-------------------|------------------------------------------------|---------------------------------------------------------------|
 * | chart of accounts | `ledger.chart_of_accounts-<companyId>`         | account_opened / _blocked / _unblocked / _archived            |
 * | transaction       | `ledger.transaction-<transactionId>`           | transaction_drafted / _submitted / _approved / _reversed      |
 * | fiscal year       | `ledger.fiscal_year-<companyId>-<year>`        | fiscal_year_opened, period_*, posting_exception_granted,      |
 * |                   |                                                | **transaction_posted**, fiscal_year_closed                    |
 *
 * Posting is decided on the fiscal-year stream, the same stream that closes periods and
 * counts vouchers: a post and a close that race are serialized by the store's
 * expected-version check, so nothing ever lands in a closed period and voucher numbers are
 * gapless.
 *
 * ## How the command handler uses this (load → decide → append with expected version → retry)
 *
 * Every command writes exactly ONE stream. For each command:
 *
 * | command                  | load (fold with evolve / evolveAll)                                   | decide with                                          | append to                         |
 * |--------------------------|------------------------------------------------------------------------|------------------------------------------------------|-----------------------------------|
 * | OpenAccount, BlockAccount, UnblockAccount, ArchiveAccount, ImportChartOfAccounts | chart | `chartOfAccounts.decide(cmd, chart)` | chart stream |
 * | DraftTransaction, SubmitTransaction, ApproveTransaction | transaction                         | `journalTransaction.decide(cmd, tx)`                  | transaction stream                |
 * | OpenFiscalYear, SoftLockPeriod, ReopenPeriod, ClosePeriod, GrantPostingException | fiscal year | `fiscalYear.decide(cmd, fy)` | fiscal-year stream |
 * | PostTransaction          | transaction, fiscal year of `fiscalYearOf(draft.postingDate, firstMonth)`, chart | `decidePost(tx, fy, chart, cmd)`       | fiscal-year stream                |
 * | ReverseTransaction, step 1 | original transaction, original's `transaction_posted` event, fiscal year of `cmd.postingDate` | `decideReversal(tx, posting, fy, cmd)` | ORIGINAL's transaction stream |
 * | ReverseTransaction, step 2 | the same, re-read                                                   | `decidePostReversal(tx, posting, fy, cmd)`           | fiscal-year stream                |
 * | CloseFiscalYear          | fiscal year, chart                                                     | `fiscalYear.decideCloseFiscalYear(fy, chart, cmd)`   | fiscal-year stream                |
 * | PostOpeningBalances      | previous fiscal year, fiscal year                                      | `decidePostOpeningBalances(prev, fy, cmd)`           | fiscal-year stream                |
 *
 * - Append with `expectedVersion` = the version of the written stream as loaded (`'no_stream'`
 *   when it had no events). On a version conflict, reload everything and decide again: the
 *   deciders are pure, so a retry is always safe; a bounded number of retries suffices.
 * - Only the written stream is protected by the check. Streams that are only read (the chart
 *   for a posting, the transaction for a posting) may be a moment stale; that is accepted
 *   and written down in the ADR (blocking an account is not retroactive to a post that was
 *   already being decided).
 * - An empty result means "already done" (idempotent repeat): append nothing, answer success.
 * - Wrap each returned `{ type, data }` into the envelope with `schemaVersion` from
 *   `ledger.ledgerEventCatalogue[type].schemaVersion` (from @neuroerp/schemas), a new event id,
 *   and the request's metadata.
 * - ReverseTransaction is two appends: run step 2 right after step 1, and again (it is
 *   idempotent) if the process died in between; a claimed but unposted reversal is visible
 *   in the read model as "reversal pending".
 * - Load the original's `transaction_posted` event from the fiscal-year stream it was posted
 *   to (any copy of that immutable event is fine, e.g. via the general-ledger read model's
 *   stream position).
 */
export { DomainError, isDomainError } from '../domain-error';
export * from './errors';
export * from './money';
export * from './types';
export * from './posting';
export { canonicalJson } from './canonical-json';
export * as chartOfAccounts from './accounts';
export * as journalTransaction from './transactions';
export * as fiscalYear from './fiscal-years';
export { SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS } from './accounts/skr03';
export { fiscalYearStreamId } from './fiscal-years/fiscal-year';
export { fiscalYearOf } from './fiscal-years/calendar';
export { chartOfAccountsStreamId } from './accounts/chart-of-accounts';
export { transactionStreamId } from './transactions/transaction';
export * as seals from './seals';
export { sealsStreamId } from './seals';
