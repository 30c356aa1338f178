import { documentTypeSchema } from '../documents/content';
import { workflowsEventCatalogue } from './catalogue';
import { durationMinutes, workflowDefinitionSchema } from './definitions';
import { startWorkflowBodySchema } from './instances';

const definition = {
  key: 'transaction-approval',
  version: 1,
  steps: [{ name: 'approve', assignee: { role: 'approver' }, condition: { amountAtLeast: '10000.00' }, dueDuration: 'P2D', onReject: 'reject_workflow' }],
  escalationRole: 'admin',
};

function codesOf(value: unknown): string[] {
  const result = workflowDefinitionSchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => (issue.code === 'custom' ? String(issue.params?.code) : issue.code));
}

describe('due durations', () => {
  it.each<[string, number | null]>([
    ['P2D', 2880],
    ['PT4H', 240],
    ['P1DT12H', 2160],
    ['P1W', 10080],
    ['PT30M', 30],
    ['P1M', null],
    ['P1Y', null],
    ['P', null],
    ['PT', null],
    ['P1DT', null],
    ['2D', null],
    ['P1.5D', null],
  ])('%s is %s minutes', (duration, minutes) => expect(durationMinutes(duration)).toBe(minutes));
});

describe('workflow definition schema', () => {
  it('accepts a definition with a role assignee and an amount condition', () => expect(codesOf(definition)).toEqual([]));
  it('accepts a user assignee and a document type condition', () =>
    expect(codesOf({ ...definition, steps: [{ ...definition.steps[0], assignee: { userId: 'u-1' }, condition: { documentType: 'contract' } }] })).toEqual([]));
  it.each<[string, unknown, string]>([
    ['a duration in months', { ...definition, steps: [{ ...definition.steps[0], dueDuration: 'P1M' }] }, 'DUE_DURATION_INVALID'],
    ['a zero duration', { ...definition, steps: [{ ...definition.steps[0], dueDuration: 'PT0M' }] }, 'DUE_DURATION_INVALID'],
    ['duplicate step names', { ...definition, steps: [definition.steps[0], definition.steps[0]] }, 'STEP_NAMES_NOT_UNIQUE'],
    ['a negative threshold', { ...definition, steps: [{ ...definition.steps[0], condition: { amountAtLeast: '-1' } }] }, 'AMOUNT_NOT_POSITIVE'],
    ['an assignee with both role and user', { ...definition, steps: [{ ...definition.steps[0], assignee: { role: 'approver', userId: 'u' } }] }, 'unrecognized_keys'],
    ['an unknown member', { ...definition, owner: 'x' }, 'unrecognized_keys'],
    ['an upper-case key', { ...definition, key: 'Approval' }, 'invalid_string'],
    ['version 0', { ...definition, version: 0 }, 'too_small'],
  ])('refuses %s', (_name, value, code) => expect(codesOf(value)).toContain(code));
});

describe('start body', () => {
  it('defaults facts to {} and refuses a hash that is not SHA-256 hex', () => {
    const body = { workflowId: 'wf-1', definitionKey: 'contract-review', subject: { kind: 'document', id: 'd-1' }, subjectHash: 'a'.repeat(64), startedBy: 'alice' };
    expect(startWorkflowBodySchema.parse(body).facts).toEqual({});
    expect(startWorkflowBodySchema.safeParse({ ...body, subjectHash: 'A'.repeat(64) }).success).toBe(false);
  });
});

describe('workflows event catalogue', () => {
  it.each(Object.keys(workflowsEventCatalogue))('%s is a valid event type with schema version 1', (type) => {
    expect(type).toMatch(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/);
    expect(workflowsEventCatalogue[type as keyof typeof workflowsEventCatalogue].schemaVersion).toBe(1);
  });
  it('knows every document type used by conditions', () => expect(documentTypeSchema.options).toContain('contract'));
});
