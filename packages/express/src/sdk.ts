// `@org/mcp-auth-express/sdk`: glue for apps using the MCP SDK's own auth middleware. A separate
// entry, so the main entry never loads `@modelcontextprotocol/sdk`.
export { toSdkTokenVerifier } from './to-sdk-token-verifier.js';
