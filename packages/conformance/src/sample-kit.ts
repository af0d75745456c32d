/**
 * What the sample-app contract needs from a sample, and the request builders its suites share.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { expect } from 'vitest';

/**
 * The part of a sample's configuration (`readConfig(env)` in its `src/config.ts`) the contract
 * reads or builds.
 */
export interface SampleConfigLike {
  port: number;
  host: string;
  issuer: string;
  allowedOrigins: string[];
  provider?: string;
  authorizationServers?: string[];
  jwksUri?: string;
  resourceUrl?: string;
  jwt?: unknown;
  redisUrl?: string;
  stateless?: boolean;
  /** `MCP_AUTH_DPOP`: DPoP allowed or required; unset when off. */
  dpop?: 'allowed' | 'required';
}

/** A started sample (`startServer(config)` in its `src/app.ts`). */
export interface SampleServerLike {
  /** Where it listens, e.g. `http://127.0.0.1:3001`. */
  url: string;
  /** The canonical resource URI (PRM `resource`, token `aud`). */
  resourceUrl: string;
  /** The MCP endpoint on the listening address. */
  mcpUrl: string;
  /** The path-inserted Protected Resource Metadata on the listening address. */
  metadataUrl: string;
  close(): Promise<void>;
}

/**
 * One sample app, as the contract drives it.
 *
 * @example
 * ```ts
 * const sample: SampleUnderTest = {
 *   name: 'sample-express',
 *   appDir: fileURLToPath(new URL('..', import.meta.url)),
 *   startServer,
 *   readConfig,
 * };
 * ```
 */
export interface SampleUnderTest {
  /** Prefixes the suites' titles, e.g. `sample-express`. */
  name: string;
  /**
   * The sample's directory, ending in `/`: {@link SampleUnderTest.entry} is started from there
   * with its own `node_modules/.bin/tsx`, as `npm start` does.
   */
  appDir: string;
  /** The entry the process test starts, relative to `appDir`. Default `src/main.ts`. */
  entry?: string;
  /** Listens on `config.host:config.port` (`0`: a free port) and serves the sample. */
  startServer(config: SampleConfigLike): Promise<SampleServerLike>;
  /** Reads the sample's environment variables, throwing a `TypeError` naming a bad one. */
  readConfig(env: Record<string, string | undefined>): SampleConfigLike;
}

/** Every scope the samples' tools use. */
export const ALL_SCOPES = 'todo:read todo:write calendar:read calendar:write';

/** An `initialize` request body. */
export const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
});

/** A `tools/call` request body. */
export function toolCall(name: string, args: Record<string, unknown> = {}): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 2,
    method: 'tools/call',
    params: { name, arguments: args },
  });
}

/** `Bearer a="b", c="d"` → `{ a: 'b', c: 'd' }` (values never contain quotes, RFC 6750). */
export function challengeParams(header: string | null): Record<string, string> {
  expect(header).toMatch(/^Bearer /);
  return Object.fromEntries(
    [...(header ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
}

/** An `Authorization` header carrying `value` as a Bearer token. */
export const bearer = (value: string) => ({ authorization: `Bearer ${value}` });

/** Connects the SDK's client over Streamable HTTP to `mcpUrl` with `accessToken`. */
export async function connectSdkClient(
  mcpUrl: string,
  accessToken: string,
  name: string,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    requestInit: { headers: bearer(accessToken) },
  });
  await client.connect(transport);
  return { client, transport };
}
