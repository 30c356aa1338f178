export * from './app';
export { MemoryResponseCache, RedisResponseCache, type CachedResponse, type RedisLike, type ResponseCache } from './cache/response-cache';
export type { QueryActor, QueryPermission } from './route';
export { readActiveReadModels, type WaitForPosition } from './read-models/positions';
export { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from './http/pagination';
