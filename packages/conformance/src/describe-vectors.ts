/**
 * Registers the shared RFC 6750 / RFC 9728 vectors as vitest suites against one adapter's
 * harness, with real tokens from a local test issuer.
 */
import type { McpAuthOptions } from '@org/mcp-auth-core';
import { alterTokenPayload, createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { MCP_VECTORS } from './mcp-vectors.js';
import { METADATA_VECTORS, OUTAGE_VECTORS, RESTRICTED_CORS_VECTORS } from './metadata-vectors.js';
import {
  ALLOWED_ORIGIN,
  type Harness,
  type HarnessFactory,
  type HttpRequest,
  type HttpResponse,
  POLICY,
  RESOURCE,
  type TokenKind,
  type Vector,
} from './vector.js';

/** The test issuer and the core options every harness is built with. */
export async function createVectorIssuer(): Promise<TestIssuer> {
  return createTestIssuer({ audience: RESOURCE, scope: 'todo:read' });
}

/** Core options for the vectors, verifying through the issuer's in-process `fetch`. */
export function vectorOptions(
  issuer: TestIssuer,
  extra: Partial<McpAuthOptions> = {},
): McpAuthOptions {
  return {
    resource: RESOURCE,
    issuer: issuer.issuer,
    jwt: { fetch: issuer.fetch },
    policy: POLICY,
    ...extra,
  };
}

async function mintTokens(issuer: TestIssuer): Promise<Record<TokenKind, string>> {
  const now = Math.floor(Date.now() / 1000);
  const read = await issuer.mintAccessToken();
  return {
    read,
    write: await issuer.mintAccessToken({ claims: { scope: 'todo:read todo:write' } }),
    otherScope: await issuer.mintAccessToken({ claims: { scope: 'calendar:read' } }),
    expired: await issuer.mintAccessToken({ issuedAt: now - 3600, expiresIn: 600 }),
    wrongAudience: await issuer.mintAccessToken({ claims: { aud: 'https://other.example/mcp' } }),
    wrongIssuer: await issuer.mintAccessToken({ claims: { iss: 'https://evil.example' } }),
    badSignature: alterTokenPayload(read, { scope: 'todo:read todo:write' }),
    genericType: await issuer.mintAccessToken({ header: { typ: 'JWT' } }),
  };
}

function toHttpRequest(vector: Vector, tokens: Record<TokenKind, string>): HttpRequest {
  const { method, path = '/mcp', token, authorization = [], headers = {}, body } = vector.request;
  const pairs: Array<[string, string]> = Object.entries(headers);
  if (token) pairs.push(['Authorization', `Bearer ${tokens[token]}`]);
  for (const value of authorization) pairs.push(['Authorization', value]);
  if (body === undefined) return { method, path, headers: pairs };
  pairs.push(['Content-Type', 'application/json']);
  return {
    method,
    path,
    headers: pairs,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function check(response: HttpResponse, expected: Vector['expect']): void {
  expect(response.status).toBe(expected.status);
  expect(response.headers['www-authenticate'] ?? null).toBe(expected.challenge);
  if (expected.body === null) expect(response.text).toBe('');
  else if (expected.body !== undefined) {
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toEqual(expected.body);
  }
  for (const [name, value] of Object.entries(expected.headers ?? {})) {
    expect(response.headers[name] ?? null, name).toBe(value);
  }
  if (expected.status >= 400) {
    expect(response.text).not.toMatch(/at .+\.(?:js|ts):\d+|node_modules|<html/i);
  }
}

/**
 * Registers the whole table for one adapter.
 *
 * @param runtime `'web'` for adapters on Web `Headers` (repeated headers arrive joined).
 */
export function describeVectors(
  name: string,
  factory: HarnessFactory,
  runtime: 'node' | 'web',
): void {
  describe(`${name}: shared RFC 6750 / RFC 9728 vectors`, () => {
    let tokens: Record<TokenKind, string>;
    let issuer: TestIssuer;
    beforeAll(async () => {
      issuer = await createVectorIssuer();
      tokens = await mintTokens(issuer);
    });
    const table = (
      title: string,
      vectors: Vector[],
      extra?: Partial<McpAuthOptions>,
      keysFrom?: () => Promise<TestIssuer>,
    ) =>
      describe(title, () => {
        let harness: Harness;
        beforeAll(async () => {
          harness = await factory(vectorOptions(keysFrom ? await keysFrom() : issuer, extra));
          return () => harness.close();
        });
        for (const vector of vectors) {
          it(vector.name, async () => {
            const before = harness.handlerCalls();
            const response = await harness.send(toHttpRequest(vector, tokens));
            const expected =
              runtime === 'web' ? { ...vector.expect, ...vector.web } : vector.expect;
            check(response, expected);
            expect(harness.handlerCalls() - before, 'handler runs').toBe(expected.handled ? 1 : 0);
          });
        }
      });
    table('MCP endpoint', MCP_VECTORS);
    table('metadata routes', METADATA_VECTORS);
    table('restricted CORS origins', RESTRICTED_CORS_VECTORS, {
      cors: { allowedOrigins: [ALLOWED_ORIGIN] },
    });
    // Same issuer identifier, but its JWKS and metadata answer 503.
    table('authorization server unreachable', OUTAGE_VECTORS, {}, async () => {
      const down = await createVectorIssuer();
      down.setOutage('status');
      return down;
    });
  });
}
