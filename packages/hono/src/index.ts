/**
 * `@org/mcp-auth-hono`: Hono middleware that makes an MCP server an OAuth 2.1 resource server on
 * any runtime. Re-exports the application tier of `@org/mcp-auth-core`, so one install suffices.
 */
export * from '@org/mcp-auth-core';
export type { McpAuthEnv, McpAuthHono, McpAuthHonoOptions, Variables } from './mcp-auth.js';
export { mcpAuth, mcpAuthMetadata } from './mcp-auth.js';
