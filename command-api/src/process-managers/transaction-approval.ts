import { z } from 'zod';
import { DomainError, transactionStreamId } from '@neuroerp/domains';
import type { EventStore } from '@neuroerp/infra';
import type { Actor } from '@neuroerp/schemas';
import { ledger as wire, type workflows as workflowsWire } from '@neuroerp/schemas';
import { transactionDraftHash } from '../ledger/hash';
import type { LedgerCommands } from '../ledger/commands';
import { deterministicUuid, type ProcessManager, type Reaction } from './runtime';
import { transactionSize } from './transaction-size';

/**
 * Transaction ↔ approval workflow (issue 4).
 *
 * - `ledger.transaction_submitted` above the approval threshold of its fiscal year → start a
 *   `transaction-approval` workflow through the WorkflowStarter port, with the transaction's
 *   company-currency amount and the hash of its draft. The workflow id is derived from the
 *   submitted event's id, so a redelivery starts the same workflow again: the starter must
 *   treat a known workflow id as done. Each submission (again after a rejection) starts its own.
 * - a workflow completion (`workflow.completed`, matched by type string) about a transaction:
 *   `approved` → ApproveTransaction by the deciding user with the workflow's approved hash
 *   (refused with APPROVED_HASH_MISMATCH when the draft is not the one approved);
 *   `rejected` → RejectTransaction with the workflow's reason. Only the workflow started for
 *   the transaction's current submission decides (else WORKFLOW_SUPERSEDED, recorded as a
 *   refusal): a late completion never decides a later submission. Maker ≠ checker is the ledger's
 *   rule: a decision by the submitter is refused (APPROVER_IS_SUBMITTER) and recorded.
 */

export const TRANSACTION_APPROVAL = 'transaction-approval';

/** The definitions the process managers start (published at start-up, see domains' workflows/defaults.ts). */
export type WorkflowDefinitionKey = 'transaction-approval' | 'contract-review';

/**
 * What a workflow starts with: a `transaction-approval` of a transaction (facts: its amount)
 * or a `contract-review` of a document (facts: its document type).
 */
export interface WorkflowStartInput {
  workflowId: string;
  definitionKey: WorkflowDefinitionKey;
  subject: workflowsWire.WorkflowSubject;
  /** The maker: the user who submitted the transaction or created the document; they can approve no step of it. */
  startedBy: string;
  /**
   * The facts step conditions are evaluated on: `amount` (the transaction's company-currency
   * debit total, a decimal string) or `documentType`.
   */
  facts: workflowsWire.WorkflowFacts;
  /** SHA-256 of the transaction draft (transactionDraftHash) or document content (documentContentHash); every approval must name it. */
  subjectHash: string;
}

/** Where the start comes from, for the workflow engine's own events. */
export interface WorkflowStartMetadata {
  /** The id of the triggering event (`ledger.transaction_submitted`, `documents.document_created`). */
  causationId: string;
  correlationId: string;
  /** The maker, as the triggering event recorded them. */
  actor: Actor;
  /** Deterministic from the submitted event: the same on every redelivery. */
  commandId: string;
}

/**
 * The workflow engine's entry point, as the process manager needs it. Starting a workflow id
 * that already exists must be a no-op (the process manager may start it again after a crash).
 */
export interface WorkflowStarter {
  start(input: WorkflowStartInput, metadata: WorkflowStartMetadata): Promise<void>;
}

/** Event types that complete a workflow instance; the workflow catalogue's name first. */
export const WORKFLOW_COMPLETED_TYPES: readonly string[] = ['workflow.completed', 'workflows.workflow_completed'];

/**
 * The part of a completion this process manager reads. Tolerant on purpose while the workflow
 * engine is written: the decider is `decidedBy` (or `completedBy`), the hash may be null.
 */
export const workflowCompletionSchema = z
  .object({
    workflowId: z.string().min(1),
    subject: z.object({ kind: z.string().min(1), id: z.string().min(1) }),
    outcome: z.enum(['approved', 'rejected']),
    reason: z.string().nullish(),
    decidedBy: z.string().min(1).optional(),
    completedBy: z.string().min(1).optional(),
    approvedHash: wire.transactionHashSchema.nullish(),
  })
  .refine((completion) => completion.decidedBy !== undefined || completion.completedBy !== undefined, { message: 'a completion names who decided' });
export type WorkflowCompletion = z.infer<typeof workflowCompletionSchema>;

/** The reason a rejection records when the workflow gave none. */
export const REJECTION_REASON_FALLBACK = 'Rejected in the approval workflow.';
/** The role a workflow decision acts in when the completion was recorded by someone else. */
export const WORKFLOW_DECIDER_ROLE = 'approver';

/** The workflow a submission starts. */
export function approvalWorkflowId(submittedEventId: string): string {
  return `approval-${deterministicUuid(`approval-workflow/${submittedEventId}`)}`;
}

/** Events read back from a transaction stream to find its latest submission (drafted, submitted, rejected, ... stay few). */
export const TRANSACTION_EVENTS_SCANNED_MAX = 1000;

export interface TransactionApprovalOptions {
  ledger: LedgerCommands;
  /** Reads the transaction stream (its latest submission). */
  store: EventStore;
  workflows: WorkflowStarter;
  /** Completion event types; default WORKFLOW_COMPLETED_TYPES. */
  completedTypes?: readonly string[];
}

export function transactionApproval(options: TransactionApprovalOptions): ProcessManager {
  const completedTypes = new Set(options.completedTypes ?? WORKFLOW_COMPLETED_TYPES);

  /**
   * A workflow decides the submission it was started for. After a rejection and a new
   * submission, a late (or redelivered) completion of the earlier workflow must not decide the
   * new submission: WORKFLOW_SUPERSEDED.
   */
  async function assertCurrentSubmission(transactionId: string, workflowId: string): Promise<void> {
    const recent = await options.store.readStream(transactionStreamId(transactionId), { direction: 'backwards', maxCount: TRANSACTION_EVENTS_SCANNED_MAX });
    const submitted = recent.find((event) => event.type === 'ledger.transaction_submitted');
    if (submitted === undefined || approvalWorkflowId(submitted.eventId) !== workflowId) {
      throw new DomainError('WORKFLOW_SUPERSEDED', `Workflow ${workflowId} was not started for the current submission of transaction ${transactionId}.`, {
        transactionId,
        workflowId,
      });
    }
  }

  async function onSubmitted(reaction: Reaction, submitted: wire.TransactionSubmitted): Promise<void> {
    const size = await transactionSize(options.ledger.reader, submitted.transactionId);
    // Not (or no longer) waiting for approval: a redelivery after the workflow finished.
    if (size === null || !size.needsApproval || size.posted || size.state.status !== 'submitted') return;
    const { event } = reaction;
    await options.workflows.start(
      {
        workflowId: approvalWorkflowId(event.eventId),
        definitionKey: 'transaction-approval',
        subject: { kind: 'transaction', id: submitted.transactionId },
        startedBy: submitted.submittedBy,
        facts: { amount: size.amount },
        subjectHash: transactionDraftHash(size.draft),
      },
      { causationId: event.eventId, correlationId: event.metadata.correlationId, actor: event.metadata.actor, commandId: deterministicUuid(`command/${event.eventId}/${TRANSACTION_APPROVAL}/start-workflow`) },
    );
  }

  async function onCompleted(reaction: Reaction, completion: WorkflowCompletion): Promise<void> {
    if (completion.subject.kind !== 'transaction') return;
    const transactionId = completion.subject.id;
    await assertCurrentSubmission(transactionId, completion.workflowId);
    const decidedBy = completion.decidedBy ?? completion.completedBy ?? '';
    const recorder = reaction.event.metadata.actor;
    const actor: Actor = { userId: decidedBy, role: recorder.userId === decidedBy ? recorder.role : WORKFLOW_DECIDER_ROLE };
    if (completion.outcome === 'approved') {
      await reaction.command('approve-transaction', (context) => options.ledger.approveTransaction(context, transactionId, undefined, { through: 'workflow', approvedHash: completion.approvedHash ?? undefined }), actor);
      return;
    }
    const reason = completion.reason?.trim() || REJECTION_REASON_FALLBACK;
    await reaction.command('reject-transaction', (context) => options.ledger.rejectTransaction(context, { transactionId, reason }, undefined), actor);
  }

  return {
    name: TRANSACTION_APPROVAL,
    handles: (event) => event.type === 'ledger.transaction_submitted' || completedTypes.has(event.type),
    react: async (reaction) => {
      const { event } = reaction;
      if (event.type === 'ledger.transaction_submitted') return onSubmitted(reaction, wire.transactionSubmittedSchema.parse(event.data));
      return onCompleted(reaction, workflowCompletionSchema.parse(event.data));
    },
  };
}
