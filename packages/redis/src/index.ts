/**
 * `@org/mcp-auth-redis`: the state several instances of an MCP server share, on Redis.
 */
export type { RedisCommandClient, RedisStore, RedisStoreOptions } from './create-redis-store.js';
export { createRedisStore, RedisStoreError } from './create-redis-store.js';
