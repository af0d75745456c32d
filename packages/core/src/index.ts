export type { DecisionEvent, DecisionListener, DecisionReason } from './audit.js';
export { emitDecision } from './audit.js';
export { authorizationServersOf } from './authorization-servers-of.js';
export type {
  BearerTokenRequest,
  BearerTokenResult,
  ExtractBearerTokenOptions,
} from './bearer-token.js';
export { DEFAULT_MAX_TOKEN_LENGTH, extractBearerToken } from './bearer-token.js';
export type { BoundedFetchFailure } from './bounded-fetch.js';
export { BoundedFetchError, DEFAULT_MAX_RESPONSE_BYTES } from './bounded-fetch.js';
export type { Cors, CorsOptions } from './cors.js';
export {
  CORS_ALLOW_HEADERS,
  CORS_ALLOW_METHODS,
  CORS_EXPOSE_HEADERS,
  createCors,
} from './cors.js';
export type { CompositeVerifier, CompositeVerifierOptions } from './create-composite-verifier.js';
export { createCompositeVerifier, isJwtShaped } from './create-composite-verifier.js';
export type {
  IntrospectionVerifier,
  IntrospectionVerifierOptions,
} from './create-introspection-verifier.js';
export { createIntrospectionVerifier } from './create-introspection-verifier.js';
export type { JwtVerifier, JwtVerifierOptions } from './create-jwt-verifier.js';
export { createJwtVerifier, DEFAULT_ALGORITHMS } from './create-jwt-verifier.js';
export type {
  McpAuth,
  McpAuthMetadata,
  McpAuthMetadataOptions,
  McpAuthOptions,
  McpAuthRouteRequest,
} from './create-mcp-auth.js';
export { createMcpAuth, JSONRPC_HEADER_MISMATCH, JSONRPC_PARSE_ERROR } from './create-mcp-auth.js';
export type {
  IssuerOptions,
  MultiIssuerVerifier,
  MultiIssuerVerifierOptions,
} from './create-multi-issuer-verifier.js';
export { createMultiIssuerVerifier } from './create-multi-issuer-verifier.js';
export type { InvalidTokenReason, McpAuthErrorCode, McpAuthErrorOptions } from './errors.js';
export { isMcpAuthError, McpAuthConfigError, McpAuthError } from './errors.js';
export { headerValue, headerValues } from './headers.js';
export type {
  DroppedScope,
  ScopeClaim,
  ScopeClaimFormat,
  ScopeClaimOption,
} from './normalize-claims.js';
export { normalizeScopes } from './normalize-claims.js';
export type { Auth0PresetOptions } from './presets/auth0.js';
export { auth0 } from './presets/auth0.js';
export type { ClerkPresetOptions } from './presets/clerk.js';
export { clerk } from './presets/clerk.js';
export type { EntraIdPresetOptions } from './presets/entra-id.js';
export { entraId } from './presets/entra-id.js';
export type { KeycloakPresetOptions } from './presets/keycloak.js';
export { keycloak } from './presets/keycloak.js';
export type { OktaPresetOptions } from './presets/okta.js';
export { OKTA_ACCESS_TOKEN_TYPE, okta } from './presets/okta.js';
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
export {
  buildProtectedResourceMetadata,
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
  ROOT_METADATA_PATH,
} from './protected-resource-metadata.js';
export type { ReadBodyTextOptions, ReadBodyTextResult } from './read-request-body.js';
export { readBodyText } from './read-request-body.js';
export {
  answerMetadataRequest,
  BODY_TOO_LARGE,
  isJsonContentType,
  parseJsonText,
} from './json-body.js';
export type {
  McpOperation,
  ScopeEvaluation,
  ScopePolicy,
  ScopeRequirement,
  ScopeSet,
} from './scope-policy.js';
export {
  evaluateScopes,
  expandScopes,
  isPublicRequest,
  missingScopes,
  normalizeRequirement,
  operationsOf,
  policyNeedsBody,
  policyScopes,
  requiredScopes,
} from './scope-policy.js';
export type {
  SessionOwner,
  SessionReservation,
  SessionStore,
  SessionStoreOptions,
} from './session-binding.js';
export {
  createSessionStore,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_MAX_SESSIONS_PER_SUBJECT,
  DEFAULT_SESSION_TTL_MS,
  sessionOwner,
} from './session-binding.js';
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
export { canonicalResource, isLoopbackHost, resourceMatches } from './url.js';
export { toResponse } from './to-response.js';
export type { TokenCacheOptions, TokenDigest, TokenHasher } from './token-cache.js';
export type { LifetimeCheckingVerifier, TokenLifetimeClaims } from './token-lifetime.js';
export { checkTokenLifetime } from './token-lifetime.js';
export { withTokenHash } from './token-cache.js';
export type { ChallengeParams, ParsedChallenge } from './www-authenticate.js';
export { buildChallenge, parseChallenge, sanitizeChallengeValue } from './www-authenticate.js';
