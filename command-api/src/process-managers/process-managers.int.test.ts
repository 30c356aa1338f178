import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalFileStore, PostgresEventStore } from '@neuroerp/infra';
import { documents as documentsWire, type RecordedEvent } from '@neuroerp/schemas';
import type { CommandContext } from '../command-handling';
import { DocumentCommands } from '../documents/commands';
import { createDocumentsCommandHandler } from '../documents/streams';
import { LedgerCommands } from '../ledger/commands';
import { createLedgerCommandHandler } from '../ledger/handler';
import { dropSchema, openCompany, testDatabaseUrl, uniqueSchema } from '../ledger/test-support';
import { invoiceTransactionId } from './invoice-to-transaction';
import { createProcessManagerRuntime, PROCESS_MANAGERS_RUNTIME } from './process-managers';
import type { ProcessManagerRuntime } from './runtime';
import { PostgresProcessManagerStore, type ProcessManagerStore } from './store';
import { approvalWorkflowId, type WorkflowStarter, type WorkflowStartInput, type WorkflowStartMetadata } from './transaction-approval';

/**
 * The process managers of issue 4 against a real PostgreSQL event store: invoice posted →
 * transaction drafted + submitted and linked → approval workflow requested → (simulated)
 * workflow.completed → transaction approved → posted; causation and correlation chain every
 * event; a restart from an older checkpoint, and a crash mid-way, duplicate nothing.
 */

const WAIT_MS = 15_000;
const CORRELATION_ID = 'corr-invoice-1';
const poster: CommandContext = { actor: { userId: 'alice', role: 'accountant' }, correlationId: CORRELATION_ID, requestId: null };

/** The workflow engine's stand-in: records every start, knows each workflow id once, can be made to fail. */
class FakeWorkflowStarter implements WorkflowStarter {
  readonly calls: { input: WorkflowStartInput; metadata: WorkflowStartMetadata }[] = [];
  readonly started = new Map<string, { input: WorkflowStartInput; metadata: WorkflowStartMetadata }>();
  failNext = false;

  start(input: WorkflowStartInput, metadata: WorkflowStartMetadata): Promise<void> {
    this.calls.push({ input, metadata });
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('workflow engine unavailable'));
    }
    if (!this.started.has(input.workflowId)) this.started.set(input.workflowId, { input, metadata });
    return Promise.resolve();
  }
}

interface Bed {
  schema: string;
  store: PostgresEventStore;
  persistence: PostgresProcessManagerStore;
  ledger: LedgerCommands;
  documents: DocumentCommands;
  workflows: FakeWorkflowStarter;
  runtimes: ProcessManagerRuntime[];
  close(): Promise<void>;
}

async function testBed(purpose: string, approvalThreshold: string): Promise<Bed> {
  const schema = uniqueSchema(purpose);
  const store = await PostgresEventStore.connect({ connectionString: testDatabaseUrl(), schema });
  const persistence = await PostgresProcessManagerStore.connect({ connectionString: testDatabaseUrl(), schema });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-pm-'));
  const files = await LocalFileStore.open(dir);
  const ledger = new LedgerCommands(createLedgerCommandHandler(store));
  const documents = new DocumentCommands(createDocumentsCommandHandler(store), files);
  await openCompany(ledger, 'acme', 2025, approvalThreshold);
  const runtimes: ProcessManagerRuntime[] = [];
  return {
    schema,
    store,
    persistence,
    ledger,
    documents,
    workflows: new FakeWorkflowStarter(),
    runtimes,
    close: async () => {
      for (const runtime of runtimes) await runtime.stop().catch(() => undefined);
      await persistence.close();
      await store.close();
      await files.close();
      await rm(dir, { recursive: true, force: true });
      await dropSchema(schema);
    },
  };
}

/** A runtime as a (re)started process builds it: fresh command handlers and caches. */
async function startRuntime(bed: Bed, persistence: ProcessManagerStore = bed.persistence): Promise<ProcessManagerRuntime> {
  const runtime = createProcessManagerRuntime({ store: bed.store, persistence, workflows: bed.workflows });
  bed.runtimes.push(runtime);
  await runtime.start();
  return runtime;
}

async function allEvents(bed: Bed): Promise<RecordedEvent[]> {
  return bed.store.readAll({ fromPosition: 'start', maxCount: 10_000 });
}

async function createAndPostInvoice(bed: Bed, documentId: string, type: 'sales_invoice' | 'purchase_invoice'): Promise<RecordedEvent> {
  await bed.documents.create(poster, { documentId, type, content: documentsWire.exampleInvoiceContent });
  await bed.documents.post(poster, { documentId, companyId: 'acme' }, undefined);
  const events = await bed.store.readStream(`documents.document-${documentId}`, { maxCount: 10 });
  const posted = events.find((event) => event.type === 'documents.document_posted');
  if (posted === undefined) throw new Error('no documents.document_posted event');
  return posted;
}

/** What the workflow engine will append when the last step decides (simulated here). */
async function completeWorkflow(bed: Bed, start: { input: WorkflowStartInput; metadata: WorkflowStartMetadata }, decision: { outcome: 'approved' | 'rejected'; by: string; reason?: string; approvedHash?: string }) {
  const { input, metadata } = start;
  await bed.store.appendToStream(
    `workflows.instance-${input.workflowId}`,
    [
      {
        eventId: randomUUID(),
        type: 'workflow.completed',
        schemaVersion: 1,
        data: {
          workflowId: input.workflowId,
          definitionKey: input.definitionKey,
          definitionVersion: 1,
          subject: input.subject,
          outcome: decision.outcome,
          reason: decision.reason ?? 'all steps approved',
          approvedHash: decision.outcome === 'approved' ? (decision.approvedHash ?? input.subjectHash) : null,
          completedBy: decision.by,
          completedAt: '2025-03-12T10:00:00.000Z',
        },
        metadata: {
          actor: { userId: decision.by, role: 'approver' },
          correlationId: metadata.correlationId,
          causationId: metadata.causationId,
          occurredAt: '2025-03-12T10:00:00.000Z',
          requestId: null,
        },
      },
    ],
    { expectedVersion: 'any' },
  );
}

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

describe('invoice → transaction → approval workflow → posted', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await testBed('pm_flow', '100.00');
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('books a posted sales invoice, asks for approval above the threshold, approves and posts it on completion, chaining every event', async () => {
    const runtime = await startRuntime(bed);
    const posted = await createAndPostInvoice(bed, 'invoice-1', 'sales_invoice');
    await runtime.settle(WAIT_MS);

    const transactionId = invoiceTransactionId(posted.eventId);
    expect((await bed.documents.get('invoice-1')).resource).toMatchObject({ transactionId, posting: { companyId: 'acme', version: 1 } });
    const submitted = await bed.ledger.getTransaction(transactionId);
    expect(submitted?.resource).toMatchObject({ status: 'submitted', type: 'sales_invoice', submittedBy: 'alice', linkedDocumentIds: ['invoice-1'], postingDate: '2025-03-10' });
    expect(submitted?.resource.lines.map((line) => [line.accountNumber, line.side, line.amount])).toEqual([
      ['1400', 'debit', '410.50'],
      ['8400', 'credit', '350.00'],
      ['1776', 'credit', '57.00'],
      ['1771', 'credit', '3.50'],
    ]);

    const submittedEvent = (await bed.store.readStream(`ledger.transaction-${transactionId}`, { maxCount: 10 }))[1] as RecordedEvent;
    expect(submittedEvent.type).toBe('ledger.transaction_submitted');
    expect([...bed.workflows.started.values()]).toEqual([
      {
        input: {
          workflowId: approvalWorkflowId(submittedEvent.eventId),
          definitionKey: 'transaction-approval',
          subject: { kind: 'transaction', id: transactionId },
          startedBy: 'alice',
          facts: { amount: '410.50' },
          subjectHash: submitted?.resource.draftHash,
        },
        metadata: { causationId: submittedEvent.eventId, correlationId: CORRELATION_ID, actor: { userId: 'alice', role: 'accountant' }, commandId: expect.any(String) },
      },
    ]);

    const [start] = [...bed.workflows.started.values()];
    if (start === undefined) throw new Error('no workflow started');
    await completeWorkflow(bed, start, { outcome: 'approved', by: 'bob' });
    await runtime.settle(WAIT_MS);

    const done = await bed.ledger.getTransaction(transactionId);
    expect(done?.resource).toMatchObject({ status: 'posted', approvedBy: 'bob', approvedHash: start.input.subjectHash, posting: { period: 3, voucherNumber: 1 } });
    expect(causationChain(await allEvents(bed), CORRELATION_ID)).toEqual([
      ['documents.document_created', null],
      ['documents.document_posted', null],
      ['ledger.transaction_drafted', 'documents.document_posted'],
      ['ledger.transaction_submitted', 'documents.document_posted'],
      ['documents.transaction_linked', 'documents.document_posted'],
      ['workflow.completed', 'ledger.transaction_submitted'],
      ['ledger.transaction_approved', 'workflow.completed'],
      ['ledger.transaction_posted', 'ledger.transaction_approved'],
    ]);
    const postedEvent = (await allEvents(bed)).find((event) => event.type === 'ledger.transaction_posted');
    expect(postedEvent?.metadata.actor).toEqual({ userId: 'bob', role: 'approver' });
    expect(await bed.persistence.refusals(PROCESS_MANAGERS_RUNTIME)).toEqual([]);
    // Events nobody reacts to are checkpointed in bulk, and at the latest on stop.
    await runtime.stop();
    expect(await bed.persistence.loadCheckpoint(PROCESS_MANAGERS_RUNTIME)).toBe((await allEvents(bed)).at(-1)?.globalPosition);
  });

  it('restarted from an older checkpoint, reacts to everything again and duplicates nothing', async () => {
    const before = await allEvents(bed);
    const postedEvent = before.find((event) => event.type === 'documents.document_posted') as RecordedEvent;
    const startsBefore = bed.workflows.calls.length;
    // A process that crashed after acting on every event but before checkpointing any of them.
    const older: ProcessManagerStore = {
      loadCheckpoint: () => Promise.resolve(postedEvent.globalPosition - 1n),
      saveCheckpoint: (runtime, position) => bed.persistence.saveCheckpoint(runtime, position),
      recordRefusal: (refusal) => bed.persistence.recordRefusal(refusal),
      refusals: (runtime) => bed.persistence.refusals(runtime),
      close: () => Promise.resolve(),
    };
    const runtime = await startRuntime(bed, older);
    await runtime.settle(WAIT_MS);
    await runtime.stop();

    expect((await allEvents(bed)).map((event) => event.eventId)).toEqual(before.map((event) => event.eventId));
    // The submission is approved now, so the workflow is not asked for again; and it would be the same workflow id.
    expect(bed.workflows.calls.length).toBe(startsBefore);
    expect(bed.workflows.started.size).toBe(1);
    expect(await bed.persistence.refusals(PROCESS_MANAGERS_RUNTIME)).toEqual([]);
  });
});

describe('below the threshold, rejection, maker = checker', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await testBed('pm_paths', '1000.00');
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('books a purchase invoice at or below the threshold and posts it without a workflow', async () => {
    const runtime = await startRuntime(bed);
    const posted = await createAndPostInvoice(bed, 'purchase-1', 'purchase_invoice');
    await runtime.settle(WAIT_MS);
    await runtime.stop();

    const transaction = await bed.ledger.getTransaction(invoiceTransactionId(posted.eventId));
    expect(transaction?.resource).toMatchObject({ status: 'posted', type: 'purchase_invoice', approvedBy: null, linkedDocumentIds: ['purchase-1'] });
    expect(transaction?.resource.lines.map((line) => [line.accountNumber, line.side, line.amount])).toEqual([
      ['3400', 'debit', '350.00'],
      ['1576', 'debit', '57.00'],
      ['1571', 'debit', '3.50'],
      ['1600', 'credit', '410.50'],
    ]);
    expect(bed.workflows.calls).toEqual([]);
  });

  it('a rejected workflow returns the transaction to draft with the reason; a decision by the submitter is refused and recorded', async () => {
    const big = { ...documentsWire.exampleInvoiceContent, lines: [{ description: 'Anlage', quantity: '1', unitPrice: '5000.00', netAmount: '5000.00', taxRate: '19', taxAmount: '950.00' }], netTotal: '5000.00', taxTotal: '950.00', grossTotal: '5950.00' };
    const runtime = await startRuntime(bed);
    await bed.documents.create(poster, { documentId: 'sales-big', type: 'sales_invoice', content: big });
    await bed.documents.post(poster, { documentId: 'sales-big', companyId: 'acme', postingDate: '2025-03-31' }, undefined);
    await runtime.settle(WAIT_MS);
    const [start] = [...bed.workflows.started.values()];
    if (start === undefined) throw new Error('no workflow started');
    expect(start.input.facts).toEqual({ amount: '5950.00' });
    const transactionId = start.input.subject.id;

    await completeWorkflow(bed, start, { outcome: 'approved', by: 'alice' });
    await runtime.settle(WAIT_MS);
    expect((await bed.ledger.getTransaction(transactionId))?.resource.status).toBe('submitted');
    expect((await bed.persistence.refusals(PROCESS_MANAGERS_RUNTIME)).map((refusal) => [refusal.processManager, refusal.eventType, refusal.code])).toEqual([
      ['transaction-approval', 'workflow.completed', 'APPROVER_IS_SUBMITTER'],
    ]);

    await completeWorkflow(bed, start, { outcome: 'rejected', by: 'bob', reason: 'Leistungszeitraum fehlt' });
    await runtime.settle(WAIT_MS);
    const rejected = await bed.ledger.getTransaction(transactionId);
    expect(rejected?.resource).toMatchObject({ status: 'draft', submittedBy: null, rejection: { rejectedBy: 'bob', reason: 'Leistungszeitraum fehlt' } });
    const rejectedEvent = (await allEvents(bed)).find((event) => event.type === 'ledger.transaction_rejected');
    expect(rejectedEvent?.metadata).toMatchObject({ correlationId: CORRELATION_ID, actor: { userId: 'bob' }, reason: 'Leistungszeitraum fehlt' });

    // Resubmitted: a new workflow for the new submission; the old workflow no longer decides anything.
    await bed.ledger.submitTransaction({ ...poster, correlationId: 'corr-resubmit' }, transactionId, undefined);
    await runtime.settle(WAIT_MS);
    expect(bed.workflows.started.size).toBe(2);
    await completeWorkflow(bed, start, { outcome: 'rejected', by: 'bob', reason: 'late duplicate' });
    await runtime.settle(WAIT_MS);
    expect((await bed.ledger.getTransaction(transactionId))?.resource.status).toBe('submitted');
    expect((await bed.persistence.refusals(PROCESS_MANAGERS_RUNTIME)).map((refusal) => refusal.code)).toEqual(['APPROVER_IS_SUBMITTER', 'WORKFLOW_SUPERSEDED']);
    await runtime.stop();
  });
});

describe('a crash in the middle of a reaction', () => {
  let bed: Bed;
  beforeAll(async () => {
    bed = await testBed('pm_crash', '100.00');
  });
  afterAll(async () => {
    await bed?.close();
  });

  it('stops the runtime; the restarted runtime resumes from its checkpoint without duplicating commands or events', async () => {
    bed.workflows.failNext = true;
    const crashing = await startRuntime(bed);
    const posted = await createAndPostInvoice(bed, 'invoice-crash', 'sales_invoice');
    await expect(crashing.done).rejects.toThrow('workflow engine unavailable');
    const transactionId = invoiceTransactionId(posted.eventId);
    // The invoice was booked before the crash, the workflow not yet requested.
    expect((await bed.ledger.getTransaction(transactionId))?.resource.status).toBe('submitted');
    expect(bed.workflows.started.size).toBe(0);
    const eventsAtCrash = await allEvents(bed);

    const restarted = await startRuntime(bed);
    await restarted.settle(WAIT_MS);
    expect(bed.workflows.calls.map((call) => call.input.workflowId)).toEqual([start().input.workflowId, start().input.workflowId]);
    expect(bed.workflows.started.size).toBe(1);
    // Nothing appended by the restart: the booking was done, only the workflow request was missing.
    expect((await allEvents(bed)).map((event) => event.eventId)).toEqual(eventsAtCrash.map((event) => event.eventId));

    await completeWorkflow(bed, start(), { outcome: 'approved', by: 'bob' });
    await restarted.settle(WAIT_MS);
    await restarted.stop();
    expect((await bed.ledger.getTransaction(transactionId))?.resource.status).toBe('posted');
    const types = (await allEvents(bed)).map((event) => event.type);
    for (const type of ['ledger.transaction_drafted', 'ledger.transaction_submitted', 'documents.transaction_linked', 'ledger.transaction_approved', 'ledger.transaction_posted']) {
      expect([type, types.filter((candidate) => candidate === type).length]).toEqual([type, 1]);
    }

    function start() {
      const [first] = [...bed.workflows.started.values()];
      if (first === undefined) throw new Error('no workflow started');
      return first;
    }
  });
});
