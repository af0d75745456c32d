/**
 * What a sample's MCP SDK v2 entry (`src/v2/app.ts`) adds to the sample contract, driven with
 * the v2 client: 2026-07-28 served per request (stateful or not), and `MCP_STATELESS=1`
 * serving 2025-era clients without sessions.
 */
import { InsufficientScopeError } from '@modelcontextprotocol/client';
import { startTestIssuer, type RunningTestIssuer } from '@org/mcp-auth-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { connectClientV2, MODERN_PROTOCOL_VERSION, recordingFetch } from './mcp-v2.js';
import { bearer, type SampleConfigLike, type SampleServerLike, toolCall } from './sample-kit.js';

/**
 * A sample's v2 entry: `startServer(config, { stateless })` from its `src/v2/app.ts`.
 *
 * @example
 * ```ts
 * describeSampleV2Contract({ name: 'sample-express (MCP SDK v2)', startServer });
 * ```
 */
export interface SampleV2UnderTest {
  name: string;
  startServer(
    config: SampleConfigLike,
    options: { stateless?: boolean },
  ): Promise<SampleServerLike>;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError).toBeFalsy();
  return result.structuredContent as Record<string, unknown>;
}

/** `MCP_HIDE_UNAUTHORIZED_TOOLS=1`: each era lists only the tools the token may call. */
function describeHiddenTools(sample: SampleV2UnderTest): void {
  describe(`${sample.name}: MCP_HIDE_UNAUTHORIZED_TOOLS=1, v2 client`, () => {
    let issuer: RunningTestIssuer;
    let server: SampleServerLike;

    beforeAll(async () => {
      issuer = await startTestIssuer();
      const config = {
        port: 0,
        host: '127.0.0.1',
        issuer: issuer.issuer,
        allowedOrigins: [],
        hideUnauthorizedTools: true,
      };
      server = await sample.startServer(config, {});
    });
    afterAll(async () => {
      await server?.close();
      await issuer?.close();
    });

    it('lists only the callable tools, per request (2026-07-28) and in a session (2025 era)', async () => {
      const token = await issuer.mintAccessToken({
        claims: { sub: 'dana', scope: 'todo:read', aud: server.resourceUrl },
      });
      for (const era of ['auto', 'legacy'] as const) {
        const { client } = await connectClientV2(server.mcpUrl, token, { era });
        const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
        expect(names, era).toEqual(['list_todos', 'whoami']);
        await client.close();
      }
    });
  });
}

/** Registers the v2 entry's suites, stateful and stateless, against a local test issuer. */
export function describeSampleV2Contract(sample: SampleV2UnderTest): void {
  describeHiddenTools(sample);
  for (const stateless of [false, true]) {
    describe(`${sample.name}: ${stateless ? 'stateless (MCP_STATELESS=1)' : 'stateful'}, v2 client`, () => {
      let issuer: RunningTestIssuer;
      let server: SampleServerLike;
      const token = (sub: string, scope: string) =>
        issuer.mintAccessToken({ claims: { sub, scope, aud: server.resourceUrl } });

      beforeAll(async () => {
        issuer = await startTestIssuer();
        server = await sample.startServer(
          { port: 0, host: '127.0.0.1', issuer: issuer.issuer, allowedOrigins: [] },
          { stateless },
        );
      });
      afterAll(async () => {
        await server?.close();
        await issuer?.close();
      });

      it('serves 2026-07-28 per request: no session, Mcp-Method/Mcp-Name sent, scopes enforced', async () => {
        const recorder = recordingFetch();
        const { client, transport } = await connectClientV2(
          server.mcpUrl,
          await token('alice', 'todo:read'),
          { era: 'auto', fetch: recorder.fetch },
        );
        expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
        expect(await call(client, 'whoami')).toMatchObject({
          subject: 'alice',
          scopes: ['todo:read'],
        });
        expect(await call(client, 'list_todos')).toEqual({ todos: [] });
        const denied = client.callTool({ name: 'add_todo', arguments: { title: 'x' } });
        await expect(denied).rejects.toBeInstanceOf(InsufficientScopeError);
        await expect(denied).rejects.toMatchObject({ requiredScope: 'todo:write todo:read' });
        expect(transport.sessionId).toBeUndefined();
        expect(recorder.seen.every((r) => r.sessionId === undefined)).toBe(true);
        expect(recorder.seen).toContainEqual({ method: 'POST', mcpMethod: 'server/discover' });
        expect(recorder.seen).toContainEqual({
          method: 'POST',
          mcpMethod: 'tools/call',
          mcpName: 'list_todos',
        });
        await client.close();
      });

      it('refuses an Mcp-Name that disagrees with the body with 400', async () => {
        const response = await fetch(server.mcpUrl, {
          method: 'POST',
          headers: {
            ...bearer(await token('alice', 'todo:read todo:write')),
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': MODERN_PROTOCOL_VERSION,
            'mcp-method': 'tools/call',
            'mcp-name': 'list_todos',
          },
          body: toolCall('add_todo', { title: 'x' }),
        });
        expect(response.status).toBe(400);
        expect((await response.json()).error.code).toBe(-32020);
      });

      it(
        stateless
          ? 'serves 2025-era clients without a session; GET has no stream (405)'
          : 'gives 2025-era clients a session',
        async () => {
          const { client, transport } = await connectClientV2(
            server.mcpUrl,
            await token('bob', 'todo:read todo:write'),
          );
          expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
          await call(client, 'add_todo', { title: 'milk' });
          expect((await call(client, 'list_todos')).todos).toMatchObject([{ title: 'milk' }]);
          if (stateless) {
            expect(transport.sessionId).toBeUndefined();
            const get = await fetch(server.mcpUrl, {
              headers: { ...bearer(await token('bob', 'todo:read')), accept: 'text/event-stream' },
            });
            expect(get.status).toBe(405);
          } else {
            expect(transport.sessionId).toEqual(expect.any(String));
          }
          await client.close();
        },
      );
    });
  }
}
