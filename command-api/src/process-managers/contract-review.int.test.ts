import { workflows as workflowDomain } from '@neuroerp/domains';
import { PostgresEventStore, type FileStore } from '@neuroerp/infra';
import { documents as documentsWire, type RecordedEvent } from '@neuroerp/schemas';
import type { CommandContext } from '../command-handling';
import { DocumentCommands } from '../documents/commands';
import { documentContentHash } from '../documents/hash';
import { createDocumentsCommandHandler } from '../documents/streams';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../ledger/test-support';
import { WorkflowCommands } from '../workflows/commands';
import { createWorkflowsCommandHandler } from '../workflows/streams';
import { contractReviewWorkflowId } from './contract-review';
import { createProcessManagerRuntime, PROCESS_MANAGERS_RUNTIME } from './process-managers';
import type { ProcessManagerRuntime } from './runtime';
import { PostgresProcessManagerStore, type ProcessManagerStore } from './store';
import { workflowEngineStarter } from './workflow-starter';

/**
 * Contract → review workflow → recorded review, against a real PostgreSQL event store and the
 * real workflow engine: creating a contract starts `contract-review` (accounting, then an
 * admin); its completion is recorded on the document; causation and correlation chain the
 * events; a restart from an older checkpoint duplicates nothing.
 */

const WAIT_MS = 15_000;
const CORRELATION_ID = 'corr-contract-1';
const creator: CommandContext = { actor: { userId: 'alice', role: 'user' }, correlationId: CORRELATION_ID, requestId: null };
const accountant: CommandContext = { actor: { userId: 'bob', role: 'accountant' }, correlationId: 'corr-review-bob', requestId: null };
const admin: CommandContext = { actor: { userId: 'carol', role: 'admin' }, correlationId: 'corr-review-carol', requestId: null };
const systemContext: CommandContext = { actor: { userId: 'system', role: 'admin' }, correlationId: 'startup', requestId: null };

const NO_FILES: FileStore = {
  description: 'none',
  put: () => Promise.reject(new Error('no files in this test')),
  get: () => Promise.reject(new Error('no files in this test')),
  close: () => Promise.resolve(),
};

/** [type, type of the event it was caused by] for every event of a correlation, in log order. */
function causationChain(events: readonly RecordedEvent[], correlationId: string): [string, string | null][] {
  const byId = new Map(events.map((event) => [event.eventId, event]));
  return events
    .filter((event) => event.metadata.correlationId === correlationId)
    .map((event) => {
      const causationId = event.metadata.causationId;
      if (causationId === null) return [event.type, null];
      const cause = byId.get(causationId);
      if (cause === undefined) throw new Error(`${event.type} ${event.eventId} is caused by ${causationId}, which is not in the log`);
      if (cause.globalPosition >= event.globalPosition) throw new Error(`${event.type} is caused by a later event`);
      return [event.type, cause.type];
    });
}

describe('contract → review workflow → recorded review', () => {
  const schema = uniqueSchema('pm_contract');
  let store: PostgresEventStore;
  let persistence: PostgresProcessManagerStore;
  let documents: DocumentCommands;
  let workflows: WorkflowCommands;
  const runtimes: ProcessManagerRuntime[] = [];

  beforeAll(async () => {
    store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
    persistence = await PostgresProcessManagerStore.connect({ connectionString: testDatabaseUrl(), schema });
    documents = new DocumentCommands(createDocumentsCommandHandler(store), NO_FILES);
    workflows = new WorkflowCommands(createWorkflowsCommandHandler(store));
    // As the server does at start-up.
    for (const definition of workflowDomain.DEFAULT_WORKFLOW_DEFINITIONS) await workflows.publishDefinition(systemContext, definition);
  });
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.stop().catch(() => undefined);
    await persistence?.close();
    await store?.close();
    await dropSchema(schema);
  });

  async function startRuntime(checkpoints: ProcessManagerStore = persistence): Promise<ProcessManagerRuntime> {
    const runtime = createProcessManagerRuntime({ store, persistence: checkpoints, workflows: workflowEngineStarter(store) });
    runtimes.push(runtime);
    await runtime.start();
    return runtime;
  }

  const allEvents = () => store.readAll({ fromPosition: 'start', maxCount: 10_000 });

  it('starts a review for a created contract, approved by an accountant then an admin, and records the outcome on the document', async () => {
    const runtime = await startRuntime();
    // Other document types start no review. Created first: the runtime reacts to the contract at once, so an order
    // created after it could land before or after the workflow's events (the chain below fixes their order).
    await documents.create(creator, { documentId: 'order-1', type: 'order', content: documentsWire.exampleOrderContent });
    await documents.create(creator, { documentId: 'contract-1', type: 'contract', content: documentsWire.exampleContractContent });
    await runtime.settle(WAIT_MS);

    const createdEvent = (await store.readStream('documents.document-contract-1', { maxCount: 10 }))[0] as RecordedEvent;
    expect(createdEvent.type).toBe('documents.document_created');
    const workflowId = contractReviewWorkflowId(createdEvent.eventId);
    const content = (await documents.get('contract-1')).resource.content;
    const instance = await workflows.instance(workflowId);
    expect(instance.state.started).toMatchObject({
      definitionKey: 'contract-review',
      subject: { kind: 'document', id: 'contract-1' },
      subjectHash: documentContentHash(content),
      startedBy: 'alice',
      facts: { documentType: 'contract' },
    });
    expect(instance.state.status).toBe('running');
    expect((await allEvents()).filter((event) => event.type === 'workflow.started')).toHaveLength(1);
    expect((await documents.get('contract-1')).resource.review).toBeNull();

    // The creator may approve no step of their own contract.
    const subjectHash = documentContentHash(content);
    await expect(workflows.approve({ ...creator, actor: { userId: 'alice', role: 'accountant' } }, workflowId, 'accounting-review', { subjectHash })).rejects.toMatchObject({
      code: 'APPROVER_IS_SUBMITTER',
    });
    await workflows.approve({ ...accountant, correlationId: CORRELATION_ID }, workflowId, 'accounting-review', { subjectHash });
    await runtime.settle(WAIT_MS);
    expect((await documents.get('contract-1')).resource.review).toBeNull();
    await workflows.approve({ ...admin, correlationId: CORRELATION_ID }, workflowId, 'management-approval', { subjectHash, comment: 'ok' });
    await runtime.settle(WAIT_MS);

    const completed = (await allEvents()).find((event) => event.type === 'workflow.completed') as RecordedEvent;
    const { resource } = await documents.get('contract-1');
    expect(resource.review).toEqual({ workflowId, outcome: 'approved', reason: workflowDomain.REASON_ALL_STEPS_APPROVED, decidedBy: 'carol', at: expect.any(String) });
    expect(resource.version).toBe(1);
    const recorded = (await allEvents()).find((event) => event.type === 'documents.review_recorded') as RecordedEvent;
    expect(recorded.data).toMatchObject({ documentId: 'contract-1', workflowId, outcome: 'approved', decidedBy: 'carol', approvedHash: subjectHash, recordedBy: 'carol' });
    expect(recorded.metadata).toMatchObject({ causationId: completed.eventId, correlationId: CORRELATION_ID, actor: { userId: 'carol', role: 'admin' } });

    expect(causationChain(await allEvents(), CORRELATION_ID)).toEqual([
      ['documents.document_created', null],
      ['documents.document_created', null],
      ['workflow.started', 'documents.document_created'],
      ['workflow.step_assigned', 'documents.document_created'],
      ['workflow.step_approved', null],
      ['workflow.step_assigned', null],
      ['workflow.step_approved', null],
      ['workflow.completed', null],
      ['documents.review_recorded', 'workflow.completed'],
    ]);
    const started = (await allEvents()).find((event) => event.type === 'workflow.started') as RecordedEvent;
    expect(started.metadata.causationId).toBe(createdEvent.eventId);
    expect(await persistence.refusals(PROCESS_MANAGERS_RUNTIME)).toEqual([]);
    await runtime.stop();
  });

  it('restarted from an older checkpoint, starts no second workflow and records no second review', async () => {
    const before = await allEvents();
    const createdEvent = before.find((event) => event.type === 'documents.document_created') as RecordedEvent;
    // A process that crashed after acting on every event but before checkpointing any of them.
    const older: ProcessManagerStore = {
      loadCheckpoint: () => Promise.resolve(createdEvent.globalPosition - 1n),
      saveCheckpoint: (runtime, position) => persistence.saveCheckpoint(runtime, position),
      recordRefusal: (refusal) => persistence.recordRefusal(refusal),
      refusals: (runtime) => persistence.refusals(runtime),
      close: () => Promise.resolve(),
    };
    const runtime = await startRuntime(older);
    await runtime.settle(WAIT_MS);
    await runtime.stop();

    expect((await allEvents()).map((event) => event.eventId)).toEqual(before.map((event) => event.eventId));
    expect((await documents.load('contract-1')).state.document.reviews).toHaveLength(1);
    expect(await persistence.refusals(PROCESS_MANAGERS_RUNTIME)).toEqual([]);
  });

  it('records a rejection with its reason, caused by the completion', async () => {
    const runtime = await startRuntime();
    await documents.create({ ...creator, correlationId: 'corr-contract-2' }, { documentId: 'contract-2', type: 'contract', content: { ...documentsWire.exampleContractContent, title: 'Mietvertrag' } });
    await runtime.settle(WAIT_MS);
    const createdEvent = (await store.readStream('documents.document-contract-2', { maxCount: 10 }))[0] as RecordedEvent;
    const workflowId = contractReviewWorkflowId(createdEvent.eventId);
    await workflows.reject(accountant, workflowId, 'accounting-review', { reason: 'Haftungsklausel fehlt' });
    await runtime.settle(WAIT_MS);
    await runtime.stop();

    expect((await documents.get('contract-2')).resource.review).toMatchObject({ workflowId, outcome: 'rejected', reason: 'Haftungsklausel fehlt', decidedBy: 'bob' });
    const recorded = (await store.readStream('documents.document-contract-2', { maxCount: 10 })).filter((event) => event.type === 'documents.review_recorded');
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.data).toMatchObject({ approvedHash: null });
    // The rejection was its own request: the recorded review follows the completion's correlation.
    const completed = (await store.readStream(`workflows.instance-${workflowId}`, { maxCount: 10 })).find((event) => event.type === 'workflow.completed');
    expect(recorded[0]?.metadata).toMatchObject({ causationId: completed?.eventId, correlationId: 'corr-review-bob', actor: { userId: 'bob', role: 'accountant' } });
    expect(await persistence.refusals(PROCESS_MANAGERS_RUNTIME)).toEqual([]);
  });
});
