import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Client as ClientV2,
  type OAuthClientProvider as OAuthClientProviderV2,
  StreamableHTTPClientTransport as StreamableHTTPClientTransportV2,
  UnauthorizedError as UnauthorizedErrorV2,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  callToolWithOAuth,
  connectWithOAuth,
  createObservedFetch,
  findFreePort,
  InMemoryOAuthClientProvider,
  type OAuthSession,
  toolText,
} from '@org/demo';
import { type ConsentOutcome, postConsent } from './form-poster.js';

/** The clients of the matrix. */
export const CLIENT_NAMES = ['sdk-v1', 'sdk-v2', 'mcp-remote'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];

/** The installed copy of a devDependency of this app (some do not export package.json). */
const packageDir = (pkg: string): string =>
  fileURLToPath(new URL(`../../node_modules/${pkg}/`, import.meta.url));
const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(join(packageDir(pkg), 'package.json'), 'utf8')) as { version: string })
    .version;

export const CLIENT_VERSIONS: Record<ClientName, string> = {
  'sdk-v1': `@modelcontextprotocol/sdk ${versionOf('@modelcontextprotocol/sdk')}`,
  'sdk-v2': `@modelcontextprotocol/client ${versionOf('@modelcontextprotocol/client')}`,
  'mcp-remote': `mcp-remote ${versionOf('mcp-remote')}`,
};

/** One HTTP exchange a client made (never a token or a body). */
export interface Exchange {
  method: string;
  url: string;
  status: number;
  wwwAuthenticate?: string;
}

export interface ToolOutcome {
  isError: boolean;
  text: string;
}

/** Completes an authorization URL the client opened; resolves with the code it carried. */
export type Authorize = (
  url: URL,
  options: { followToCallback: boolean },
) => Promise<ConsentOutcome>;

/** What the matrix needs from a client, whatever its shape. */
export interface MatrixClient {
  name: ClientName;
  /** Every authorization the client asked the user for, in order. */
  consents: ConsentOutcome[];
  exchanges(): Promise<Exchange[]>;
  connect(): Promise<void>;
  listTools(): Promise<string[]>;
  callTool(name: string, args?: Record<string, unknown>): Promise<ToolOutcome>;
  /** The access token the client holds now. */
  accessToken(): Promise<string>;
  /** Stop and start again from what the client stored (only clients that store tokens). */
  restart?(): Promise<void>;
  close(): Promise<void>;
}

export interface MatrixClientOptions {
  /** The sample's MCP endpoint. */
  url: string;
  /** Runs the consent: the scripted form-poster or a browser. */
  authorize?: Authorize;
}

/** The default user: the scripted form-poster with one cookie jar per client. */
export function formPosterUser(username = 'alice'): Authorize {
  const cookies = new Map<string, string>();
  return (url, { followToCallback }) => postConsent(url, { username, cookies, followToCallback });
}

const outcome = (result: CallToolResult): ToolOutcome => ({
  isError: result.isError === true,
  text: toolText(result),
});

/**
 * The SDK v1 client (`Client` + `StreamableHTTPClientTransport` + an `OAuthClientProvider`),
 * registered for the `authorization_code` and `refresh_token` grants as desktop hosts do.
 */
export function sdkV1Client(options: MatrixClientOptions): MatrixClient {
  const authorize = options.authorize ?? formPosterUser();
  const consents: ConsentOutcome[] = [];
  const exchanges: Exchange[] = [];
  const provider = new InMemoryOAuthClientProvider({
    clientName: 'matrix sdk-v1',
    refreshTokens: true,
    authorize: async (url) => {
      const consent = await authorize(url, { followToCallback: false });
      consents.push(consent);
      return consent.code;
    },
  });
  const observed = createObservedFetch((e) => {
    exchanges.push({
      method: e.method,
      url: e.url.href,
      status: e.response.status,
      wwwAuthenticate: e.response.headers.get('www-authenticate') ?? undefined,
    });
  });
  let session: OAuthSession | undefined;
  const live = () => {
    if (!session) throw new Error('sdk-v1: not connected');
    return session;
  };
  return {
    name: 'sdk-v1',
    consents,
    exchanges: async () => exchanges,
    async connect() {
      session = await connectWithOAuth({
        url: options.url,
        provider,
        fetch: observed,
        clientName: 'matrix-sdk-v1',
      });
    },
    async listTools() {
      return (await live().client.listTools()).tools.map((t) => t.name);
    },
    async callTool(name, args = {}) {
      return outcome(await callToolWithOAuth(live(), name, args));
    },
    async accessToken() {
      const token = provider.tokens()?.access_token;
      if (!token) throw new Error('sdk-v1: no access token');
      return token;
    },
    async close() {
      await session?.client.close();
    },
  };
}

/**
 * The SDK v2 client (`@modelcontextprotocol/client`) with an in-memory OAuth provider,
 * registered for `authorization_code` and `refresh_token`.
 */
export function sdkV2Client(options: MatrixClientOptions): MatrixClient {
  const authorize = options.authorize ?? formPosterUser();
  const consents: ConsentOutcome[] = [];
  const exchanges: Exchange[] = [];
  const provider = new InMemoryOAuthClientProvider({
    clientName: 'matrix sdk-v2',
    refreshTokens: true,
    authorize: async (url) => {
      const consent = await authorize(url, { followToCallback: false });
      consents.push(consent);
      return consent.code;
    },
  });
  // The demo provider implements the v1 interface; v2's adds optional members only.
  const authProvider = provider as unknown as OAuthClientProviderV2;
  const observed = createObservedFetch((e) => {
    exchanges.push({
      method: e.method,
      url: e.url.href,
      status: e.response.status,
      wwwAuthenticate: e.response.headers.get('www-authenticate') ?? undefined,
    });
  });
  let client: ClientV2 | undefined;
  let transport: StreamableHTTPClientTransportV2 | undefined;

  // v2 checks the authorization response's `iss` (RFC 9207) when the server advertises it, so
  // it gets the whole callback query, as a host's redirect handler would pass it.
  const finish = async (t: StreamableHTTPClientTransportV2) => {
    provider.takeAuthorizationCode();
    const last = consents.at(-1);
    if (!last) throw new Error('sdk-v2: no authorization to finish');
    await t.finishAuth(last.redirectUrl.searchParams);
  };

  /** Runs `step`; when the SDK stopped for an authorization, exchanges the code and retries once. */
  const withAuthorization = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof UnauthorizedErrorV2) || !transport) throw error;
      await finish(transport);
      return step();
    }
  };
  const live = () => {
    if (!client) throw new Error('sdk-v2: not connected');
    return client;
  };

  return {
    name: 'sdk-v2',
    consents,
    exchanges: async () => exchanges,
    async connect() {
      const attempt = async () => {
        transport = new StreamableHTTPClientTransportV2(new URL(options.url), {
          authProvider,
          fetch: observed,
        });
        client = new ClientV2({ name: 'matrix-sdk-v2', version: '0.0.0' });
        await client.connect(transport);
      };
      try {
        await attempt();
      } catch (error) {
        if (!(error instanceof UnauthorizedErrorV2) || !transport) throw error;
        await finish(transport);
        await attempt();
      }
    },
    async listTools() {
      const { tools } = await withAuthorization(() => live().listTools());
      return tools.map((t) => t.name);
    },
    async callTool(name, args = {}) {
      const result = await withAuthorization(() => live().callTool({ name, arguments: args }));
      return outcome(result as CallToolResult);
    },
    async accessToken() {
      const token = provider.tokens()?.access_token;
      if (!token) throw new Error('sdk-v2: no access token');
      return token;
    },
    async close() {
      await client?.close();
    },
  };
}

const MCP_REMOTE_BIN = join(packageDir('mcp-remote'), 'dist/proxy.js');
const RECORDER = fileURLToPath(new URL('./record-http.mjs', import.meta.url));

/** Environment variables that would make `open`/xdg-open look for a desktop. */
const DESKTOP_VARIABLES = [
  'DISPLAY',
  'WAYLAND_DISPLAY',
  'XDG_CURRENT_DESKTOP',
  'DESKTOP_SESSION',
  'KDE_FULL_SESSION',
  'GNOME_DESKTOP_SESSION_ID',
  'DBUS_SESSION_BUS_ADDRESS',
];

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `mcp-remote`, the stdio bridge desktop hosts spawn, driven through the SDK v1 client's
 * `StdioClientTransport`. Its token store (`MCP_REMOTE_CONFIG_DIR`) and callback port are its
 * own; it opens authorization URLs through `$BROWSER` — a script that appends the URL to a
 * file this driver watches and hands to the user, who follows the redirect to the callback
 * listener once it accepts connections (mcp-remote opens the browser slightly before it
 * listens).
 */
export async function mcpRemoteClient(options: MatrixClientOptions): Promise<MatrixClient> {
  const authorize = options.authorize ?? formPosterUser();
  const dir = await mkdtemp(join(tmpdir(), 'mcp-auth-matrix-mcp-remote-'));
  const configDir = join(dir, 'config');
  const urlsFile = join(dir, 'opened-urls.txt');
  const httpLog = join(dir, 'http.jsonl');
  const browser = join(dir, 'browser.sh');
  await mkdir(configDir);
  await writeFile(urlsFile, '');
  await writeFile(browser, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${urlsFile}'\n`);
  await chmod(browser, 0o755);
  const callbackPort = await findFreePort();

  const consents: ConsentOutcome[] = [];
  const failures: unknown[] = [];
  const stderr: string[] = [];
  let handled = 0;
  let watching = false;
  let watcher: Promise<void> | undefined;
  let client: Client | undefined;
  let transport: StdioClientTransport | undefined;

  // The browser: every URL mcp-remote opens goes to the user, one at a time.
  const opened = async () => (await readFile(urlsFile, 'utf8')).split('\n').filter(Boolean);
  const watch = async () => {
    while (watching) {
      const urls = await opened();
      for (; handled < urls.length; handled += 1) {
        try {
          consents.push(await authorize(new URL(urls[handled] ?? ''), { followToCallback: true }));
        } catch (error) {
          failures.push(error);
        }
      }
      await delay(50);
    }
  };
  // mcp-remote may answer before the user's browser has finished with the callback page:
  // wait (bounded) until every URL it opened has been handled.
  const settle = async () => {
    for (let i = 0; i < 200 && handled < (await opened()).length; i += 1) await delay(50);
  };

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !DESKTOP_VARIABLES.includes(key)) env[key] = value;
  }
  Object.assign(env, {
    BROWSER: browser,
    MCP_REMOTE_CONFIG_DIR: configDir,
    MATRIX_HTTP_LOG: httpLog,
  });

  const start = async () => {
    transport = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', RECORDER, MCP_REMOTE_BIN, options.url, String(callbackPort)],
      env,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(...chunk.toString().split('\n').filter(Boolean));
      if (stderr.length > 300) stderr.splice(0, stderr.length - 300);
    });
    client = new Client({ name: 'matrix-mcp-remote-host', version: '0.0.0' });
    watching = true;
    watcher = watch();
    try {
      await client.connect(transport);
    } catch (error) {
      throw new Error(`mcp-remote did not connect: ${String(error)}\n${tail()}`);
    }
  };

  const stop = async () => {
    await client?.close();
    watching = false;
    await watcher;
    client = undefined;
  };

  const tail = () => stderr.slice(-25).join('\n');
  const live = () => {
    if (!client) throw new Error('mcp-remote: not connected');
    if (failures.length) throw new Error(`the consent failed: ${String(failures[0])}\n${tail()}`);
    return client;
  };
  const check = <T>(value: T): T => {
    if (failures.length) throw new Error(`the consent failed: ${String(failures[0])}\n${tail()}`);
    return value;
  };

  return {
    name: 'mcp-remote',
    consents,
    async exchanges() {
      const text = await readFile(httpLog, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Exchange);
    },
    async connect() {
      await start();
      await settle();
      check(undefined);
    },
    async listTools() {
      return check((await live().listTools()).tools.map((t) => t.name));
    },
    async callTool(name, args = {}) {
      try {
        const result = (await live().callTool({ name, arguments: args })) as CallToolResult;
        await settle();
        return check(outcome(result));
      } catch (error) {
        throw new Error(`${String(error)}\n--- mcp-remote stderr ---\n${tail()}`);
      }
    },
    async accessToken() {
      const store = join(configDir, (await readdir(configDir))[0] ?? '');
      const file = (await readdir(store)).find((name) => name.endsWith('_tokens.json'));
      if (!file) throw new Error('mcp-remote stored no tokens');
      const tokens = JSON.parse(await readFile(join(store, file), 'utf8')) as {
        access_token?: string;
      };
      if (!tokens.access_token) throw new Error('mcp-remote stored no access token');
      return tokens.access_token;
    },
    async restart() {
      await stop();
      await start();
    },
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function createMatrixClient(
  name: ClientName,
  options: MatrixClientOptions,
): Promise<MatrixClient> {
  if (name === 'sdk-v1') return Promise.resolve(sdkV1Client(options));
  if (name === 'sdk-v2') return Promise.resolve(sdkV2Client(options));
  return mcpRemoteClient(options);
}
