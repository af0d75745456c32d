/**
 * The MCP SDK v2 counterpart of `./mcp.ts`: a real v2 server (`@modelcontextprotocol/server`)
 * and client (`@modelcontextprotocol/client` over Streamable HTTP), shared by every adapter's
 * v2 end-to-end tests. The fixture (issuer, options, tokens) is the v1 one.
 */
import {
  Client,
  type FetchLike,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import type { WhoAmI } from './mcp.js';

export { createE2eFixture, E2E_RESOURCE, type WhoAmI } from './mcp.js';

/** The 2026-07-28 revision, the one the v2 SDK negotiates when both sides speak it. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/**
 * Which handshake the v2 client runs: `legacy` (the 2025 `initialize`, the client's default),
 * `auto` (a `server/discover` probe, falling back to `initialize`) or `modern` (2026-07-28 only).
 */
export type ClientEra = 'legacy' | 'auto' | 'modern';

/**
 * A v2 McpServer with a `whoami` tool that returns `ctx.http.authInfo` as it received it, and
 * `add_todo` (the policy asks `todo:write` for it). The factory's `authInfo` (the per-request
 * entry's context) is returned as `factorySub`, so a test sees both places v2 hands it over.
 */
export function buildMcpServerV2(factoryAuth?: { extra?: Record<string, unknown> }): McpServer {
  const server = new McpServer({ name: 'adapter-e2e-v2', version: '1.0.0' });
  server.registerTool('whoami', { description: 'Who is calling' }, async (ctx) => {
    const info = ctx.http?.authInfo;
    const result: WhoAmI & { factorySub?: unknown } = {
      sub: info?.extra?.sub,
      token: info?.token ?? '',
      clientId: info?.clientId ?? '',
      scopes: info?.scopes ?? [],
      ...(info?.expiresAt === undefined ? {} : { expiresAt: info.expiresAt }),
      ...(info?.resource === undefined ? {} : { resource: info.resource.href }),
      ...(factoryAuth === undefined ? {} : { factorySub: factoryAuth.extra?.sub }),
    };
    return { content: [{ type: 'text', text: JSON.stringify(result) }] };
  });
  server.registerTool('add_todo', { description: 'Needs todo:write' }, async () => ({
    content: [{ type: 'text', text: 'added' }],
  }));
  return server;
}

/** What {@link connectClientV2} accepts besides the URL and token. */
export interface ConnectV2Options {
  era?: ClientEra;
  /** Reuse an existing session (2025 era). */
  sessionId?: string;
  /** Sees every request the client transport sends (to record headers). */
  fetch?: FetchLike;
}

/** Connects the v2 client to `url` with `token` as a static bearer token (`''`: none). */
export async function connectClientV2(
  url: string,
  token: string,
  options: ConnectV2Options = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: token === '' ? {} : { Authorization: `Bearer ${token}` } },
    ...(options.sessionId === undefined ? {} : { sessionId: options.sessionId }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const era = options.era ?? 'legacy';
  const client = new Client(
    { name: 'adapter-e2e-client-v2', version: '1.0.0' },
    {
      versionNegotiation: {
        mode: era === 'modern' ? { pin: MODERN_PROTOCOL_VERSION } : era,
      },
    },
  );
  await client.connect(transport);
  return { client, transport };
}

/** Calls `whoami` through the v2 client and parses its answer. */
export async function whoamiV2(client: Client): Promise<WhoAmI & { factorySub?: unknown }> {
  const result = await client.callTool({ name: 'whoami', arguments: {} });
  const content = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(content[0]!.text) as WhoAmI & { factorySub?: unknown };
}

/** A `fetch` that records the `Mcp-Method` / `Mcp-Name` / `Mcp-Session-Id` headers of each request. */
export function recordingFetch(): {
  fetch: FetchLike;
  seen: Array<{ method: string; mcpMethod?: string; mcpName?: string; sessionId?: string }>;
} {
  const seen: Array<{ method: string; mcpMethod?: string; mcpName?: string; sessionId?: string }> =
    [];
  const recording: FetchLike = (input, init) => {
    const headers = new Headers(init?.headers);
    const entry: (typeof seen)[number] = { method: init?.method ?? 'GET' };
    const mcpMethod = headers.get('mcp-method');
    const mcpName = headers.get('mcp-name');
    const sessionId = headers.get('mcp-session-id');
    if (mcpMethod !== null) entry.mcpMethod = mcpMethod;
    if (mcpName !== null) entry.mcpName = mcpName;
    if (sessionId !== null) entry.sessionId = sessionId;
    seen.push(entry);
    return fetch(input, init);
  };
  return { fetch: recording, seen };
}
