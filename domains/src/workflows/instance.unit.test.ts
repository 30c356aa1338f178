import { workflows as wire } from '@neuroerp/schemas';
import { DeciderSpecification } from '../testing/decider-spec';
import { CONTRACT_REVIEW_DEFINITION, TRANSACTION_APPROVAL_DEFINITION } from './defaults';
import { WORKFLOWS_ERROR_CODES } from './errors';
import { inboxEntries } from './inbox';
import {
  addDuration,
  compareDecimal,
  decideInstance,
  evolveInstance,
  initialInstanceState,
  workflowInstanceStreamId,
  type WorkflowInstanceCommand,
  type WorkflowInstanceEvent,
  type WorkflowInstanceState,
} from './instance';

const spec = DeciderSpecification.for<WorkflowInstanceCommand, WorkflowInstanceEvent, WorkflowInstanceState>({
  decide: decideInstance,
  evolve: evolveInstance,
  initialState: initialInstanceState,
});

const T0 = '2025-03-10T09:00:00.000Z';
const T1 = '2025-03-11T09:00:00.000Z';
const T_OVERDUE = '2025-03-12T09:00:00.000Z';
const HASH = 'a'.repeat(64);
const OTHER_HASH = 'b'.repeat(64);
const system = { actor: { userId: 'process-manager', role: 'admin' }, now: T0 };
const as = (userId: string, role: string, now = T1) => ({ actor: { userId, role }, now });
const alice = as('alice', 'accountant');
const anna = as('anna', 'accountant');
const bob = as('bob', 'approver');
const root = as('root', 'admin');
const guest = as('gus', 'guest');

/** A contract review of document doc-1, submitted by alice. */
const start = (overrides: Partial<wire.StartWorkflowBody> = {}, definition: wire.WorkflowDefinition = CONTRACT_REVIEW_DEFINITION): WorkflowInstanceCommand => ({
  type: 'StartWorkflow',
  data: {
    workflowId: 'wf-1',
    definitionKey: definition.key,
    subject: { kind: 'document', id: 'doc-1' },
    subjectHash: HASH,
    startedBy: 'alice',
    facts: { documentType: 'contract' },
    ...overrides,
    definition,
  },
  metadata: system,
});
const steps = (skipped: boolean[] = [false, false]): wire.InstanceStep[] =>
  CONTRACT_REVIEW_DEFINITION.steps.map((step, index) => ({ name: step.name, assignee: step.assignee, dueDuration: step.dueDuration, onReject: step.onReject, skipped: skipped[index] ?? false }));
const started: WorkflowInstanceEvent = {
  type: 'workflow.started',
  data: {
    workflowId: 'wf-1',
    definitionKey: 'contract-review',
    definitionVersion: 1,
    subject: { kind: 'document', id: 'doc-1' },
    subjectHash: HASH,
    startedBy: 'alice',
    facts: { documentType: 'contract' },
    steps: steps(),
    escalationRole: 'admin',
    startedAt: T0,
  },
};
const assignedReview: WorkflowInstanceEvent = {
  type: 'workflow.step_assigned',
  data: { workflowId: 'wf-1', step: 'accounting-review', stepIndex: 0, assignee: { role: 'accountant' }, assignedAt: T0, dueAt: '2025-03-13T09:00:00.000Z' },
};
const approvedReview: WorkflowInstanceEvent = {
  type: 'workflow.step_approved',
  data: { workflowId: 'wf-1', step: 'accounting-review', stepIndex: 0, approvedBy: 'anna', approvedAt: T1, subjectHash: HASH, comment: 'ok' },
};
const assignedManagement: WorkflowInstanceEvent = {
  type: 'workflow.step_assigned',
  data: { workflowId: 'wf-1', step: 'management-approval', stepIndex: 1, assignee: { role: 'admin' }, assignedAt: T1, dueAt: '2025-03-13T09:00:00.000Z' },
};
const completedAs = (outcome: 'approved' | 'rejected', reason: string, by: string, now = T1): WorkflowInstanceEvent => ({
  type: 'workflow.completed',
  data: {
    workflowId: 'wf-1',
    definitionKey: 'contract-review',
    definitionVersion: 1,
    subject: { kind: 'document', id: 'doc-1' },
    outcome,
    reason,
    approvedHash: outcome === 'approved' ? HASH : null,
    completedBy: by,
    completedAt: now,
  },
});
const approvedManagement: WorkflowInstanceEvent = {
  type: 'workflow.step_approved',
  data: { workflowId: 'wf-1', step: 'management-approval', stepIndex: 1, approvedBy: 'root', approvedAt: T1, subjectHash: HASH, comment: null },
};
const running = [started, assignedReview];
const atManagement = [...running, approvedReview, assignedManagement];
const done = [...atManagement, approvedManagement, completedAs('approved', 'all steps approved', 'root')];

const approve = (step: string, metadata = anna, subjectHash = HASH, comment?: string): WorkflowInstanceCommand => ({
  type: 'ApproveStep',
  data: { workflowId: 'wf-1', step, subjectHash, ...(comment === undefined ? {} : { comment }) },
  metadata,
});
const reject = (step: string, metadata = anna, reason?: string): WorkflowInstanceCommand => ({
  type: 'RejectStep',
  data: { workflowId: 'wf-1', step, ...(reason === undefined ? {} : { reason }) },
  metadata,
});
const reassign = (step: string, to: wire.Assignee, metadata = anna): WorkflowInstanceCommand => ({ type: 'ReassignStep', data: { workflowId: 'wf-1', step, to }, metadata });
const escalate = (now: string): WorkflowInstanceCommand => ({ type: 'EscalateOverdueSteps', data: { workflowId: 'wf-1', now }, metadata: { ...system, now } });

describe('workflow instance decider: the happy paths', () => {
  it('names its stream workflows.instance-<id>', () => expect(workflowInstanceStreamId('wf-1')).toBe('workflows.instance-wf-1'));
  it('starts, recording the definition version, and assigns the first step', () => spec.given([]).when(start()).then(running));
  it('repeats the same start without an event (idempotent)', () => spec.given(running).when(start()).thenNothingHappened());
  it('repeats a start that names the recorded version without an event', () => spec.given(running).when(start({ definitionVersion: 1 })).thenNothingHappened());
  it('approves the first step and assigns the second', () => spec.given(running).when(approve('accounting-review', anna, HASH, 'ok')).then([approvedReview, assignedManagement]));
  it('completes as approved with the approved hash after the last step', () =>
    spec.given(atManagement).when(approve('management-approval', root)).then([approvedManagement, completedAs('approved', 'all steps approved', 'root')]));
  it('treats a repeated final approval as a retry', () => spec.given(done).when(approve('management-approval', root)).thenNothingHappened());

  it('skips a step whose condition is false', () => {
    const small = start({ workflowId: 'wf-1', subject: { kind: 'transaction', id: 'tx-1' }, facts: { amount: '9999.99' } }, TRANSACTION_APPROVAL_DEFINITION);
    const events = decideInstance(small, initialInstanceState());
    expect(events.map((event) => event.type)).toEqual(['workflow.started', 'workflow.completed']);
    expect(events[0]?.data).toMatchObject({ steps: [{ name: 'approve', skipped: true }] });
    expect(events[1]?.data).toMatchObject({ outcome: 'approved', reason: 'no step applies', approvedHash: HASH, subject: { kind: 'transaction', id: 'tx-1' } });
  });

  it('assigns a step whose amount condition holds (at the threshold exactly)', () => {
    const large = start({ subject: { kind: 'transaction', id: 'tx-1' }, facts: { amount: '10000' } }, TRANSACTION_APPROVAL_DEFINITION);
    const events = decideInstance(large, initialInstanceState());
    expect(events[1]).toEqual({
      type: 'workflow.step_assigned',
      data: { workflowId: 'wf-1', step: 'approve', stepIndex: 0, assignee: { role: 'approver' }, assignedAt: T0, dueAt: '2025-03-12T09:00:00.000Z' },
    });
  });

  it('skips a document-type step for another type and for a transaction', () => {
    const definition: wire.WorkflowDefinition = {
      key: 'contract-review',
      version: 3,
      steps: [
        { name: 'legal', assignee: { role: 'admin' }, condition: { documentType: 'contract' }, dueDuration: 'PT4H', onReject: 'reject_workflow' },
        { name: 'book', assignee: { role: 'accountant' }, dueDuration: 'PT4H', onReject: 'reject_workflow' },
      ],
    };
    const order = decideInstance(start({ facts: { documentType: 'order' } }, definition), initialInstanceState());
    expect(order[0]?.data).toMatchObject({ definitionVersion: 3, escalationRole: null, steps: [{ skipped: true }, { skipped: false }] });
    expect(order[1]?.data).toMatchObject({ step: 'book', stepIndex: 1, dueAt: '2025-03-10T13:00:00.000Z' });
    const transaction = decideInstance(start({ subject: { kind: 'transaction', id: 'tx-1' }, facts: {} }, definition), initialInstanceState());
    expect(transaction[0]?.data).toMatchObject({ steps: [{ skipped: true }, { skipped: false }] });
  });

  it('rejects the workflow with the reason (reject_workflow)', () =>
    spec
      .given(running)
      .when(reject('accounting-review', anna, ' Laufzeit fehlt '))
      .then([
        {
          type: 'workflow.step_rejected',
          data: { workflowId: 'wf-1', step: 'accounting-review', stepIndex: 0, rejectedBy: 'anna', rejectedAt: T1, reason: 'Laufzeit fehlt', onReject: 'reject_workflow' },
        },
        completedAs('rejected', 'Laufzeit fehlt', 'anna'),
      ]));

  it('returns to the previous step (return_to_previous_step), which must approve again', () => {
    const rejected: WorkflowInstanceEvent = {
      type: 'workflow.step_rejected',
      data: { workflowId: 'wf-1', step: 'management-approval', stepIndex: 1, rejectedBy: 'root', rejectedAt: T1, reason: 'Haftung prüfen', onReject: 'return_to_previous_step' },
    };
    const reassignedReview: WorkflowInstanceEvent = { type: 'workflow.step_assigned', data: { ...(assignedReview.data as wire.WorkflowStepAssigned), assignedAt: T1, dueAt: '2025-03-14T09:00:00.000Z' } };
    spec.given(atManagement).when(reject('management-approval', root, 'Haftung prüfen')).then([rejected, reassignedReview]);
    // Back at the review: the management step waits, undecided, and is assigned again after the review.
    const state = [...atManagement, rejected, reassignedReview].reduce(evolveInstance, initialInstanceState());
    expect(state.steps.map((step) => step.status)).toEqual(['active', 'waiting']);
    spec.given([...atManagement, rejected, reassignedReview]).when(approve('management-approval', root)).thenThrows('STEP_NOT_ACTIVE');
    const again = decideInstance(approve('accounting-review', anna), state);
    expect(again.map((event) => event.type)).toEqual(['workflow.step_approved', 'workflow.step_assigned']);
  });

  it('lets the assignee hand the step to a user; the due time restarts', () =>
    spec
      .given(running)
      .when(reassign('accounting-review', { userId: 'carl' }))
      .then([
        {
          type: 'workflow.step_reassigned',
          data: { workflowId: 'wf-1', step: 'accounting-review', stepIndex: 0, from: { role: 'accountant' }, to: { userId: 'carl' }, reassignedBy: 'anna', reassignedAt: T1, dueAt: '2025-03-14T09:00:00.000Z', comment: null },
        },
      ]));
  it('lets an admin reassign a step assigned to others', () => {
    const events = decideInstance(reassign('accounting-review', { userId: 'carl' }, root), running.reduce(evolveInstance, initialInstanceState()));
    expect(events[0]?.type).toBe('workflow.step_reassigned');
  });
  it('treats reassigning to the current assignee as a no-op', () => spec.given(running).when(reassign('accounting-review', { role: 'accountant' })).thenNothingHappened());
  it('after reassignment only the new assignee may act', () => {
    const reassigned = decideInstance(reassign('accounting-review', { userId: 'carl' }), running.reduce(evolveInstance, initialInstanceState()));
    spec.given([...running, ...reassigned]).when(approve('accounting-review', anna)).thenThrows('NOT_ASSIGNEE');
    const byCarl = decideInstance(approve('accounting-review', as('carl', 'user')), [...running, ...reassigned].reduce(evolveInstance, initialInstanceState()));
    expect(byCarl[0]?.data).toMatchObject({ approvedBy: 'carl', subjectHash: HASH });
  });
});

describe('workflow instance decider: escalation', () => {
  const escalated: WorkflowInstanceEvent = {
    type: 'workflow.escalated',
    data: { workflowId: 'wf-1', step: 'accounting-review', stepIndex: 0, from: { role: 'accountant' }, to: { role: 'admin' }, dueAt: '2025-03-13T09:00:00.000Z', escalatedAt: '2025-03-13T09:00:00.000Z' },
  };
  it('does nothing before the due time', () => spec.given(running).when(escalate(T_OVERDUE)).thenNothingHappened());
  it('escalates to the escalation role at the due time', () => spec.given(running).when(escalate('2025-03-13T09:00:00.000Z')).then([escalated]));
  it('escalates a step only once', () => spec.given([...running, escalated]).when(escalate('2025-03-20T09:00:00.000Z')).thenNothingHappened());
  it('then the escalation role may act', () => {
    const state = [...running, escalated].reduce(evolveInstance, initialInstanceState());
    expect(decideInstance(approve('accounting-review', root), state)[0]?.type).toBe('workflow.step_approved');
    spec.given([...running, escalated]).when(approve('accounting-review', anna)).thenThrows('NOT_ASSIGNEE');
  });
  it('escalates the next step again when it is overdue', () =>
    spec
      .given([...running, escalated, approvedReview, assignedManagement])
      .when(escalate('2025-03-13T10:00:00.000Z'))
      .then([
        {
          type: 'workflow.escalated',
          data: { workflowId: 'wf-1', step: 'management-approval', stepIndex: 1, from: { role: 'admin' }, to: { role: 'admin' }, dueAt: '2025-03-13T09:00:00.000Z', escalatedAt: '2025-03-13T10:00:00.000Z' },
        },
      ]));
  it('finds nothing overdue in a completed workflow', () => spec.given(done).when(escalate('2026-01-01T00:00:00.000Z')).thenNothingHappened());
  it('does not escalate without an escalation role', () => {
    const noRole = { ...started, data: { ...(started.data as wire.WorkflowStarted), escalationRole: null } } as WorkflowInstanceEvent;
    spec.given([noRole, assignedReview]).when(escalate('2026-01-01T00:00:00.000Z')).thenNothingHappened();
  });
});

describe('workflow instance decider: refusals', () => {
  const definitionOf = (assignee: wire.Assignee): wire.WorkflowDefinition => ({ ...CONTRACT_REVIEW_DEFINITION, steps: [{ name: 'check', assignee, dueDuration: 'P1D', onReject: 'reject_workflow' }] });
  const refusals: [string, WorkflowInstanceEvent[], WorkflowInstanceCommand, keyof typeof WORKFLOWS_ERROR_CODES][] = [
    ['start again with another hash', running, start({ subjectHash: OTHER_HASH }), 'WORKFLOW_EXISTS_WITH_DIFFERENT_DATA'],
    ['start again with another maker', running, start({ startedBy: 'zoe' }), 'WORKFLOW_EXISTS_WITH_DIFFERENT_DATA'],
    ['start without the amount an amount condition needs', [], start({ subject: { kind: 'transaction', id: 'tx-1' }, facts: {} }, TRANSACTION_APPROVAL_DEFINITION), 'CONDITION_FACT_MISSING'],
    ['start of a document without its type for a type condition', [], start({ facts: {} }, { ...CONTRACT_REVIEW_DEFINITION, steps: [{ ...(CONTRACT_REVIEW_DEFINITION.steps[0] as wire.WorkflowStep), condition: { documentType: 'contract' } }] }), 'CONDITION_FACT_MISSING'],
    ['start with a step assigned to the maker', [], start({}, definitionOf({ userId: 'alice' })), 'ASSIGNEE_IS_SUBMITTER'],
    ['approve an unknown workflow', [], approve('accounting-review'), 'WORKFLOW_NOT_FOUND'],
    ['reject an unknown workflow', [], reject('accounting-review', anna, 'x'), 'WORKFLOW_NOT_FOUND'],
    ['reassign in an unknown workflow', [], reassign('accounting-review', { userId: 'carl' }), 'WORKFLOW_NOT_FOUND'],
    ['escalate an unknown workflow', [], escalate(T_OVERDUE), 'WORKFLOW_NOT_FOUND'],
    ['approve an unknown step', running, approve('legal'), 'STEP_NOT_FOUND'],
    ['approve a waiting step', running, approve('management-approval', root), 'STEP_NOT_ACTIVE'],
    ['approve an approved step again as someone else', atManagement, approve('accounting-review', as('axel', 'accountant')), 'STEP_NOT_ACTIVE'],
    ['approve one’s own submission', running, approve('accounting-review', alice), 'APPROVER_IS_SUBMITTER'],
    ['reject one’s own submission', running, reject('accounting-review', alice, 'x'), 'APPROVER_IS_SUBMITTER'],
    ['reassign a step of one’s own submission, even as admin', running, reassign('accounting-review', { userId: 'carl' }, as('alice', 'admin')), 'APPROVER_IS_SUBMITTER'],
    ['approve as another role', running, approve('accounting-review', bob), 'NOT_ASSIGNEE'],
    ['reject as a guest', running, reject('accounting-review', guest, 'x'), 'NOT_ASSIGNEE'],
    ['reassign as someone else', running, reassign('accounting-review', { userId: 'carl' }, bob), 'NOT_ASSIGNEE'],
    ['reassign to the maker', running, reassign('accounting-review', { userId: 'alice' }), 'ASSIGNEE_IS_SUBMITTER'],
    ['approve another version of the subject', running, approve('accounting-review', anna, OTHER_HASH), 'SUBJECT_HASH_MISMATCH'],
    ['reject without a reason', running, reject('accounting-review', anna), 'REASON_REQUIRED'],
    ['reject with a blank reason', running, reject('accounting-review', anna, '   '), 'REASON_REQUIRED'],
    ['approve in a completed workflow', done, approve('accounting-review', as('axel', 'accountant')), 'WORKFLOW_COMPLETED'],
    ['reject in a completed workflow', done, reject('management-approval', as('rita', 'admin'), 'late'), 'WORKFLOW_COMPLETED'],
    ['reassign in a completed workflow', done, reassign('management-approval', { userId: 'carl' }, root), 'WORKFLOW_COMPLETED'],
  ];
  it.each(refusals)('%s', (_name, given, command, code) => spec.given(given).when(command).thenThrows(code));

  it('has a row for every instance code (definition codes are in definition.unit.test.ts)', () => {
    const instanceCodes = Object.keys(WORKFLOWS_ERROR_CODES).filter((code) => !code.startsWith('WORKFLOW_DEFINITION_') && code !== 'DUE_DURATION_INVALID' && code !== 'STEP_NAMES_NOT_UNIQUE');
    expect(instanceCodes.filter((code) => !refusals.some((row) => row[3] === code))).toEqual([]);
  });
});

describe('inbox entries', () => {
  it('lists the current step of a running workflow with its assignee and due time', () => {
    expect(inboxEntries(atManagement.reduce(evolveInstance, initialInstanceState()))).toEqual([
      {
        workflowId: 'wf-1',
        definitionKey: 'contract-review',
        definitionVersion: 1,
        subject: { kind: 'document', id: 'doc-1' },
        startedBy: 'alice',
        step: 'management-approval',
        stepIndex: 1,
        assignee: { role: 'admin' },
        assignedAt: T1,
        dueAt: '2025-03-13T09:00:00.000Z',
        escalated: false,
      },
    ]);
  });
  it('is empty for a completed or unknown workflow', () => {
    expect(inboxEntries(done.reduce(evolveInstance, initialInstanceState()))).toEqual([]);
    expect(inboxEntries(initialInstanceState())).toEqual([]);
  });
});

describe('workflow events against the catalogue', () => {
  it('every produced event matches its catalogue schema and survives JSON unchanged', () => {
    const rejectedBack = decideInstance(reject('management-approval', root, 'nochmal'), atManagement.reduce(evolveInstance, initialInstanceState()));
    const reassigned = decideInstance(reassign('accounting-review', { userId: 'carl' }), running.reduce(evolveInstance, initialInstanceState()));
    const escalated = decideInstance(escalate('2025-04-01T00:00:00.000Z'), running.reduce(evolveInstance, initialInstanceState()));
    const published = { type: 'workflow.definition_published', data: { ...CONTRACT_REVIEW_DEFINITION, publishedBy: 'root', publishedAt: T0 } };
    const events: { type: string; data: unknown }[] = [...done, ...rejectedBack, ...reassigned, ...escalated, published];
    for (const event of events) {
      expect(wire.isWorkflowsEventType(event.type)).toBe(true);
      const entry = wire.workflowsEventCatalogue[event.type as wire.WorkflowsEventType];
      const parsed = entry.schema.safeParse(JSON.parse(JSON.stringify(event.data)));
      expect(parsed.success ? null : parsed.error.issues).toBeNull();
    }
    const missing = Object.keys(wire.workflowsEventCatalogue).filter((type) => !events.some((event) => event.type === type));
    expect(missing).toEqual([]);
  });
});

describe('helpers', () => {
  it.each<[string, string, number]>([
    ['10000.00', '10000', 0],
    ['9999.99', '10000.00', -1],
    ['10000.01', '10000', 1],
    ['-5', '0', -1],
    ['0.5', '0.45', 1],
  ])('compareDecimal(%s, %s) = %d', (a, b, expected) => expect(compareDecimal(a, b)).toBe(expected));
  it.each<[string, string]>([
    ['P2D', '2025-03-12T09:00:00.000Z'],
    ['PT4H', '2025-03-10T13:00:00.000Z'],
    ['P1DT12H', '2025-03-11T21:00:00.000Z'],
    ['P1W', '2025-03-17T09:00:00.000Z'],
    ['PT90M', '2025-03-10T10:30:00.000Z'],
  ])('adds %s', (duration, expected) => expect(addDuration(T0, duration)).toBe(expected));
});
