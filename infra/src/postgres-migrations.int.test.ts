import pg from 'pg';
import { migrateSchema, type SchemaMigration } from './postgres-migrations';
import { testDatabaseUrl, uniqueSchema } from './event-store/postgres/test-database';

const migrations: SchemaMigration[] = [
  {
    name: '001_notes',
    up: async (db, schema) => {
      await db.schema.withSchema(schema).createTable('notes', (table) => {
        table.increments('id');
        table.text('body').notNullable();
      });
    },
  },
];

describe('migrateSchema', () => {
  const schema = uniqueSchema('migrate');
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await admin.query(`drop schema if exists "${schema}" cascade`);
    await admin.end();
  });

  it('lets processes that start at once take turns: every one succeeds and each migration runs once', async () => {
    // Without the advisory lock, the losers fail creating knex's bookkeeping table ("already exists").
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => migrateSchema(testDatabaseUrl(), schema, migrations, 'notes_migrations')),
    );
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const { rows } = await admin.query<{ name: string }>(`select name from "${schema}".notes_migrations`);
    expect(rows.map((row) => row.name)).toEqual(['001_notes']);
  });
});
