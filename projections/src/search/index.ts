export * from './port';
export * from './postgres-search-index';
export * from './elasticsearch-search-index';
export * from './search-projection';
