import { DomainError } from '../domain-error';

/**
 * Every code the workflows context throws, with what it means. The codes are API: never
 * rename one, only add. Definition checks also report the codes of the zod definition schema
 * (DUE_DURATION_INVALID, STEP_NAMES_NOT_UNIQUE in @neuroerp/schemas workflows/definitions.ts).
 */
export const WORKFLOWS_ERROR_CODES = {
  WORKFLOW_DEFINITION_INVALID: 'The definition does not match the definition schema (several problems, or one without a specific code).',
  DUE_DURATION_INVALID: 'A due duration is not an ISO 8601 duration of weeks, days, hours or minutes within bounds.',
  STEP_NAMES_NOT_UNIQUE: 'Two steps of the definition have the same name.',
  WORKFLOW_DEFINITION_NOT_FOUND: 'No definition with this key was published.',
  WORKFLOW_DEFINITION_VERSION_NOT_FOUND: 'The definition has no published version with this number.',
  WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA: 'This version of the definition was published with different steps.',
  WORKFLOW_DEFINITION_VERSION_NOT_NEXT: 'A new version must be the latest published version plus one.',
  WORKFLOW_NOT_FOUND: 'No workflow instance with this id was started.',
  WORKFLOW_EXISTS_WITH_DIFFERENT_DATA: 'A workflow with this id was started with a different definition, subject, hash, maker or facts.',
  WORKFLOW_COMPLETED: 'The workflow is completed; it takes no more actions.',
  CONDITION_FACT_MISSING: 'A step condition needs a fact (amount, documentType) that the start command did not supply.',
  STEP_NOT_FOUND: 'The workflow has no step with this name.',
  STEP_NOT_ACTIVE: 'The step is not the current step of the workflow (skipped, waiting, or already decided).',
  APPROVER_IS_SUBMITTER: 'Maker ≠ checker: the user who submitted the subject cannot approve, reject or reassign a step of it.',
  ASSIGNEE_IS_SUBMITTER: 'A step cannot be assigned to the user who submitted the subject.',
  NOT_ASSIGNEE: 'Only the assignee of the step (that user, or a user with that role) may act on it.',
  SUBJECT_HASH_MISMATCH: 'The approval names another version of the subject than the workflow was started for.',
  REASON_REQUIRED: 'Rejecting a step needs a non-empty reason.',
} as const;

export type WorkflowsErrorCode = keyof typeof WORKFLOWS_ERROR_CODES;

/** Throws the DomainError for `code`; the return type lets callers write `return fail(...)`. */
export function fail(code: WorkflowsErrorCode, message: string, details: Record<string, string | number | boolean | null> = {}): never {
  throw new DomainError<WorkflowsErrorCode>(code, message, details);
}
