import type { Decision } from './audit.js';
import { evaluateCompiled } from './evaluate-scopes.js';
import { isMcpAuthError } from './errors.js';
import type { McpOperation } from './mcp-operations.js';
import type { McpAuthConfig } from './resolve-options.js';
import type { AuthorizeRequest, AuthorizeResult } from './types.js';

/** A stage's answer: synchronous unless something had to be awaited. */
export type Result = AuthorizeResult | Promise<AuthorizeResult>;

/** What the decision's stages share for one request. */
export interface StageRequest {
  readonly d: Decision;
  readonly request: AuthorizeRequest;
  readonly httpMethod: string;
  readonly ops: readonly McpOperation[];
  /** The scheme that carried the token. */
  readonly scheme: 'bearer' | 'dpop';
  /** The thumbprint of the DPoP proof's key, once the proof was verified. */
  proofJkt?: string;
  /** Records the proof as used: run once the token is verified and bound to its key. */
  markProofUsed?: () => Promise<void>;
}

/** A 401's `scope`: what the request needs, or the policy's initial scopes when it needs none. */
export function scopeToAskFor(c: McpAuthConfig, required: readonly string[]): readonly string[] {
  return required.length > 0 ? required : c.policy.initial;
}

/** The `scope` of a 401 refusing the request's credentials. */
export function scopeOfRefusal(c: McpAuthConfig, r: StageRequest): readonly string[] {
  return scopeToAskFor(c, evaluateCompiled(c.policy, r.ops, undefined).required);
}

/** The cause of a 503 to the logger (once per cause) and the decision event. */
export function noteOutage(c: McpAuthConfig, d: Decision, failure: unknown): void {
  if (!isMcpAuthError(failure) || failure.status !== 503) return;
  const cause = c.reportOutage(failure);
  if (d.event !== undefined) d.event.cause = cause;
}
