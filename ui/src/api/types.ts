/**
 * Wire types of the query API (docs/query-api.md), the projections admin and the command
 * answers the dashboard reads. Amounts are decimal strings in major units; dates YYYY-MM-DD.
 */

export type Amount = string;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface DashboardView {
  month: string;
  currency: string;
  kpis: { cash: Amount; receivables: Amount; payables: Amount; revenue: Amount; expenses: Amount };
  monthly: { month: string; revenue: Amount; expenses: Amount }[];
  openApprovals: number;
  projectionLagEvents: number | string;
}

export interface AccountRow {
  accountNumber: string;
  name: string;
  type: string;
  normalBalance?: string;
  status?: string;
  debit: Amount;
  credit: Amount;
  balance: Amount;
}

export interface StatementLine {
  postingDate: string;
  voucherNumber: number | string | null;
  transactionId: string;
  description: string | null;
  debit: Amount;
  credit: Amount;
  runningBalance: Amount;
}

export interface AccountStatement extends Page<StatementLine> {
  accountNumber: string;
  name: string;
  openingBalance: Amount;
  closingBalance: Amount;
}

export interface TrialBalance {
  asOf: string;
  knownAt: string | null;
  items: { accountNumber: string; name: string; type: string; debit: Amount; credit: Amount; balance: Amount }[];
  totals: { debit: Amount; credit: Amount };
}

export type TransactionStatus = 'draft' | 'submitted' | 'approved' | 'posted' | 'reversed' | 'rejected' | string;

export interface TransactionListItem {
  transactionId: string;
  type: string;
  status: TransactionStatus;
  documentDate: string;
  postingDate: string;
  description: string | null;
  amount: Amount;
  voucherNumber: number | string | null;
  submittedBy: string | null;
  approvedBy: string | null;
  linkedDocumentIds: string[];
  updatedAt: string;
}

export interface TransactionLine {
  accountNumber: string;
  side: 'debit' | 'credit';
  amount: Amount;
  currency: string;
  fxRate?: string | null;
  text?: string | null;
  dimensions?: Record<string, string>;
}

export interface HistoryEntry {
  type: string;
  position: string;
  streamId: string;
  streamVersion: number;
  recordedAt: string;
  actor: string | null;
  reason: string | null;
  requestId: string | null;
  correlationId: string | null;
  causationId: string | null;
  hash: string;
}

export interface TransactionDetail extends TransactionListItem {
  lines: TransactionLine[];
  approvals: { by: string; at: string; comment: string | null; approvedHash?: string }[];
  history: HistoryEntry[];
}

/** GET /api/finance/transactions/:id (command API): the authoritative status, always available. */
export interface TransactionCommandView {
  transactionId: string;
  companyId: string;
  type: string;
  documentDate: string;
  postingDate: string;
  description: string | null;
  linkedDocumentIds: string[];
  lines: TransactionLine[];
  status: TransactionStatus;
  draftedBy: string;
  submittedBy: string | null;
  approvedBy: string | null;
  posting: { fiscalYearStreamId: string; period: number; voucherNumber: number } | null;
  reversal: { reversalTransactionId: string; reversalPostingDate: string; reason: string; reversedBy: string } | null;
}

/** Every command answer carries the written stream and the global position of its last event. */
export interface CommandAnswer {
  streamId: string;
  streamVersion: number;
  position: string;
}

export interface DocumentListItem {
  documentId: string;
  type: string;
  title: string | null;
  version: number;
  status: string;
  updatedAt: string;
  updatedBy: string | null;
  transactionId: string | null;
}

export interface DocumentVersionInfo {
  version: number;
  at: string;
  by: string;
  reason: string | null;
}

export interface AttachmentInfo {
  sha256: string;
  fileName: string;
  contentType: string;
  size: number;
}

export interface DocumentDetail extends DocumentListItem {
  content: Record<string, unknown>;
  metadata: Record<string, unknown>;
  attachments: AttachmentInfo[];
  versions: DocumentVersionInfo[];
}

export interface InboxItem {
  workflowId: string;
  step: string;
  subject: { kind: string; id: string };
  assignee: string | null;
  dueAt: string | null;
  overdue: boolean;
  startedBy: string | null;
  startedAt: string | null;
}

/** GET /api/projections, one entry (scripts/src/projections.ts, projections/src/runtime/operations.ts). */
export interface ProjectionStatus {
  name: string;
  version: number;
  active: { version: number; build: number; schema: string } | null;
  position: string | null;
  headPosition: string;
  lagEvents: string | null;
  lagSeconds: number | null;
  state: string;
  deadLetters: number;
  building: { version: number; build: number; position: string }[];
  /** The latest rebuild started over HTTP since the server started, if any. */
  rebuild?: { state: 'running' | 'succeeded' | 'failed'; position: string; head: string; startedAt: string; finishedAt: string | null; switched: boolean | null; error: string | null } | null;
}

export interface DeadLetter {
  id: string | number;
  projection: string;
  position: string;
  eventType: string;
  error: string;
  failedAt: string;
}

export interface FiscalYearView {
  companyId: string;
  year: number;
  companyCurrency: string;
  approvalThreshold: Amount;
  status: 'open' | 'closed';
  periods: { period: number; startDate: string; endDate: string; status: string }[];
  lastVoucherNumber: number;
  postedCount: number;
}

export interface ReportSection {
  accountNumber?: string;
  name: string;
  amount?: Amount;
  balance?: Amount;
  [member: string]: unknown;
}

export interface BalanceSheet {
  asOf: string;
  assets: ReportSection[];
  liabilities: ReportSection[];
  equity: ReportSection[];
  totals: Record<string, Amount>;
}

export interface ProfitAndLoss {
  from: string;
  to: string;
  revenue: ReportSection[];
  expenses: ReportSection[];
  result: Amount;
}

export interface VatSummary {
  items: { taxCode: string; rate: string | number; base: Amount; tax: Amount }[];
}

export interface OpenItems {
  items: { transactionId: string; party: string; dueDate: string; amount: Amount; open: Amount; ageBucket: string }[];
  buckets: { current: Amount; d1_30: Amount; d31_60: Amount; d61_90: Amount; over90: Amount };
}
