import {
  type AuthorizationServerFindings,
  checkAuthorizationServer,
} from './authorization-server-checks.js';
import { checkChallenge } from './challenge-checks.js';
import { checkCors } from './cors-checks.js';
import { type CheckContext, tryUrl } from './http.js';
import { checkProtectedResourceMetadata } from './protected-resource-metadata-checks.js';
import { checkToken } from './token-checks.js';
import type {
  Check,
  CheckResourceServerOptions,
  CheckResourceServerResult,
  CheckResourceServerSummary,
} from './types.js';

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_ORIGIN = 'http://localhost:6274';

function resolveOptions(options: CheckResourceServerOptions) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('checkResourceServer: options must be an object with a "url"');
  }
  const url = typeof options.url === 'string' ? tryUrl(options.url) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError('checkResourceServer: option "url" must be an absolute http(s) URL');
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new TypeError(
      'checkResourceServer: option "timeoutMs" must be an integer from 1 to 600000',
    );
  }
  const origin = options.origin ?? DEFAULT_ORIGIN;
  const parsedOrigin = typeof origin === 'string' ? tryUrl(origin) : undefined;
  if (!parsedOrigin || parsedOrigin.origin !== origin) {
    throw new TypeError(
      'checkResourceServer: option "origin" must be an origin such as http://localhost:6274 (scheme, host, optional port; no path)',
    );
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || !options.token.trim())) {
    throw new TypeError('checkResourceServer: option "token" must be a non-empty string');
  }
  if (
    options.stepUpTool !== undefined &&
    (typeof options.stepUpTool !== 'string' || !options.stepUpTool)
  ) {
    throw new TypeError('checkResourceServer: option "stepUpTool" must be a tool name');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw new TypeError('checkResourceServer: option "fetch" must be a function');
  }
  return { url: options.url, timeoutMs, origin };
}

/** Counts the checks by status. */
export function summarizeChecks(checks: readonly Check[]): CheckResourceServerSummary {
  const summary = { passed: 0, warnings: 0, failed: 0, skipped: 0 };
  for (const check of checks) {
    if (check.status === 'pass') summary.passed++;
    else if (check.status === 'warn') summary.warnings++;
    else if (check.status === 'fail') summary.failed++;
    else summary.skipped++;
  }
  return summary;
}

/**
 * Checks a running MCP server the way MCP clients will meet it: the unauthenticated 401 and
 * its challenge (RFC 6750 §3), the Protected Resource Metadata at both locations (RFC 9728),
 * CORS for browser clients, each authorization server's metadata, PKCE, registration and keys
 * (RFC 8414, OpenID Connect Discovery, RFC 7636), and — with a token — its claims and
 * authorized requests, and the 403 of a step-up. Every request has a deadline; the token is
 * never written into a result. Options are checked up front (a `TypeError` names the option);
 * a broken server yields failed checks, never a rejection.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 * @example
 * ```ts
 * const { checks, summary } = await checkResourceServer({ url: 'http://127.0.0.1:3000/mcp' });
 * for (const check of checks) if (check.status === 'fail') console.log(check.id, check.saw, check.fix);
 * ```
 */
export async function checkResourceServer(
  options: CheckResourceServerOptions,
): Promise<CheckResourceServerResult> {
  const { url, timeoutMs, origin } = resolveOptions(options);
  const context: CheckContext = {
    url,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs,
    origin,
    token: options.token?.trim(),
    stepUpTool: options.stepUpTool,
    checks: [],
  };
  const challenge = await checkChallenge(context);
  const prm = await checkProtectedResourceMetadata(context, challenge);
  await checkCors(context);
  const servers: AuthorizationServerFindings[] = [];
  for (const [index, server] of prm.authorizationServers.entries()) {
    servers.push(await checkAuthorizationServer(context, server, index));
  }
  if (context.token) await checkToken(context, prm, servers);
  return { url, checks: context.checks, summary: summarizeChecks(context.checks) };
}
