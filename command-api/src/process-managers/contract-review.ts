import { documents as documentsWire } from '@neuroerp/schemas';
import type { DocumentCommands } from '../documents/commands';
import { documentContentHash } from '../documents/hash';
import { deterministicUuid, type ProcessManager, type Reaction } from './runtime';
import { WORKFLOW_COMPLETED_TYPES, WORKFLOW_DECIDER_ROLE, workflowCompletionSchema, type WorkflowCompletion, type WorkflowStarter } from './transaction-approval';

/**
 * Contract → review workflow (issue 4: "a contract document starts a review"; the document
 * service subscribes to `workflow.completed`).
 *
 * - `documents.document_created` of a contract → start a `contract-review` workflow through
 *   the WorkflowStarter port about the document, with the SHA-256 of the created content as
 *   subject hash (documentContentHash) and the creator as maker (who can approve no step). The
 *   workflow id is derived from the created event's id, so a redelivery starts the same
 *   workflow again, which the engine treats as done.
 * - `workflow.completed` about a document (any definition) → RecordReview on the document with
 *   the outcome, reason, decider and approved hash; the same workflow again records nothing.
 *   A document that is deleted meanwhile refuses it (DOCUMENT_DELETED, recorded as a refusal).
 */

export const CONTRACT_REVIEW = 'contract-review';

/** The workflow a created contract starts. */
export function contractReviewWorkflowId(createdEventId: string): string {
  return `review-${deterministicUuid(`contract-review-workflow/${createdEventId}`)}`;
}

/** The reasons recorded when a completion gave none (the tolerant completion schema allows it). */
export const REVIEW_REASON_FALLBACK = { approved: 'Approved in the review workflow.', rejected: 'Rejected in the review workflow.' } as const;

export interface ContractReviewOptions {
  documents: DocumentCommands;
  workflows: WorkflowStarter;
  /** Completion event types; default WORKFLOW_COMPLETED_TYPES. */
  completedTypes?: readonly string[];
}

export function contractReview(options: ContractReviewOptions): ProcessManager {
  const completedTypes = new Set(options.completedTypes ?? WORKFLOW_COMPLETED_TYPES);

  async function onCreated(reaction: Reaction, created: documentsWire.DocumentCreated): Promise<void> {
    if (created.type !== 'contract') return;
    const { event } = reaction;
    const workflowId = contractReviewWorkflowId(event.eventId);
    // A redelivery after the review was recorded: the workflow is over, nothing to start.
    const document = await options.documents.load(created.documentId);
    if (document.state.document.reviews.some((review) => review.workflowId === workflowId)) return;
    await options.workflows.start(
      {
        workflowId,
        definitionKey: 'contract-review',
        subject: { kind: 'document', id: created.documentId },
        startedBy: created.createdBy,
        facts: { documentType: 'contract' },
        subjectHash: documentContentHash(created.content),
      },
      { causationId: event.eventId, correlationId: event.metadata.correlationId, actor: event.metadata.actor, commandId: deterministicUuid(`command/${event.eventId}/${CONTRACT_REVIEW}/start-workflow`) },
    );
  }

  async function onCompleted(reaction: Reaction, completion: WorkflowCompletion): Promise<void> {
    if (completion.subject.kind !== 'document') return;
    const decidedBy = completion.decidedBy ?? completion.completedBy ?? '';
    const recorder = reaction.event.metadata.actor;
    const actor = { userId: decidedBy, role: recorder.userId === decidedBy ? recorder.role : WORKFLOW_DECIDER_ROLE };
    const body: documentsWire.RecordReviewBody = {
      documentId: completion.subject.id,
      workflowId: completion.workflowId,
      outcome: completion.outcome,
      reason: completion.reason?.trim() || REVIEW_REASON_FALLBACK[completion.outcome],
      decidedBy,
      approvedHash: completion.approvedHash ?? null,
    };
    await reaction.command('record-review', (context) => options.documents.recordReview(context, body), actor);
  }

  return {
    name: CONTRACT_REVIEW,
    handles: (event) => event.type === 'documents.document_created' || completedTypes.has(event.type),
    react: async (reaction) => {
      const { event } = reaction;
      if (event.type === 'documents.document_created') return onCreated(reaction, documentsWire.documentCreatedSchema.parse(event.data));
      return onCompleted(reaction, workflowCompletionSchema.parse(event.data));
    },
  };
}
