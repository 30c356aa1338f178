import { getWorkflow, listInbox, listWorkflows, type InboxItem, type WorkflowSummary } from '@neuroerp/projections';
import { cursorParameter, encodeCursor, limitParameter, pageSchema } from '../http/pagination';
import { z } from '../http/zod';
import { loadUserNames, USERS, type UserNameOf } from '../read-models/users';
import { defineRoute, notFound } from '../route';

/** The workflows read model (projections `workflowsProjection`). */
export const WORKFLOWS = 'workflows';

const assigneeSchema = z
  .union([z.object({ role: z.string() }), z.object({ userId: z.string() })])
  .openapi({ description: 'Everyone with the role, or one user.' });
const subjectSchema = z.object({ kind: z.enum(['transaction', 'document']), id: z.string() });
const workflowStatusSchema = z.enum(['running', 'approved', 'rejected']);

const userName = z.string().nullable().describe('The user name of the user id beside it (users read model); null when unknown (e.g. `system`).');

const inboxItemSchema = z.object({
  workflowId: z.string(),
  step: z.string().describe('The step name: the `:step` of `POST /api/workflows/instances/:workflowId/steps/:step/approve` and `/reject`.'),
  stepName: z.string().describe('The same as `step`.'),
  stepIndex: z.number().int(),
  definitionKey: z.string(),
  definitionVersion: z.number().int(),
  subject: subjectSchema,
  assignee: assigneeSchema,
  assignedAt: z.string(),
  dueAt: z.string(),
  overdue: z.boolean().describe('The request arrived at or after `dueAt`.'),
  escalated: z.boolean().describe('The step went to the escalation role because it was overdue.'),
  startedBy: z.string().describe('The maker, who submitted the subject.'),
  startedByName: userName,
  startedAt: z.string(),
  subjectHash: z.string().describe('SHA-256 of the subject version the workflow is about; an approval must send it.'),
});

function toInboxItem(item: InboxItem, nameOf: UserNameOf): z.infer<typeof inboxItemSchema> {
  return {
    workflowId: item.workflowId,
    step: item.step,
    stepName: item.step,
    stepIndex: item.stepIndex,
    definitionKey: item.definitionKey,
    definitionVersion: item.definitionVersion,
    subject: item.subject,
    assignee: item.assignee,
    assignedAt: item.assignedAt,
    dueAt: item.dueAt,
    overdue: item.overdue,
    escalated: item.escalated,
    startedBy: item.startedBy,
    startedByName: nameOf(item.startedBy),
    startedAt: item.startedAt,
    subjectHash: item.subjectHash,
  };
}

const workflowItemSchema = z.object({
  workflowId: z.string(),
  definitionKey: z.string(),
  definitionVersion: z.number().int(),
  subject: subjectSchema,
  subjectHash: z.string(),
  status: workflowStatusSchema,
  startedBy: z.string(),
  startedByName: userName,
  startedAt: z.string(),
  completedBy: z.string().nullable(),
  completedByName: userName,
  completedAt: z.string().nullable(),
  reason: z.string().nullable().describe('Why it completed: `all steps approved`, `no step applies` or the rejection reason.'),
  currentStep: z.string().nullable(),
  assignee: assigneeSchema.nullable().describe('The assignee of the current step.'),
  dueAt: z.string().nullable(),
  escalated: z.boolean(),
  updatedAt: z.string(),
  updatedPosition: z.string(),
});

function toWorkflowItem(summary: WorkflowSummary, nameOf: UserNameOf): z.infer<typeof workflowItemSchema> {
  return {
    workflowId: summary.workflowId,
    definitionKey: summary.definitionKey,
    definitionVersion: summary.definitionVersion,
    subject: summary.subject,
    subjectHash: summary.subjectHash,
    status: summary.status,
    startedBy: summary.startedBy,
    startedByName: nameOf(summary.startedBy),
    startedAt: summary.startedAt,
    completedBy: summary.completedBy,
    completedByName: nameOf(summary.completedBy),
    completedAt: summary.completedAt,
    reason: summary.reason,
    currentStep: summary.currentStep,
    assignee: summary.assignee,
    dueAt: summary.dueAt,
    escalated: summary.escalated,
    updatedAt: summary.updatedAt,
    updatedPosition: summary.updatedPosition.toString(),
  };
}

export const inboxRoute = defineRoute({
  path: '/inbox',
  operationId: 'queryInbox',
  summary: "The caller's open workflow steps: assigned to their user id or role, soonest due first; never the workflows they started.",
  tags: ['query: workflows'],
  permission: 'workflows:read',
  reads: [WORKFLOWS],
  optionalReads: [USERS],
  perActor: true,
  query: z.object({
    cursor: cursorParameter(z.tuple([z.string().datetime(), z.string()])),
    limit: limitParameter,
  }),
  response: pageSchema(inboxItemSchema),
  async run(context) {
    const { query, actor } = context;
    const page = await listInbox(context.db, context.controlSchema, {
      userId: actor.userId,
      role: actor.role,
      now: context.now,
      after: query.cursor === undefined ? undefined : { dueAt: query.cursor[0], workflowId: query.cursor[1] },
      limit: query.limit,
    });
    const nameOf = await loadUserNames(context, page.items.map((item) => item.startedBy));
    return { items: page.items.map((item) => toInboxItem(item, nameOf)), nextCursor: page.next === null ? null : encodeCursor([page.next.dueAt, page.next.workflowId]) };
  },
});

export const workflowsRoute = defineRoute({
  path: '/workflows',
  operationId: 'queryWorkflows',
  summary: 'Workflow instances, most recently changed first.',
  tags: ['query: workflows'],
  permission: 'workflows:read',
  reads: [WORKFLOWS],
  optionalReads: [USERS],
  query: z.object({
    status: workflowStatusSchema.optional(),
    subjectKind: z.enum(['transaction', 'document']).optional(),
    subjectId: z.string().min(1).max(100).optional(),
    cursor: cursorParameter(z.tuple([z.string().regex(/^[0-9]+$/), z.string()])),
    limit: limitParameter,
  }),
  response: pageSchema(workflowItemSchema),
  async run(context) {
    const { query } = context;
    const page = await listWorkflows(context.db, context.controlSchema, {
      status: query.status,
      subjectKind: query.subjectKind,
      subjectId: query.subjectId,
      after: query.cursor === undefined ? undefined : { updatedPosition: BigInt(query.cursor[0]), workflowId: query.cursor[1] },
      limit: query.limit,
    });
    const nameOf = await loadUserNames(context, page.items.flatMap((item) => [item.startedBy, item.completedBy]));
    return { items: page.items.map((item) => toWorkflowItem(item, nameOf)), nextCursor: page.next === null ? null : encodeCursor([page.next.updatedPosition.toString(), page.next.workflowId]) };
  },
});

export const workflowRoute = defineRoute({
  path: '/workflows/:workflowId',
  operationId: 'queryWorkflow',
  summary: 'One workflow instance with every step of the definition version it follows.',
  tags: ['query: workflows'],
  permission: 'workflows:read',
  reads: [WORKFLOWS],
  optionalReads: [USERS],
  params: z.object({ workflowId: z.string().min(1).max(100) }),
  query: z.object({}),
  errorCodes: ['WORKFLOW_NOT_FOUND'],
  response: workflowItemSchema.extend({
    escalationRole: z.string().nullable(),
    steps: z.array(
      z.object({
        index: z.number().int(),
        name: z.string(),
        assignee: assigneeSchema,
        dueDuration: z.string(),
        onReject: z.enum(['reject_workflow', 'return_to_previous_step']),
        status: z.enum(['pending', 'active', 'approved', 'rejected', 'skipped']),
        assignedAt: z.string().nullable(),
        dueAt: z.string().nullable(),
        escalated: z.boolean(),
        decision: z.enum(['approved', 'rejected']).nullable().describe('The last decision on the step (kept when a later rejection returned the workflow to it).'),
        actedBy: z.string().nullable(),
        actedByName: userName,
        actedAt: z.string().nullable(),
        comment: z.string().nullable().describe('The approval comment or the rejection reason.'),
        subjectHash: z.string().nullable().describe('The subject hash the approval named.'),
      }),
    ),
  }),
  async run(context) {
    const detail = await getWorkflow(context.db, context.controlSchema, context.params.workflowId);
    if (detail === null) throw notFound('WORKFLOW', context.params.workflowId);
    const nameOf = await loadUserNames(context, [detail.startedBy, detail.completedBy, ...detail.steps.map((step) => step.actedBy)]);
    return {
      ...toWorkflowItem(detail, nameOf),
      escalationRole: detail.escalationRole,
      steps: detail.steps.map((step) => ({ ...step, actedByName: nameOf(step.actedBy) })),
    };
  },
});
