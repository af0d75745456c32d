import { type ChildProcess, spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  driveAuthorization,
  startDevAuthorizationServer,
} from '@org/mcp-auth-dev-authorization-server';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { replaceWorkspaceRanges } from './consumer-project.js';
import { copyRepository } from './copy-repository.js';
import { runCommand } from './run-command.js';
import { dependencyMap, readManifest } from './workspace-packages.js';

/** A sample app a user can copy out of `apps/` as a starter. */
export interface SampleApp {
  /** Directory name, e.g. `sample-express`. */
  name: string;
  /** Directory relative to the repository root, e.g. `apps/sample-express`. */
  relativeDir: string;
}

/**
 * Lists the sample apps that are ready to copy: `apps/sample-*` with a `src/` directory and a
 * `start` script.
 *
 * @example
 * ```ts
 * listSampleApps(root).map((s) => s.name); // ['sample-express', 'sample-fastify', 'sample-hono']
 * ```
 */
export function listSampleApps(root: string): SampleApp[] {
  return readdirSync(join(root, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('sample-'))
    .map((entry) => ({ name: entry.name, relativeDir: `apps/${entry.name}` }))
    .filter((sample) => {
      const dir = join(root, sample.relativeDir);
      if (!existsSync(join(dir, 'src')) || !existsSync(join(dir, 'package.json'))) return false;
      const scripts = readManifest(join(dir, 'package.json')).scripts as Record<string, string>;
      return typeof scripts?.start === 'string';
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Copies a sample app out of the workspace the way its README tells a user to — its tracked
 * and untracked-but-not-ignored files, no `node_modules` or build output — and points its
 * `workspace:` dependencies at the packed tarballs (see {@link replaceWorkspaceRanges}).
 *
 * @example
 * ```ts
 * await copySampleApp(root, sample, join(work, sample.name), tarballs, internalDependencies);
 * ```
 */
export async function copySampleApp(
  root: string,
  sample: SampleApp,
  destination: string,
  tarballs: ReadonlyMap<string, string>,
  internalDependencies: ReadonlyMap<string, readonly string[]>,
): Promise<void> {
  await copyRepository(root, destination, { under: sample.relativeDir });
  const copied = readManifest(join(destination, 'package.json'));
  // The samples' shared contract suite (@org/mcp-auth-conformance) is private to the workspace
  // and never packed: a copy leaves that devDependency out.
  copied.devDependencies = Object.fromEntries(
    Object.entries(dependencyMap(copied, 'devDependencies')).filter(
      ([name, range]) => !range.startsWith('workspace:') || tarballs.has(name),
    ),
  );
  const manifest = replaceWorkspaceRanges(copied, tarballs, internalDependencies);
  writeFileSync(join(destination, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Resolves with a TCP port that was free on 127.0.0.1 a moment ago.
 *
 * @example
 * ```ts
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** A process started by {@link startProcess}. */
export interface StartedProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Stops it and every process it started (its process group); resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts a long-running command in its own process group, collecting its output.
 *
 * @example
 * ```ts
 * const app = startProcess('npm', ['start'], { cwd, env: { PORT: '3000' } });
 * await app.stop();
 * ```
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined> },
): StartedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Polls `url` until it answers 200, at most `timeoutMs`; rejects early with the process output
 * if `process` exits first.
 *
 * @example
 * ```ts
 * await waitForOk(`http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`, app, 30_000);
 * ```
 */
export async function waitForOk(
  url: string,
  process: StartedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process.child.exitCode !== null || process.child.signalCode !== null) {
      throw new Error(
        `exited (${process.child.exitCode ?? process.child.signalCode}) before ${url} answered:\n${process.output()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${process.output()}`);
}

/** What {@link requestDevToken} needs from the development authorization server. */
export interface DevTokenRequest {
  /** The server's issuer (`DevAuthorizationServer.issuer`). */
  issuer: string;
  /** The MCP server's canonical resource URI, sent as the RFC 8707 `resource`. */
  resource: string;
  scope: string;
  /** Follows the authorization URL to the redirect (the server's `driveAuthorization`). */
  drive: (url: string) => Promise<{ code?: string; error?: string }>;
}

/**
 * Gets a real access token from the development authorization server through its documented
 * endpoints: RFC 8414 metadata, open dynamic client registration of a public client, and the
 * authorization-code flow with PKCE (S256) and a `resource` indicator.
 *
 * @example
 * ```ts
 * const token = await requestDevToken({ issuer: as.issuer, resource, scope: 'todo:read', drive: (u) => driveAuthorization(u) });
 * ```
 */
export async function requestDevToken(request: DevTokenRequest): Promise<string> {
  const metadataResponse = await fetch(`${request.issuer}/.well-known/oauth-authorization-server`);
  const metadata = (await metadataResponse.json()) as Record<string, string>;
  const redirectUri = 'http://127.0.0.1/callback';
  const registration = await fetch(metadata.registration_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'release-check',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  if (registration.status !== 201) {
    throw new Error(`registration failed: ${registration.status} ${await registration.text()}`);
  }
  const { client_id: clientId } = (await registration.json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorizationUrl = new URL(metadata.authorization_endpoint!);
  authorizationUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: request.scope,
    resource: request.resource,
    state: randomBytes(8).toString('hex'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const { code, error } = await request.drive(authorizationUrl.href);
  if (!code) throw new Error(`authorization failed: ${error ?? 'no code'}`);
  const tokenResponse = await fetch(metadata.token_endpoint!, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: verifier,
      resource: request.resource,
    }),
  });
  const body = (await tokenResponse.json()) as { access_token?: string };
  if (!tokenResponse.ok || !body.access_token) {
    throw new Error(`token request failed: ${tokenResponse.status} ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

/** What {@link exerciseSampleApp} observed. */
export interface SampleAppRun {
  /** The development authorization server's issuer the sample was pointed at. */
  issuer: string;
  /** `http://127.0.0.1:<port>/mcp`, the sample's default `MCP_RESOURCE_URL`. */
  resource: string;
  /** Where the path-inserted Protected Resource Metadata was fetched. */
  metadataUrl: string;
  metadata: Record<string, unknown>;
  /** A `tools/list` POST without a token. */
  anonymous: { status: number; challenge: string | null };
  /** `whoami` and `list_todos` called with alice's `todo:read` token. */
  whoami: Record<string, unknown>;
  listTodos: Record<string, unknown>;
}

/**
 * Runs an installed sample app the way its README describes — `npm run build` when it has a
 * build script, then `npm start` with `PORT`, `HOST` and `MCP_AUTH_ISSUER` — against a
 * development authorization server started beside it (auto-approving alice). Fetches the
 * metadata, posts once without a token, gets a `todo:read` token through the server's
 * documented authorization-code flow, and calls `whoami` and `list_todos` with the MCP SDK
 * client. Stops both servers before resolving.
 *
 * @example
 * ```ts
 * const run = await exerciseSampleApp(join(work, 'samples/sample-express'), process.env);
 * run.anonymous.status; // 401
 * ```
 */
export async function exerciseSampleApp(
  dir: string,
  env: Record<string, string | undefined>,
): Promise<SampleAppRun> {
  const scripts = (readManifest(join(dir, 'package.json')).scripts ?? {}) as Record<string, string>;
  if (typeof scripts.build === 'string') {
    await runCommand('npm', ['run', 'build'], { cwd: dir, env });
  }
  const as = await startDevAuthorizationServer({ port: 0, autoApprove: true });
  let app: StartedProcess | undefined;
  try {
    const port = await freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    app = startProcess('npm', ['start'], {
      cwd: dir,
      env: { ...env, PORT: String(port), HOST: '127.0.0.1', MCP_AUTH_ISSUER: as.issuer },
    });
    const metadataUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`;
    await waitForOk(metadataUrl, app, 60_000);
    const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
    const anonymousResponse = await fetch(resource, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    await anonymousResponse.body?.cancel();
    const token = await requestDevToken({
      issuer: as.issuer,
      resource,
      scope: 'todo:read',
      drive: (url) => driveAuthorization(url),
    });
    const client = new Client({ name: 'release-check', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(resource), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      return {
        issuer: as.issuer,
        resource,
        metadataUrl,
        metadata,
        anonymous: {
          status: anonymousResponse.status,
          challenge: anonymousResponse.headers.get('www-authenticate'),
        },
        whoami: await client.callTool({ name: 'whoami', arguments: {} }),
        listTodos: await client.callTool({ name: 'list_todos', arguments: {} }),
      };
    } finally {
      await client.close();
    }
  } finally {
    await app?.stop();
    await as.close();
  }
}
