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
  /** Null while the transactions read model is not readable (first build or upgrade). */
  openApprovals: number | null;
  projectionLagEvents: number | string;
}

export interface AccountRow {
  accountNumber: string;
  name: string | null;
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
  currency?: string;
  draftedBy?: string | null;
  submittedBy: string | null;
  approvedBy: string | null;
  postedBy?: string | null;
  /** User names next to the ids, where the query API knows them. */
  draftedByName?: string | null;
  submittedByName?: string | null;
  approvedByName?: string | null;
  postedByName?: string | null;
  linkedDocumentIds: string[];
  updatedAt: string;
  updatedPosition?: string;
}

export interface TransactionLine {
  accountNumber: string;
  side: 'debit' | 'credit';
  amount: Amount;
  currency: string;
  fxRate?: string | null;
  /** The amount in the company currency (equals `amount` for company-currency lines). */
  companyAmount?: Amount | null;
  text?: string | null;
  dimensions?: Record<string, string> | null;
  kind?: string | null;
  /** The account's name, where the query API knows it. */
  accountName?: string | null;
}

/** Who wrote an event; older servers sent the user id alone. */
export interface HistoryActor {
  userId: string;
  role?: string | null;
  username?: string | null;
}

export interface HistoryEntry {
  type: string;
  position: string;
  streamId: string;
  streamVersion: number;
  recordedAt: string;
  actor: HistoryActor | string | null;
  reason: string | null;
  requestId: string | null;
  correlationId: string | null;
  causationId: string | null;
  hash: string;
}

export interface TransactionDetail extends TransactionListItem {
  lines: TransactionLine[];
  approvals: { by: string; byName?: string | null; at: string; comment: string | null; approvedHash?: string }[];
  reversalReason?: string | null;
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
  updatedByName?: string | null;
  transactionId: string | null;
}

export interface DocumentVersionInfo {
  version: number;
  at: string;
  by: string;
  byName?: string | null;
  reason: string | null;
}

export interface AttachmentInfo {
  sha256: string;
  fileName: string;
  contentType: string;
  /** Bytes: the documents read model sends `sizeBytes`; `size` is the older name. */
  sizeBytes?: number;
  size?: number;
  addedBy?: string | null;
  addedByName?: string | null;
  addedAt?: string | null;
}

export interface DocumentDetail extends DocumentListItem {
  content: Record<string, unknown>;
  metadata: Record<string, unknown>;
  attachments: AttachmentInfo[];
  versions: DocumentVersionInfo[];
}

/** Who a workflow step waits for: a role or one user. */
export type Assignee = { role: string } | { userId: string; username?: string | null };

/** GET /api/query/inbox, one entry: the current step of a running workflow assigned to the caller. */
export interface InboxItem {
  workflowId: string;
  /** The `:step` of the approve / reject routes (= stepName). */
  step: string;
  stepName: string;
  stepIndex: number;
  definitionKey: string;
  definitionVersion: number;
  subject: { kind: string; id: string };
  assignee: Assignee | null;
  assignedAt: string | null;
  dueAt: string | null;
  overdue: boolean;
  escalated: boolean;
  startedBy: string | null;
  startedByName?: string | null;
  startedAt: string | null;
  /** The hash of the subject the step decides on; an approval must name it. */
  subjectHash: string;
}

export type WorkflowStatus = 'running' | 'approved' | 'rejected' | string;

/** GET /api/query/workflows, one entry. */
export interface WorkflowListItem {
  workflowId: string;
  definitionKey: string;
  definitionVersion: number;
  subject: { kind: string; id: string };
  subjectHash: string;
  status: WorkflowStatus;
  startedBy: string | null;
  startedByName?: string | null;
  startedAt: string | null;
  completedBy: string | null;
  completedByName?: string | null;
  completedAt: string | null;
  reason: string | null;
  currentStep: string | null;
  assignee: Assignee | null;
  dueAt: string | null;
  escalated: boolean;
  updatedAt: string;
  updatedPosition: string;
}

export interface WorkflowStep {
  index: number;
  name: string;
  assignee: Assignee | null;
  dueDuration: string | null;
  onReject: string | null;
  status: 'pending' | 'active' | 'approved' | 'rejected' | 'skipped' | string;
  assignedAt: string | null;
  dueAt: string | null;
  escalated: boolean;
  decision: string | null;
  actedBy: string | null;
  actedByName?: string | null;
  actedAt: string | null;
  comment: string | null;
  subjectHash: string | null;
}

/** GET /api/query/workflows/:workflowId. */
export interface WorkflowDetail extends WorkflowListItem {
  escalationRole: string | null;
  steps: WorkflowStep[];
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
  eventId?: string;
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
  accountNumber?: string | null;
  name: string | null;
  amount?: Amount;
  balance?: Amount;
  [member: string]: unknown;
}

export interface BalanceSheet {
  asOf: string;
  assets: ReportSection[];
  liabilities: ReportSection[];
  equity: ReportSection[];
  totals: { assets?: Amount; liabilities?: Amount; equity?: Amount; liabilitiesAndEquity?: Amount; [key: string]: Amount | undefined };
}

export interface ProfitAndLoss {
  from: string;
  to: string;
  revenue: ReportSection[];
  expenses: ReportSection[];
  totals?: { revenue?: Amount; expenses?: Amount };
  result: Amount;
}

export interface VatSummary {
  items: { taxCode: string; kind?: string; accountNumber?: string; rate: string | number; base: Amount; tax: Amount }[];
  totals?: { output?: Amount; input?: Amount; payable?: Amount };
}

export interface OpenItems {
  items: { transactionId: string; party: string; dueDate: string; amount: Amount; open: Amount; ageBucket: string }[];
  buckets: { current: Amount; d1_30: Amount; d31_60: Amount; d61_90: Amount; over90: Amount };
}
