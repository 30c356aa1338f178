import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { IdempotencyStore } from '@neuroerp/infra';
import { ledger, workflows as wire } from '@neuroerp/schemas';
import { requirePermission, type Permission } from '../auth/permissions';
import type { CommandContext } from '../command-handling';
import { idempotency } from '../http/idempotency';
import { parseRequest } from '../http/validation';
import type { CommandOutcome } from '../ledger/commands';
import { commandContext } from '../ledger/routes';
import type { WorkflowCommands } from './commands';
import { workflowsProblemError } from './errors';
import { escalationResultsViewSchema, workflowDefinitionViewSchema, workflowInstanceViewSchema } from './views';

/**
 * The workflows API under /api/workflows. Every route is one row of `workflowsRoutes`; the
 * router and the OpenAPI document (./openapi.ts) are generated from the table. POSTs need an
 * Idempotency-Key (428 without); step actions accept If-Match with the instance's ETag.
 *
 * There is no inbox route on purpose: an inbox is a read model, projected by the query side
 * with `workflows.inboxEntries` from @neuroerp/domains, never folded from streams per request.
 */

export const WORKFLOWS_BASE_PATH = '/api/workflows';

const keyParams = z.object({ key: wire.workflowKeySchema });
const versionParams = keyParams.extend({ version: z.coerce.number().int().min(1).max(wire.WORKFLOW_DEFINITION_VERSIONS_MAX) });
const instanceParams = z.object({ workflowId: ledger.idSchema });
const stepParams = instanceParams.extend({ step: wire.stepNameSchema });

type Answer = { outcome: CommandOutcome<object>; location?: string } | { resource: object; etag?: string };

export interface WorkflowsRoute {
  method: 'get' | 'post';
  /** Express path, relative to /api/workflows. */
  path: string;
  operationId: string;
  summary: string;
  permission: Permission;
  params?: z.AnyZodObject;
  body?: z.ZodTypeAny;
  response: z.AnyZodObject;
  successStatus: 200 | 201;
  /** Reads an optional If-Match. */
  conditional?: boolean;
  /** Answers a command outcome (stream coordinates merged into the resource) rather than a plain resource. */
  command: boolean;
  errorCodes?: readonly string[];
  handle(input: { params: never; body: never; context: CommandContext; ifMatch: string | undefined }, commands: WorkflowCommands): Promise<Answer>;
}

function route<P extends z.AnyZodObject, B extends z.ZodTypeAny>(
  definition: Omit<WorkflowsRoute, 'handle' | 'params' | 'body'> & {
    params?: P;
    body?: B;
    handle(input: { params: z.infer<P>; body: z.infer<B>; context: CommandContext; ifMatch: string | undefined }, commands: WorkflowCommands): Promise<Answer>;
  },
): WorkflowsRoute {
  return definition as unknown as WorkflowsRoute;
}

const STEP_ERRORS = ['WORKFLOW_NOT_FOUND', 'STEP_NOT_FOUND', 'STEP_NOT_ACTIVE', 'WORKFLOW_COMPLETED', 'APPROVER_IS_SUBMITTER', 'NOT_ASSIGNEE'] as const;

export const workflowsRoutes: readonly WorkflowsRoute[] = [
  route({
    method: 'post',
    path: '/definitions',
    operationId: 'publishWorkflowDefinition',
    summary: 'Publish a workflow definition version (the latest + 1). The same version with the same steps again is a no-op (200).',
    permission: 'workflows:define',
    body: wire.publishWorkflowDefinitionBodySchema,
    response: workflowDefinitionViewSchema,
    successStatus: 201,
    command: true,
    errorCodes: ['WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA', 'WORKFLOW_DEFINITION_VERSION_NOT_NEXT', 'WORKFLOW_DEFINITION_INVALID', 'DUE_DURATION_INVALID', 'STEP_NAMES_NOT_UNIQUE'],
    handle: async ({ body, context }, commands) => ({
      outcome: await commands.publishDefinition(context, body),
      location: `${WORKFLOWS_BASE_PATH}/definitions/${body.key}/versions/${body.version}`,
    }),
  }),
  route({
    method: 'get',
    path: '/definitions/:key',
    operationId: 'getWorkflowDefinition',
    summary: 'The latest published version of a workflow definition.',
    permission: 'workflows:read',
    params: keyParams,
    response: workflowDefinitionViewSchema,
    successStatus: 200,
    command: false,
    errorCodes: ['WORKFLOW_DEFINITION_NOT_FOUND'],
    handle: async ({ params }, commands) => commands.definition(params.key),
  }),
  route({
    method: 'get',
    path: '/definitions/:key/versions/:version',
    operationId: 'getWorkflowDefinitionVersion',
    summary: 'One published version of a workflow definition (what running instances that recorded it follow).',
    permission: 'workflows:read',
    params: versionParams,
    response: workflowDefinitionViewSchema,
    successStatus: 200,
    command: false,
    errorCodes: ['WORKFLOW_DEFINITION_NOT_FOUND', 'WORKFLOW_DEFINITION_VERSION_NOT_FOUND'],
    handle: async ({ params }, commands) => commands.definition(params.key, params.version),
  }),
  route({
    method: 'post',
    path: '/instances',
    operationId: 'startWorkflow',
    summary: 'Start a workflow instance for a transaction or document (normally done by process managers). The same start again is a no-op (200).',
    permission: 'workflows:start',
    body: wire.startWorkflowBodySchema,
    response: workflowInstanceViewSchema,
    successStatus: 201,
    command: true,
    errorCodes: ['WORKFLOW_DEFINITION_NOT_FOUND', 'WORKFLOW_DEFINITION_VERSION_NOT_FOUND', 'WORKFLOW_EXISTS_WITH_DIFFERENT_DATA', 'CONDITION_FACT_MISSING', 'ASSIGNEE_IS_SUBMITTER'],
    handle: async ({ body, context }, commands) => ({ outcome: await commands.start(context, body), location: `${WORKFLOWS_BASE_PATH}/instances/${body.workflowId}` }),
  }),
  route({
    method: 'get',
    path: '/instances/:workflowId',
    operationId: 'getWorkflowInstance',
    summary: 'A workflow instance: its status, the definition version it follows, its steps and current assignee; ETag = its stream version.',
    permission: 'workflows:read',
    params: instanceParams,
    response: workflowInstanceViewSchema,
    successStatus: 200,
    command: false,
    errorCodes: ['WORKFLOW_NOT_FOUND'],
    handle: async ({ params }, commands) => {
      const { resource, etag } = await commands.instance(params.workflowId);
      return { resource, etag };
    },
  }),
  route({
    method: 'post',
    path: '/instances/:workflowId/steps/:step/approve',
    operationId: 'approveWorkflowStep',
    summary: 'Approve the current step as its assignee, naming the hash of the subject version approved. Never by the maker.',
    permission: 'workflows:act',
    params: stepParams,
    body: wire.approveStepBodySchema,
    response: workflowInstanceViewSchema,
    successStatus: 200,
    conditional: true,
    command: true,
    errorCodes: [...STEP_ERRORS, 'SUBJECT_HASH_MISMATCH'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.approve(context, params.workflowId, params.step, body, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/instances/:workflowId/steps/:step/reject',
    operationId: 'rejectWorkflowStep',
    summary: "Reject the current step with a reason; the step's onReject rejects the workflow or returns it to the previous step.",
    permission: 'workflows:act',
    params: stepParams,
    body: wire.rejectStepBodySchema,
    response: workflowInstanceViewSchema,
    successStatus: 200,
    conditional: true,
    command: true,
    errorCodes: [...STEP_ERRORS, 'REASON_REQUIRED'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.reject(context, params.workflowId, params.step, body, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/instances/:workflowId/steps/:step/reassign',
    operationId: 'reassignWorkflowStep',
    summary: 'Hand the current step to another role or user (its assignee or an admin); the due time restarts.',
    permission: 'workflows:act',
    params: stepParams,
    body: wire.reassignStepBodySchema,
    response: workflowInstanceViewSchema,
    successStatus: 200,
    conditional: true,
    command: true,
    errorCodes: [...STEP_ERRORS, 'ASSIGNEE_IS_SUBMITTER'],
    handle: async ({ params, body, context, ifMatch }, commands) => ({ outcome: await commands.reassign(context, params.workflowId, params.step, body, ifMatch) }),
  }),
  route({
    method: 'post',
    path: '/escalations',
    operationId: 'escalateOverdueWorkflowSteps',
    summary: `Escalate the overdue current steps of up to ${wire.ESCALATION_BATCH_MAX} instances to their escalation role, judged at the server's now; each step escalates once.`,
    permission: 'workflows:act',
    body: wire.escalateOverdueStepsBodySchema,
    response: escalationResultsViewSchema,
    successStatus: 200,
    command: false,
    handle: async ({ body, context }, commands) => ({ resource: await commands.escalateOverdueSteps(context, body.workflowIds) }),
  }),
];

function respond(definition: WorkflowsRoute, answer: Answer, res: Response): void {
  if ('outcome' in answer) {
    const { outcome, location } = answer;
    res.setHeader('ETag', outcome.etag);
    if (location !== undefined) res.setHeader('Location', location);
    // A repeat that appended nothing created nothing.
    const status = definition.successStatus === 201 && outcome.appended === 0 ? 200 : definition.successStatus;
    res.status(status).json({ streamId: outcome.streamId, streamVersion: outcome.streamVersion, position: outcome.position.toString(), ...outcome.resource });
    return;
  }
  if (answer.etag !== undefined) res.setHeader('ETag', answer.etag);
  res.status(200).json(answer.resource);
}

export interface WorkflowsRouterOptions {
  commands: WorkflowCommands;
  idempotencyStore: IdempotencyStore;
  /**
   * Prefix of every route, `/api/workflows` by default, so that the router is mounted with
   * `app.use(createWorkflowsRouter(options))` like the documents router. Pass `''` to mount it
   * with `app.use('/api/workflows', ...)` instead.
   */
  basePath?: string;
}

/** The /api/workflows routes. Needs `res.locals.actor` from an authentication middleware mounted before it. */
export function createWorkflowsRouter(options: WorkflowsRouterOptions): Router {
  const router = Router();
  const basePath = options.basePath ?? WORKFLOWS_BASE_PATH;
  const requireKey = idempotency(options.idempotencyStore, { required: true });
  for (const definition of workflowsRoutes) {
    const handler: RequestHandler = async (req, res) => {
      const params: unknown = definition.params ? parseRequest('params', definition.params, req) : {};
      const body: unknown = definition.body ? parseRequest('body', definition.body, req) : undefined;
      const ifMatch = definition.conditional === true ? req.get('If-Match') : undefined;
      const context = definition.method === 'post' ? commandContext(req, res) : (undefined as unknown as CommandContext);
      let answer: Answer;
      try {
        answer = await definition.handle({ params, body, context, ifMatch } as never, options.commands);
      } catch (error) {
        throw workflowsProblemError(error);
      }
      respond(definition, answer, res);
    };
    const path = `${basePath}${definition.path}`;
    if (definition.method === 'post') router.post(path, requirePermission(definition.permission), requireKey, handler);
    else router.get(path, requirePermission(definition.permission), handler);
  }
  return router;
}
