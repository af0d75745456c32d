import { mcpAuth } from './mcp-auth.js';

export type { McpAuthFastifyOptions } from './mcp-auth.js';
export { mcpAuth };
export default mcpAuth;
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
} from '@org/mcp-auth-core';
