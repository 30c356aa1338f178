import { isDomainError, workflows } from '@neuroerp/domains';
import { problem } from '../app';
import { HttpProblemError } from '../http/errors';

/**
 * The HTTP status of every workflows error code. A `Record` over all codes, so that a new code
 * does not compile until someone decides its status:
 * - 404: the definition, version, workflow or step named does not exist;
 * - 409: the request conflicts with the workflow's current state (completed, another step is
 *   current, the subject changed, a version already taken): repeating it cannot succeed;
 * - 403 NOT_ASSIGNEE: the caller may act on workflows, but this step is someone else's;
 * - 422: well-formed but against a rule (maker = checker, missing reason or fact).
 *
 * `domainErrorStatus` in ../http/errors.ts does not know these codes yet (its shape rule would
 * answer 422 for the 403 and 409 ones), so the workflows router turns its DomainErrors into
 * problems with these statuses itself; see `workflowsProblemError`.
 */
export const WORKFLOWS_ERROR_STATUS: Readonly<Record<workflows.WorkflowsErrorCode, 403 | 404 | 409 | 422>> = Object.freeze({
  WORKFLOW_DEFINITION_INVALID: 422,
  DUE_DURATION_INVALID: 422,
  STEP_NAMES_NOT_UNIQUE: 422,
  WORKFLOW_DEFINITION_NOT_FOUND: 404,
  WORKFLOW_DEFINITION_VERSION_NOT_FOUND: 404,
  WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA: 409,
  WORKFLOW_DEFINITION_VERSION_NOT_NEXT: 409,
  WORKFLOW_NOT_FOUND: 404,
  WORKFLOW_EXISTS_WITH_DIFFERENT_DATA: 409,
  WORKFLOW_COMPLETED: 409,
  CONDITION_FACT_MISSING: 422,
  STEP_NOT_FOUND: 404,
  STEP_NOT_ACTIVE: 409,
  APPROVER_IS_SUBMITTER: 422,
  ASSIGNEE_IS_SUBMITTER: 422,
  NOT_ASSIGNEE: 403,
  SUBJECT_HASH_MISMATCH: 409,
  REASON_REQUIRED: 422,
} as Record<workflows.WorkflowsErrorCode, 403 | 404 | 409 | 422>);

export function isWorkflowsErrorCode(code: string): code is workflows.WorkflowsErrorCode {
  return Object.hasOwn(workflows.WORKFLOWS_ERROR_CODES, code);
}

/** A workflows DomainError as the problem the error middleware answers with (same body shape); any other error unchanged. */
export function workflowsProblemError(error: unknown): unknown {
  if (!isDomainError(error) || !isWorkflowsErrorCode(error.code)) return error;
  return new HttpProblemError(problem(WORKFLOWS_ERROR_STATUS[error.code], error.code, error.message, { details: error.details }));
}
