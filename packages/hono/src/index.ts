export type { McpAuthEnv, McpAuthHono, Variables } from './mcp-auth.js';
export { mcpAuth, mcpAuthMetadata } from './mcp-auth.js';
// Re-exported from @org/mcp-auth-core so one install suffices.
export type {
  AccessTokenVerifier,
  AuthInfo,
  AuthorizeResult,
  ChallengeParams,
  DecisionEvent,
  DecisionListener,
  DecisionReason,
  JwtVerifier,
  JwtVerifierOptions,
  McpAuth,
  McpAuthErrorCode,
  McpAuthMetadataOptions,
  McpAuthOptions,
  ParsedChallenge,
  PlainResponse,
  ProtectedResourceMetadata,
  ScopePolicy,
  ScopeRequirement,
} from '@org/mcp-auth-core';
export {
  buildChallenge,
  createJwtVerifier,
  createMcpAuth,
  isMcpAuthError,
  McpAuthConfigError,
  McpAuthError,
  parseChallenge,
  toResponse,
} from '@org/mcp-auth-core';
