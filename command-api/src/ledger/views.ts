import { z } from 'zod';
import { chartOfAccounts, fiscalYear, formatMinor, type journalTransaction } from '@neuroerp/domains';
import { ledger as wire } from '@neuroerp/schemas';
import { transactionDraftHash } from './hash';

/**
 * The resources the ledger command routes answer with, as zod schemas (they feed the OpenAPI
 * document) and the functions that build them from folded stream states. Amounts are decimal
 * strings in major units, as on the way in.
 */

export const accountViewSchema = z.object({
  companyId: z.string(),
  accountNumber: z.string(),
  name: z.string(),
  type: wire.accountTypeSchema,
  normalBalance: wire.normalBalanceSchema,
  currency: z.string().nullable(),
  requiredDimensions: z.array(z.string()),
  status: z.enum(['open', 'blocked', 'archived']),
});
export type AccountView = z.infer<typeof accountViewSchema>;

export function accountView(companyId: string, account: chartOfAccounts.Account): AccountView {
  return {
    companyId,
    accountNumber: account.accountNumber,
    name: account.name,
    type: account.type,
    normalBalance: account.normalBalance,
    currency: account.currency,
    requiredDimensions: [...account.requiredDimensions],
    status: account.status,
  };
}

export const chartImportViewSchema = z.object({ companyId: z.string(), accountsOpened: z.number().int(), accountCount: z.number().int() });

const lineViewSchema = z.object({
  accountNumber: z.string(),
  side: wire.sideSchema,
  amount: z.string(),
  currency: z.string(),
  fxRate: z.string().nullable(),
  dimensions: z.record(z.string(), z.string()),
  text: z.string().nullable(),
});

export const transactionStatusSchema = z.enum(['draft', 'submitted', 'approved', 'posted']);

export const transactionViewSchema = z.object({
  transactionId: z.string(),
  companyId: z.string(),
  type: wire.transactionTypeSchema,
  documentDate: z.string(),
  postingDate: z.string(),
  description: z.string().nullable(),
  linkedDocumentIds: z.array(z.string()),
  lines: z.array(lineViewSchema),
  /** `posted` once the fiscal year holds its posting; a reversal is shown in `reversal`. */
  status: transactionStatusSchema,
  draftedBy: z.string(),
  submittedBy: z.string().nullable(),
  approvedBy: z.string().nullable(),
  /** The hash of the draft as it is (SHA-256 of its canonical JSON): what an approver approves. */
  draftHash: z.string(),
  /** The hash of the draft the approval recorded, if it recorded one. */
  approvedHash: z.string().nullable(),
  /** The most recent rejection (the transaction went back to draft then). */
  rejection: z.object({ rejectedBy: z.string(), reason: z.string() }).nullable(),
  posting: z.object({ fiscalYearStreamId: z.string(), period: z.number().int(), voucherNumber: z.number().int() }).nullable(),
  reversal: z.object({ reversalTransactionId: z.string(), reversalPostingDate: z.string(), reason: z.string(), reversedBy: z.string() }).nullable(),
});
export type TransactionView = z.infer<typeof transactionViewSchema>;

export interface PostingReference {
  fiscalYearStreamId: string;
  period: number;
  voucherNumber: number;
}

export function transactionView(state: journalTransaction.TransactionState, posting: PostingReference | null): TransactionView {
  const draft = state.draft;
  if (draft === null || state.status === 'none') throw new Error('transactionView of a transaction that does not exist');
  return {
    transactionId: draft.transactionId,
    companyId: draft.companyId,
    type: draft.type,
    documentDate: draft.documentDate,
    postingDate: draft.postingDate,
    description: draft.description,
    linkedDocumentIds: draft.linkedDocumentIds,
    lines: draft.lines.map((line) => ({
      accountNumber: line.accountNumber,
      side: line.side,
      amount: formatMinor(BigInt(line.amountMinor), line.currency),
      currency: line.currency,
      fxRate: line.fxRate,
      dimensions: line.dimensions,
      text: line.text,
    })),
    status: posting !== null ? 'posted' : state.status,
    draftedBy: draft.draftedBy,
    submittedBy: state.submittedBy,
    approvedBy: state.approvedBy,
    draftHash: transactionDraftHash(draft),
    approvedHash: state.approvedHash,
    rejection: state.rejection === null ? null : { rejectedBy: state.rejection.rejectedBy, reason: state.rejection.reason },
    posting,
    reversal: state.reversal === null ? null : { ...state.reversal },
  };
}

export const fiscalYearViewSchema = z.object({
  companyId: z.string(),
  year: z.number().int(),
  firstMonth: z.number().int(),
  startDate: z.string(),
  endDate: z.string(),
  companyCurrency: z.string(),
  approvalThreshold: z.string(),
  status: z.enum(['open', 'closed']),
  periods: z.array(
    z.object({
      period: z.number().int(),
      startDate: z.string(),
      endDate: z.string(),
      status: wire.periodStatusSchema,
      exceptions: z.array(z.object({ grantee: z.string(), until: z.string(), reason: z.string(), grantedBy: z.string() })),
    }),
  ),
  lastVoucherNumber: z.number().int(),
  postedCount: z.number().int(),
});
export type FiscalYearView = z.infer<typeof fiscalYearViewSchema>;

export function fiscalYearView(state: fiscalYear.FiscalYearState): FiscalYearView {
  const settings = fiscalYear.openedSettings(state);
  return {
    companyId: settings.companyId,
    year: settings.year,
    firstMonth: settings.firstMonth,
    startDate: settings.startDate,
    endDate: settings.endDate,
    companyCurrency: settings.companyCurrency,
    approvalThreshold: formatMinor(BigInt(settings.approvalThresholdMinor), settings.companyCurrency),
    status: state.status === 'closed' ? 'closed' : 'open',
    periods: state.periods.map((period) => ({ ...period, exceptions: period.exceptions.map((exception) => ({ ...exception })) })),
    lastVoucherNumber: state.lastVoucherNumber,
    postedCount: state.posted.size,
  };
}

/** Adds the written stream's coordinates to a resource: every command response carries them. */
export const commandResponseSchema = z.object({
  streamId: z.string(),
  streamVersion: z.number().int(),
  position: z.string().describe('Global position of the stream\'s last event after the command (a decimal integer string).'),
});
