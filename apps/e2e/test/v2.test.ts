import {
  Client,
  type FetchLike,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/client';
import {
  findFreePort,
  InMemoryOAuthClientProvider,
  type RunningSample,
  type SampleName,
  type SdkLine,
  startSample,
} from '@org/demo';
import {
  type DevAuthorizationServer,
  type DriveAuthorizationResult,
  driveAuthorization,
  startDevAuthorizationServer,
} from '@org/mcp-auth-dev-authorization-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES, scopesOf, toolCallMessage } from './helpers.js';

// MCP SDK v2's client (@modelcontextprotocol/client, negotiating with a server/discover probe)
// against every sample's v1 entry (negotiates down to 2025-11-25) and its v2 entry, stateful
// and stateless (MCP_STATELESS=1): the OAuth flow through the dev authorization server's
// login and consent pages, step-up from todo:read to todo:write with the scopes accumulated,
// the Mcp-Method / Mcp-Name headers of real traffic, and a header that disagrees with its body.

const MODERN = '2026-07-28';

/**
 * The in-memory provider, plus the discovery state v2 keeps across the redirect (it binds the
 * callback to the authorization server discovery found, SEP-2352).
 */
class V2Provider extends InMemoryOAuthClientProvider {
  #discovery: OAuthDiscoveryState | undefined;
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.#discovery = state;
  }
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discovery;
  }
}

/** alice, whose first consent grants only todo:read; later consents grant what is asked. */
interface UserClient {
  provider: V2Provider;
  consents: DriveAuthorizationResult[];
  accessToken(): string;
}

function userClient(): UserClient {
  const consents: DriveAuthorizationResult[] = [];
  let cookies: Map<string, string> | undefined;
  const provider = new V2Provider({
    clientName: 'e2e v2 client (alice)',
    authorize: async (url) => {
      const result = await driveAuthorization(url, {
        username: 'alice',
        ...(consents.length === 0 ? { grantScopes: ['todo:read'] } : {}),
        ...(cookies ? { cookies } : {}),
      });
      cookies = result.cookies;
      consents.push(result);
      if (!result.code) throw new Error(`authorization failed: ${result.error ?? 'no code'}`);
      return result.code;
    },
  });
  return {
    provider,
    consents,
    accessToken() {
      const token = provider.tokens()?.access_token;
      if (!token) throw new Error('no access token yet');
      return token;
    },
  };
}

/** One request the v2 client transport sent to the MCP endpoint. */
interface Sent {
  method: string;
  mcpMethod: string | null;
  mcpName: string | null;
  sessionId: string | null;
  status: number;
}

/** A v2 client session: the user's OAuth provider, and what went over the wire. */
interface V2Session {
  client: Client;
  transport: StreamableHTTPClientTransport;
  user: UserClient;
  sent: Sent[];
}

/** The v2 client, authorized through the dev authorization server's pages (alice, todo:read first). */
async function connectV2(resource: string, mode: 'auto' | 'legacy' = 'auto'): Promise<V2Session> {
  const user = userClient();
  const sent: Sent[] = [];
  const recording: FetchLike = async (url, init) => {
    const response = await fetch(url, init);
    if (String(url) === resource) {
      const headers = new Headers(init?.headers);
      sent.push({
        method: init?.method ?? 'GET',
        mcpMethod: headers.get('mcp-method'),
        mcpName: headers.get('mcp-name'),
        sessionId: headers.get('mcp-session-id'),
        status: response.status,
      });
    }
    return response;
  };
  const attempt = async () => {
    const transport = new StreamableHTTPClientTransport(new URL(resource), {
      authProvider: user.provider,
      fetch: recording,
    });
    const client = new Client(
      { name: 'e2e-v2', version: '0.0.0' },
      { versionNegotiation: { mode } },
    );
    try {
      await client.connect(transport);
    } catch (error) {
      if (error instanceof UnauthorizedError) {
        await finishAuth(transport, user);
      }
      throw error;
    }
    return { client, transport, user, sent };
  };
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    return attempt();
  }
}

/**
 * Exchanges the code of the last consent: the whole callback query goes to `finishAuth`, so
 * the v2 client checks its `iss` (RFC 9207) before redeeming the code.
 */
async function finishAuth(transport: StreamableHTTPClientTransport, user: UserClient) {
  user.provider.takeAuthorizationCode();
  const consent = user.consents.at(-1);
  if (consent === undefined) throw new Error('no consent was given');
  await transport.finishAuth(consent.redirectUrl.searchParams);
}

/** Calls a tool; a step-up that needed the user's consent is finished and the call repeated. */
async function call(session: V2Session, name: string, args: Record<string, unknown> = {}) {
  const once = () => session.client.callTool({ name, arguments: args });
  let result: Awaited<ReturnType<typeof once>>;
  try {
    result = await once();
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    await finishAuth(session.transport, session.user);
    result = await once();
  }
  expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

/** The OAuth flow and the step-up, the same on every entry. */
async function flowWithStepUp(session: V2Session): Promise<void> {
  expect(await call(session, 'whoami')).toMatchObject({ subject: 'alice', scopes: ['todo:read'] });
  expect(scopesOf(session.user.accessToken())).toEqual(['todo:read']);
  await call(session, 'list_todos');

  const added = await call(session, 'add_todo', { title: 'from the v2 client' });
  expect(added.todo).toMatchObject({ title: 'from the v2 client' });
  // The step-up asked for the union of the scopes, so todo:read is still granted.
  expect(session.user.consents).toHaveLength(2);
  expect(scopesOf(session.user.accessToken())).toEqual(['todo:read', 'todo:write']);
  const forbidden = session.sent.filter((s) => s.status === 403);
  expect(forbidden.length).toBeGreaterThanOrEqual(1);
  expect((await call(session, 'list_todos')).todos).toEqual(
    expect.arrayContaining([expect.objectContaining({ title: 'from the v2 client' })]),
  );
  expect(await call(session, 'whoami')).toMatchObject({
    subject: 'alice',
    scopes: expect.arrayContaining(['todo:read', 'todo:write']),
  });
}

/** A raw 2026-07-28 `tools/call` whose `Mcp-Name` header names another tool than its body. */
async function mismatchedHeader(resource: string, token: string): Promise<Response> {
  return fetch(resource, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'whoami',
    },
    body: JSON.stringify(toolCallMessage('list_todos')),
  });
}

let as: DevAuthorizationServer;
beforeAll(async () => {
  as = await startDevAuthorizationServer({ port: 0, logger: { info() {}, warn() {}, error() {} } });
});
afterAll(async () => {
  await as?.close();
});

describe.each(SAMPLES)('sample-%s with the MCP SDK v2 client', (name: SampleName) => {
  const entries: Record<string, RunningSample> = {};
  const start = async (key: string, sdk: SdkLine, env: Record<string, string> = {}) => {
    entries[key] = await startSample({
      name,
      sdk,
      env,
      port: await findFreePort(),
      issuer: as.issuer,
    });
  };

  beforeAll(async () => {
    await Promise.all([
      start('v1', 'v1'),
      start('v2', 'v2'),
      start('v2-stateless', 'v2', { MCP_STATELESS: '1' }),
    ]);
  });
  afterAll(async () => {
    await Promise.allSettled(Object.values(entries).map((entry) => entry.stop()));
  });

  it('v1 entry: negotiates down to 2025-11-25, OAuth flow and step-up in a session', async () => {
    const session = await connectV2(entries.v1!.resource);
    expect(session.client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(session.client.getProtocolEra()).toBe('legacy');
    expect(session.transport.sessionId).toEqual(expect.any(String));
    await flowWithStepUp(session);
    await session.client.close();
  });

  for (const key of ['v2', 'v2-stateless'] as const) {
    it(`${key} entry: 2026-07-28 with Mcp-Method/Mcp-Name, no session, OAuth flow and step-up`, async () => {
      const { resource } = entries[key]!;
      const session = await connectV2(resource);
      expect(session.client.getNegotiatedProtocolVersion()).toBe(MODERN);
      expect(session.client.getProtocolEra()).toBe('modern');
      await flowWithStepUp(session);

      expect(session.transport.sessionId).toBeUndefined();
      expect(session.sent.every((s) => s.sessionId === null)).toBe(true);
      const seen = session.sent.filter((s) => s.status === 200);
      expect(seen).toContainEqual(
        expect.objectContaining({ mcpMethod: 'server/discover', mcpName: null }),
      );
      for (const tool of ['whoami', 'list_todos', 'add_todo']) {
        expect(seen).toContainEqual(
          expect.objectContaining({ method: 'POST', mcpMethod: 'tools/call', mcpName: tool }),
        );
      }

      const refused = await mismatchedHeader(resource, session.user.accessToken());
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(-32020);
      await session.client.close();
    });
  }

  it('v2 entry, stateful: a 2025-era client gets a session; stateless: several calls with none', async () => {
    const stateful = await connectV2(entries.v2!.resource, 'legacy');
    expect(stateful.client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(stateful.transport.sessionId).toEqual(expect.any(String));
    await call(stateful, 'whoami');
    await stateful.client.close();

    const stateless = await connectV2(entries['v2-stateless']!.resource, 'legacy');
    expect(stateless.client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    await flowWithStepUp(stateless);
    for (let i = 0; i < 3; i += 1) await call(stateless, 'list_todos');
    expect(stateless.transport.sessionId).toBeUndefined();
    expect(stateless.sent.every((s) => s.sessionId === null)).toBe(true);
    await stateless.client.close();
  });
});
