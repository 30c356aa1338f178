export * from './primitives';
export * from './bodies';
export * from './events';
export * from './catalogue';
