import { workflows as wire } from '@neuroerp/schemas';
import { DeciderSpecification } from '../testing/decider-spec';
import { CONTRACT_REVIEW_DEFINITION, DEFAULT_WORKFLOW_DEFINITIONS, TRANSACTION_APPROVAL_DEFINITION } from './defaults';
import {
  decideDefinition,
  definitionVersion,
  evolveDefinition,
  initialDefinitionState,
  workflowDefinitionStreamId,
  type WorkflowDefinitionCommand,
  type WorkflowDefinitionEvent,
  type WorkflowDefinitionState,
} from './definition';
import { DomainError } from '../domain-error';
import { WORKFLOWS_ERROR_CODES } from './errors';

const spec = DeciderSpecification.for<WorkflowDefinitionCommand, WorkflowDefinitionEvent, WorkflowDefinitionState>({
  decide: decideDefinition,
  evolve: evolveDefinition,
  initialState: initialDefinitionState,
});

const NOW = '2025-03-10T09:00:00.000Z';
const admin = { actor: { userId: 'root', role: 'admin' }, now: NOW };
const v1 = CONTRACT_REVIEW_DEFINITION;
const v2: wire.WorkflowDefinition = { ...v1, version: 2, steps: [...v1.steps, { name: 'legal', assignee: { userId: 'lena' }, dueDuration: 'PT8H', onReject: 'reject_workflow' }] };
const publish = (definition: unknown): WorkflowDefinitionCommand => ({ type: 'PublishWorkflowDefinition', data: definition as wire.WorkflowDefinition, metadata: admin });
const published = (definition: wire.WorkflowDefinition): WorkflowDefinitionEvent => ({
  type: 'workflow.definition_published',
  data: { key: definition.key, version: definition.version, steps: definition.steps, escalationRole: definition.escalationRole ?? null, publishedBy: 'root', publishedAt: NOW },
});

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('workflow definition decider', () => {
  it('names its stream workflows.definition-<key>', () => expect(workflowDefinitionStreamId('contract-review')).toBe('workflows.definition-contract-review'));
  it('publishes version 1', () => spec.given([]).when(publish(v1)).then([published(v1)]));
  it('publishes version 2 after version 1', () => spec.given([published(v1)]).when(publish(v2)).then([published(v2)]));
  it('records a missing escalation role as null', () => {
    const { escalationRole: _none, ...withoutEscalation } = v1;
    spec.given([]).when(publish(withoutEscalation)).then([{ type: 'workflow.definition_published', data: { ...published(v1).data, escalationRole: null } }]);
  });
  it('repeats the same version without an event (idempotent)', () => spec.given([published(v1), published(v2)]).when(publish(v1)).thenNothingHappened());
  it('ships valid default definitions', () => {
    for (const definition of DEFAULT_WORKFLOW_DEFINITIONS) expect(wire.workflowDefinitionSchema.safeParse(definition).success).toBe(true);
    expect(TRANSACTION_APPROVAL_DEFINITION.steps).toHaveLength(1);
    expect(CONTRACT_REVIEW_DEFINITION.steps.map((step) => step.assignee)).toEqual([{ role: 'accountant' }, { role: 'admin' }]);
  });

  const refusals: [string, WorkflowDefinitionEvent[], unknown, string][] = [
    ['same version with other steps', [published(v1)], { ...v1, steps: [v1.steps[0]] }, 'WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA'],
    ['same version with another escalation role', [published(v1)], { ...v1, escalationRole: 'approver' }, 'WORKFLOW_DEFINITION_EXISTS_WITH_DIFFERENT_DATA'],
    ['a gap in the versions', [published(v1)], { ...v2, version: 3 }, 'WORKFLOW_DEFINITION_VERSION_NOT_NEXT'],
    ['version 2 first', [], v2, 'WORKFLOW_DEFINITION_VERSION_NOT_NEXT'],
    ['a due duration in months', [], { ...v1, steps: [{ ...v1.steps[0], dueDuration: 'P1M' }] }, 'DUE_DURATION_INVALID'],
    ['a due duration as a number', [], { ...v1, steps: [{ ...v1.steps[0], dueDuration: 48 }] }, 'WORKFLOW_DEFINITION_INVALID'],
    ['two steps with one name', [], { ...v1, steps: [v1.steps[0], v1.steps[0]] }, 'STEP_NAMES_NOT_UNIQUE'],
    ['no steps', [], { ...v1, steps: [] }, 'WORKFLOW_DEFINITION_INVALID'],
    ['an unknown role', [], { ...v1, steps: [{ ...v1.steps[0], assignee: { role: 'ceo' } }] }, 'WORKFLOW_DEFINITION_INVALID'],
    ['an unknown onReject', [], { ...v1, steps: [{ ...v1.steps[0], onReject: 'ignore' }] }, 'WORKFLOW_DEFINITION_INVALID'],
  ];
  it.each(refusals)('refuses %s', (_name, given, definition, code) => spec.given(given).when(publish(definition)).thenThrows(code));

  it('covers every definition code between the table above and the lookups below', () => {
    const definitionCodes = Object.keys(WORKFLOWS_ERROR_CODES).filter((code) => code.startsWith('WORKFLOW_DEFINITION_') || code === 'DUE_DURATION_INVALID' || code === 'STEP_NAMES_NOT_UNIQUE');
    const lookups = ['WORKFLOW_DEFINITION_NOT_FOUND', 'WORKFLOW_DEFINITION_VERSION_NOT_FOUND'];
    expect(definitionCodes.filter((code) => !refusals.some((row) => row[3] === code) && !lookups.includes(code))).toEqual([]);
  });

  it('resolves the latest or a named version', () => {
    const state = [published(v1), published(v2)].reduce(evolveDefinition, initialDefinitionState());
    expect(definitionVersion(state, v1.key).version).toBe(2);
    expect(definitionVersion(state, v1.key, 1)).toEqual(v1);
    expect(codeOf(() => definitionVersion(state, v1.key, 3))).toBe('WORKFLOW_DEFINITION_VERSION_NOT_FOUND');
    expect(codeOf(() => definitionVersion(initialDefinitionState(), 'nothing'))).toBe('WORKFLOW_DEFINITION_NOT_FOUND');
  });
});
