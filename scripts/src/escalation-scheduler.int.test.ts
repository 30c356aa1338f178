import { randomBytes, randomUUID } from 'node:crypto';
import knex from 'knex';
import pino from 'pino';
import { createWorkflowsCommandHandler, WorkflowCommands } from '@neuroerp/command-api';
import { workflows } from '@neuroerp/domains';
import { PostgresEventStore } from '@neuroerp/infra';
import { createTableSet, migrateProjectionControl, ProjectionRunner, workflowsProjection } from '@neuroerp/projections';
import { EscalationScheduler } from './escalation-scheduler';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_escalate_${randomBytes(4).toString('hex')}`;
const controlSchema = `${schema}_rm`;
const db = knex({ client: 'pg', connection: connectionString, pool: { min: 0, max: 4 } });
let store: PostgresEventStore;

afterAll(async () => {
  await store?.close();
  const result = await db.raw(`select nspname from pg_namespace where nspname like ?`, [`${schema}%`]);
  for (const row of result.rows as { nspname: string }[]) await db.raw(`drop schema if exists "${row.nspname}" cascade`);
  await db.destroy();
});

it('escalates an overdue approval step once, from the read model, with the clock passed in', async () => {
  store = await PostgresEventStore.connect({ connectionString, schema });
  await migrateProjectionControl(connectionString, controlSchema);
  let nowMs = Date.parse('2026-11-02T09:00:00Z');
  const clock = () => new Date(nowMs);
  const commands = new WorkflowCommands(createWorkflowsCommandHandler(store, { clock }), { clock });
  const admin = { actor: { userId: 'admin-1', role: 'admin' as const }, correlationId: randomUUID(), requestId: null };
  await commands.publishDefinition(admin, workflows.TRANSACTION_APPROVAL_DEFINITION);
  await commands.start(admin, {
    workflowId: 'wf-overdue',
    definitionKey: 'transaction-approval',
    subject: { kind: 'transaction', id: 'tx-1' },
    subjectHash: 'a'.repeat(64),
    startedBy: 'maker-1',
    facts: { amount: '25000.00' },
  });
  const tableSet = await createTableSet(db, controlSchema, workflowsProjection, true);
  const runner = new ProjectionRunner({ db, controlSchema, store, projection: workflowsProjection });
  const project = async () => runner.catchUp(tableSet, { mode: 'continuous', untilPosition: (await store.readHead()).position });
  await project();

  const scheduler = new EscalationScheduler({ db, controlSchema, commands, logger: pino({ level: 'silent' }), clock });
  expect(await scheduler.runOnce()).toEqual([]); // not due yet (P2D)

  nowMs += 3 * 24 * 60 * 60 * 1000;
  expect(await scheduler.runOnce()).toEqual(['wf-overdue']);
  const events = await store.readStream('workflows.instance-wf-overdue', { maxCount: 100 });
  expect(events.filter((event) => event.type === 'workflow.escalated')).toHaveLength(1);

  await project();
  expect(await scheduler.runOnce()).toEqual([]); // escalated once only
  expect((await store.readStream('workflows.instance-wf-overdue', { maxCount: 100 })).filter((event) => event.type === 'workflow.escalated')).toHaveLength(1);
});
