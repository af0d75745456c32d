/**
 * `@org/mcp-auth-core/adapter`: the toolkit for framework adapters (Express, Fastify, Hono and
 * anyone writing another). Applications import `@org/mcp-auth-core`.
 */
import { createMcpAuth, type McpAuth, type McpAuthOptions } from './create-mcp-auth.js';
import { DECIDE, type Decide } from './core-brand.js';
import { McpAuthConfigError } from './errors.js';
import type { AuthorizeRequest, AuthorizeResult } from './types.js';

export type { ReadBodyTextOptions, ReadBodyTextResult } from './read-request-body.js';
export { readBodyText } from './read-request-body.js';
export {
  BODY_TOO_LARGE,
  isJsonContentType,
  jsonRpcErrorResponse,
  parseJsonText,
} from './json-body.js';
export { answerMetadataRequest } from './metadata-routes.js';
export { takeBackgroundWork } from './background-work.js';
export { headerValue } from './headers.js';
export { toResponse } from './to-response.js';
export type { TokenDigest } from './token-hash.js';
export { tokenHash } from './token-hash.js';
export type {
  AllowResult,
  AuthorizeRequest,
  AuthorizeResult,
  DenyBody,
  DenyResult,
  HeadersInit,
  HeaderValue,
  PlainResponse,
  ResponseHead,
} from './types.js';

/**
 * The options every adapter takes beside the core's (its second argument; Fastify: beside the
 * core's options in the plugin options).
 *
 * @example
 * ```ts
 * const adapterOptions: McpAuthAdapterOptions = { maxBodyBytes: 1024 * 1024 };
 * ```
 */
export interface McpAuthAdapterOptions {
  /**
   * Largest request body read for the decision, in bytes; a larger one gets a JSON-RPC 413.
   * Default {@link DEFAULT_MAX_BODY_BYTES} (4 MiB, the MCP SDK's own limit).
   */
  maxBodyBytes?: number;
}

/** The default of {@link McpAuthAdapterOptions.maxBodyBytes}: 4 MiB, the MCP SDK's own limit. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** The largest `maxBodyBytes` accepted: 1 GiB. */
const MAX_BODY_BYTES_LIMIT = 1024 * 1024 * 1024;

/**
 * `maxBodyBytes` checked and defaulted, the one rule every adapter and the Node tier apply: a
 * whole number of bytes from 1 to 1 GiB, {@link DEFAULT_MAX_BODY_BYTES} when `undefined`.
 * Throws `McpAuthConfigError` (a `TypeError`) naming the option otherwise.
 *
 * @example
 * ```ts
 * const limit = resolveMaxBodyBytes(options?.maxBodyBytes); // 4 MiB when not given
 * ```
 */
export function resolveMaxBodyBytes(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_BODY_BYTES;
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    value < 1 ||
    value > MAX_BODY_BYTES_LIMIT
  ) {
    throw new McpAuthConfigError(
      'maxBodyBytes',
      'must be a positive integer of bytes, at most 1 GiB',
    );
  }
  return value;
}

/**
 * True for a core built by `createMcpAuth` (in this or another copy of the package).
 *
 * @example
 * ```ts
 * const core = isMcpAuth(options) ? options : createMcpAuth(options);
 * ```
 */
export function isMcpAuth(value: unknown): value is McpAuth {
  return typeof value === 'object' && value !== null && DECIDE in value;
}

/**
 * The adapter contract's arguments, resolved once: the core (the one given, or one built from
 * the options) and `maxBodyBytes` (validated, defaulted). Throws `McpAuthConfigError` (a
 * `TypeError`) naming a bad option.
 *
 * @example
 * ```ts
 * export function mcpAuth(options: McpAuthOptions | McpAuth, adapterOptions?: McpAuthAdapterOptions) {
 *   const { core, maxBodyBytes } = resolveAdapter(options, adapterOptions);
 * }
 * ```
 */
export function resolveAdapter(
  options: McpAuthOptions | McpAuth,
  adapterOptions: McpAuthAdapterOptions = {},
): { core: McpAuth; maxBodyBytes: number } {
  if (typeof adapterOptions !== 'object' || adapterOptions === null) {
    throw new McpAuthConfigError('adapter options', 'must be an object ({ maxBodyBytes })');
  }
  for (const key of Object.keys(adapterOptions)) {
    if (key !== 'maxBodyBytes') {
      throw new McpAuthConfigError(
        key,
        'is not an adapter option (the only one is maxBodyBytes; the core options go in the first argument)',
      );
    }
  }
  const maxBodyBytes = resolveMaxBodyBytes(adapterOptions.maxBodyBytes);
  const core = isMcpAuth(options) ? options : createMcpAuth(options);
  return { core, maxBodyBytes };
}

/**
 * The core's decision, returned synchronously when nothing has to be awaited — no token, a
 * malformed request, a token answered from the verified-token cache — and as a Promise
 * otherwise: the same answer as `core.authorize`, without its promise and microtask turns on
 * the hot path. Never throws nor rejects.
 *
 * @example
 * ```ts
 * const decided = decide(core, request);
 * const result = decided instanceof Promise ? await decided : decided;
 * ```
 */
export function decide(
  core: McpAuth,
  request: AuthorizeRequest,
): AuthorizeResult | Promise<AuthorizeResult> {
  const fast = (core as { [DECIDE]?: Decide })[DECIDE];
  return fast === undefined ? core.authorize(request) : fast(request);
}
