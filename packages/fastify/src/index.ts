import { mcpAuth } from './mcp-auth.js';

// The application tier of @org/mcp-auth-core, so one install suffices.
export * from '@org/mcp-auth-core';
export type { McpAuthAdapterOptions } from '@org/mcp-auth-core/adapter';
export type { McpAuthFastify, McpAuthFastifyOptions } from './mcp-auth.js';
export { mcpAuth };
export default mcpAuth;
