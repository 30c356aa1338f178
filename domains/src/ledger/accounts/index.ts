export * from './chart-of-accounts';
export * from './skr03';
