import { z } from 'zod';
import { sha256HexSchema } from '../documents/documents';
import { documentTypeSchema } from '../documents/content';
import { roleSchema } from '../identity/primitives';
import { decimalStringSchema, idSchema, REASON_LENGTH_MAX, timestampSchema } from '../ledger/primitives';
import { assigneeSchema, COMMENT_LENGTH_MAX, dueDurationSchema, onRejectSchema, stepNameSchema, userIdSchema, workflowKeySchema } from './definitions';

/**
 * Workflow instances on the wire: one stream `workflows.instance-<workflowId>` per instance.
 * An instance follows one definition version, assigns its applicable steps one after the
 * other, and ends with `workflow.completed` (outcome approved or rejected), which the
 * process managers turn into approving the transaction or returning it to draft.
 */

/** Workflow ids per escalation request. */
export const ESCALATION_BATCH_MAX = 100;

/** What a workflow decides about: a journal transaction or a document. */
export const workflowSubjectSchema = z.object({ kind: z.enum(['transaction', 'document']), id: idSchema }).strict();
export type WorkflowSubject = z.infer<typeof workflowSubjectSchema>;

/**
 * The facts step conditions are evaluated on. `amount`: the subject's amount in the company
 * currency (decimal string); `documentType`: the type of a document subject. A condition on
 * a fact that was not supplied is refused (CONDITION_FACT_MISSING) rather than taken as
 * false, so that a forgotten fact cannot skip an approval.
 */
export const workflowFactsSchema = z.object({ amount: decimalStringSchema.optional(), documentType: documentTypeSchema.optional() }).strict();
export type WorkflowFacts = z.infer<typeof workflowFactsSchema>;

const commentSchema = z.string().trim().max(COMMENT_LENGTH_MAX);

// ---- command bodies ------------------------------------------------------------------------

/**
 * Starts an instance (mostly sent by process managers). `startedBy` is the maker: the user
 * who submitted the subject, who can never approve or reject a step of it. Without
 * `definitionVersion` the latest published version is followed.
 */
export const startWorkflowBodySchema = z
  .object({
    workflowId: idSchema,
    definitionKey: workflowKeySchema,
    definitionVersion: z.number().int().min(1).optional(),
    subject: workflowSubjectSchema,
    subjectHash: sha256HexSchema.describe('SHA-256 of the subject version the workflow is about; every approval must name the same hash.'),
    startedBy: userIdSchema.describe('The user who submitted the subject (the maker).'),
    facts: workflowFactsSchema.default({}),
  })
  .strict();
export type StartWorkflowBody = z.infer<typeof startWorkflowBodySchema>;

export const approveStepBodySchema = z
  .object({
    subjectHash: sha256HexSchema.describe('SHA-256 of the subject version the approver looked at; must be the one the workflow started with.'),
    comment: commentSchema.optional(),
  })
  .strict();
export type ApproveStepBody = z.infer<typeof approveStepBodySchema>;

/** `reason` is optional on the wire so that its absence is the domain's REASON_REQUIRED, not a generic 400. */
export const rejectStepBodySchema = z.object({ reason: z.string().max(REASON_LENGTH_MAX).optional() }).strict();
export type RejectStepBody = z.infer<typeof rejectStepBodySchema>;

export const reassignStepBodySchema = z.object({ to: assigneeSchema, comment: commentSchema.optional() }).strict();
export type ReassignStepBody = z.infer<typeof reassignStepBodySchema>;

/** The instances a scheduler wants checked for overdue steps (it knows them from the inbox read model). */
export const escalateOverdueStepsBodySchema = z.object({ workflowIds: z.array(idSchema).min(1).max(ESCALATION_BATCH_MAX) }).strict();
export type EscalateOverdueStepsBody = z.infer<typeof escalateOverdueStepsBodySchema>;

// ---- events --------------------------------------------------------------------------------

/** A step of the followed definition version as the instance recorded it, with whether its condition held. */
export const instanceStepSchema = z.object({
  name: stepNameSchema,
  assignee: assigneeSchema,
  dueDuration: dueDurationSchema,
  onReject: onRejectSchema,
  /** The condition was false: the step is never assigned. */
  skipped: z.boolean(),
});
export type InstanceStep = z.infer<typeof instanceStepSchema>;

/** The instance and a snapshot of the definition version it follows, so that it never needs the definition again. */
export const workflowStartedSchema = z.object({
  workflowId: idSchema,
  definitionKey: workflowKeySchema,
  definitionVersion: z.number().int().min(1),
  subject: workflowSubjectSchema,
  subjectHash: sha256HexSchema,
  startedBy: userIdSchema,
  facts: workflowFactsSchema,
  steps: z.array(instanceStepSchema).min(1),
  escalationRole: roleSchema.nullable(),
  startedAt: timestampSchema,
});
export type WorkflowStarted = z.infer<typeof workflowStartedSchema>;

/** A step became the current one: its assignee may act until `dueAt`, after which it escalates. */
export const workflowStepAssignedSchema = z.object({
  workflowId: idSchema,
  step: stepNameSchema,
  stepIndex: z.number().int().min(0),
  assignee: assigneeSchema,
  assignedAt: timestampSchema,
  dueAt: timestampSchema,
});
export type WorkflowStepAssigned = z.infer<typeof workflowStepAssignedSchema>;

/** An approval, with the hash of the subject version approved. */
export const workflowStepApprovedSchema = z.object({
  workflowId: idSchema,
  step: stepNameSchema,
  stepIndex: z.number().int().min(0),
  approvedBy: userIdSchema,
  approvedAt: timestampSchema,
  subjectHash: sha256HexSchema,
  comment: z.string().max(COMMENT_LENGTH_MAX).nullable(),
});
export type WorkflowStepApproved = z.infer<typeof workflowStepApprovedSchema>;

/** A rejection with its reason; the step's `onReject` says what follows. */
export const workflowStepRejectedSchema = z.object({
  workflowId: idSchema,
  step: stepNameSchema,
  stepIndex: z.number().int().min(0),
  rejectedBy: userIdSchema,
  rejectedAt: timestampSchema,
  reason: z.string().min(1).max(REASON_LENGTH_MAX),
  onReject: onRejectSchema,
});
export type WorkflowStepRejected = z.infer<typeof workflowStepRejectedSchema>;

/** The current step handed to someone else by its assignee or an admin; the due time restarts. */
export const workflowStepReassignedSchema = z.object({
  workflowId: idSchema,
  step: stepNameSchema,
  stepIndex: z.number().int().min(0),
  from: assigneeSchema,
  to: assigneeSchema,
  reassignedBy: userIdSchema,
  reassignedAt: timestampSchema,
  dueAt: timestampSchema,
  comment: z.string().max(COMMENT_LENGTH_MAX).nullable(),
});
export type WorkflowStepReassigned = z.infer<typeof workflowStepReassignedSchema>;

/** The current step was overdue at `escalatedAt` and is now assigned to the escalation role; it escalates once per assignment. */
export const workflowEscalatedSchema = z.object({
  workflowId: idSchema,
  step: stepNameSchema,
  stepIndex: z.number().int().min(0),
  from: assigneeSchema,
  to: z.object({ role: roleSchema }),
  dueAt: timestampSchema,
  escalatedAt: timestampSchema,
});
export type WorkflowEscalated = z.infer<typeof workflowEscalatedSchema>;

/**
 * The end of an instance. `approvedHash` is the subject hash every step approved (null when
 * rejected); the process managers approve the transaction only with that hash.
 */
export const workflowCompletedSchema = z.object({
  workflowId: idSchema,
  definitionKey: workflowKeySchema,
  definitionVersion: z.number().int().min(1),
  subject: workflowSubjectSchema,
  outcome: z.enum(['approved', 'rejected']),
  reason: z.string().min(1).max(REASON_LENGTH_MAX),
  approvedHash: sha256HexSchema.nullable(),
  completedBy: userIdSchema,
  completedAt: timestampSchema,
});
export type WorkflowCompleted = z.infer<typeof workflowCompletedSchema>;
