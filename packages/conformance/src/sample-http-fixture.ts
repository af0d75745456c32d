/** The fixture and request helpers of the sample-app contract's HTTP suite. */
import type { RunningTestIssuer } from '@org/mcp-auth-testing';
import { expect } from 'vitest';
import { connectSdkClient, type SampleServerLike } from './sample-kit.js';

/** The issuer and the sample, set by the suite's `beforeAll`. */
export interface HttpFixture {
  issuer: RunningTestIssuer;
  server: SampleServerLike;
}

/** The request helpers the HTTP suites share. */
export type HttpHelpers = ReturnType<typeof httpHelpers>;

/**
 * Helpers bound to a fixture: `token(sub, scope, alg)` mints an access token for the sample,
 * `request(method, init)` sends to its MCP endpoint, `connect(token)` opens an SDK client whose
 * `call(name, args)` expects a tool result without `isError`.
 */
export function httpHelpers(f: HttpFixture) {
  const token = (sub: string, scope: string, alg: 'RS256' | 'ES256' = 'RS256') =>
    f.issuer.mintAccessToken({ claims: { sub, scope, aud: f.server.resourceUrl }, key: alg });

  const request = (
    method: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) =>
    fetch(f.server.mcpUrl, {
      method,
      headers: {
        accept: 'application/json, text/event-stream',
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: init.body }),
    });

  async function connect(accessToken: string) {
    const { client, transport } = await connectSdkClient(
      f.server.mcpUrl,
      accessToken,
      'sample-test',
    );
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError).toBeFalsy();
      return result.structuredContent as Record<string, unknown>;
    };
    return { client, transport, call };
  }

  return { token, request, connect };
}
