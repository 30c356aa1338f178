import type { workflows as wire } from '@neuroerp/schemas';

/**
 * The definitions NeuroERP ships with, as data. A seed publishes them as version 1 of their
 * keys (`POST /api/workflows/definitions`); later versions are published the same way.
 */

/** Above this amount (company currency) a transaction needs an approval; the fiscal year's default approval threshold. */
export const TRANSACTION_APPROVAL_THRESHOLD = '10000.00';

/** A submitted transaction at or above the threshold is approved by an approver within two days, else it escalates to admin. */
export const TRANSACTION_APPROVAL_DEFINITION: wire.WorkflowDefinition = Object.freeze({
  key: 'transaction-approval',
  version: 1,
  steps: [
    {
      name: 'approve',
      assignee: { role: 'approver' },
      condition: { amountAtLeast: TRANSACTION_APPROVAL_THRESHOLD },
      dueDuration: 'P2D',
      onReject: 'reject_workflow',
    },
  ],
  escalationRole: 'admin',
}) as wire.WorkflowDefinition;

/** A contract is reviewed by accounting, then approved by an admin; an admin's rejection sends it back to accounting. */
export const CONTRACT_REVIEW_DEFINITION: wire.WorkflowDefinition = Object.freeze({
  key: 'contract-review',
  version: 1,
  steps: [
    { name: 'accounting-review', assignee: { role: 'accountant' }, dueDuration: 'P3D', onReject: 'reject_workflow' },
    { name: 'management-approval', assignee: { role: 'admin' }, dueDuration: 'P2D', onReject: 'return_to_previous_step' },
  ],
  escalationRole: 'admin',
}) as wire.WorkflowDefinition;

export const DEFAULT_WORKFLOW_DEFINITIONS: readonly wire.WorkflowDefinition[] = Object.freeze([TRANSACTION_APPROVAL_DEFINITION, CONTRACT_REVIEW_DEFINITION]);
