/**
 * A real MCP server (the SDK's McpServer) and client (the SDK's Client over Streamable HTTP),
 * shared by every adapter's end-to-end tests.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { McpAuthOptions } from '@org/mcp-auth-core';
import { createTestIssuer, type TestIssuer } from '@org/mcp-auth-testing';

export const E2E_RESOURCE = 'https://mcp.example/mcp';

/** What the `whoami` tool returns: the `authInfo` it received, as JSON. */
export interface WhoAmI {
  sub: unknown;
  token: string;
  clientId: string;
  scopes: string[];
  expiresAt?: number;
  resource?: string;
}

/** An McpServer with a `whoami` tool that returns `extra.authInfo` as it received it. */
export function buildMcpServer(): McpServer {
  const server = new McpServer({ name: 'adapter-e2e', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (extra) => {
    const info = extra.authInfo;
    const result: WhoAmI = {
      sub: info?.extra?.sub,
      token: info?.token ?? '',
      clientId: info?.clientId ?? '',
      scopes: info?.scopes ?? [],
      ...(info?.expiresAt === undefined ? {} : { expiresAt: info.expiresAt }),
      ...(info?.resource === undefined ? {} : { resource: info.resource.href }),
    };
    return { content: [{ type: 'text', text: JSON.stringify(result) }] };
  });
  server.registerTool('add_todo', { description: 'Needs todo:write' }, async () => ({
    content: [{ type: 'text', text: 'added' }],
  }));
  return server;
}

/** Issuer, options and two users' tokens for the end-to-end tests. */
export async function createE2eFixture(): Promise<{
  issuer: TestIssuer;
  options: McpAuthOptions;
  alice: string;
  bob: string;
}> {
  const issuer = await createTestIssuer({ audience: E2E_RESOURCE, scope: 'todo:read' });
  return {
    issuer,
    options: {
      resource: E2E_RESOURCE,
      issuer: issuer.issuer,
      jwt: { fetch: issuer.fetch },
      policy: { tools: { whoami: [], add_todo: 'todo:write' } },
    },
    alice: await issuer.mintAccessToken({ claims: { sub: 'alice' } }),
    bob: await issuer.mintAccessToken({ claims: { sub: 'bob' } }),
  };
}

/** Connects the SDK client to `url` with `token` (and optionally an existing session). */
export async function connectClient(
  url: string,
  token: string,
  sessionId?: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
    ...(sessionId === undefined ? {} : { sessionId }),
  });
  const client = new Client({ name: 'adapter-e2e-client', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** Calls `whoami` and parses its answer. */
export async function whoami(client: Client): Promise<WhoAmI> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  const content = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(content[0]!.text) as WhoAmI;
}

/** A raw `tools/call` on an existing session, as another client would send it. */
export function rawToolCall(url: string, token: string, sessionId: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Session-Id': sessionId,
      'MCP-Protocol-Version': '2025-06-18',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 99,
      method: 'tools/call',
      params: { name: 'whoami', arguments: {} },
    }),
  });
}
