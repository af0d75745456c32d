/**
 * `@org/mcp-auth-core`: what applications use. Adapter authors also import
 * `@org/mcp-auth-core/adapter`.
 */
export type { DecisionEvent, DecisionListener, DecisionReason } from './audit.js';
export type {
  BearerTokenRequest,
  BearerTokenResult,
  ExtractBearerTokenOptions,
} from './bearer-token.js';
export { extractBearerToken } from './bearer-token.js';
export type { CorsOptions } from './cors.js';
export type { DpopOptions } from './dpop/dpop-options.js';
export type { MemoryReplayCacheOptions, ReplayCache } from './dpop/replay-cache.js';
export { createMemoryReplayCache } from './dpop/replay-cache.js';
export type { CompositeVerifier, CompositeVerifierOptions } from './create-composite-verifier.js';
export { createCompositeVerifier } from './create-composite-verifier.js';
export type {
  IntrospectionVerifier,
  IntrospectionVerifierOptions,
} from './create-introspection-verifier.js';
export { createIntrospectionVerifier } from './create-introspection-verifier.js';
export type { JwtVerifier, JwtVerifierOptions } from './create-jwt-verifier.js';
export { createJwtVerifier } from './create-jwt-verifier.js';
export type {
  McpAuth,
  McpAuthMetadata,
  McpAuthMetadataOptions,
  McpAuthOptions,
  McpAuthRouteRequest,
} from './create-mcp-auth.js';
export { createMcpAuth } from './create-mcp-auth.js';
export type { McpAuthLogger } from './logger.js';
export type { ReadyOptions, ReadyReport } from './ready.js';
export type {
  IssuerOptions,
  MultiIssuerVerifier,
  MultiIssuerVerifierOptions,
} from './create-multi-issuer-verifier.js';
export { createMultiIssuerVerifier } from './create-multi-issuer-verifier.js';
export type { InvalidTokenReason, McpAuthErrorCode, McpAuthErrorOptions } from './errors.js';
export { isMcpAuthError, McpAuthConfigError, McpAuthError } from './errors.js';
export { evaluateScopes, missingScopes } from './evaluate-scopes.js';
export type { ListFilterTransport } from './filter-lists.js';
export { filterListsByScope } from './filter-lists.js';
export type { McpOperation } from './mcp-operations.js';
export type {
  DroppedScope,
  ScopeClaim,
  ScopeClaimFormat,
  ScopeClaimOption,
} from './normalize-claims.js';
export type { Auth0PresetOptions } from './presets/auth0.js';
export { auth0 } from './presets/auth0.js';
export type { ClerkPresetOptions } from './presets/clerk.js';
export { clerk } from './presets/clerk.js';
export type { EntraIdPresetOptions } from './presets/entra-id.js';
export { entraId } from './presets/entra-id.js';
export type { KeycloakPresetOptions } from './presets/keycloak.js';
export { keycloak } from './presets/keycloak.js';
export type { OktaPresetOptions } from './presets/okta.js';
export { okta } from './presets/okta.js';
export type { EnvRecord, ProviderName } from './presets/preset-from-env.js';
export { PROVIDERS, presetFromEnv } from './presets/preset-from-env.js';
export type {
  PresetBaseOptions,
  PresetJwtOptions,
  ProviderPreset,
} from './presets/provider-preset.js';
export type { ScalekitPresetOptions } from './presets/scalekit.js';
export { scalekit } from './presets/scalekit.js';
export type { WorkosPresetOptions } from './presets/workos.js';
export { workos } from './presets/workos.js';
export type {
  ProtectedResourceMetadata,
  ProtectedResourceMetadataOptions,
} from './protected-resource-metadata.js';
export { buildProtectedResourceMetadata } from './protected-resource-metadata.js';
export type {
  ScopeEvaluation,
  ScopePolicy,
  ScopeRequirement,
  ScopeSet,
} from './scope-policy.js';
export { policyScopes } from './scope-policy.js';
export type { SessionStoreOptions } from './session-binding.js';
export type { MemoryStoreOptions, StateStore } from './state-store.js';
export { createMemoryStore, prefixStore } from './state-store.js';
export type { TokenCacheOptions } from './token-cache.js';
export type { LifetimeCheckingVerifier } from './token-lifetime.js';
export { toResponse } from './to-response.js';
export type {
  AccessTokenVerifier,
  AllowResult,
  AuthInfo,
  AuthorizeRequest,
  AuthorizeResult,
  DenyBody,
  DenyResult,
  HeadersInit,
  HeaderValue,
  PlainResponse,
  ResponseHead,
  SessionTicket,
} from './types.js';
export type { ChallengeParams, ParsedChallenge } from './www-authenticate.js';
export { buildChallenge, parseChallenge } from './www-authenticate.js';
