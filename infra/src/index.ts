export * from './event-store';
export { PostgresEventStore, type PostgresEventStoreOptions } from './event-store/postgres/postgres-event-store';
export { migrateEventStore } from './event-store/postgres/migrations';
export * from './embedded-postgres';
export { EsdbEventStore, computeStreamEventHash, findStreamChainBreak, type EsdbEventStoreOptions, type StreamChainBreak } from './event-store/esdb/esdb-event-store';
export * from './idempotency';
export { migrateSchema, assertSchemaName, type SchemaMigration } from './postgres-migrations';
export * from './file-store';
export * from './backup';
