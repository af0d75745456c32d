import { InsufficientScopeError, SdkErrorCode, SdkHttpError } from '@modelcontextprotocol/client';
import { expect, it } from 'vitest';
import { rawToolCall } from './mcp.js';
import {
  connectClientV2,
  type createE2eFixture,
  MODERN_PROTOCOL_VERSION,
  recordingFetch,
  whoamiV2,
} from './mcp-v2.js';

/** What {@link describeSdkV2Endpoints} needs once the adapter's server listens. */
export interface SdkV2Endpoints {
  /**
   * Where the server listens: `<url>/stateless/mcp` serves every request on its own (v2's
   * per-request entry, 2025 clients statelessly); `<url>/mcp` gives 2025-era clients a session
   * per client (v2's Node transport) and 2026-07-28 clients the per-request entry.
   */
  url: string;
  fixture: Awaited<ReturnType<typeof createE2eFixture>>;
}

/**
 * The MCP SDK v2 checks every adapter passes over real HTTP, registered in the caller's
 * `describe` (its `beforeAll` starts the framework's server): the verified token reaches v2
 * tools and the server factory, 2026-07-28 without a session, 2025 clients served statelessly,
 * 401 and the 403 step-up, a stateful session bound to its owner, a 2026-07-28 client on the
 * stateful endpoint.
 *
 * @example
 * ```ts
 * describeSdkV2Endpoints(() => ({ url, fixture }));
 * ```
 */
export function describeSdkV2Endpoints(endpoints: () => SdkV2Endpoints): void {
  it('2026-07-28: a tool and the server factory see the verified token; no session', async () => {
    const { url, fixture } = endpoints();
    const recorder = recordingFetch();
    const { client, transport } = await connectClientV2(`${url}/stateless/mcp`, fixture.alice, {
      era: 'modern',
      fetch: recorder.fetch,
    });
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
    const me = await whoamiV2(client);
    expect(me).toMatchObject({
      sub: 'alice',
      factorySub: 'alice',
      token: fixture.alice,
      clientId: 'test-client',
      scopes: ['todo:read'],
      resource: 'https://mcp.example/mcp',
    });
    expect(transport.sessionId).toBeUndefined();
    expect(recorder.seen.filter((r) => r.sessionId !== undefined)).toEqual([]);
    expect(recorder.seen).toContainEqual({
      method: 'POST',
      mcpMethod: 'tools/call',
      mcpName: 'whoami',
    });
    await client.close();
  });

  it('2025 clients are served by the stateless fallback', async () => {
    const { url, fixture } = endpoints();
    const { client } = await connectClientV2(`${url}/stateless/mcp`, fixture.bob);
    expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
    expect(await whoamiV2(client)).toMatchObject({ sub: 'bob', factorySub: 'bob' });
    await client.close();
  });

  it('401 without a token, 403 insufficient_scope naming the step-up scope', async () => {
    const { url, fixture } = endpoints();
    const refused = connectClientV2(`${url}/stateless/mcp`, '', { era: 'modern' });
    await expect(refused).rejects.toBeInstanceOf(SdkHttpError);
    await expect(refused).rejects.toMatchObject({ code: SdkErrorCode.ClientHttpAuthentication });

    const { client } = await connectClientV2(`${url}/stateless/mcp`, fixture.alice, {
      era: 'modern',
    });
    const denied = client.callTool({ name: 'add_todo', arguments: {} });
    await expect(denied).rejects.toBeInstanceOf(InsufficientScopeError);
    await expect(denied).rejects.toMatchObject({
      requiredScope: expect.stringContaining('todo:write'),
    });
    await client.close();
  });

  it('stateful (2025 era): the session is bound; another subject on it gets 404', async () => {
    const { url, fixture } = endpoints();
    const { client, transport } = await connectClientV2(`${url}/mcp`, fixture.alice);
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await whoamiV2(client)).sub).toBe('alice');

    const stolen = await rawToolCall(`${url}/mcp`, fixture.bob, sessionId);
    expect(stolen.status).toBe(404);
    expect(await stolen.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    });
    const bob = await connectClientV2(`${url}/mcp`, fixture.bob, { sessionId });
    await expect(whoamiV2(bob.client)).rejects.toBeInstanceOf(SdkHttpError);
    expect((await whoamiV2(client)).sub).toBe('alice');
    await client.close();
  });

  it('stateful endpoint: a 2026-07-28 client negotiates up and runs without a session', async () => {
    const { url, fixture } = endpoints();
    const { client, transport } = await connectClientV2(`${url}/mcp`, fixture.alice, {
      era: 'auto',
    });
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
    expect(await whoamiV2(client)).toMatchObject({ sub: 'alice', factorySub: 'alice' });
    expect(transport.sessionId).toBeUndefined();
    await client.close();
  });
}
