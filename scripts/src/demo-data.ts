import { strict as assert } from 'node:assert';
import {
  approvalWorkflowId,
  createDocumentsCommandHandler,
  createLedgerCommandHandler,
  createWorkflowsCommandHandler,
  DocumentCommands,
  LedgerCommands,
  WorkflowCommands,
  transactionDraftHash,
  transactionSize,
  TRANSACTION_EVENTS_SCANNED_MAX,
  type CommandContext,
  type UserView,
} from '@neuroerp/command-api';
import { isDomainError, SKR03_DEMO_CHART, SKR03_DEMO_SETTINGS, transactionStreamId, workflows as workflowDomain } from '@neuroerp/domains';
import { sha256Hex, type EventStore } from '@neuroerp/infra';
import { MemoryFileStore } from './demo-data/memory-file-store';
import { DEMO_APPROVAL_THRESHOLD, DEMO_COMPANY_ID, demoPlan, type PlannedDocument, type PlannedTransaction } from './demo-data/plan';

/**
 * Demo data for the embedded profile and `neuroerp seed`: a German GmbH with the SKR03 demo
 * chart, twelve months of bookings up to today (see demo-data/plan.ts for what and why),
 * invoices and contracts as documents with a PDF each, approval workflows completed by the
 * demo approver and some still waiting in the approver's inbox, and two invoice documents
 * posted for the invoice process manager to book.
 *
 * Idempotent: every id is derived from the plan, every command is a repeatable create, and
 * "already posted" counts as done. Running it twice adds nothing; a later day adds that day's
 * transactions.
 *
 * The ledger part does not depend on the process managers: transactions above the approval
 * threshold get their `transaction-approval` workflow started here, under the very id the
 * transaction-approval process manager derives from the submission (so that when it sees the
 * submission too, its start is a repeat), approved by the approver, and posted. Only the two
 * posted invoice documents are booked by the process managers, asynchronously: when they run
 * (in the server), or at the server's next start (after `neuroerp seed`).
 */

export { DEMO_APPROVAL_THRESHOLD, DEMO_COMPANY_ID, DEMO_CONTRACT_REVIEW_WORKFLOW_ID, DEMO_MONTHS, DEMO_OPENING_BALANCE_ID, demoMonths, demoPlan } from './demo-data/plan';
export type { DemoMonth, DemoPlan, PlannedDocument, PlannedTransaction } from './demo-data/plan';

/** The step of the transaction-approval definition the approver decides. */
const APPROVAL_STEP = 'approve';
const DEMO_ROLES = ['admin', 'accountant', 'approver'] as const;
type DemoRole = (typeof DEMO_ROLES)[number];
/** Users read from the directory to find the demo accounts (user name = role). */
const DIRECTORY_PAGE_SIZE = 1_000;

export interface SeedDependencies {
  store: EventStore;
  ledger: LedgerCommands;
  /** With the attachment store the server uses. */
  documents: DocumentCommands;
  workflows: WorkflowCommands;
  /**
   * Where the demo accounts' user ids come from (user name = role, see ensureDemoUsers);
   * without it, or without such a user, the actor is `demo-<role>`.
   */
  users?: { list(page: { limit: number; offset: number }): Promise<{ items: Pick<UserView, 'userId' | 'username' | 'role'>[] }> };
}

export interface SeedOptions {
  /** Defaults to now: the window is the twelve months ending with its month. */
  today?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedSummary {
  companyId: string;
  /** The fiscal years opened (the window's calendar years). */
  fiscalYears: number[];
  /** Events appended by this run; 0 when everything was there already. */
  eventsAppended: number;
  transactions: { planned: number; posted: number; awaitingApproval: number; drafts: number };
  documents: { total: number; attachments: number; postedForBooking: number };
  /** The workflows the seed started, by status after the run (the process managers may start more). */
  workflows: { running: number; completed: number };
}

type Actors = Record<DemoRole, CommandContext>;

async function demoActors(users: SeedDependencies['users']): Promise<Actors> {
  const found = new Map<string, string>();
  if (users !== undefined) {
    const { items } = await users.list({ limit: DIRECTORY_PAGE_SIZE, offset: 0 });
    for (const user of items) if ((DEMO_ROLES as readonly string[]).includes(user.username) && user.role === user.username) found.set(user.username, user.userId);
  }
  const context = (role: DemoRole): CommandContext => ({ actor: { userId: found.get(role) ?? `demo-${role}`, role }, correlationId: 'demo-seed', requestId: null });
  return { admin: context('admin'), accountant: context('accountant'), approver: context('approver') };
}

/**
 * Commands of their own over a bare event store, for callers that need the events only (tests):
 * the attachments' bytes are kept in memory and gone at exit.
 */
function ownDependencies(store: EventStore): SeedDependencies {
  return {
    store,
    ledger: new LedgerCommands(createLedgerCommandHandler(store)),
    documents: new DocumentCommands(createDocumentsCommandHandler(store), new MemoryFileStore()),
    workflows: new WorkflowCommands(createWorkflowsCommandHandler(store)),
  };
}

/**
 * Seeds the demo company (idempotent). Publishes the default workflow definitions first (a
 * repeat appends nothing). Pass the server's command objects (`SeedDependencies`); a bare
 * event store gets commands of its own and keeps attachments in memory only.
 */
export async function seedDemoData(target: EventStore | SeedDependencies, options: SeedOptions = {}): Promise<SeedSummary> {
  const dependencies = 'ledger' in target ? target : ownDependencies(target);
  const { ledger, documents, workflows } = dependencies;
  const plan = demoPlan(options.today ?? new Date());
  const actors = await demoActors(dependencies.users);
  const total = 2 + plan.fiscalYears.length + plan.documents.length + plan.transactions.length;
  let done = 0;
  let eventsAppended = 0;
  const step = () => options.onProgress?.((done += 1), total);
  const count = (outcome: { appended: number }) => {
    eventsAppended += outcome.appended;
  };
  const workflowStatus = new Map<string, 'running' | 'completed'>();

  for (const definition of workflowDomain.DEFAULT_WORKFLOW_DEFINITIONS) count(await workflows.publishDefinition(actors.admin, definition));
  count(await ledger.importChart(actors.admin, { companyId: DEMO_COMPANY_ID, accounts: [...SKR03_DEMO_CHART] }));
  step();
  for (const year of plan.fiscalYears) {
    count(
      await ledger.openFiscalYear(actors.admin, {
        companyId: DEMO_COMPANY_ID,
        year,
        companyCurrency: SKR03_DEMO_SETTINGS.companyCurrency,
        approvalThreshold: DEMO_APPROVAL_THRESHOLD,
        roundingAccountNumber: SKR03_DEMO_SETTINGS.roundingAccountNumber,
        retainedEarningsAccountNumber: SKR03_DEMO_SETTINGS.retainedEarningsAccountNumber,
        openingBalanceAccountNumber: SKR03_DEMO_SETTINGS.openingBalanceAccountNumber,
      }),
    );
    step();
  }

  // Documents first: the invoice transactions link them.
  const toPost: PlannedDocument[] = [];
  for (const planned of plan.documents) {
    count(await documents.create(actors.accountant, planned.body));
    count(await documents.addAttachment(actors.accountant, { documentId: planned.body.documentId, fileName: planned.attachment.fileName, declaredContentType: 'application/pdf', bytes: planned.attachment.bytes }, undefined));
    if (planned.post !== undefined) toPost.push(planned);
    if (planned.reviewWorkflowId !== undefined) {
      const started = await workflows.start(actors.admin, {
        workflowId: planned.reviewWorkflowId,
        definitionKey: 'contract-review',
        subject: { kind: 'document', id: planned.body.documentId },
        subjectHash: sha256Hex(planned.attachment.bytes),
        startedBy: actors.admin.actor.userId,
        facts: { documentType: 'contract' },
      });
      count(started);
      workflowStatus.set(planned.reviewWorkflowId, started.resource.status);
    }
    step();
  }

  const counts = { posted: 0, awaitingApproval: 0, drafts: 0 };
  for (const planned of plan.transactions) {
    const state = await seedTransaction(dependencies, actors, planned, count, workflowStatus);
    if (state === 'posted') counts.posted += 1;
    else if (state === 'submitted') counts.awaitingApproval += 1;
    else if (state === 'draft') counts.drafts += 1;
    step();
  }

  // Last, so that the process managers book them after the seed's own vouchers of the day.
  for (const planned of toPost) count(await documents.post(actors.accountant, planned.post as NonNullable<PlannedDocument['post']>, undefined));
  step();

  const statuses = [...workflowStatus.values()];
  return {
    companyId: DEMO_COMPANY_ID,
    fiscalYears: plan.fiscalYears,
    eventsAppended,
    transactions: { planned: plan.transactions.length, ...counts },
    documents: { total: plan.documents.length, attachments: plan.documents.length, postedForBooking: toPost.length },
    workflows: { running: statuses.filter((status) => status === 'running').length, completed: statuses.filter((status) => status === 'completed').length },
  };
}

/**
 * One planned transaction: drafted (and submitted) by the accountant; above the threshold,
 * its approval workflow started and, when it is to be posted, approved by the approver; then
 * posted. Returns its state, or null for a once-per-store transaction that an earlier run booked
 * with other data (another window).
 */
async function seedTransaction(
  dependencies: SeedDependencies,
  actors: Actors,
  planned: PlannedTransaction,
  count: (outcome: { appended: number }) => void,
  workflowStatus: Map<string, 'running' | 'completed'>,
): Promise<'posted' | 'submitted' | 'draft' | null> {
  const { ledger, workflows } = dependencies;
  const { body, finalState } = planned;
  let drafted: Awaited<ReturnType<LedgerCommands['draftTransaction']>>;
  try {
    drafted = await ledger.draftTransaction(actors.accountant, body, { submit: finalState !== 'draft' });
  } catch (error) {
    // Booked once per store, by an earlier run with another window: left as it is.
    if (planned.once && isDomainError(error) && error.code === 'TRANSACTION_EXISTS_WITH_DIFFERENT_DATA') return null;
    throw error;
  }
  count(drafted);
  if (finalState === 'draft') return 'draft';

  if (planned.needsApproval) {
    const size = await transactionSize(ledger.reader, body.transactionId);
    assert(size !== null && size.needsApproval, `demo transaction ${body.transactionId} was planned above the approval threshold`);
    const submittedBy = size.state.submittedBy;
    assert(submittedBy !== null, `demo transaction ${body.transactionId} is submitted`);
    const recent = await dependencies.store.readStream(transactionStreamId(body.transactionId), { direction: 'backwards', maxCount: TRANSACTION_EVENTS_SCANNED_MAX });
    const submitted = recent.find((event) => event.type === 'ledger.transaction_submitted');
    assert(submitted !== undefined, `demo transaction ${body.transactionId} has a submission`);
    // The id the transaction-approval process manager derives: its own start is then a repeat.
    const workflowId = approvalWorkflowId(submitted.eventId);
    if (size.posted) {
      // Posted by an earlier run: its workflow is done; nothing to repeat.
      workflowStatus.set(workflowId, (await workflows.instance(workflowId)).resource.status);
      return 'posted';
    }
    const subjectHash = transactionDraftHash(size.draft);
    const started = await workflows.start(actors.accountant, {
      workflowId,
      definitionKey: 'transaction-approval',
      subject: { kind: 'transaction', id: body.transactionId },
      subjectHash,
      startedBy: submittedBy,
      facts: { amount: size.amount },
    });
    count(started);
    workflowStatus.set(workflowId, started.resource.status);
    if (finalState === 'submitted') return 'submitted';
    if (started.resource.status === 'running') {
      const approved = await workflows.approve(actors.approver, workflowId, APPROVAL_STEP, { subjectHash, comment: 'Geprüft, sachlich und rechnerisch richtig.' });
      count(approved);
      workflowStatus.set(workflowId, approved.resource.status);
    }
    // The process manager approves it too on the completion; either way it is one approval.
    count(await ledger.approveTransaction(actors.approver, body.transactionId, undefined, { through: 'workflow', approvedHash: subjectHash }));
  } else if (finalState === 'submitted') {
    return 'submitted';
  }

  if (drafted.resource.status !== 'posted') {
    try {
      count(await ledger.postTransaction(actors.accountant, body.transactionId, undefined));
    } catch (error) {
      if (!(isDomainError(error) && error.code === 'TRANSACTION_ALREADY_POSTED')) throw error;
    }
  }
  return 'posted';
}
