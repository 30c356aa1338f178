export * from './errors';
export * from './master-key-ring';
export { migrateDataKeyStore, PostgresDataKeyStore, type DataKeyLookup, type DataKeyStatus } from './data-key-store';
export { PersonalDataCipher, type DataKeys } from './personal-data-cipher';
export { PersonalDataEventStore } from './personal-data-event-store';
