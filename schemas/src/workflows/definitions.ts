import { z } from 'zod';
import { documentTypeSchema } from '../documents/content';
import { roleSchema } from '../identity/primitives';
import { nonNegativeDecimalStringSchema } from '../ledger/primitives';

/**
 * Workflow definitions on the wire. A definition is a versioned, ordered list of approval
 * steps; publishing one appends `workflow.definition_published` with the next version to the
 * stream `workflows.definition-<key>`, and a running instance records the version it follows.
 *
 * Due durations are ISO 8601 durations restricted to fixed-length units: weeks, days, hours
 * and minutes (`P2D`, `PT4H`, `P1DT12H`, `P1W`). Years and months are refused because their
 * length depends on the calendar, so a due time would not be a pure function of `now`.
 */

/** Steps per definition. */
export const WORKFLOW_STEPS_MAX = 20;
/** Published versions per definition key: the wire schema refuses a higher version number. */
export const WORKFLOW_DEFINITION_VERSIONS_MAX = 1000;
/** Longest due duration: a year of days, in minutes. */
export const DUE_DURATION_MINUTES_MAX = 366 * 24 * 60;
export const COMMENT_LENGTH_MAX = 2000;

const DURATION_PATTERN = /^P(?:([0-9]{1,3})W)?(?:([0-9]{1,3})D)?(?:T(?:([0-9]{1,4})H)?(?:([0-9]{1,6})M)?)?$/;

/**
 * The length of an ISO 8601 duration in minutes (`P2D` → 2880), or null when `duration` is
 * not one of the accepted forms (weeks, days, hours, minutes; at least one; no fractions).
 */
export function durationMinutes(duration: string): number | null {
  const match = DURATION_PATTERN.exec(duration);
  if (match === null || duration === 'P' || duration.endsWith('T')) return null;
  const [, weeks, days, hours, minutes] = match;
  const part = (value: string | undefined) => (value === undefined ? 0 : Number(value));
  return ((part(weeks) * 7 + part(days)) * 24 + part(hours)) * 60 + part(minutes);
}

/** An ISO 8601 duration of at least one minute and at most DUE_DURATION_MINUTES_MAX. */
export const dueDurationSchema = z
  .string()
  .max(30)
  .superRefine((value, ctx) => {
    const minutes = durationMinutes(value);
    if (minutes === null || minutes < 1 || minutes > DUE_DURATION_MINUTES_MAX) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `dueDuration must be an ISO 8601 duration of weeks, days, hours or minutes (P2D, PT4H, P1DT12H) between 1 minute and ${DUE_DURATION_MINUTES_MAX} minutes.`,
        params: { code: 'DUE_DURATION_INVALID' },
      });
    }
  })
  .describe('ISO 8601 duration in weeks, days, hours or minutes, e.g. P2D or PT4H (no years or months).');

/** Definition keys are part of stream names: lower-case kebab case, e.g. `transaction-approval`. */
export const workflowKeySchema = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a workflow key is 1..64 lower-case letters, digits and - starting with a letter');
/** Step names appear in URLs (`/instances/:id/steps/:step/approve`). */
export const stepNameSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a step name is 1..64 lower-case letters, digits, _ and - starting with a letter');
export const userIdSchema = z.string().min(1).max(200);

/** Who a step is assigned to: everyone with a role, or one user. */
export const assigneeSchema = z.union([z.object({ role: roleSchema }).strict(), z.object({ userId: userIdSchema }).strict()]);
export type Assignee = z.infer<typeof assigneeSchema>;

/**
 * When a step applies. `amountAtLeast`: the subject's amount (in the company currency, a
 * decimal string) is at least this; `documentType`: the subject is a document of this type.
 * A step without a condition always applies; a step whose condition is false is skipped.
 */
export const stepConditionSchema = z.union([
  z.object({ amountAtLeast: nonNegativeDecimalStringSchema }).strict(),
  z.object({ documentType: documentTypeSchema }).strict(),
]);
export type StepCondition = z.infer<typeof stepConditionSchema>;

/** What a rejection of the step does: end the workflow as rejected, or send it back to the previous applicable step. */
export const onRejectSchema = z.enum(['reject_workflow', 'return_to_previous_step']);
export type OnReject = z.infer<typeof onRejectSchema>;

export const workflowStepSchema = z
  .object({
    name: stepNameSchema,
    assignee: assigneeSchema,
    condition: stepConditionSchema.optional(),
    dueDuration: dueDurationSchema,
    onReject: onRejectSchema,
  })
  .strict();
export type WorkflowStep = z.infer<typeof workflowStepSchema>;

/** A workflow definition as published: its key, version (1, 2, ...), ordered steps and the role overdue steps escalate to. */
export const workflowDefinitionSchema = z
  .object({
    key: workflowKeySchema,
    version: z.number().int().min(1).max(WORKFLOW_DEFINITION_VERSIONS_MAX),
    steps: z.array(workflowStepSchema).min(1).max(WORKFLOW_STEPS_MAX),
    escalationRole: roleSchema.optional().describe('Overdue steps are reassigned to this role; without it nothing escalates.'),
  })
  .strict()
  .superRefine((definition, ctx) => {
    const names = definition.steps.map((step) => step.name);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['steps'], message: 'step names must be unique within a definition', params: { code: 'STEP_NAMES_NOT_UNIQUE' } });
    }
  });
export type WorkflowDefinition = z.infer<typeof workflowDefinitionSchema>;

/** The body of `POST /api/workflows/definitions`: the definition itself. */
export const publishWorkflowDefinitionBodySchema = workflowDefinitionSchema;
export type PublishWorkflowDefinitionBody = WorkflowDefinition;

/** Version n of a definition, as recorded. */
export const workflowDefinitionPublishedSchema = z.object({
  key: workflowKeySchema,
  version: z.number().int().min(1).max(WORKFLOW_DEFINITION_VERSIONS_MAX),
  steps: z.array(workflowStepSchema).min(1).max(WORKFLOW_STEPS_MAX),
  escalationRole: roleSchema.nullable(),
  publishedBy: userIdSchema,
  publishedAt: z.string().datetime({ offset: true }),
});
export type WorkflowDefinitionPublished = z.infer<typeof workflowDefinitionPublishedSchema>;
