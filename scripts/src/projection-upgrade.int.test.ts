import { randomBytes, randomUUID } from 'node:crypto';
import pino from 'pino';
import { dropSchemasWithPrefix, eventually, PostgresEventStore } from '@neuroerp/infra';
import { openReadModelDatabase, readActiveTableSet, type Projection } from '@neuroerp/projections';
import { ProjectionService } from './projections';

const connectionString = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `test_projupg_${randomBytes(4).toString('hex')}`;
const silent = pino({ level: 'silent' });
const STREAM = 'ledger.upgrade_probe-1';

function noted(index: number) {
  return {
    eventId: randomUUID(),
    type: 'test.noted',
    schemaVersion: 1,
    data: { index },
    metadata: { actor: { userId: 'tester', role: 'admin' }, correlationId: `c-${index}`, causationId: null, occurredAt: '2026-01-05T10:00:00.000Z', requestId: null },
  };
}

/** Version 1 keeps the index of every noted event; version 2 also its square (a release that changed the table). */
function probe(version: number, applyDelayMs = 0): Projection {
  return {
    name: 'upgrade_probe',
    version,
    handles: ['test.noted'],
    tables: [{ name: 'notes', orderBy: ['index'] }],
    async createTables(tx, tableSchema) {
      await tx.raw(`create table "${tableSchema}".notes (index integer primary key${version >= 2 ? ', square integer not null' : ''})`);
    },
    async apply(events, { tx, schema: tableSchema }) {
      await new Promise((resolve) => setTimeout(resolve, applyDelayMs));
      for (const event of events) {
        const index = (event.data as { index: number }).index;
        if (version >= 2) await tx.raw(`insert into "${tableSchema}".notes (index, square) values (?, ?)`, [index, index * index]);
        else await tx.raw(`insert into "${tableSchema}".notes (index) values (?)`, [index]);
      }
    },
  };
}

const reveal = async (): Promise<never> => {
  throw new Error('this test appends no personal data');
};

async function open(store: PostgresEventStore, version: number, applyDelayMs = 0): Promise<ProjectionService> {
  return ProjectionService.open({ connectionString, eventStoreSchema: schema, store, reveal, logger: silent, projections: [probe(version, applyDelayMs)] });
}

describe('a projection whose version went up', () => {
  let store: PostgresEventStore;
  const services: ProjectionService[] = [];

  beforeAll(async () => {
    store = await PostgresEventStore.connect({ connectionString, schema, subscriptionPollMs: 100 });
  });
  afterAll(async () => {
    for (const service of services) await service.close();
    await store.close();
    await dropSchemasWithPrefix(schema, connectionString);
  });

  it('is built by one of the starting processes from the log and switched to (a stop meanwhile drops the half-built tables); every runner goes on with it, and the old tables are dropped', async () => {
    await store.appendToStream(STREAM, [1, 2, 3].map(noted), { expectedVersion: 'no_stream' });
    const old = await open(store, 1);
    old.startRunners();
    const controlSchema = old.controlSchema;
    await eventually('version 1 caught up', async () => (await old.status())[0]?.position, (position) => position === '3');
    await old.close();

    // A stop while the new version is being built: the build stops, its tables go, version 1 stays active.
    const stopped = await open(store, 2, 500);
    stopped.startRunners();
    await eventually('version 2 being built', async () => (await stopped.status())[0]?.building ?? [], (building) => building.length === 1);
    await stopped.close();
    const check = openReadModelDatabase(connectionString, 2);
    try {
      expect(await readActiveTableSet(check, controlSchema, 'upgrade_probe')).toMatchObject({ version: 1 });
      const tableSets = await check.raw(`select version, build, state from "${controlSchema}".projection_checkpoints where name = 'upgrade_probe' order by version, build`);
      expect(tableSets.rows).toEqual([{ version: 1, build: 1, state: 'live' }]);
      const schemas = await check.raw(`select nspname from pg_namespace where starts_with(nspname, ?) order by 1`, [`${controlSchema}_upgrade_probe_`]);
      expect(schemas.rows).toEqual([{ nspname: `${controlSchema}_upgrade_probe_v1_b1` }]);
    } finally {
      await check.destroy();
    }

    await store.appendToStream(STREAM, [4, 5].map(noted), { expectedVersion: 2 });
    // Two replicas of the new release start at once.
    const replicas = [await open(store, 2), await open(store, 2)];
    services.push(...replicas);
    for (const replica of replicas) replica.startRunners();

    const active = await eventually('version 2 active', () => readActiveTableSet(replicas[0]!.db, controlSchema, 'upgrade_probe'), (tableSet) => tableSet?.version === 2);
    await store.appendToStream(STREAM, [6].map(noted), { expectedVersion: 4 });
    const rows = await eventually(
      'all notes in version 2',
      async () => (await replicas[0]!.db.raw(`select index, square from "${active?.schema}".notes order by index`)).rows as { index: number; square: number }[],
      (notes) => notes.length === 6,
    );
    expect(rows).toEqual([1, 2, 3, 4, 5, 6].map((index) => ({ index, square: index * index })));
    // Exactly one build of version 2 (the lock kept the second replica from building its own); version 1 dropped.
    const builds = await eventually(
      'version 1 dropped',
      async () => (await replicas[0]!.db.raw(`select version, build from "${controlSchema}".projection_checkpoints where name = 'upgrade_probe' order by version, build`)).rows as unknown[],
      (rows) => rows.length === 1,
    );
    expect(builds).toEqual([{ version: 2, build: 1 }]);
    const schemas = await replicas[0]!.db.raw(`select nspname from pg_namespace where nspname like ? order by 1`, [`${controlSchema}_upgrade_probe_%`]);
    expect(schemas.rows).toEqual([{ nspname: active?.schema }]);
    for (const replica of replicas) {
      const [status] = await eventually('runner on version 2', () => replica.status(), (statuses) => statuses[0]?.state === 'running');
      expect(status).toMatchObject({ version: 2, active: { version: 2 }, position: '6', state: 'running', building: [] });
    }
  });
});
