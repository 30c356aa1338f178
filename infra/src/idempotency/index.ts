export * from './port';
export { PostgresIdempotencyStore, migrateIdempotencyStore, type PostgresIdempotencyStoreOptions } from './postgres-idempotency-store';
