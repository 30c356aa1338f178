import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  approvalWorkflowId,
  createDocumentsCommandHandler,
  createLedgerCommandHandler,
  createProcessManagerRuntime,
  createWorkflowsCommandHandler,
  DocumentCommands,
  LedgerCommands,
  PostgresProcessManagerStore,
  PROCESS_MANAGERS_RUNTIME,
  transactionSize,
  workflowEngineStarter,
  WorkflowCommands,
  type ProcessManagerRuntime,
} from '@neuroerp/command-api';
import { documents as documentDomain, transactionStreamId } from '@neuroerp/domains';
import { eventually, LocalFileStore, PostgresEventStore } from '@neuroerp/infra';
import { documents as documentsWire } from '@neuroerp/schemas';
import { describeSummary } from './commands/seed';
import { DEMO_COMPANY_ID, DEMO_CONTRACT_REVIEW_WORKFLOW_ID, DEMO_OPENING_BALANCE_ID, demoPlan, seedDemoData, type SeedDependencies } from './demo-data';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_seed_${randomBytes(4).toString('hex')}`;
const TODAY = new Date('2025-09-15T12:00:00Z');
/** How long the process managers get to book the posted invoice documents. */
const PROCESS_MANAGERS_WAIT_MS = 30_000;

let store: PostgresEventStore;
let persistence: PostgresProcessManagerStore;
let files: LocalFileStore;
let filesDir: string;
let runtime: ProcessManagerRuntime;
let dependencies: SeedDependencies;

beforeAll(async () => {
  store = await PostgresEventStore.connect({ connectionString, schema });
  persistence = await PostgresProcessManagerStore.connect({ connectionString, schema });
  filesDir = await mkdtemp(path.join(os.tmpdir(), 'neuroerp-seed-'));
  files = await LocalFileStore.open(filesDir);
  dependencies = {
    store,
    ledger: new LedgerCommands(createLedgerCommandHandler(store)),
    documents: new DocumentCommands(createDocumentsCommandHandler(store), files),
    workflows: new WorkflowCommands(createWorkflowsCommandHandler(store)),
  };
  // As in composeApplication: the process managers run while the seed writes.
  runtime = createProcessManagerRuntime({ store, persistence, workflows: workflowEngineStarter(store) });
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  await persistence?.close();
  await store?.close();
  await files?.close();
  await rm(filesDir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`).finally(() => client.end());
});

const debitMinor = (lines: { side: string; amount: string }[], side: 'debit' | 'credit') =>
  lines.filter((line) => line.side === side).reduce((sum, line) => sum + BigInt(line.amount.replace('.', '')), 0n);

/** The probe's value once it is not null (the process managers got there), within PROCESS_MANAGERS_WAIT_MS. */
async function processManagersReached<T>(probe: () => Promise<T | null>): Promise<T> {
  return (await eventually('the process managers', probe, (value) => value !== null, { timeoutMs: PROCESS_MANAGERS_WAIT_MS, intervalMs: 100 })) as T;
}

describe('the plan', () => {
  const plan = demoPlan(TODAY);

  it('covers the twelve months up to yesterday, in two fiscal years, every transaction balanced', () => {
    expect(plan.months.map((month) => `${month.year}-${month.month}`)).toEqual(['2024-10', '2024-11', '2024-12', ...Array.from({ length: 9 }, (_, index) => `2025-${index + 1}`)]);
    expect(plan.fiscalYears).toEqual([2024, 2025]);
    // 8 in the first month (nothing of a previous month to pay), 11 in each later full month, 6 in September up to the 14th, 4 open items, the opening balance.
    expect(plan.transactions).toHaveLength(8 + 10 * 11 + 6 + 4 + 1);
    for (const { body } of plan.transactions) {
      expect(body.postingDate >= '2024-10-01' && body.postingDate < '2025-09-15').toBe(true);
      expect(debitMinor(body.lines, 'debit')).toBe(debitMinor(body.lines, 'credit'));
    }
    const postingDates = plan.transactions.map(({ body }) => body.postingDate);
    expect(postingDates).toEqual([...postingDates].sort());
    // Every full month has revenue, salaries and VAT on both sides; the dashboard's twelve months are all there.
    for (const { year, month, current } of plan.months.filter((candidate) => !candidate.current)) {
      const key = `${year}-${String(month).padStart(2, '0')}`;
      const ofMonth = plan.transactions.filter(({ body }) => body.postingDate.startsWith(key));
      const accounts = new Set(ofMonth.flatMap(({ body }) => body.lines.map((line) => line.accountNumber)));
      for (const account of ['8400', '1776', '1576', '4120', '4210', '3400', '1400', '1600', '1200']) expect({ key, current, account, booked: accounts.has(account) }).toMatchObject({ booked: true });
    }
    expect(plan.transactions.filter(({ finalState }) => finalState === 'submitted').every(({ needsApproval }) => needsApproval)).toBe(true);
    expect(plan.transactions.filter(({ finalState }) => finalState === 'draft')).toHaveLength(2);
  });

  it('has documents whose content validates and whose attachment is a PDF', () => {
    expect(plan.documents).toHaveLength(2 * 12 + 2 + 2);
    for (const { body, attachment } of plan.documents) {
      expect(documentsWire.documentContentSchemas[body.type].safeParse(body.content).success).toBe(true);
      expect(documentDomain.detectContentType(attachment.bytes.subarray(0, documentDomain.MAGIC_BYTES_LENGTH))).toBe('application/pdf');
      const text = attachment.bytes.toString('latin1');
      expect(text.endsWith('%%EOF\n')).toBe(true);
      // The cross-reference table points at the objects: the PDF is well-formed, not just a header.
      const startXref = Number(/startxref\n(\d+)\n/.exec(text)?.[1]);
      expect(text.slice(startXref, startXref + 4)).toBe('xref');
      const offsets = [...text.slice(startXref).matchAll(/^(\d{10}) 00000 n $/gm)].map((match) => Number(match[1]));
      expect(offsets.map((offset) => text.slice(offset, offset + 8))).toEqual(offsets.map((_, index) => `${index + 1} 0 obj\n`));
    }
    expect(plan.documents.filter((document) => document.post !== undefined).map((document) => document.body.type)).toEqual(['sales_invoice', 'purchase_invoice']);
    expect(plan.documents.filter((document) => document.body.type === 'contract')).toHaveLength(2);
  });

  it('is stable: a later day repeats every earlier transaction unchanged and only adds', () => {
    const later = demoPlan(new Date('2026-01-02T08:00:00Z'));
    const earlier = new Map(plan.transactions.map((planned) => [planned.body.transactionId, planned]));
    const shared = later.transactions.filter((planned) => earlier.has(planned.body.transactionId) && planned.body.transactionId !== DEMO_OPENING_BALANCE_ID);
    expect(shared.length).toBeGreaterThan(50);
    for (const planned of shared) expect(planned.body).toEqual(earlier.get(planned.body.transactionId)?.body);
    expect(later.fiscalYears).toEqual([2025, 2026]);
    // On 2 January only the 1st of the month has bookings in it.
    expect(later.transactions.filter(({ body }) => body.postingDate.startsWith('2026-01')).every(({ body }) => body.postingDate === '2026-01-01')).toBe(true);
    expect(demoPlan(TODAY)).toEqual(plan);
  });
});

it(
  'seeds once: a second run adds nothing, vouchers are gapless, workflows run and complete, attachments read back',
  async () => {
    const plan = demoPlan(TODAY);
    const progress: number[] = [];
    const first = await seedDemoData(dependencies, { today: TODAY, onProgress: (done, total) => progress.push(total - done) });
    expect(progress.at(-1)).toBe(0);
    expect(first).toMatchObject({
      companyId: DEMO_COMPANY_ID,
      fiscalYears: [2024, 2025],
      transactions: { planned: 129, posted: 125, awaitingApproval: 2, drafts: 2 },
      documents: { total: 28, attachments: 28, postedForBooking: 2 },
      // Approved: the opening balance, 11 × salaries, 11 × invoice B and 11 × its payment; running: 2 invoices and the contract review.
      workflows: { running: 3, completed: 34 },
    });
    expect(first.eventsAppended).toBeGreaterThan(500);
    expect(describeSummary(first)).toMatch(/^seeded \d+ events: company valeo-demo-gmbh, fiscal years 2024, 2025; 129 transactions .* 28 documents .* 37 workflows \(3 running, 34 completed\)$/);

    const second = await seedDemoData(dependencies, { today: TODAY });
    expect(second.eventsAppended).toBe(0);
    expect(second).toMatchObject({ transactions: first.transactions, documents: first.documents, workflows: first.workflows });
    expect(describeSummary(second)).toMatch(/^already seeded: /);

    // The process managers book the two posted invoice documents: the small one is posted, the large one waits for approval.
    const [postedSales, postedPurchase] = plan.documents.filter((document) => document.post !== undefined).map((document) => document.body.documentId) as [string, string];
    const linked = async (documentId: string) => (await dependencies.documents.load(documentId)).state.document.transactionId;
    const salesTransaction = await processManagersReached(async () => {
      const transactionId = await linked(postedSales);
      return transactionId === null ? null : (await transactionSize(dependencies.ledger.reader, transactionId))?.posted === true ? transactionId : null;
    });
    expect(salesTransaction).toMatch(/^inv-/);
    const purchaseTransaction = await processManagersReached(() => linked(postedPurchase));
    const submitted = (await store.readStream(transactionStreamId(purchaseTransaction), { maxCount: 100 })).find((event) => event.type === 'ledger.transaction_submitted');
    const processManagerWorkflow = await processManagersReached(async () => {
      const instance = await dependencies.workflows.instance(approvalWorkflowId(submitted?.eventId ?? '')).catch(() => null);
      return instance?.resource ?? null;
    });
    expect(processManagerWorkflow).toMatchObject({ status: 'running', subject: { kind: 'transaction', id: purchaseTransaction } });

    // Gapless vouchers in each fiscal year: the seed's postings and the process manager's one.
    let vouchersTotal = 0;
    for (const year of [2024, 2025]) {
      const events = await store.readStream(`ledger.fiscal_year-${DEMO_COMPANY_ID}-${year}`, { maxCount: 1000 });
      const vouchers = events.filter((event) => event.type === 'ledger.transaction_posted').map((event) => (event.data as { voucherNumber: number }).voucherNumber);
      expect(vouchers.length).toBeGreaterThan(20);
      expect(vouchers).toEqual(Array.from({ length: vouchers.length }, (_, index) => index + 1));
      vouchersTotal += vouchers.length;
    }
    expect(vouchersTotal).toBe(125 + 1);

    // A completed approval: decided by the demo approver, the transaction approved by them and posted.
    const salaries = await transactionSize(dependencies.ledger.reader, 'demo-2025-03-salaries');
    expect(salaries).toMatchObject({ needsApproval: true, posted: true, state: { approvedBy: 'demo-approver', submittedBy: 'demo-accountant' } });
    const salariesSubmitted = (await store.readStream(transactionStreamId('demo-2025-03-salaries'), { maxCount: 100 })).find((event) => event.type === 'ledger.transaction_submitted');
    const completed = await dependencies.workflows.instance(approvalWorkflowId(salariesSubmitted?.eventId ?? ''));
    expect(completed.resource).toMatchObject({ status: 'completed', completion: { outcome: 'approved', completedBy: 'demo-approver' } });
    // Running ones wait for their role: the approver for the large invoices, accounting for the contract.
    const waiting = await transactionSize(dependencies.ledger.reader, 'demo-2025-09-approval-1');
    expect(waiting).toMatchObject({ needsApproval: true, posted: false, state: { status: 'submitted' } });
    const waitingSubmitted = (await store.readStream(transactionStreamId('demo-2025-09-approval-1'), { maxCount: 100 })).find((event) => event.type === 'ledger.transaction_submitted');
    expect((await dependencies.workflows.instance(approvalWorkflowId(waitingSubmitted?.eventId ?? ''))).resource.status).toBe('running');
    expect((await dependencies.workflows.instance(DEMO_CONTRACT_REVIEW_WORKFLOW_ID)).resource.status).toBe('running');

    // Every document with its PDF, readable and verified against its recorded hash.
    for (const planned of plan.documents) {
      const { resource } = await dependencies.documents.get(planned.body.documentId);
      expect(resource.attachments).toHaveLength(1);
      const download = await dependencies.documents.attachment(planned.body.documentId, resource.attachments[0]?.sha256 ?? '');
      expect(download.bytes.equals(planned.attachment.bytes)).toBe(true);
      expect(download.attachment).toMatchObject({ contentType: 'application/pdf', fileName: planned.attachment.fileName });
    }
    // The seed and the process managers agree: nothing they did was refused.
    expect(await persistence.refusals(PROCESS_MANAGERS_RUNTIME)).toEqual([]);
  },
  120_000,
);
