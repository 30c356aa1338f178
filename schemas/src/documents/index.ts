export * from './amounts';
export * from './content';
export * from './documents';
export * from './catalogue';
export * from './examples';
