import { expect } from 'vitest';
import type { RawResponse } from './http.js';
import type { SecurityServer } from './servers.js';

/** Parameters of the challenge a test expects. */
export interface ExpectedChallenge {
  error?: string;
  description?: string;
  /** The `scope` value, space-separated; omitted when absent. */
  scope?: string;
}

/**
 * A value as RFC 6750 §3 lets it appear inside a quoted challenge parameter: `"`, `\`, controls
 * and non-ASCII removed (not escaped, as the core documents), then trimmed.
 *
 * @example
 * ```ts
 * quotable('missing required claim "exp"'); // 'missing required claim exp'
 * ```
 */
export function quotable(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '').trim();
}

/**
 * The exact `WWW-Authenticate` a server answers with, written out by hand (not with the core's
 * builder, so a builder bug cannot hide itself): `Bearer`, then `error`, `error_description`
 * (made {@link quotable}), `resource_metadata` and `scope`.
 *
 * @example
 * ```ts
 * challengeFor(server, { error: 'invalid_token', description: 'invalid signature', scope: 'todo:read' });
 * ```
 */
export function challengeFor(server: SecurityServer, expected: ExpectedChallenge = {}): string {
  const parts: string[] = [];
  if (expected.error !== undefined) parts.push(`error="${expected.error}"`);
  if (expected.description !== undefined) {
    parts.push(`error_description="${quotable(expected.description)}"`);
  }
  parts.push(`resource_metadata="${server.metadataUrl}"`);
  if (expected.scope !== undefined) parts.push(`scope="${expected.scope}"`);
  return `Bearer ${parts.join(', ')}`;
}

/** A denial a test expects. */
export interface ExpectedDenial {
  status: number;
  /** Exact `WWW-Authenticate`; `null` for none; `undefined` not checked. */
  challenge?: string | null;
  /** Exact JSON body; `undefined` not checked. */
  body?: unknown;
}

/**
 * Asserts the status, the exact challenge and body of a denial, and that the body is JSON
 * without a stack trace, a file path or HTML.
 *
 * @example
 * ```ts
 * expectDenial(res, { status: 401, challenge: challengeFor(server, {...}), body: {...} });
 * ```
 */
export function expectDenial(response: RawResponse, expected: ExpectedDenial): void {
  const context = `${response.status} ${response.text.slice(0, 300)}`;
  expect(response.status, context).toBe(expected.status);
  if (expected.challenge !== undefined) {
    expect(response.headers['www-authenticate'] ?? null, context).toBe(expected.challenge);
  }
  if (expected.body !== undefined) {
    expect(response.headers['content-type'] ?? '', context).toMatch(/^application\/json/);
    expect(JSON.parse(response.text), context).toEqual(expected.body);
  }
  expectNoInternals(response);
}

/**
 * Asserts a 401 `invalid_token` with the exact challenge and OAuth error body.
 *
 * @example
 * ```ts
 * expectInvalidToken(res, server, 'invalid signature', 'todo:read');
 * ```
 */
export function expectInvalidToken(
  response: RawResponse,
  server: SecurityServer,
  description: string,
  scope?: string,
): void {
  expectDenial(response, {
    status: 401,
    challenge: challengeFor(server, {
      error: 'invalid_token',
      description,
      ...(scope === undefined ? {} : { scope }),
    }),
    body: { error: 'invalid_token', error_description: description },
  });
}

/**
 * Asserts a 400 `invalid_request` from bearer extraction, with the exact challenge and body.
 *
 * @example
 * ```ts
 * expectInvalidRequest(res, server, 'Bearer token too long');
 * ```
 */
export function expectInvalidRequest(
  response: RawResponse,
  server: SecurityServer,
  description: string,
): void {
  expectDenial(response, {
    status: 400,
    challenge: challengeFor(server, { error: 'invalid_request', description }),
    body: { error: 'invalid_request', error_description: description },
  });
}

/**
 * Asserts a 403 `insufficient_scope` naming `scope` in the challenge.
 *
 * @example
 * ```ts
 * expectInsufficientScope(res, server, 'todo:write', 'todo:write todo:read');
 * ```
 */
export function expectInsufficientScope(
  response: RawResponse,
  server: SecurityServer,
  missing: string,
  scope: string,
): void {
  const description = `Missing required scope: ${missing}`;
  expectDenial(response, {
    status: 403,
    challenge: challengeFor(server, { error: 'insufficient_scope', description, scope }),
    body: { error: 'insufficient_scope', error_description: description },
  });
}

/**
 * Asserts no response part carries a stack trace, a file path or an HTML error page.
 *
 * @example
 * ```ts
 * expectNoInternals(res);
 * ```
 */
export function expectNoInternals(response: RawResponse): void {
  const everything = `${response.text}\n${response.rawHeaders.map((p) => p.join(': ')).join('\n')}`;
  expect(everything).not.toMatch(
    /\bat .+:\d+:\d+|node_modules|(?:\/[\w.@+-]+)+\.[cm]?[jt]s\b|<html/i,
  );
}

/**
 * Runs `action` and returns how many tool handlers ran on `server` meanwhile, with its result.
 *
 * @example
 * ```ts
 * const { runs, result } = await toolRunsDuring(server, () => callTool(server, opts, 'add_todo'));
 * expect(runs).toBe(0);
 * ```
 */
export async function toolRunsDuring<T>(
  server: SecurityServer,
  action: () => Promise<T>,
): Promise<{ runs: number; result: T }> {
  const before = server.toolCalls.length;
  const result = await action();
  // A transport may finish the handler just after the response: give it one more turn.
  await new Promise((resolve) => setImmediate(resolve));
  return { runs: server.toolCalls.length - before, result };
}
