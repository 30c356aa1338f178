export * from './fiscal-year';
export * from './calendar';
export * from './year-end';
