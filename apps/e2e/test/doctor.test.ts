import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { CheckResourceServerResult } from '@org/mcp-auth-doctor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES, SAMPLES, type Stack, scopesOf, startStack } from './helpers.js';

// The built mcp-auth-doctor command against the three samples and the local authorization
// server: everything green with and without a token, the step-up 403 with a read-only token,
// the --json shape, and exit code 1 against a broken server.

const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@org/mcp-auth-doctor/package.json')),
  'dist/cli.js',
);

interface DoctorRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a child process (60 s at most). */
function runDoctorCli(args: string[], env: Record<string, string> = {}): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: 60_000, env: { ...process.env, NO_COLOR: '', ...env } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** A machine client at the local authorization server and a token for `resource`. */
async function clientCredentialsToken(
  issuer: string,
  resource: string,
  scope: string,
): Promise<string> {
  const registration = await fetch(`${issuer}/reg`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    }),
  });
  if (registration.status !== 201) throw new Error(`registration: ${registration.status}`);
  const client = (await registration.json()) as { client_id: string; client_secret: string };
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
      scope,
      resource,
    }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string };
  if (!body.access_token) throw new Error(`token: ${response.status} ${body.error}`);
  return body.access_token;
}

function failures(result: CheckResourceServerResult) {
  return result.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.saw}`);
}

let stack: Stack;

beforeAll(async () => {
  stack = await startStack(SAMPLES);
});

afterAll(async () => {
  await stack?.stop();
});

describe.each(SAMPLES)('mcp-auth-doctor on sample-%s', (name) => {
  const sample = () => stack.samples[name];

  it('finds nothing failing without a token', async () => {
    const run = await runDoctorCli([sample().resource, '--no-color']);
    expect(run.stderr).toBe('');
    expect(run.stdout, run.stdout).toMatch(/\d+ passed, \d+ warnings?, 0 failed, \d+ skipped/);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`mcp-auth-doctor ${sample().resource}`);
    expect(run.stdout).toMatch(/^✓ prm\.resource +resource equals the URL the client used$/m);
    expect(run.stdout).toMatch(/^✓ as\.pkce +PKCE with S256$/m);
    expect(run.stdout).not.toMatch(/^✗/m);
  });

  it('finds nothing failing with a token for every scope (from --token-command)', async () => {
    const token = await clientCredentialsToken(
      stack.as.issuer,
      sample().resource,
      ALL_SCOPES.join(' '),
    );
    const run = await runDoctorCli(
      [
        sample().resource,
        '--json',
        '--token-command',
        'node -e "process.stdout.write(process.env.DOCTOR_E2E_TOKEN)"',
      ],
      { DOCTOR_E2E_TOKEN: token },
    );
    expect(run.stdout).not.toContain(token);
    const result = JSON.parse(run.stdout) as CheckResourceServerResult;
    expect(failures(result)).toEqual([]);
    expect(run.code).toBe(0);
    const ids = result.checks.filter((c) => c.status === 'pass').map((c) => c.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'token.aud',
        'token.iss',
        'token.typ',
        'token.exp',
        'token.signature',
        'token.scopes',
        'token.initialize',
        'token.tools-list',
      ]),
    );
    const tools = result.checks.find((c) => c.id === 'token.tools-list')!.saw;
    for (const tool of ['list_todos', 'add_todo', 'list_events', 'create_event', 'whoami']) {
      expect(tools).toContain(tool);
    }
  });

  it('sees the step-up 403 for add_todo with a todo:read token', async () => {
    const token = await clientCredentialsToken(stack.as.issuer, sample().resource, 'todo:read');
    expect(scopesOf(token)).toEqual(['todo:read']);
    const run = await runDoctorCli([
      sample().resource,
      '--token',
      token,
      '--step-up-tool',
      'add_todo',
      '--no-color',
    ]);
    expect(run.stdout).not.toContain(token);
    expect(run.stdout).toContain(`(token ${token.slice(0, 8)}…)`);
    expect(run.stdout).toMatch(/^✓ token\.step-up +a missing scope gets 403 insufficient_scope$/m);
    expect(run.stdout).toMatch(/0 failed/);
    expect(run.code, run.stdout).toBe(0);
  });
});

describe('mcp-auth-doctor --json and exit codes', () => {
  let broken: Server;
  let brokenUrl: string;

  beforeAll(async () => {
    // A server whose 401 names nothing: no challenge, no metadata anywhere.
    broken = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/mcp`;
  });

  afterAll(async () => {
    broken.closeAllConnections();
    await new Promise<void>((resolve) => broken.close(() => resolve()));
  });

  it('prints { url, checks, summary } with --json', async () => {
    const sample = stack.samples[SAMPLES[0]!];
    const run = await runDoctorCli([sample.resource, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as CheckResourceServerResult;
    expect(Object.keys(result)).toEqual(['url', 'checks', 'summary']);
    expect(result.url).toBe(sample.resource);
    expect(Object.keys(result.summary)).toEqual(['passed', 'warnings', 'failed', 'skipped']);
    for (const check of result.checks) {
      expect(Object.keys(check).slice(0, 5)).toEqual(['id', 'title', 'status', 'saw', 'why']);
      expect(['pass', 'warn', 'fail', 'skip']).toContain(check.status);
      if (check.status === 'fail' || check.status === 'warn') expect(check.fix).toBeTruthy();
    }
    const total = Object.values(result.summary).reduce((a, b) => a + b, 0);
    expect(total).toBe(result.checks.length);
  });

  it('exits 1 against a broken server, naming what is wrong', async () => {
    const run = await runDoctorCli([brokenUrl, '--no-color']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✗ challenge\.parse /m);
    expect(run.stdout).toContain('saw: the 401 has no WWW-Authenticate header');
    expect(run.stdout).toMatch(/^✗ prm\.path-inserted /m);
  });

  it('exits 2 on a usage error, naming the flag', async () => {
    const run = await runDoctorCli([brokenUrl, '--timeout', 'later']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--timeout must be a whole number');
    expect(run.stdout).toBe('');
  });
});
