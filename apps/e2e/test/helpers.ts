import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  connectWithOAuth,
  createObservedFetch,
  findFreePort,
  InMemoryOAuthClientProvider,
  type ObservedExchange,
  type OAuthSession,
  type RunningSample,
  SAMPLE_NAMES,
  type SampleName,
  startSample,
} from '@org/demo';
import {
  type DevAuthorizationServer,
  type DriveAuthorizationResult,
  driveAuthorization,
  startDevAuthorizationServer,
} from '@org/mcp-auth-dev-authorization-server';
import { decodeJwt, decodeProtectedHeader } from 'jose';

/**
 * The samples under test: all three, or a comma-separated subset in `E2E_SAMPLES` (for
 * debugging one sample).
 */
export const SAMPLES: readonly SampleName[] = process.env.E2E_SAMPLES
  ? SAMPLE_NAMES.filter((name) => process.env.E2E_SAMPLES?.split(',').includes(name))
  : SAMPLE_NAMES;

export const ALL_SCOPES = ['todo:read', 'todo:write', 'calendar:read', 'calendar:write'];

/** The local authorization server and the three samples, started once per test file. */
export interface Stack {
  as: DevAuthorizationServer;
  samples: Record<SampleName, RunningSample>;
  stop(): Promise<void>;
}

/** A quiet logger that keeps the authorization server's lines for failure messages. */
function collectingLogger(lines: string[]) {
  const keep = (m: string) => {
    lines.push(m);
    if (lines.length > 100) lines.shift();
  };
  return { info: keep, warn: keep, error: keep };
}

export async function startStack(
  names: readonly SampleName[] = SAMPLE_NAMES,
  options: { env?: Record<string, string> } = {},
): Promise<Stack> {
  const asLog: string[] = [];
  const as = await startDevAuthorizationServer({ port: 0, logger: collectingLogger(asLog) });
  const started = await Promise.allSettled(
    names.map(async (name) =>
      startSample({
        name,
        port: await findFreePort(),
        issuer: as.issuer,
        ...(options.env ? { env: options.env } : {}),
      }),
    ),
  );
  const samples = {} as Record<SampleName, RunningSample>;
  for (const [i, result] of started.entries()) {
    if (result.status === 'fulfilled') samples[names[i] as SampleName] = result.value;
  }
  const stop = async () => {
    await Promise.allSettled(Object.values(samples).map((s) => s.stop()));
    await as.close();
  };
  const failures = started.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  if (failures.length) {
    await stop();
    throw new Error(failures.join('\n'));
  }
  return { as, samples, stop };
}

/** Options of {@link userClient}. */
export interface UserClientOptions {
  username?: string;
  /** Scopes the user leaves ticked on the first consent page. Default: all requested. */
  grantScopes?: string[];
  redirectUrl?: string;
}

/** An SDK client whose authorizations are completed by driving the login and consent pages. */
export interface UserClient {
  provider: InMemoryOAuthClientProvider;
  /** Every HTTP exchange the client made (MCP and OAuth), in order. */
  exchanges: ObservedExchange[];
  /** Every completed login/consent, in order. */
  consents: DriveAuthorizationResult[];
  /** The authorization URLs the SDK built, in order. */
  authorizationUrls: URL[];
  fetch: typeof fetch;
  connect(url: string): Promise<OAuthSession>;
  accessToken(): string;
}

export function userClient(options: UserClientOptions = {}): UserClient {
  const username = options.username ?? 'alice';
  const exchanges: ObservedExchange[] = [];
  const consents: DriveAuthorizationResult[] = [];
  const authorizationUrls: URL[] = [];
  let cookies: Map<string, string> | undefined;
  const provider = new InMemoryOAuthClientProvider({
    clientName: `e2e client (${username})`,
    ...(options.redirectUrl ? { redirectUrl: options.redirectUrl } : {}),
    authorize: async (url) => {
      authorizationUrls.push(url);
      const first = consents.length === 0;
      const result = await driveAuthorization(url, {
        username,
        ...(first && options.grantScopes ? { grantScopes: options.grantScopes } : {}),
        ...(cookies ? { cookies } : {}),
      });
      cookies = result.cookies;
      consents.push(result);
      if (!result.code) throw new Error(`authorization failed: ${result.error ?? 'no code'}`);
      return result.code;
    },
  });
  const observed = createObservedFetch((exchange) => void exchanges.push(exchange));
  return {
    provider,
    exchanges,
    consents,
    authorizationUrls,
    fetch: observed,
    connect: (url) => connectWithOAuth({ url, provider, fetch: observed, clientName: 'e2e' }),
    accessToken() {
      const token = provider.tokens()?.access_token;
      if (!token) throw new Error('no access token yet');
      return token;
    },
  };
}

/**
 * An access token for `serverUrl`'s resource through the SDK's `auth()` alone: discovery,
 * registration, authorization (login + consent driven), then `auth()` again with the code.
 */
export async function tokenFor(
  serverUrl: string,
  options: UserClientOptions = {},
): Promise<string> {
  const client = userClient(options);
  const first = await auth(client.provider, { serverUrl, fetchFn: client.fetch });
  if (first !== 'REDIRECT') throw new Error(`expected a redirect, got ${first}`);
  const second = await auth(client.provider, {
    serverUrl,
    authorizationCode: client.provider.takeAuthorizationCode(),
    fetchFn: client.fetch,
  });
  if (second !== 'AUTHORIZED') throw new Error(`expected AUTHORIZED, got ${second}`);
  return client.accessToken();
}

export function decode(token: string) {
  return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
}

export function scopesOf(token: string): string[] {
  return String(decode(token).claims.scope ?? '')
    .split(' ')
    .filter(Boolean)
    .sort();
}

let nextId = 1;

export const initializeMessage = () => ({
  jsonrpc: '2.0',
  id: nextId++,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'e2e-raw', version: '0.0.0' },
  },
});

export const toolCallMessage = (name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: nextId++,
  method: 'tools/call',
  params: { name, arguments: args },
});

/** POST one JSON-RPC message to an MCP endpoint with an optional token and session. */
export function postMcp(
  url: string,
  message: unknown,
  options: { token?: string; sessionId?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.sessionId) {
    headers['mcp-session-id'] = options.sessionId;
    headers['mcp-protocol-version'] = '2025-06-18';
  }
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(message) });
}

/** The JSON-RPC message in a JSON or SSE response body. */
export async function readJsonRpc(response: Response): Promise<Record<string, unknown>> {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const data = text
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trim())
      .find((line) => line.startsWith('{'));
    if (!data) throw new Error(`no JSON-RPC message in the event stream: ${text.slice(0, 200)}`);
    return JSON.parse(data) as Record<string, unknown>;
  }
  return JSON.parse(text) as Record<string, unknown>;
}

/** Repeats `attempt` until it returns true or `timeoutMs` passes; returns the time taken. */
export async function eventually(
  attempt: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 500,
): Promise<{ ok: boolean; ms: number }> {
  const start = Date.now();
  for (;;) {
    if (await attempt()) return { ok: true, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) return { ok: false, ms: Date.now() - start };
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
